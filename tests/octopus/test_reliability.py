"""Reliability with the emulator's fault switches: every fault ends with exactly one stored
package (or a clear failure), never a duplicate, never a false success."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from octoci.octopus.connection import Connection
from octoci.octopus.errors import OctopusApiError, OctopusConnectionError
from octoci.octopus.packages import OverwriteMode, push_packages, validate_package_files
from octoci.testing import CliResult
from octoci_emulator import Emulator

SIZE = 2 * 1024 * 1024 + 17


def _one_intact_package(emulator: Emulator, path: Path) -> None:
    packages = emulator.packages()
    assert len(packages) == 1, packages
    stored = emulator.package_path(packages[0])
    assert (
        hashlib.sha1(stored.read_bytes()).hexdigest() == hashlib.sha1(path.read_bytes()).hexdigest()
    )
    assert packages[0]["Hash"] == hashlib.sha1(path.read_bytes()).hexdigest()
    # Nothing half-received is left behind in the store.
    assert emulator.stored_files() == [stored]


def _requests(connection: Connection) -> list[str]:
    seen: list[str] = []
    connection.session.hooks["response"].append(
        lambda r, *a, **k: seen.append(f"{r.request.method} {r.status_code}")
    )
    return seen


@pytest.mark.parametrize("mode", ["FailIfExists", "OverwriteExisting", "IgnoreIfExists"])
def test_upload_dropped_mid_body(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
    mode: OverwriteMode,
) -> None:
    path = make_package("Acme.Web.1.0.0.zip", size=SIZE)
    octopus_emulator.add_fault(action="drop", path="packages/raw", method="POST", times=2)
    results, failed = push_packages(connect(), validate_package_files([path]), mode=mode)
    assert not failed
    assert results[0].outcome == "created"
    assert results[0].attempts == 3
    _one_intact_package(octopus_emulator, path)


def test_upload_during_a_503_burst(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
) -> None:
    path = make_package("Acme.Web.1.0.0.zip", size=SIZE)
    octopus_emulator.add_fault(action="status", status=503, path="packages/raw", times=4)
    connection = connect()
    seen = _requests(connection)
    results, failed = push_packages(connection, validate_package_files([path]))
    assert not failed
    assert results[0].outcome == "created"
    assert seen.count("POST 503") == 4
    assert seen.count("POST 201") == 1
    _one_intact_package(octopus_emulator, path)


def test_upload_throttled_with_retry_after(
    octopus_emulator: Emulator, make_package: Callable[..., Path]
) -> None:
    from octoci.octopus.settings import OctopusSettings

    path = make_package("Acme.Web.1.0.0.zip", size=SIZE)
    octopus_emulator.add_fault(action="throttle", retry_after=2, path="packages/raw", times=2)
    waits: list[float] = []
    connection = Connection(
        OctopusSettings(url=octopus_emulator.url, api_key=octopus_emulator.api_key),
        sleep=waits.append,
    )
    _results, failed = push_packages(connection, validate_package_files([path]))
    assert not failed
    assert waits == [2.0, 2.0]
    _one_intact_package(octopus_emulator, path)


@pytest.mark.parametrize("mode", ["FailIfExists", "OverwriteExisting", "IgnoreIfExists"])
def test_lost_acknowledgement(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
    mode: OverwriteMode,
) -> None:
    # The server stores the package, then the connection dies before the answer.
    path = make_package("Acme.Web.1.0.0.zip", size=SIZE)
    octopus_emulator.add_fault(action="lose_response", path="packages/raw", times=1)
    connection = connect()
    seen = _requests(connection)
    results, failed = push_packages(connection, validate_package_files([path]), mode=mode)
    assert not failed
    assert results[0].outcome == "created"
    # It looked the package up instead of sending 2 MB again.
    assert results[0].attempts == 1
    assert [s for s in seen if s.startswith("POST")] == []  # the lost POST has no response
    _one_intact_package(octopus_emulator, path)


def test_lost_acknowledgement_of_a_different_file_is_not_a_false_success(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
) -> None:
    path = make_package("Acme.Web.1.0.0.zip", content=b"stored by another job")
    push_packages(connect(), validate_package_files([path]))
    path.write_bytes(b"this job's different build")
    # The answer to our upload is lost; the server refused it (409) but we never hear that.
    octopus_emulator.add_fault(action="lose_response", path="packages/raw", times=1)
    results, failed = push_packages(connect(), validate_package_files([path]))
    assert results == []
    assert "different content" in str(failed[0].error)
    assert (
        octopus_emulator.packages()[0]["Hash"] == hashlib.sha1(b"stored by another job").hexdigest()
    )


def test_a_connection_that_always_drops_fails_clearly(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
) -> None:
    path = make_package("Acme.Web.1.0.0.zip", size=SIZE)
    octopus_emulator.add_fault(action="drop", path="packages/raw", method="POST")
    results, failed = push_packages(connect(retry_budget=0.5), validate_package_files([path]))
    assert results == []
    error = failed[0].error
    assert isinstance(error, OctopusConnectionError)
    assert "the package is not in Octopus" in str(error)
    assert octopus_emulator.packages() == []
    assert octopus_emulator.stored_files() == []


def test_persistent_503_fails_clearly(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
) -> None:
    path = make_package("Acme.Web.1.0.0.zip")
    octopus_emulator.add_fault(action="status", status=503, path="packages/raw")
    _results, failed = push_packages(connect(retry_budget=0.3), validate_package_files([path]))
    assert isinstance(failed[0].error, OctopusApiError)
    assert "HTTP 503" in str(failed[0].error)
    assert "gave up after" in str(failed[0].error)
    assert octopus_emulator.packages() == []


def test_proxy_500_after_the_upload_is_checked_not_repeated_blindly(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
) -> None:
    # A 502 from a proxy may hide a stored package: the client looks before sending again.
    path = make_package("Acme.Web.1.0.0.zip", size=SIZE)
    octopus_emulator.add_fault(action="status", status=502, path="packages/raw", times=1)
    connection = connect()
    seen = _requests(connection)
    _results, failed = push_packages(connection, validate_package_files([path]))
    assert not failed
    assert seen.count("POST 502") == 1
    assert seen.count("GET 404") >= 1  # looked it up: not there
    assert seen.count("POST 201") == 1
    _one_intact_package(octopus_emulator, path)


def test_concurrent_pushes_under_faults(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
) -> None:
    paths = [make_package(f"Svc{i}.Api.2.0.{i}.zip", size=300_000 + i) for i in range(5)]
    octopus_emulator.add_fault(action="drop", path="packages/raw", times=2)
    octopus_emulator.add_fault(action="lose_response", path="packages/raw", times=1)
    octopus_emulator.add_fault(action="status", status=503, path="packages/raw", times=2)
    _results, failed = push_packages(connect(), validate_package_files(paths), concurrency=3)
    assert not failed
    stored = {(p["PackageId"], p["Hash"]) for p in octopus_emulator.packages()}
    assert stored == {
        (f"Svc{i}.Api", hashlib.sha1(paths[i].read_bytes()).hexdigest()) for i in range(5)
    }


def test_cli_push_survives_faults_and_rerun(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    make_package: Callable[..., Path],
) -> None:
    path = make_package("Acme.Web.3.0.0.zip", size=SIZE)
    octopus_emulator.add_fault(action="lose_response", path="packages/raw", times=1)
    first = octoci("push", path.name)
    assert first.exit_code == 0, first.stderr
    assert "checking whether the package arrived" in first.stderr
    second = octoci("push", path.name)
    assert second.exit_code == 0, second.stderr
    assert "identical" in second.stdout
    _one_intact_package(octopus_emulator, path)
