"""``octoci publish`` packs its first package while Octopus is being checked, into a temporary file
only: it is in place once every check has passed, each package is written once, and a run that
stops at a check (or mid-write) leaves nothing on disk.

The runs go through the command against the emulator over HTTP; the check is the real one,
wrapped to look at the out folder while it runs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from octoci.errors import InputError
from octoci.model import PackageEntry
from octoci.octopus import preflight
from octoci.packaging import build
from octoci.packaging.build import PackagePlan, WrittenPackage
from octoci.steps import head_start, pack_push
from octoci.testing import CliResult
from octoci_emulator import Emulator

OUT = Path(".octoci") / "packages"


def _partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*.partial")) if folder.is_dir() else []


def _wait_for_partial(folder: Path) -> list[str]:
    deadline = time.monotonic() + 10
    while not _partials(folder) and time.monotonic() < deadline:
        time.sleep(0.005)
    return _partials(folder)


def _big_web(repo: Path, megabytes: int) -> None:
    # Random bytes: stored, but read and checked segment by segment like any file.
    rng = random.Random(18)
    (repo / "web" / "dist" / "bundle.bin").write_bytes(rng.randbytes(megabytes << 20))


def test_the_first_package_is_written_while_octopus_is_checked_and_placed_after(
    publish: Callable[..., CliResult],
    sample_repo: Path,
    octopus_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _big_web(sample_repo, 24)  # Acme.Web is now the largest: packed first
    out = sample_repo / OUT
    seen: dict[str, Any] = {}
    real_check = preflight.check_server

    def check(*args: Any, **kwargs: Any) -> Any:
        seen["partials"] = _wait_for_partial(out)
        seen["in place"] = sorted(p.name for p in out.glob("*.zip")) if out.is_dir() else []
        return real_check(*args, **kwargs)

    writes: list[str] = []
    real_write = build.write_package_file

    def counting(
        plan: PackagePlan, entries: Sequence[PackageEntry], *, hashed: bool = True
    ) -> WrittenPackage:
        writes.append(plan.spec.id)
        return real_write(plan, entries, hashed=hashed)

    monkeypatch.setattr(preflight, "check_server", check)
    for module in (build, head_start, pack_push):
        monkeypatch.setattr(module, "write_package_file", counting)
    result = publish("--no-commits")
    assert result.exit_code == 0, result.stderr
    # While Octopus was checked the first package was being written, and not yet in place.
    assert seen["partials"], "nothing was being written while Octopus was checked"
    assert seen["partials"][0].startswith(".Acme.Web.1.3.1-ci.2.zip.")
    assert seen["in place"] == []
    # Each package written once, both pushed, nothing temporary left.
    assert sorted(writes) == ["Acme.Api", "Acme.Web"]
    assert sorted(p["PackageId"] for p in octopus_emulator.packages()) == ["Acme.Api", "Acme.Web"]
    assert _partials(out) == []
    assert sum(line.startswith("packed Acme.Web.") for line in result.stdout.splitlines()) == 1


@pytest.mark.parametrize("when", ["after the write", "mid-write"])
def test_a_run_stopped_by_a_check_leaves_nothing_on_disk(
    publish: Callable[..., CliResult],
    sample_repo: Path,
    octopus_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
) -> None:
    if when == "mid-write":
        _big_web(sample_repo, 64)  # still being written when the check fails
    out = sample_repo / OUT
    seen: dict[str, list[str]] = {}

    def failing(*args: Any, **kwargs: Any) -> Any:
        seen["partials"] = _wait_for_partial(out)
        if when == "after the write":
            time.sleep(0.3)  # the sample's few bytes are written and wait in the temporary file
        raise InputError("project 'Shop' is not in space Default; check --project")

    monkeypatch.setattr(preflight, "check_server", failing)
    result = publish("--no-commits")
    assert result.exit_code == 2
    assert result.stderr.endswith("octoci: error: project 'Shop' is not in space Default; "
                                  "check --project\n")  # fmt: skip
    assert seen["partials"]  # the head start had begun
    assert not (sample_repo / ".octoci").exists()  # no package, no temporary file, no folder
    assert octopus_emulator.packages() == []
