"""Long work shows its progress: rate and time left on a terminal (a real pseudo-terminal),
plain lines without a control character in a CI log, the phases of a delta upload.

The terminal is a pty whose slave end octoci writes to, not a stream pretending to be a tty.
"""

from __future__ import annotations

import io
import os
import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pytest

from octoci.progress import Phase, Progress, format_duration
from octoci.testing import emulator as emulator_fixtures
from octoci_emulator import Emulator

pty = pytest.importorskip("pty", reason="pseudo-terminals are POSIX-only")
termios = pytest.importorskip("termios", reason="pseudo-terminals are POSIX-only")

octopus_emulator = emulator_fixtures.octopus_emulator
octopus_emulator_seed = emulator_fixtures.octopus_emulator_seed

MiB = 1024 * 1024
#: Any control character but the newline: a CI log must never get one.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


@dataclass
class Terminal:
    """The writable end (``stream``) and everything written to it (``text()``)."""

    stream: TextIO
    chunks: list[bytes] = field(default_factory=list)
    reader: threading.Thread | None = None

    def text(self) -> str:
        """What the terminal received, exactly, once the stream is closed."""
        self.stream.close()
        if self.reader is not None:
            self.reader.join(timeout=10)
        return b"".join(self.chunks).decode("utf-8", errors="replace")


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    """A pty, read in a thread so that a long output never blocks the writer."""
    master, slave = pty.openpty()
    # Raw output: the driver must not turn "\n" into "\r\n" (that would invent a carriage return).
    attributes = termios.tcgetattr(slave)
    attributes[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attributes)
    stream = io.TextIOWrapper(os.fdopen(slave, "wb", buffering=0), encoding="utf-8")
    assert stream.isatty()
    result = Terminal(stream)

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the slave end was closed (EIO on Linux)
                return
            if not chunk:
                return
            result.chunks.append(chunk)

    result.reader = threading.Thread(target=read, daemon=True)
    result.reader.start()
    try:
        yield result
    finally:
        if not result.stream.closed:
            result.stream.close()
        result.reader.join(timeout=10)
        os.close(master)


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _upload(progress: Progress, clock: Clock, name: str, size: int, rate: int) -> None:
    """Send ``size`` bytes at ``rate`` bytes/s in 64 KiB blocks."""
    transfer = progress.start(name, size)
    block = 64 * 1024
    for _ in range(size // block):
        clock.now += block / rate
        progress.advance(transfer, block)
    progress.finish(transfer)


# ---------------------------------------------------------------------------- the display itself
def test_a_terminal_shows_the_smoothed_rate_and_the_time_left(terminal: Terminal) -> None:
    clock = Clock()
    progress = Progress(terminal.stream, live=True, clock=clock)
    _upload(progress, clock, "Acme.Web.1.0.0.zip", 10 * MiB, rate=MiB)
    text = terminal.text()
    redraws = text.split("\r")[1:]
    # At most ten redraws a second (ten seconds of upload), each erasing the rest of the line.
    assert 50 <= len(redraws) <= 10 * 10 + 2
    assert all(r.rstrip("\n").endswith("\x1b[K") for r in redraws)
    middle = next(r for r in redraws if " 50% " in r)
    assert "1.0 MiB/s" in middle
    assert re.search(r"ETA [45] s", middle), middle
    assert text.endswith("\n")
    assert "\n" not in text[:-1]  # one line, redrawn in place


def test_the_rate_is_smoothed_over_a_stall() -> None:
    """A one-second stall must not swing the time left from seconds to hours."""
    clock = Clock()
    stream = io.StringIO()
    progress = Progress(stream, live=False, interval=1.0, clock=clock)
    transfer = progress.start("A.1.0.0.zip", 100 * MiB)
    for _ in range(40):
        clock.now += 0.25
        progress.advance(transfer, MiB // 4)  # 1 MiB/s
    clock.now += 1.0
    progress.advance(transfer, 1)
    assert transfer.rate is not None
    assert 0.6 * MiB < transfer.rate < MiB


def test_a_ci_log_gets_plain_lines_at_the_interval_and_no_control_character() -> None:
    clock = Clock()
    stream = io.StringIO()
    progress = Progress(stream, live=False, interval=10, clock=clock)
    _upload(progress, clock, "Acme.Web.1.0.0.zip", 40 * MiB, rate=MiB)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 5  # every 10 s of 40, and the end
    assert (
        lines[0] == "octoci: Acme.Web.1.0.0.zip: 25% of 40.0 MiB sent (1.0 MiB/s, about 30 s left)"
    )
    assert lines[-1] == "octoci: Acme.Web.1.0.0.zip: 100% of 40.0 MiB sent (1.0 MiB/s)"
    assert not CONTROL.search(stream.getvalue())


def test_a_short_upload_writes_no_line_to_a_ci_log() -> None:
    clock = Clock()
    stream = io.StringIO()
    _upload(Progress(stream, live=False, interval=10, clock=clock), clock, "A.1.0.0.zip", MiB, MiB)
    assert stream.getvalue() == ""


def test_each_phase_of_a_delta_is_named_on_a_terminal(terminal: Terminal) -> None:
    clock = Clock()
    progress = Progress(terminal.stream, live=True, clock=clock)
    transfer = progress.start("Acme.Web.2.0.0.zip", 100 * MiB)
    progress.enter(transfer, Phase("downloading the delta signature"))
    clock.now += 2
    progress.enter(transfer, Phase("computing the delta against 1.0.0", 100 * MiB, "scanned"))
    for _ in range(4):
        clock.now += 1
        progress.advance(transfer, 25 * MiB)
    waiting = "Octopus is applying the delta against 1.0.0"
    progress.enter(transfer, Phase("delta against 1.0.0", MiB, waiting=waiting))
    clock.now += 1
    progress.advance(transfer, MiB)
    clock.now += 5
    progress.finish(transfer)
    redraws = terminal.text().split("\r")
    assert any("Acme.Web.2.0.0.zip: downloading the delta signature" in r for r in redraws)
    assert any("computing the delta against 1.0.0: 50% of 100.0 MiB scanned" in r for r in redraws)
    assert any(waiting in r for r in redraws)
    # The delta's bytes are counted against the delta's size, not the file's.
    assert any("delta against 1.0.0: 0% of 1.0 MiB sent" in r for r in redraws)
    assert not any("of 100.0 MiB sent" in r for r in redraws)


def test_durations_read_well() -> None:
    assert [format_duration(s) for s in (0.2, 59, 61, 3725)] == [
        "1 s",
        "59 s",
        "1 min 01 s",
        "1 h 02 min",
    ]


# ---------------------------------------------------------------------------- through the command
def _octoci_on(
    stderr: TextIO, emulator: Emulator, cwd: Path, *args: str, **env: str
) -> tuple[int, str]:
    """Run ``octoci`` in-process with ``stderr`` as its standard error (a pty or a pipe)."""
    from octoci.cli import run

    base = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    base.update(
        OCTOPUS_URL=emulator.url,
        OCTOPUS_API_KEY=emulator.api_key,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
        OCTOCI_RETRY_BUDGET="20",
        **env,
    )
    out = io.StringIO()
    code = run(list(args), env=base, stdout=out, stderr=stderr, cwd=cwd)
    return code, out.getvalue()


def _package(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def test_push_on_a_terminal_redraws_one_line(
    terminal: Terminal, octopus_emulator: Emulator, tmp_path: Path
) -> None:
    _package(tmp_path, "Acme.Web.1.0.0.zip", random.Random(1).randbytes(3 * MiB))
    code, out = _octoci_on(
        terminal.stream, octopus_emulator, tmp_path, "push", "Acme.Web.1.0.0.zip"
    )
    text = terminal.text()
    assert code == 0, text
    assert "Acme.Web.1.0.0.zip" in out
    assert "\r[" in text
    assert "\x1b[K" in text
    assert re.search(r"\] 100% 3\.0 MiB of 3\.0 MiB [\d.]+ [KMG]?i?B/s", text), text


def test_a_delta_push_on_a_terminal_names_its_phases(
    terminal: Terminal, octopus_emulator: Emulator, tmp_path: Path
) -> None:
    old = random.Random(2).randbytes(2 * MiB)
    new = old[:MiB] + b"changed" + old[MiB:]
    (tmp_path / "one").mkdir()
    first = _package(tmp_path / "one", "Acme.Web.1.0.0.zip", old)
    code, _ = _octoci_on(io.StringIO(), octopus_emulator, first.parent, "push", first.name)
    assert code == 0
    _package(tmp_path, "Acme.Web.2.0.0.zip", new)
    code, _out = _octoci_on(
        terminal.stream, octopus_emulator, tmp_path, "push", "Acme.Web.2.0.0.zip"
    )
    text = terminal.text()
    assert code == 0, text
    assert "Acme.Web.2.0.0.zip: downloading the delta signature" in text
    assert "Acme.Web.2.0.0.zip: computing the delta against 1.0.0" in text
    assert "Octopus is applying the delta against 1.0.0" in text
    # The upload counts the delta's bytes, not the whole file's.
    assert "of 2.0 MiB sent" not in text


def test_a_ci_log_on_a_terminal_gets_no_control_character(
    terminal: Terminal, octopus_emulator: Emulator, tmp_path: Path
) -> None:
    """Some runners give the job a pty; CI=true still means a log: no redraws there."""
    _package(tmp_path, "Acme.Web.1.0.0.zip", random.Random(3).randbytes(MiB))
    code, out = _octoci_on(
        terminal.stream, octopus_emulator, tmp_path, "push", "Acme.Web.1.0.0.zip", CI="true"
    )
    text = terminal.text()
    assert code == 0, text
    assert not CONTROL.search(text + out), repr(text)


# ---------------------------------------------------------------------------- waiting
HELD_SEED = {
    "tasks": {"hold": True},  # a deployment stays queued until the test lets it go
    "environments": ["Dev"],
    "lifecycles": [{"name": "Flat", "phases": [{"name": "All", "optional": ["Dev"]}]}],
    "projects": [{"name": "Shop", "lifecycle": "Flat", "packages": ["Shop.Web"]}],
}


@pytest.fixture
def queued_task(tmp_path: Path) -> Iterator[tuple[Emulator, str]]:
    """An emulator with one deployment task that stays queued: ``(emulator, task id)``."""
    from octoci.testing.emulator import start_emulator

    emulator = start_emulator(HELD_SEED)
    try:
        _package(tmp_path, "Shop.Web.1.0.0.zip", b"shop" * 1000)
        for args in (
            ("push", "Shop.Web.1.0.0.zip"),
            ("release", "create", "--project", "Shop", "--version", "1.0.0"),
            (
                "release",
                "deploy",
                "--project",
                "Shop",
                "--version",
                "1.0.0",
                "--environment",
                "Dev",
            ),
        ):
            code, _ = _octoci_on(io.StringIO(), emulator, tmp_path, *args)
            assert code == 0, args
        (task,) = emulator.documents("task")
        yield emulator, str(task["Id"])
    finally:
        emulator.stop()


def test_waiting_in_a_ci_log_prints_a_heartbeat(
    queued_task: tuple[Emulator, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every HEARTBEAT_SECONDS without output (30 s; 0.3 s here), one plain line."""
    from octoci.steps import wait

    monkeypatch.setattr(wait, "HEARTBEAT_SECONDS", 0.3)
    emulator, task_id = queued_task
    stderr = io.StringIO()
    code, out = _octoci_on(
        stderr, emulator, tmp_path, "task", "wait", task_id, "--poll-interval", "0.5",
        "--timeout", "1.6", CI="true",
    )  # fmt: skip
    assert code == 4, stderr.getvalue()
    beats = [line for line in out.splitlines() if line.startswith("still waiting after")]
    assert 3 <= len(beats) <= 7, out
    assert beats[0].endswith("Queued")
    assert not CONTROL.search(out + stderr.getvalue())


def test_waiting_on_a_terminal_redraws_every_second(
    queued_task: tuple[Emulator, str], terminal: Terminal, tmp_path: Path
) -> None:
    emulator, task_id = queued_task
    code, out = _octoci_on(
        terminal.stream, emulator, tmp_path, "task", "wait", task_id, "--poll-interval", "10",
        "--timeout", "2.5",
    )  # fmt: skip
    text = terminal.text()
    assert code == 4, text
    # Three seconds' redraws between two polls ten seconds apart.
    for waited in ("waiting 1 s: ", "waiting 2 s: "):
        assert f"\r{waited}" in text, repr(text)
    assert "still waiting" not in out
