"""Publish overlaps packing and pushing: a package is pushed (over HTTP, to the emulator) while
the next one is still being packed; a failed pack stops the pushes not yet started; a dry run
lists every package once and sends nothing."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from octoci.config import resolve_config
from octoci.errors import OctociError
from octoci.model import CaptureOptions, Package, PackageEntry, RunReport
from octoci.octopus.connection import Connection
from octoci.octopus.settings import OctopusSettings
from octoci.packaging.build import PackagePlan, WrittenPackage, hash_package, write_package_file
from octoci.plugins import create_plugin_manager
from octoci.publish.pipeline import execute, plan_publish
from octoci.steps import pack_push
from octoci.steps.reporter import Reporter
from octoci.testing import CliResult
from octoci_emulator import Emulator


def _run_library(emulator: Emulator, repo: Path) -> tuple[RunReport, OctociError | None, list[str]]:
    pm = create_plugin_manager(load_entrypoints=False)
    server = pm.select_server({}, io.StringIO(), cwd=repo)
    config = resolve_config(flags={"poll_interval": 0.02}, env={}, cwd=repo)
    plan = plan_publish(config, pm, server, CaptureOptions(fetch_commits=False))
    connection = Connection(OctopusSettings(url=emulator.url, api_key=emulator.api_key))
    lines: list[str] = []
    try:
        report, failure = execute(plan, connection, Reporter(server, lines.append))
    finally:
        connection.close()
    return report, failure, lines


def _stored_ids(emulator: Emulator) -> list[str]:
    return sorted(p["PackageId"] for p in emulator.packages())


def test_a_package_is_pushed_while_the_next_is_packed(
    octopus_emulator: Emulator, sample_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[str] = []
    seen_before_second: list[list[str]] = []

    def writing(
        plan: PackagePlan, entries: Sequence[PackageEntry], *, hashed: bool = True
    ) -> WrittenPackage:
        if written:
            # The second package waits until Octopus holds the first: only a push that runs
            # while packing goes on lets it through (sequential pushing would wait forever).
            deadline = time.monotonic() + 10
            while written[0] not in _stored_ids(octopus_emulator) and time.monotonic() < deadline:
                time.sleep(0.02)
            seen_before_second.append(_stored_ids(octopus_emulator))
        package = write_package_file(plan, entries, hashed=hashed)
        written.append(plan.spec.id)
        return package

    monkeypatch.setattr(pack_push, "write_package_file", writing)
    report, failure, _ = _run_library(octopus_emulator, sample_repo)
    assert failure is None, failure
    # Largest first: Acme.Api (a 2 KiB dll) is packed, and pushed, before Acme.Web.
    assert written == ["Acme.Api", "Acme.Web"]
    assert seen_before_second == [["Acme.Api"]]
    assert _stored_ids(octopus_emulator) == ["Acme.Api", "Acme.Web"]
    # The report keeps the configured order and lists each package once, pushed.
    assert [(p.id, p.outcome) for p in report.packages] == [
        ("Acme.Web", "created"),
        ("Acme.Api", "created"),
    ]
    assert all(p.sha256 for p in report.packages)  # packing's hash kept
    assert len(octopus_emulator.documents("release")) == 1


def test_the_sha256s_are_computed_after_the_packing_on_a_thread_of_their_own(
    octopus_emulator: Emulator, sample_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On the packing thread the first package's hash held up the second package; now the
    # hashes wait for the last package to be written and run beside its upload.
    written: list[str] = []
    hashed: list[tuple[str, str, list[str]]] = []

    def writing(
        plan: PackagePlan, entries: Sequence[PackageEntry], *, hashed: bool = True
    ) -> WrittenPackage:
        package = write_package_file(plan, entries, hashed=hashed)
        written.append(plan.spec.id)
        return package

    def hashing(package: Package) -> Package:
        hashed.append((package.id, threading.current_thread().name, list(written)))
        return hash_package(package)

    monkeypatch.setattr(pack_push, "write_package_file", writing)
    monkeypatch.setattr(pack_push, "hash_package", hashing)
    report, failure, _ = _run_library(octopus_emulator, sample_repo)
    assert failure is None, failure
    assert [(i, thread.startswith("octoci-sha256"), seen) for i, thread, seen in hashed] == [
        ("Acme.Api", True, ["Acme.Api", "Acme.Web"]),
        ("Acme.Web", True, ["Acme.Api", "Acme.Web"]),
    ]
    for package in report.packages:
        assert package.sha256 == hashlib.sha256(package.path.read_bytes()).hexdigest()


def test_a_package_that_cannot_be_hashed_fails_the_phase_after_every_push(
    octopus_emulator: Emulator, sample_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hashing(package: Package) -> Package:
        if package.id == "Acme.Api":
            raise OctociError(f"cannot read {package.path.name} to hash it: I/O error")
        return hash_package(package)

    monkeypatch.setattr(pack_push, "hash_package", hashing)
    report, failure, _ = _run_library(octopus_emulator, sample_repo)
    assert failure is not None
    assert "to hash it: I/O error" in str(failure)
    # Both pushes finished and are reported; nothing after the phase ran.
    assert _stored_ids(octopus_emulator) == ["Acme.Api", "Acme.Web"]
    assert sorted((p.id, p.outcome) for p in report.packages) == [
        ("Acme.Api", "created"),
        ("Acme.Web", "created"),
    ]
    assert octopus_emulator.documents("release") == []


def test_a_failed_pack_stops_the_pushes_not_yet_started(
    octopus_emulator: Emulator, sample_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def writing(
        plan: PackagePlan, entries: Sequence[PackageEntry], *, hashed: bool = True
    ) -> WrittenPackage:
        if plan.spec.id == "Acme.Web":
            raise OctociError(f"cannot write {plan.destination.name}: disk full")
        return write_package_file(plan, entries, hashed=hashed)

    monkeypatch.setattr(pack_push, "write_package_file", writing)
    report, failure, _ = _run_library(octopus_emulator, sample_repo)
    assert failure is not None
    assert "disk full" in str(failure)
    # The push that had started (Acme.Api, packed first) finished; nothing came after it.
    assert _stored_ids(octopus_emulator) == ["Acme.Api"]
    assert [(p.id, p.outcome) for p in report.packages] == [("Acme.Api", "created")]
    assert octopus_emulator.documents("release") == []
    assert octopus_emulator.documents("buildinformation") == []


def test_publish_shows_one_pack_and_push_phase_and_a_dry_run_sends_nothing(
    publish: Callable[..., CliResult], octopus_emulator: Emulator
) -> None:
    dry = publish("--no-commits", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert _stored_ids(octopus_emulator) == []
    names = [p["PackageId"] for p in json.loads(dry.stdout)["Packages"]]
    assert names == ["Acme.Web", "Acme.Api"]
    assert "Packing and pushing 2 packages" in dry.stderr

    result = publish("--no-commits")
    assert result.exit_code == 0, result.stderr
    headings = [line for line in result.stdout.splitlines() if line.startswith("=== [")]
    assert headings[0].endswith("] Packing and pushing 2 packages")
    lines = result.stdout.splitlines()
    # Each package once: packed, then pushed.
    for name in ("Acme.Web.1.3.1-ci.2.zip", "Acme.Api.1.3.1-ci.2.tar.gz"):
        assert sum(line.startswith(f"packed {name}") for line in lines) == 1, result.stdout
        assert sum(line.startswith(f"{name}: pushed") for line in lines) == 1, result.stdout
    assert _stored_ids(octopus_emulator) == ["Acme.Api", "Acme.Web"]
