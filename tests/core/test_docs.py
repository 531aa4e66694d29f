"""The docs stay true to the code: the hook reference is generated, and pages name what exists."""

from __future__ import annotations

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
