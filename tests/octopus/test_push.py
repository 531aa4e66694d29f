"""Pushing packages: streaming, overwrite modes, re-run safety, validation, the command."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from octoci.errors import InputError
from octoci.octopus.connection import Connection
from octoci.octopus.errors import PackageConflictError
from octoci.octopus.multipart import FileChangedError, MultipartFile
from octoci.octopus.packages import (
    parse_overwrite_mode,
    push_package,
    push_packages,
    validate_package_files,
    verify_stored,
)
from octoci.package_names import parse_package_filename
from octoci.testing import CliResult
from octoci_emulator import Emulator


def _stored(emulator: Emulator) -> list[tuple[str, str, str]]:
    return sorted((p["PackageId"], p["Version"], p["Hash"]) for p in emulator.packages())


def test_multipart_body_is_streamed_with_a_length(make_package: Callable[..., Path]) -> None:
    path = make_package("Acme.Web.1.0.0.zip", size=3 * 1024 * 1024 + 5)
    seen: list[int] = []
    body = MultipartFile(path, on_progress=seen.append)
    blocks = list(body)
    assert len(body) == sum(len(b) for b in blocks)
    assert max(len(b) for b in blocks) == 1024 * 1024
    assert sum(seen) == path.stat().st_size
    text = b"".join(blocks)
    assert text.startswith(f"--{body.boundary}\r\n".encode())
    assert b'filename="Acme.Web.1.0.0.zip"' in text
    assert text.endswith(f"\r\n--{body.boundary}--\r\n".encode())
    assert list(body) == blocks  # re-iterable for retries


def test_overwrite_mode_aliases() -> None:
    assert parse_overwrite_mode("fail") == "FailIfExists"
    assert parse_overwrite_mode("Replace") == "OverwriteExisting"
    assert parse_overwrite_mode("IGNOREIFEXISTS") == "IgnoreIfExists"
    with pytest.raises(InputError, match="unknown overwrite mode"):
        parse_overwrite_mode("sometimes")


def test_push_then_rerun_with_identical_content(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
) -> None:
    path = make_package("Acme.Web.1.2.3.zip", size=200_000)
    files = validate_package_files([path])
    first, failed = push_packages(connect(), files)
    assert not failed
    assert first[0].outcome == "created"
    sha1 = hashlib.sha1(path.read_bytes()).hexdigest()
    assert _stored(octopus_emulator) == [("Acme.Web", "1.2.3", sha1)]
    again, failed = push_packages(connect(), files)
    assert not failed
    assert again[0].outcome == "identical"
    assert again[0].server_hash == sha1
    assert _stored(octopus_emulator) == [("Acme.Web", "1.2.3", sha1)]


def test_different_content_under_the_same_version_fails(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
) -> None:
    path = make_package("Acme.Web.1.2.3.zip", content=b"first build")
    push_packages(connect(), validate_package_files([path]))
    original = _stored(octopus_emulator)
    path.write_bytes(b"second build, different bytes")
    connection = connect()
    with pytest.raises(PackageConflictError, match="different content") as caught:
        push_package(connection, path, validate_package_files([path])[0][1])
    assert "--overwrite-mode OverwriteExisting" in str(caught.value)
    assert _stored(octopus_emulator) == original


def test_ignore_if_exists_warns_about_a_different_file(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
    octoci_log: pytest.LogCaptureFixture,
) -> None:
    path = make_package("Acme.Web.1.2.3.zip", content=b"first build")
    push_packages(connect(), validate_package_files([path]))
    path.write_bytes(b"second build")
    results, _ = push_packages(connect(), validate_package_files([path]), mode="IgnoreIfExists")
    assert results[0].outcome == "ignored"
    assert "NOT uploaded" in results[0].warnings[0]
    assert "NOT uploaded" in octoci_log.text
    assert _stored(octopus_emulator)[0][2] == hashlib.sha1(b"first build").hexdigest()


def test_overwrite_existing_replaces(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
) -> None:
    path = make_package("Acme.Web.1.2.3.zip", content=b"first build")
    push_packages(connect(), validate_package_files([path]))
    path.write_bytes(b"second build")
    results, _ = push_packages(connect(), validate_package_files([path]), mode="OverwriteExisting")
    assert results[0].outcome == "created"
    assert _stored(octopus_emulator) == [
        ("Acme.Web", "1.2.3", hashlib.sha1(b"second build").hexdigest())
    ]


def test_legacy_replace_parameter_for_old_servers(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
) -> None:
    connection = connect()
    root = dict(connection.root())
    # A 2019.6 root document: the upload link knows only ?replace=.
    root["Links"] = {**root["Links"], "PackageUpload": "/api/Spaces-1/packages/raw{?replace}"}
    connection._root = root
    seen: list[str] = []
    connection.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.request.path_url))
    path = make_package("Acme.Web.1.2.3.zip", content=b"one")
    push_packages(connection, validate_package_files([path]), mode="OverwriteExisting")
    assert "/api/Spaces-1/packages/raw?replace=true" in seen
    results, _ = push_packages(connection, validate_package_files([path]), mode="IgnoreIfExists")
    assert "/api/Spaces-1/packages/raw?replace=false" in seen
    assert results[0].outcome == "identical"


def test_several_packages_concurrently(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
) -> None:
    paths = [make_package(f"Svc{i}.Api.1.0.{i}.tar.gz", size=50_000 + i) for i in range(6)]
    results, failed = push_packages(connect(), validate_package_files(paths), concurrency=3)
    assert not failed
    assert [r.path for r in results] == paths
    assert len(octopus_emulator.packages()) == 6


def test_invalid_files_stop_the_push_before_anything_is_sent(
    octopus_emulator: Emulator, make_package: Callable[..., Path], tmp_path: Path
) -> None:
    good = make_package("Acme.Web.1.0.0.zip")
    bad_name = make_package("notes.txt")
    no_version = make_package("Acme.Web.zip")
    empty = make_package("Empty.1.0.0.zip", content=b"")
    duplicate = make_package("acme.web.1.0.0.0.zip", folder="other")
    with pytest.raises(InputError) as caught:
        validate_package_files(
            [good, bad_name, no_version, empty, duplicate, tmp_path / "Missing.1.0.0.zip", tmp_path]
        )
    message = str(caught.value)
    for part in (
        "notes.txt",
        "Acme.Web.zip",
        "empty",
        "are both acme.web 1.0.0.0",
        "no such file",
        "folder",
    ):
        assert part in message
    assert octopus_emulator.packages() == []


def test_push_command(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    make_package: Callable[..., Path],
) -> None:
    make_package("Acme.Web.1.0.0.zip", folder="dist")
    make_package("Acme.Worker.1.0.0.nupkg", folder="dist/sub")
    result = octoci("push", "dist/**/*.zip", "dist/**/*.nupkg", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [p["PackageId"] for p in data["Packages"]] == ["Acme.Web", "Acme.Worker"]
    assert {p["Result"] for p in data["Packages"]} == {"created"}
    assert data["Failed"] == []
    rerun = octoci("push", "dist/**/*.zip", "dist/**/*.nupkg")
    assert rerun.exit_code == 0, rerun.stderr
    assert "Acme.Web.1.0.0.zip: already in Octopus, identical" in rerun.stdout
    assert "octoci output package_ids=Acme.Web,Acme.Worker" in rerun.stdout
    assert len(octopus_emulator.packages()) == 2


def test_push_command_glob_that_matches_nothing_is_an_error(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, make_package: Callable[..., Path]
) -> None:
    make_package("Acme.Web.1.0.0.zip")
    result = octoci("push", "*.zip", "dist/*.nupkg")
    assert result.exit_code == 2
    assert "no file matches 'dist/*.nupkg'" in result.stderr
    assert result.stderr.count("\n") == 1
    assert octopus_emulator.packages() == []


def test_push_command_reports_every_failure(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, make_package: Callable[..., Path]
) -> None:
    first = make_package("Acme.Web.1.0.0.zip", content=b"v1")
    make_package("Acme.Api.1.0.0.zip", content=b"api")
    assert octoci("push", first.name).exit_code == 0
    first.write_bytes(b"v1 but rebuilt")
    result = octoci("push", "*.zip")
    assert result.exit_code == 1
    assert "1 of 2 packages failed: Acme.Web.1.0.0.zip:" in result.stderr
    assert "Acme.Api.1.0.0.zip: pushed" in result.stdout


def test_push_command_progress_lines_without_a_terminal(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, make_package: Callable[..., Path]
) -> None:
    octopus_emulator.add_fault(action="delay", delay_seconds=0.3, path="packages/raw")
    make_package("Big.Thing.1.0.0.zip", size=3 * 1024 * 1024)
    result = octoci("push", "Big.Thing.1.0.0.zip", "--progress-interval", "0.000001")
    assert result.exit_code == 0, result.stderr
    assert "Big.Thing.1.0.0.zip: 100% of 3.0 MiB sent" in result.stderr
    assert "\r" not in result.stderr


def test_push_command_bad_overwrite_mode(
    octoci: Callable[..., CliResult], make_package: Any
) -> None:
    make_package("Acme.Web.1.0.0.zip")
    result = octoci("push", "Acme.Web.1.0.0.zip", "--overwrite-mode", "maybe")
    assert result.exit_code == 2
    assert "unknown overwrite mode 'maybe'" in result.stderr


@pytest.mark.slow
def test_a_body_above_2_gib_is_streamed_in_constant_memory(tmp_path: Path) -> None:
    """The official GitHub action fails above 2 GB (it reads the file into memory). A sparse
    2 GiB + 1 MiB file streams block by block: length right, memory flat."""
    import tracemalloc

    path = tmp_path / "Huge.Package.1.0.0.zip"
    size = 2 * 1024**3 + 1024**2
    with path.open("wb") as handle:
        handle.truncate(size)  # sparse: no disk space used
    body = MultipartFile(path)
    assert len(body) > 2**31
    total = 0
    tracemalloc.start()
    try:
        for block in body:
            total += len(block)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == len(body)
    assert peak < 4 * 1024 * 1024


def test_the_body_hashes_what_it_sends(make_package: Callable[..., Path]) -> None:
    path = make_package("Acme.Web.1.0.0.zip", size=2 * 1024 * 1024 + 3)
    body = MultipartFile(path)
    assert body.sha1 is None
    b"".join(body)
    assert body.sha1 == hashlib.sha1(path.read_bytes()).hexdigest()
    assert body.failure is None


@pytest.mark.parametrize("same_size", [True, False], ids=["rewritten", "appended"])
def test_the_body_refuses_a_file_that_changes_while_it_is_read(
    make_package: Callable[..., Path], same_size: bool
) -> None:
    path = make_package("Acme.Web.1.0.0.zip", size=2 * 1024 * 1024 + 3)
    body = MultipartFile(path, block_size=1024 * 1024)
    blocks = iter(body)
    next(blocks), next(blocks)  # the head and the first block
    time.sleep(0.02)  # a coarse file system clock must tick (Linux: one jiffy at most)
    with path.open("r+b") as handle:
        if same_size:
            handle.write(b"rewritten")
        else:
            handle.seek(0, 2)
            handle.write(b"more")
    with pytest.raises(FileChangedError, match="changed while it was being sent"):
        list(blocks)
    assert isinstance(body.failure, FileChangedError)
    assert body.sha1 is None


def _write_only_file(folder: Path) -> Path:
    """A package name that nobody, root included, may open for reading: a link to a write-only
    sysctl file (root's override of file permissions does not apply to /proc/sys)."""
    target = Path("/proc/sys/vm/drop_caches")
    try:
        target.open("rb").close()
    except PermissionError:
        pass
    except OSError:
        pytest.skip("no /proc/sys/vm/drop_caches here (not Linux)")
    else:
        pytest.skip("/proc/sys/vm/drop_caches is readable here")
    link = folder / "Acme.Web.1.0.0.zip"
    link.symlink_to(target)
    return link


def _mode_000_file(folder: Path) -> Path:
    if os.geteuid() == 0:
        pytest.skip("root reads any file whatever its mode (the write-only case runs instead)")
    path = folder / "Acme.Web.1.0.0.zip"
    path.write_bytes(b"PK package")
    path.chmod(0)
    return path


@pytest.mark.parametrize("make_unreadable", [_mode_000_file, _write_only_file])
def test_an_unreadable_file_is_bad_input_at_once(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    tmp_path: Path,
    make_unreadable: Callable[[Path], Path],
) -> None:
    """It was retried for 96 s and reported as a connection failure."""
    path = make_unreadable(tmp_path)
    started = time.monotonic()
    result = octoci("push", path.name)
    assert time.monotonic() - started < 5
    assert result.exit_code == 2, result
    assert f"{path}: cannot be read (Permission denied); check its permissions" in result.stderr
    assert result.stderr.count("\n") == 1
    assert "reach" not in result.stderr
    assert octopus_emulator.packages() == []


def test_a_file_unreadable_when_it_is_sent_is_named_not_a_network_failure(
    octopus_emulator: Emulator, connect: Callable[..., Connection], tmp_path: Path
) -> None:
    # Readable when it was checked, not when it is sent (here: a file nobody may read, handed
    # straight to push_package as a library caller may).
    path = _write_only_file(tmp_path)
    name = parse_package_filename(path.name)
    assert name is not None
    started = time.monotonic()
    with pytest.raises(InputError, match="cannot be read") as caught:
        push_package(connect(), path, name, delta=False)
    assert time.monotonic() - started < 5
    assert str(path) in str(caught.value)
    assert octopus_emulator.packages() == []


def test_a_file_name_that_is_not_utf8_is_named(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, tmp_path: Path
) -> None:
    name = os.fsdecode(b"Acme.Web.1.0.0-caf\xe9.zip")  # Latin-1 bytes: not UTF-8
    (tmp_path / name).write_bytes(b"PK package")
    result = octoci("push", name)
    assert result.exit_code == 2
    assert "Acme.Web.1.0.0-caf\\xe9.zip: the file name is not valid UTF-8" in result.stderr
    assert "internal error" not in result.stderr


def test_the_stored_hash_is_looked_up_when_the_answer_has_none(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
) -> None:
    path = make_package("Acme.Web.1.2.3.zip", size=10_000)
    push_packages(connect(), validate_package_files([path]))
    sha1 = hashlib.sha1(path.read_bytes()).hexdigest()
    name = parse_package_filename(path.name)
    assert name is not None
    assert verify_stored(connect(), name, sha1, {}) == (sha1, True)
    # An answer that disagrees is read again: the look-up is what counts.
    assert verify_stored(connect(), name, sha1, {"Hash": "0" * 40}) == (sha1, True)
    assert verify_stored(connect(), name, "1" * 40, {"Hash": "0" * 40}) == (sha1, False)
