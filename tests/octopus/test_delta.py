"""Delta uploads end to end: octoci's client against the emulator over real HTTP."""

from __future__ import annotations

import hashlib
import json
import logging
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from octoci.model import Package
from octoci.octodiff import build_signature
from octoci.octopus.connection import Connection
from octoci.octopus.packages import push_packages, validate_package_files
from octoci.testing import CliResult
from octoci_emulator import Emulator

SIZE = 600_000


def _old_and_new(seed: int = 1) -> tuple[bytes, bytes]:
    rng = random.Random(seed)
    old = rng.randbytes(SIZE)
    new = old[:100_000] + b"v2" + old[100_000:400_000] + rng.randbytes(5000) + old[405_000:]
    return old, new


def _push(connection: Connection, path: Path, **options: object) -> Package:
    done, failed = push_packages(connection, validate_package_files([path]), **options)  # type: ignore[arg-type]
    assert not failed, failed[0].error
    return done[0]


def _stored(emulator: Emulator, version: str) -> bytes:
    package = next(p for p in emulator.packages() if p["Version"] == version)
    return emulator.package_path(package).read_bytes()


def _warnings(log: pytest.LogCaptureFixture) -> list[str]:
    """The client's warnings (not the emulator's own log, which shares the logger tree)."""
    return [
        r.getMessage() for r in log.records if r.levelno >= logging.WARNING and r.name == "octoci"
    ]


@pytest.fixture
def versions(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    make_package: Callable[..., Path],
) -> tuple[Path, bytes]:
    """1.0.0 pushed (whole: nothing earlier), 2.0.0 ready locally: ``(path of 2.0.0, its bytes)``."""
    old, new = _old_and_new()
    first = _push(connect(), make_package("Acme.Web.1.0.0.zip", content=old))
    assert first.outcome == "created"
    assert not first.delta
    assert first.sent == SIZE
    return make_package("Acme.Web.2.0.0.zip", content=new), new


def test_a_new_version_goes_as_a_small_delta(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    versions: tuple[Path, bytes],
    octoci_log: pytest.LogCaptureFixture,
) -> None:
    path, new = versions
    result = _push(connect(), path)
    assert result.outcome == "created"
    assert result.delta
    assert result.sent < len(new) * 0.03
    assert result.server_hash == hashlib.sha1(new).hexdigest()
    assert _stored(octopus_emulator, "2.0.0") == new
    assert result.bytes_sent == result.sent
    assert result.to_json()["Delta"] is True
    assert _warnings(octoci_log) == []
    # A re-run: the delta lands on an existing identical package, which is success.
    again = _push(connect(), path)
    assert again.outcome == "identical"
    assert again.delta


def test_no_delta_sends_the_whole_file(
    octopus_emulator: Emulator, connect: Callable[..., Connection], versions: tuple[Path, bytes]
) -> None:
    path, new = versions
    result = _push(connect(), path, delta=False)
    assert not result.delta
    assert result.sent == len(new)
    assert _stored(octopus_emulator, "2.0.0") == new


def test_an_unrelated_file_goes_whole_without_a_warning(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    versions: tuple[Path, bytes],
    make_package: Callable[..., Path],
    octoci_log: pytest.LogCaptureFixture,
) -> None:
    unrelated = random.Random(99).randbytes(SIZE)
    result = _push(connect(), make_package("Acme.Web.3.0.0.zip", content=unrelated))
    assert not result.delta
    assert result.sent == SIZE
    assert _stored(octopus_emulator, "3.0.0") == unrelated
    assert _warnings(octoci_log) == []
    assert any("would exceed 95 %" in r.getMessage() for r in octoci_log.records)


def _cached_signature(emulator: Emulator) -> Path:
    """The emulator's signature cache file of 1.0.0 (served for 2.0.0's delta)."""
    package = next(p for p in emulator.packages() if p["Version"] == "1.0.0")
    return emulator.data_dir / "signatures" / f"{package['Hash']}.octosig"


def _signature_of(data: bytes) -> bytes:
    import io

    out = io.BytesIO()
    build_signature(io.BytesIO(data), out)
    return out.getvalue()


def _rotated_old(_signature: bytes) -> bytes:
    # The signature of a file with 1.0.0's bytes at other offsets: the delta's copies point at
    # the wrong places in the real 1.0.0, so the server's SHA-1 check refuses it.
    old = _old_and_new()[0]
    return _signature_of(old[SIZE // 2 :] + old[: SIZE // 2])


@pytest.mark.parametrize(
    ("damage", "warned"),
    [
        pytest.param(lambda sig: sig[:-7], True, id="truncated"),
        pytest.param(lambda sig: b"XXXXXXX" + sig[7:], True, id="corrupt-header"),
        pytest.param(lambda sig: sig[:24] + b"\x00\x00" + sig[26:], True, id="zero-length-chunk"),
        pytest.param(_rotated_old, True, id="another-file-refused-by-the-server"),
        # Indistinguishable from an unrelated new file: not worth a delta, said at info level.
        pytest.param(
            lambda sig: _signature_of(random.Random(5).randbytes(SIZE)), False, id="unrelated"
        ),
    ],
)
def test_a_bad_signature_falls_back_to_the_whole_file(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    versions: tuple[Path, bytes],
    octoci_log: pytest.LogCaptureFixture,
    damage: Callable[[bytes], bytes],
    warned: bool,
) -> None:
    path, new = versions
    # Make the emulator build and cache the real signature, then damage its cache.
    connection = connect()
    connection.get_json(
        connection.space_path("/packages/Acme.Web/2.0.0/delta-signature"), what="warm-up"
    )
    cache = _cached_signature(octopus_emulator)
    cache.write_bytes(damage(cache.read_bytes()))
    octoci_log.clear()
    result = _push(connection, path)
    assert result.outcome == "created"
    assert not result.delta
    assert result.sent == len(new)
    assert _stored(octopus_emulator, "2.0.0") == new  # never a corrupted package
    assert result.server_hash == hashlib.sha1(new).hexdigest()
    assert len(_warnings(octoci_log)) == (1 if warned else 0), _warnings(octoci_log)


def test_a_refused_delta_falls_back_with_one_warning(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    versions: tuple[Path, bytes],
    octoci_log: pytest.LogCaptureFixture,
) -> None:
    path, new = versions
    requests.post(
        f"{octopus_emulator.url}/__emulator/faults",
        json={"action": "status", "status": 400, "path": "/delta$", "times": 1},
        headers={"X-Octopus-ApiKey": octopus_emulator.api_key},
        timeout=10,
    ).raise_for_status()
    result = _push(connect(), path)
    assert not result.delta
    assert result.sent == len(new)
    assert _stored(octopus_emulator, "2.0.0") == new
    assert len(_warnings(octoci_log)) == 1
    assert "refused the delta" in _warnings(octoci_log)[0]


def test_a_lost_delta_answer_is_looked_up_not_sent_whole(
    octopus_emulator: Emulator, connect: Callable[..., Connection], versions: tuple[Path, bytes]
) -> None:
    """It was sent again whole, met the stored delta's package and reported "identical"."""
    path, new = versions
    octopus_emulator.add_fault(action="lose_response", path="/delta$", times=1)
    connection = connect()
    posts: list[str] = []
    connection.session.hooks["response"].append(
        lambda r, *a, **k: posts.append(r.request.path_url) if r.request.method == "POST" else None
    )
    result = _push(connection, path)
    assert (result.outcome, result.delta) == ("created", True)
    assert result.sent < len(new) * 0.03
    assert result.server_hash == hashlib.sha1(new).hexdigest()
    assert posts == []  # the lost delta had no answer; nothing went whole
    assert _stored(octopus_emulator, "2.0.0") == new


def test_a_server_error_on_the_signature_falls_back(
    octopus_emulator: Emulator,
    connect: Callable[..., Connection],
    versions: tuple[Path, bytes],
    octoci_log: pytest.LogCaptureFixture,
) -> None:
    path, new = versions
    requests.post(
        f"{octopus_emulator.url}/__emulator/faults",
        json={"action": "status", "status": 403, "path": "delta-signature"},
        headers={"X-Octopus-ApiKey": octopus_emulator.api_key},
        timeout=10,
    ).raise_for_status()
    result = _push(connect(), path)
    assert not result.delta
    assert _stored(octopus_emulator, "2.0.0") == new
    assert len(_warnings(octoci_log)) == 1


def test_an_old_server_gets_whole_files(
    octopus_emulator_factory: Callable[..., Emulator],
    make_package: Callable[..., Path],
    octoci_log: pytest.LogCaptureFixture,
) -> None:
    from octoci.octopus.settings import OctopusSettings

    emulator = octopus_emulator_factory({"version": "2018.3.1"})
    connection = Connection(OctopusSettings(url=emulator.url, api_key=emulator.api_key))
    try:
        old, new = _old_and_new()
        _push(connection, make_package("Acme.Web.1.0.0.zip", content=old))
        result = _push(connection, make_package("Acme.Web.2.0.0.zip", content=new))
    finally:
        connection.close()
    assert not result.delta
    assert _stored(emulator, "2.0.0") == new
    assert _warnings(octoci_log) == []
    assert not any("delta-signature" in r.getMessage() for r in octoci_log.records)


def test_push_command_reports_bytes_sent_and_delta(
    octoci: Callable[..., CliResult], versions: tuple[Path, bytes]
) -> None:
    path, new = versions
    result = octoci("push", "--json", str(path))
    assert result.exit_code == 0, result.stderr
    package = json.loads(result.stdout)["Packages"][0]
    assert package["Delta"] is True
    assert 0 < package["BytesSent"] < len(new) * 0.03
    assert "as a delta" in result.stderr


def test_verbose_push_logs_the_delta_phases(
    octoci: Callable[..., CliResult], versions: tuple[Path, bytes]
) -> None:
    # The line bench_delta.py reads the push's phases from (its PHASES pattern).
    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    try:
        from bench_delta import PHASES
    finally:
        sys.path.pop(0)
    path, _ = versions
    result = octoci("--verbose", "push", str(path))
    assert result.exit_code == 0, result.stderr
    found = PHASES.search(result.stdout + result.stderr)
    assert found is not None, result.stderr
    assert all(float(seconds) >= 0 for seconds in found.groups())


def test_push_command_no_delta(
    octoci: Callable[..., CliResult], versions: tuple[Path, bytes]
) -> None:
    path, new = versions
    result = octoci("push", "--json", "--no-delta", str(path))
    assert result.exit_code == 0, result.stderr
    package = json.loads(result.stdout)["Packages"][0]
    assert package["Delta"] is False
    assert package["BytesSent"] == len(new)


def test_help_imports_neither_numpy_nor_the_delta_code() -> None:
    probe = (
        "import io, sys\n"
        "from octoci.cli import run\n"
        "run(['--help'], stdout=io.StringIO(), stderr=io.StringIO())\n"
        "run(['push', '--help'], stdout=io.StringIO(), stderr=io.StringIO())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'numpy'\n"
        "    or m.startswith(('octoci.octodiff', 'octoci.octopus.delta'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_publish_says_a_delta_as_push_does(
    octoci: Callable[..., CliResult], versions: tuple[Path, bytes]
) -> None:
    # One step behind both commands: the same line, the same --json form of the package.
    path, new = versions
    result = octoci("publish", "--package-file", str(path), "--version", "2.0.0",
                    "--no-build-info", "--json", env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"})  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "octoci: Acme.Web.2.0.0.zip: pushed as a delta (" in result.stderr
    (package,) = json.loads(result.stdout)["Packages"]
    assert (package["Result"], package["Pushed"], package["Delta"]) == ("created", True, True)
    assert 0 < package["BytesSent"] < len(new) * 0.03
