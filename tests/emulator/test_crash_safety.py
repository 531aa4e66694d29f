"""kill -9 of the emulator during uploads: after every restart each package row's file exists with
the row's size and SHA-1, no file lacks a row, and no temporary file is left.

The emulator runs as the user runs it (``python -m octoci emulator --data-dir``); uploads (new
packages and overwrites, from several threads) go over real HTTP until the process is killed at
a random moment.
"""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
import requests

from .process import start_emulator_process

CYCLES = 25
_UPLOADERS = 8
_VERSIONS = 4


def _kill(process: subprocess.Popen[str]) -> list[str]:
    """SIGKILL ``process``; the kinds of start-up repair it logged (``removed the partial``)."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=20)
    assert process.stdout is not None
    assert process.stderr is not None
    logged = process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    return [
        " ".join(line.split("repair: ", 1)[1].split(" ")[:3])
        for line in logged.splitlines()
        if "start-up repair: " in line
    ]


def _inconsistencies(
    url: str, key: str, data_dir: Path, sent: dict[str, set[str]], acknowledged: set[str]
) -> list[str]:
    """What is wrong with the store: rows vs. files, orphans, leftovers, unknown content, and
    acknowledged packages that are gone."""
    headers = {"X-Octopus-ApiKey": key}
    listing = requests.get(
        f"{url}/api/Spaces-1/packages?take=1000", headers=headers, timeout=10
    ).json()
    problems = []
    for package in listing["Items"]:
        name = f"{package['PackageId']}.{package['Version']}"
        raw = requests.get(f"{url}/api/Spaces-1/packages/{package['Id']}/raw", headers=headers)
        if raw.status_code != 200:
            problems.append(f"{name}: the row's file is missing ({raw.status_code})")
            continue
        digest = hashlib.sha1(raw.content).hexdigest()
        if len(raw.content) != package["PackageSizeBytes"] or digest != package["Hash"]:
            problems.append(
                f"{name}: row says {package['PackageSizeBytes']} bytes {package['Hash']}, "
                f"the file is {len(raw.content)} bytes {digest}"
            )
        if digest not in sent.get(name, set()):
            problems.append(f"{name}: stored content {digest} was never uploaded")
    listed = {f"{p['PackageId']}.{p['Version']}" for p in listing["Items"]}
    problems += [f"{name}: stored (201) but gone" for name in sorted(acknowledged - listed)]
    files = [p for p in (data_dir / "files").rglob("*") if p.is_file()]
    leftovers = [p for p in files if p.name.endswith(".part")]
    leftovers += [p for p in (data_dir / "incoming").rglob("*") if p.is_file()]
    problems += [f"temporary file left: {p.name}" for p in leftovers]
    orphans = len(files) - len(leftovers) - len(listing["Items"])
    if orphans > 0:
        problems.append(f"{orphans} file(s) with no package row")
    return problems


def _upload_until_killed(
    url: str,
    key: str,
    seed: int,
    sent: dict[str, set[str]],
    acknowledged: set[str],
    lock: threading.Lock,
    started: threading.Event,
) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    session.headers["X-Octopus-ApiKey"] = key
    while True:
        version = f"1.0.{rng.randrange(_VERSIONS)}"
        data = rng.randbytes(rng.randrange(1, 16 * 1024))
        with lock:  # recorded before sending: a killed upload may still have been stored
            sent.setdefault(f"Crash.{version}", set()).add(hashlib.sha1(data).hexdigest())
        try:
            answer = session.post(
                f"{url}/api/Spaces-1/packages/raw?overwriteMode=OverwriteExisting",
                files={"file": (f"Crash.{version}.zip", data)},
                timeout=10,
            )
        except requests.RequestException:
            return  # the emulator was killed
        if answer.status_code == 201:
            with lock:
                acknowledged.add(f"Crash.{version}")
        started.set()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_kill_9_during_uploads_leaves_a_consistent_store(tmp_path: Path) -> None:
    data_dir = tmp_path / "octo"
    rng = random.Random(12)
    sent: dict[str, set[str]] = {}
    acknowledged: set[str] = set()  # packages Octopus answered 201 for: they must stay
    lock = threading.Lock()
    failures: list[str] = []
    repairs: list[str] = []
    for cycle in range(CYCLES):
        process, url, key = start_emulator_process("--data-dir", str(data_dir))
        try:
            failures += [
                f"cycle {cycle}: {p}"
                for p in _inconsistencies(url, key, data_dir, sent, acknowledged)
            ]
            started = threading.Event()
            uploaders = [
                threading.Thread(
                    target=_upload_until_killed,
                    args=(url, key, rng.randrange(1 << 30), sent, acknowledged, lock, started),
                    daemon=True,
                )
                for _ in range(_UPLOADERS)
            ]
            for uploader in uploaders:
                uploader.start()
            assert started.wait(20), "no upload was answered"
            # A random moment while uploads are in flight (the point of the test, not a wait).
            threading.Event().wait(rng.uniform(0.0, 0.15))
        finally:
            repairs += _kill(process)
        for uploader in uploaders:
            uploader.join(20)
    process, url, key = start_emulator_process("--data-dir", str(data_dir))
    try:
        failures += [
            f"final: {p}" for p in _inconsistencies(url, key, data_dir, sent, acknowledged)
        ]
    finally:
        repairs += _kill(process)
    cycles_with_problems = {f.split(":", 1)[0] for f in failures}
    print(
        f"{len(cycles_with_problems)} of {CYCLES + 1} restarts inconsistent, "
        f"start-up repairs: {dict(Counter(repairs))}"
    )
    assert failures == []
