"""Octopus compares package ids without case (``Acme.Web`` and ``acme.web`` are one package), so
two inputs whose ids differ only in case are refused before anything is packed or sent.

The server is a port nothing listens on: a run that got as far as connecting would fail with a
connection error (exit 1) instead of the bad-input refusal (exit 2)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from octoci.testing import CliResult

RunCli = Callable[..., CliResult]
UNREACHABLE = {
    "OCTOPUS_URL": "http://127.0.0.1:9",
    "OCTOPUS_API_KEY": "API-CASETEST0000000000000000000",
    "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    # Should the refusal ever be missed, the connection error comes at once, not after 100 s.
    "OCTOCI_RETRY_BUDGET": "0.5",
}


def write_zip(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("index.html", "<h1>shop</h1>")
    return path


def refusal(result: CliResult) -> str:
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_push_refuses_two_files_whose_ids_differ_only_in_case(
    run_cli: RunCli, tmp_path: Path
) -> None:
    first = write_zip(tmp_path / "a" / "Acme.Web.1.0.0.zip")
    second = write_zip(tmp_path / "b" / "acme.web.1.0.0.zip")
    line = refusal(run_cli("push", str(first), str(second), env=UNREACHABLE, cwd=tmp_path))
    assert line == f"octoci: error: cannot push: {second} and {first} are both acme.web 1.0.0"


def test_publish_refuses_package_files_whose_ids_differ_only_in_case(
    run_cli: RunCli, git_repo: Callable[..., Path]
) -> None:
    repo = git_repo(["Start"])
    write_zip(repo / "a" / "Acme.Web.1.0.0.zip")
    write_zip(repo / "b" / "acme.web.2.0.0.zip")
    args = ("--package-file", "a/Acme.Web.1.0.0.zip", "--package-file", "b/acme.web.2.0.0.zip")
    line = refusal(run_cli("publish", *args, env=UNREACHABLE, cwd=repo))
    assert line.startswith("octoci: error: the package id acme.web is published twice")
    assert line.endswith("give each package its own id")


@pytest.mark.parametrize("second_id", ["acme.web", "ACME.WEB"])
def test_publish_refuses_configured_packages_whose_ids_differ_only_in_case(
    run_cli: RunCli, git_repo: Callable[..., Path], second_id: str
) -> None:
    repo = git_repo(["Start"])
    for folder in ("web", "site"):
        (repo / folder).mkdir()
        (repo / folder / "index.html").write_text("<h1>shop</h1>\n", encoding="utf-8")
    (repo / "octoci.toml").write_text(
        f'[[packages]]\nid = "Acme.Web"\nbase_path = "web"\n\n'
        f'[[packages]]\nid = "{second_id}"\nbase_path = "site"\n',
        encoding="utf-8",
    )
    before = sorted(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts)
    line = refusal(run_cli("publish", "--version", "1.0.0", env=UNREACHABLE, cwd=repo))
    assert line == (
        f"octoci: error: the package id {second_id} is published twice ({repo / 'web'} and "
        f"{repo / 'site'}); give each package its own id"
    )
    after = sorted(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts)
    assert after == before  # nothing packed, no out folder
