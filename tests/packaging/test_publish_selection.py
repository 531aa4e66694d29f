"""``octoci publish`` uses the packaging code too: the same input errors, and the core's artifact
discovery (package files in ``--artifact-path`` folders) never looks inside ``.git`` or
``node_modules``."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import octoci.packaging.zipwriter as zipwriter
from octoci.model import PackageEntry
from octoci.testing import CliResult, run_octoci
from octoci.testing import emulator as emulator_fixtures
from octoci_emulator import Emulator

octopus_emulator = emulator_fixtures.octopus_emulator
octopus_emulator_seed = emulator_fixtures.octopus_emulator_seed

EMPTY_ZIP = b"PK\x05\x06" + bytes(18)


@pytest.fixture
def repo(git_repo: Callable[..., Path]) -> Path:
    """A repository with web/dist to pack as Acme.Web."""
    root = git_repo(["Start"])
    (root / "web" / "dist").mkdir(parents=True)
    (root / "web" / "dist" / "index.html").write_text("<h1>Shop</h1>\n", encoding="utf-8")
    (root / "web" / "dist" / "app.js").write_text("console.log('shop')\n", encoding="utf-8")
    return root


@pytest.fixture
def publish(octopus_emulator: Emulator, repo: Path) -> Callable[..., CliResult]:
    def run(*args: str) -> CliResult:
        env = {
            "OCTOPUS_URL": octopus_emulator.url,
            "OCTOPUS_API_KEY": octopus_emulator.api_key,
            "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
            "OCTOCI_RETRY_BUDGET": "5",
        }
        return run_octoci("publish", "--version", "2.0.0", *args, env=env, cwd=repo)

    return run


def error_line(result: CliResult) -> str:
    lines = result.stderr.splitlines()
    assert lines, result.stderr
    assert lines[-1].startswith("octoci: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[-1].removeprefix("octoci: error: ")


def test_publish_refuses_a_file_name_that_is_not_utf8_before_pushing(
    publish: Callable[..., CliResult], octopus_emulator: Emulator, repo: Path
) -> None:
    dist = repo / "web" / "dist"
    try:
        Path(os.fsdecode(os.fsencode(dist) + b"/caf\xe9.txt")).write_bytes(b"latin-1 named")
    except OSError:
        pytest.skip("this file system only takes UTF-8 names")
    result = publish("--package-id", "Acme.Web", "--base-path", "web/dist")
    assert result.exit_code == 2, result.stderr
    line = error_line(result)
    assert line.startswith(f"cannot pack {dist}/caf\\xe9.txt: its name caf\\xe9.txt is not valid")
    assert line.endswith("--exclude 'caf?.txt'")
    assert octopus_emulator.packages() == []
    excluded = publish(
        "--package-id", "Acme.Web", "--base-path", "web/dist", "--exclude", "caf?.txt"
    )
    assert excluded.exit_code == 0, excluded.stderr
    assert [p["PackageId"] for p in octopus_emulator.packages()] == ["Acme.Web"]


def test_publish_names_a_file_that_vanished_while_packing(
    publish: Callable[..., CliResult],
    octopus_emulator: Emulator,
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gone = repo / "web" / "dist" / "app.js"
    real_plan = zipwriter.plan_file

    def plan_then_delete(entry: PackageEntry, level: int) -> Any:
        planned = real_plan(entry, level)
        if entry.source == gone:
            gone.unlink()
        return planned

    monkeypatch.setattr(zipwriter, "plan_file", plan_then_delete)
    result = publish("--package-id", "Acme.Web", "--base-path", "web/dist")
    assert result.exit_code == 1, result.stderr
    assert error_line(result).startswith(f"{gone} vanished while packing")
    assert octopus_emulator.packages() == []
    # Nothing half-written in the out folder (.octoci/packages): no package, no .partial file.
    assert [p for p in repo.glob(".octoci/**/*") if p.is_file()] == []


def test_artifact_discovery_never_walks_into_git_or_node_modules(
    publish: Callable[..., CliResult], octopus_emulator: Emulator, repo: Path
) -> None:
    found = {
        "out/Acme.Web.2.0.0.zip",
        "out/api/Acme.Api.2.0.0.zip",
    }
    hidden = {
        "out/.git/Acme.Git.2.0.0.zip",
        "out/node_modules/Acme.Npm.2.0.0.zip",
        "out/api/node_modules/left-pad/Acme.Pad.2.0.0.zip",
        "out/api/.git/objects/Acme.Obj.2.0.0.zip",
    }
    for name in found | hidden:
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(EMPTY_ZIP)
    result = publish("--artifact-path", "out")
    assert result.exit_code == 0, result.stderr
    assert sorted(p["PackageId"] for p in octopus_emulator.packages()) == ["Acme.Api", "Acme.Web"]
