"""``octoci push`` through a hostile network (the TCP fault proxy) against the emulator.

Every run must end one of two ways: exit 0 and exactly one stored copy of the package whose SHA-1
is the file's (in the emulator's records and on its disk), or a non-zero exit with nothing
claimed. Each fault is tried several times at different offsets; the tally is printed at the end
of the test run ("fault proxy: tried / held").
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from octoci.octopus.multipart import MultipartFile
from octoci.package_names import parse_package_filename
from octoci.testing import CliResult, run_octoci
from octoci_emulator import Emulator

from .conftest import record
from .faultproxy import Fault, FaultProxy

SIZE = 1536 * 1024 + 7  # two blocks of the client's 1 MiB reads
RAW = "/packages/raw"

Run = Callable[..., CliResult]


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def _package(folder: Path, filename: str, *, size: int = SIZE, seed: int = 0) -> Path:
    path = folder / filename
    path.write_bytes(random.Random(f"{filename}/{seed}").randbytes(size))
    return path


def _framing(path: Path) -> tuple[int, int]:
    """``(head, tail)``: the lengths of the multipart lines around the file's bytes."""
    body = MultipartFile(path)
    tail = len(f"\r\n--{body.boundary}--\r\n")
    return len(body) - body.file_size - tail, tail


def _claimed(result: CliResult, path: Path) -> bool:
    """Whether the run says the package is in Octopus: a result line (on stdout, or on stderr
    with --json) or an entry in the JSON's Packages."""
    text = result.stdout + result.stderr
    if f"{path.name}: pushed" in text or f"{path.name}: already" in text:
        return True
    try:
        packages = json.loads(result.stdout)["Packages"]
    except (ValueError, KeyError, TypeError):
        return False
    return any(Path(p["Path"]).name == path.name for p in packages)


def held(emulator: Emulator, result: CliResult, path: Path, *, sha1: str | None = None) -> bool:
    """The suite's rule: exit 0 with exactly one stored copy whose SHA-1 is the file's (records
    and bytes on disk), or non-zero with nothing claimed and one error line, no traceback."""
    name = parse_package_filename(path.name)
    assert name is not None
    want = sha1 or _sha1(path.read_bytes())
    mine = [
        p for p in emulator.packages() if p["PackageId"] == name.id and p["Version"] == name.version
    ]
    if result.exit_code == 0:
        return (
            _claimed(result, path)
            and len(mine) == 1
            and mine[0]["Hash"] == want
            and _sha1(emulator.package_path(mine[0]).read_bytes()) == want
        )
    errors = [line for line in result.stderr.splitlines() if line.startswith("octoci: error:")]
    return not _claimed(result, path) and len(errors) == 1 and "Traceback" not in result.stderr


def test_a_flipped_byte_in_the_file_is_caught_and_the_copy_replaced(
    octopus_emulator: Emulator, fault_proxy: FaultProxy, octoci_via_proxy: Run, tmp_path: Path
) -> None:
    """The issue's false success: one byte flipped on the wire, stored, exit 0 "created"."""
    for index in range(6):
        path = _package(tmp_path, f"Flip{index}.Web.1.0.0.zip")
        head, _ = _framing(path)
        offset = head + random.Random(index).randrange(SIZE)
        fault_proxy.arm(Fault("flip", path=RAW, offset=offset))
        result = octoci_via_proxy("push", path.name, "--json")
        ok = held(octopus_emulator, result, path)
        record("flip a byte of the file (once)", ok)
        assert ok, (offset, result)
        assert result.exit_code == 0
        assert "the data was damaged on the way" in result.stderr
        assert json.loads(result.stdout)["Packages"][0]["Attempts"] == 2
    assert fault_proxy.fired("flip") == 6


def test_a_byte_flipped_on_every_attempt_fails_naming_both_hashes(
    octopus_emulator: Emulator, fault_proxy: FaultProxy, octoci_via_proxy: Run, tmp_path: Path
) -> None:
    for index in range(3):
        path = _package(tmp_path, f"Always{index}.Web.1.0.0.zip")
        head, _ = _framing(path)
        fault_proxy.arm(Fault("flip", path=RAW, offset=head + 1000 * index, times=0))
        result = octoci_via_proxy("push", path.name)
        ok = held(octopus_emulator, result, path)
        record("flip a byte of the file (every attempt)", ok)
        assert ok, result
        assert result.exit_code == 1
        assert _sha1(path.read_bytes()) in result.stderr  # the bytes sent
        stored = next(
            p for p in octopus_emulator.packages() if p["PackageId"] == f"Always{index}.Web"
        )
        assert stored["Hash"] in result.stderr  # and what Octopus holds
        fault_proxy.disarm()


def test_a_corrupt_copy_that_may_not_be_replaced_fails_naming_both_hashes(
    octopus_emulator_factory: Callable[..., Emulator], tmp_path: Path
) -> None:
    """A key with BuiltInFeedPush only may not overwrite: the repair is refused, exit 1."""
    emulator = octopus_emulator_factory(
        {"api_keys": [{"key": "API-PUSHONLY", "permissions": ["BuiltInFeedPush"]}]}
    )
    path = _package(tmp_path, "Acme.Web.1.0.0.zip")
    head, _ = _framing(path)
    with FaultProxy(emulator.url) as proxy:
        proxy.arm(Fault("flip", path=RAW, offset=head + 12345))
        result = run_octoci(
            "push",
            path.name,
            env={
                "OCTOPUS_URL": proxy.url,
                "OCTOPUS_API_KEY": "API-PUSHONLY",
                "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
            },
            cwd=tmp_path,
        )
    ok = held(emulator, result, path)
    record("flip a byte of the file (once), key may not overwrite", ok)
    assert ok, result
    assert result.exit_code == 1
    assert "replacing that copy was refused" in result.stderr
    assert _sha1(path.read_bytes()) in result.stderr
    assert emulator.packages()[0]["Hash"] in result.stderr


def test_a_flipped_byte_in_the_multipart_framing(
    octopus_emulator: Emulator, fault_proxy: FaultProxy, octoci_via_proxy: Run, tmp_path: Path
) -> None:
    """A damaged boundary or part header: refused, or stored under a damaged name (then sent
    again, with a warning about the stray package), never a false success."""
    path = _package(tmp_path, "Frame.Web.1.0.0.zip")
    head, tail = _framing(path)
    total = head + SIZE + tail
    # The boundary, the part's headers (the file name among them), the closing boundary.
    offsets = [*range(0, head, max(1, head // 10)), *range(head + SIZE, total, 5)]
    for index, offset in enumerate(offsets):
        path = _package(tmp_path, f"Frame{index}.Web.1.0.0.zip")
        fault_proxy.arm(Fault("flip", path=RAW, offset=offset))
        result = octoci_via_proxy("push", path.name)
        ok = held(octopus_emulator, result, path)
        record("flip a byte of the multipart framing", ok)
        assert ok, (offset, result)
        fault_proxy.disarm()


@pytest.mark.slow
def test_a_connection_reset_mid_body_is_sent_again(
    octopus_emulator: Emulator, fault_proxy: FaultProxy, octoci_via_proxy: Run, tmp_path: Path
) -> None:
    for index in range(4):
        path = _package(tmp_path, f"Reset{index}.Web.1.0.0.zip")
        fault_proxy.arm(Fault("reset", path=RAW, offset=1 + index * (SIZE // 4)))
        result = octoci_via_proxy("push", path.name)
        ok = held(octopus_emulator, result, path)
        record("reset mid-body", ok)
        assert ok, result
        assert result.exit_code == 0
    assert fault_proxy.fired("reset") == 4


def test_a_lost_answer_after_the_server_stored_is_looked_up_not_resent(
    octopus_emulator: Emulator, fault_proxy: FaultProxy, octoci_via_proxy: Run, tmp_path: Path
) -> None:
    for index in range(4):
        path = _package(tmp_path, f"Lost{index}.Web.1.0.0.zip")
        fault_proxy.arm(Fault("lose_answer", path=RAW))
        result = octoci_via_proxy("push", path.name, "--json")
        ok = held(octopus_emulator, result, path)
        record("lose the answer after the server stored", ok)
        assert ok, result
        assert json.loads(result.stdout)["Packages"][0]["Result"] == "created"
        assert json.loads(result.stdout)["Packages"][0]["Attempts"] == 1
    posts = [r for r in fault_proxy.requests if r.startswith("POST") and RAW in r]
    assert len(posts) == 4  # nothing was sent twice


@pytest.mark.slow
def test_a_stalled_upload(
    octopus_emulator: Emulator, fault_proxy: FaultProxy, octoci_via_proxy: Run, tmp_path: Path
) -> None:
    """A short stall is only slow; one beyond the read timeout ends in a look-up and a re-send
    (or finds the stalled upload stored after all)."""
    cases = [(0.3, "5"), (2.0, "1"), (0.3, "5"), (2.0, "1")]
    for index, (seconds, timeout) in enumerate(cases):
        path = _package(tmp_path, f"Stall{index}.Web.1.0.0.zip")
        fault_proxy.arm(Fault("stall", path=RAW, offset=64 * 1024, stall_seconds=seconds))
        result = octoci_via_proxy("push", path.name, "--request-timeout", timeout)
        ok = held(octopus_emulator, result, path)
        record("stall mid-body", ok)
        assert ok, result
        assert result.exit_code == 0, result


def test_a_lost_delta_answer_is_created_not_identical(
    octopus_emulator: Emulator, fault_proxy: FaultProxy, octoci_via_proxy: Run, tmp_path: Path
) -> None:
    base = random.Random(7).randbytes(SIZE)
    first = tmp_path / "Acme.Web.1.0.0.zip"
    first.write_bytes(base)
    assert octoci_via_proxy("push", first.name).exit_code == 0
    for index in range(3):
        path = tmp_path / f"Acme.Web.2.0.{index}.zip"
        path.write_bytes(base[:5000] + f"change {index}".encode() + base[5000:])
        fault_proxy.arm(Fault("lose_answer", path="/delta"))
        result = octoci_via_proxy("push", path.name, "--json")
        ok = held(octopus_emulator, result, path)
        record("lose the answer to a delta", ok)
        assert ok, result
        package = json.loads(result.stdout)["Packages"][0]
        assert (package["Result"], package["Delta"]) == ("created", True)
        assert package["BytesSent"] < SIZE // 10  # not re-sent whole
    assert fault_proxy.fired("lose_answer") == 3
    assert len([r for r in fault_proxy.requests if r.startswith("POST") and RAW in r]) == 1  # 1.0.0


def test_a_flipped_byte_in_a_delta_falls_back_to_the_whole_file(
    octopus_emulator: Emulator, fault_proxy: FaultProxy, octoci_via_proxy: Run, tmp_path: Path
) -> None:
    base = random.Random(8).randbytes(SIZE)
    first = tmp_path / "Acme.Api.1.0.0.zip"
    first.write_bytes(base)
    assert octoci_via_proxy("push", first.name).exit_code == 0
    for index in range(3):
        path = tmp_path / f"Acme.Api.2.0.{index}.zip"
        path.write_bytes(base[:9000] + f"change {index}".encode() + base[9000:])
        head, _ = _framing(path)
        # Into the delta's header (the promised SHA-1), its commands, its literal data.
        fault_proxy.arm(Fault("flip", path="/delta", offset=head + (20, 60, 200)[index]))
        result = octoci_via_proxy("push", path.name)
        ok = held(octopus_emulator, result, path)
        record("flip a byte of a delta", ok)
        assert ok, result
        assert result.exit_code == 0


@pytest.mark.parametrize("delta", [False, True], ids=["whole", "delta"])
def test_a_damaged_hash_in_the_answer_is_read_again_not_trusted(
    octopus_emulator: Emulator,
    fault_proxy: FaultProxy,
    octoci_via_proxy: Run,
    tmp_path: Path,
    delta: bool,
) -> None:
    """The answer's ``Hash`` is the one damaged: the look-up shows the stored copy is right, so
    nothing is sent again and the push is ``created``."""
    base = random.Random(9).randbytes(SIZE)
    (tmp_path / "Acme.Svc.1.0.0.zip").write_bytes(base)
    assert octoci_via_proxy("push", "Acme.Svc.1.0.0.zip").exit_code == 0
    route = "/delta" if delta else RAW
    for index in range(3):
        path = tmp_path / f"Acme.Svc.2.0.{index}.zip"
        path.write_bytes(base[:7000] + f"change {index}".encode() + base[7000:])
        fault_proxy.arm(Fault("flip_answer", path=route, marker=b'"Hash": "', xor=0x07))
        options = () if delta else ("--no-delta",)
        result = octoci_via_proxy("push", path.name, "--json", *options)
        ok = held(octopus_emulator, result, path)
        record(f"flip a byte of the answer's Hash ({'delta' if delta else 'whole file'})", ok)
        assert ok, result
        package = json.loads(result.stdout)["Packages"][0]
        assert (package["Result"], package["Attempts"], package["Delta"]) == ("created", 1, delta)
    assert fault_proxy.fired("flip_answer") == 3


def _rewrite_in_place(path: Path) -> Callable[[], None]:
    """A hook that rewrites ``path`` in place with other bytes of the same size."""

    def rewrite() -> None:
        size = path.stat().st_size
        with path.open("r+b") as handle:
            flipped = bytes(b ^ 0x5A for b in handle.read(size))
            handle.seek(0)
            handle.write(flipped)
            handle.flush()
            os.fsync(handle.fileno())

    return rewrite


@pytest.mark.parametrize(
    ("size", "offset"),
    [(12 * 1024 * 1024, 4096), (SIZE, SIZE - 4096)],
    ids=["while-being-read", "after-the-last-read"],
)
def test_a_file_rewritten_during_the_upload_is_refused(
    octopus_emulator: Emulator,
    fault_proxy: FaultProxy,
    octoci_via_proxy: Run,
    tmp_path: Path,
    size: int,
    offset: int,
) -> None:
    """The issue's second false success: rewritten in place (same size) during the upload, the
    stored SHA-1 matched neither version and the push said "created"."""
    for index in range(3):
        path = _package(tmp_path, f"Rewrite{index}.Web.1.0.0.zip", size=size)
        before = _sha1(path.read_bytes())
        fault_proxy.arm(Fault("stall", path=RAW, offset=offset, on_stall=_rewrite_in_place(path)))
        result = octoci_via_proxy("push", path.name, "--no-delta")
        refused = (
            result.exit_code == 1
            and "changed while it was being" in result.stderr
            and path.name in result.stderr
            and held(octopus_emulator, result, path)
        )
        if offset < size // 2:  # caught before the body's end: the server got nothing whole
            refused = refused and "nothing was stored" in result.stderr
            refused = refused and not octopus_emulator.packages()
        record(f"rewrite the file in place during the upload ({size // 1024} KiB)", refused)
        assert refused, result
        assert _sha1(path.read_bytes()) != before
    assert fault_proxy.fired("stall") == 3


def test_concurrent_pushes_under_mixed_faults(
    octopus_emulator: Emulator, fault_proxy: FaultProxy, octoci_via_proxy: Run, tmp_path: Path
) -> None:
    """Six files, three at a time, through two flips, two resets and two lost answers."""
    paths = [_package(tmp_path, f"Mixed{index}.Web.1.0.0.zip", seed=index) for index in range(6)]
    head, _ = _framing(paths[0])
    for kind in ("flip", "reset", "lose_answer"):
        fault_proxy.arm(Fault(kind, path=RAW, offset=head + SIZE // 3, times=2))  # type: ignore[arg-type]
    result = octoci_via_proxy("push", "Mixed*.zip", "--concurrency", "3")
    for path in paths:
        ok = held(octopus_emulator, result, path)
        record("mixed faults, 3 pushes at a time", ok)
        assert ok, (path.name, result)
    assert result.exit_code == 0, result
    assert (fault_proxy.fired("flip"), fault_proxy.fired("reset")) == (2, 2)
    assert fault_proxy.fired("lose_answer") == 2
    assert len(octopus_emulator.packages()) == 6
