"""The docs stay true to the code: the hook reference is generated, and pages name what exists."""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

from octoci import hookspecs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]

ROOT = Path(__file__).resolve().parents[2]


def test_hook_reference_is_up_to_date() -> None:
    generator = runpy.run_path(str(ROOT / "scripts" / "gen_hook_docs.py"))
    page = (ROOT / "docs" / "plugins" / "hooks.md").read_text(encoding="utf-8")
    assert page == generator["render"](), "run: python scripts/gen_hook_docs.py"


def test_every_hook_has_an_example() -> None:
    for name in dir(hookspecs):
        if name.startswith("octoci_"):
            doc = getattr(hookspecs, name).__doc__ or ""
            assert "Example::" in doc, f"{name} has no example in its docstring"


def test_readme_and_ci_agree_on_the_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line.strip() for line in ci.splitlines() if "nox" in line)
    assert command in readme


def test_every_environment_variable_octoci_reads_is_documented() -> None:
    page = (ROOT / "docs" / "reference" / "environment.md").read_text(encoding="utf-8")
    for variable in (
        "OCTOCI_SERVER",
        "OCTOCI_DISABLE_PLUGINS",
        "OCTOCI_PLUGINS",
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD",
        "OCTOCI_TRACE_PLUGINS",
    ):
        assert variable in page


def test_the_quick_loop_is_documented_and_ci_still_runs_the_slow_tests() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'pytest -m "not slow" -n auto' in readme
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    session = noxfile[
        noxfile.index("def tests(") : noxfile.index("\ndef ", noxfile.index("def tests("))
    ]
    assert '"pytest"' in session
    assert '"-m"' not in session, "the nox tests session (CI) must not deselect the slow tests"
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    assert "-m" not in addopts["pytest"]["ini_options"]["addopts"]


# ---------------------------------------------------------------------------- the server pages
#: The native forms: files a server loads as its own kind of step (docs/servers/index.md).
NATIVE_FORMS = ("action.yml", "templates/publish.yml", "vars/octociPublish.groovy", "forms")
REPOSITORY_LINK = re.compile(r"\]\(https://github\.com/octoci/octoci/blob/main/([^)#]+)\)")
RELATIVE_LINK = re.compile(r"\]\((?!https?://|#)([^)#]+)(?:#[^)]*)?\)")


def _native_form_files() -> list[str]:
    files = [ROOT / name for name in NATIVE_FORMS if (ROOT / name).is_file()]
    files += [p for p in (ROOT / "forms").rglob("*") if p.is_file()]
    return sorted(p.relative_to(ROOT).as_posix() for p in files)


def _page(row: str) -> str:
    """The page a server row of docs/servers/index.md links first (``github-actions.md``)."""
    match = re.match(r"\| \[[^]]+\]\(([^)]+)\)", row)
    assert match is not None, row
    return match.group(1)


def test_every_server_has_a_row_linking_its_page_its_example_and_its_native_form() -> None:
    from octoci.plugins import create_plugin_manager

    index = (ROOT / "docs" / "servers" / "index.md").read_text(encoding="utf-8")
    rows = [line for line in index.splitlines() if line.startswith("| [")]
    servers = {
        name: cls
        for name, cls in create_plugin_manager(load_entrypoints=False).server_classes().items()
        if name != "local"
    }
    for cls in servers.values():
        (row,) = [r for r in rows if f"| `{cls.extra}` |" in r]  # one row per server
        assert (ROOT / "docs" / "servers" / _page(row)).is_file(), row
        assert "examples/pipelines/" in row, f"{cls.display_name}: no example pipeline linked"
    assert len(rows) == len(servers)
    pages = {p.name for p in (ROOT / "docs" / "servers").glob("*.md")} - {"index.md"}
    assert pages == {_page(r) for r in rows}
    linked = REPOSITORY_LINK.findall(index)
    missing = [path for path in linked if not (ROOT / path).is_file()]
    assert not missing, f"docs/servers/index.md links files that do not exist: {missing}"
    unlinked = [path for path in _native_form_files() if path not in linked]
    assert not unlinked, f"native forms the server overview does not link: {unlinked}"


def test_the_readme_links_every_server_page_the_native_forms_and_the_pipeline() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = RELATIVE_LINK.findall(readme)
    broken = [link for link in links if not (ROOT / link).exists()]
    assert not broken, f"README.md links paths that do not exist: {broken}"
    pages = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs" / "servers").glob("*.md"))
    assert not [page for page in pages if page not in links], "README.md: link every server page"
    forms = [f for f in _native_form_files() if not f.startswith("forms/")]
    forms += sorted({f.rsplit("/", 1)[0] for f in _native_form_files() if f.startswith("forms/")})
    for form in forms:
        assert any(link == form or link.startswith(f"{form}/") for link in links), form
    assert "docs/pipeline.md" in links
    from octoci.plugins import create_plugin_manager

    servers = len(create_plugin_manager(load_entrypoints=False).server_classes()) - 1  # local
    assert f"on {servers} build servers" in " ".join(readme.split()), "README.md: the server count"
