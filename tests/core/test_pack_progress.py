"""``octoci pack`` and publish's Pack step show their progress (files and bytes read, rate) once
packing has taken a second: one redrawn line on a terminal (a real pseudo-terminal), plain lines
without a control character in a CI log, and nothing at all for a fast pack.

The second of silence is :data:`octoci.packaging.progress.SILENCE_SECONDS`; the tests that need
a display set it to a millionth of a second rather than pack for a second.
"""

from __future__ import annotations

import io
import os
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import pytest
from tests.core import test_progress as progress_tests
from tests.core.test_progress import CONTROL, Clock, Terminal

from octoci.packaging import progress as pack_progress
from octoci.progress import Phase, Progress
from octoci.testing import emulator as emulator_fixtures
from octoci_emulator import Emulator

terminal = progress_tests.terminal
octopus_emulator = emulator_fixtures.octopus_emulator
octopus_emulator_seed = emulator_fixtures.octopus_emulator_seed

MiB = 1024 * 1024
FORMATS = ("zip", "nupkg", "tar.gz", "tar", "tar.bz2")


@pytest.fixture
def no_silence(monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress shows as soon as packing starts, not after a second."""
    monkeypatch.setattr(pack_progress, "SILENCE_SECONDS", 1e-6)


def _tree(root: Path) -> Path:
    """Three files (one empty) of 2 MiB in all, in two folders."""
    source = root / "site"
    (source / "assets").mkdir(parents=True)
    rng = random.Random(7)
    words = [rng.randbytes(6).hex().encode() for _ in range(500)]
    (source / "index.html").write_bytes(b" ".join(rng.choice(words) for _ in range(MiB // 13)))
    (source / "assets" / "app.bin").write_bytes(rng.randbytes(2 * MiB - MiB // 13 * 13 + 1))
    (source / "assets" / "empty.txt").write_bytes(b"")
    return source


def _octoci(stderr: TextIO, cwd: Path, *args: str, **env: str) -> tuple[int, str]:
    """Run ``octoci`` in-process with ``stderr`` as its standard error (a pty or a pipe)."""
    from octoci.cli import run

    base = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    base.update(OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1", **env)
    out = io.StringIO()
    code = run(list(args), env=base, stdout=out, stderr=stderr, cwd=cwd)
    return code, out.getvalue()


def _pack(stderr: TextIO, tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    _tree(tmp_path)
    return _octoci(
        stderr, tmp_path, "pack", "--id", "Acme.Web", "--version", "1.0.0",
        "--base-path", "site", "--out-folder", "out", *args, **env,
    )  # fmt: skip


# ---------------------------------------------------------------------------- octoci pack
@pytest.mark.usefixtures("no_silence")
def test_pack_on_a_terminal_redraws_one_line_with_files_and_bytes(
    terminal: Terminal, tmp_path: Path
) -> None:
    code, out = _pack(terminal.stream, tmp_path, "--threads", "2")
    text = terminal.text()
    assert code == 0, text
    assert out.startswith("Packed 3 files into "), out
    assert "\r[" in text
    assert "\x1b[K" in text
    # The last redraw: every file read, every byte, a rate.
    assert re.search(
        r"\] 100% 3 of 3 files, 2\.0 MiB of 2\.0 MiB [\d.]+ [KMG]?i?B/s Acme\.Web\.1\.0\.0\.zip",
        text,
    ), text
    assert text.endswith("\n")
    assert "\n" not in text[:-1]  # one line, redrawn in place


@pytest.mark.usefixtures("no_silence")
@pytest.mark.parametrize("package_format", FORMATS)
def test_a_ci_log_gets_plain_lines_that_count_every_file(
    package_format: str, tmp_path: Path
) -> None:
    stderr = io.StringIO()
    code, out = _pack(stderr, tmp_path, "--format", package_format, CI="true")
    text = stderr.getvalue()
    assert code == 0, text
    assert not CONTROL.search(text + out), repr(text)
    name = f"Acme.Web.1.0.0.{package_format}"
    lines = text.splitlines()
    # The first line once the silence is over, the last when the package is written.
    assert lines[0].startswith(f"octoci: {name}: "), text
    assert re.fullmatch(
        rf"octoci: {re.escape(name)}: 3 of 3 files, 100% of 2\.0 MiB read \([\d.]+ [KMG]?i?B/s\)",
        lines[-1],
    ), text


def test_a_fast_pack_shows_no_progress(terminal: Terminal, tmp_path: Path) -> None:
    """Packing 2 MiB takes well under the second of silence: not a byte on standard error."""
    code, out = _pack(terminal.stream, tmp_path)
    assert code == 0
    assert out.startswith("Packed 3 files")
    assert terminal.text() == ""


# ---------------------------------------------------------------------------- publish's Pack step
@pytest.mark.usefixtures("no_silence")
def test_publish_shows_the_pack_step_progress_on_a_terminal(
    terminal: Terminal, octopus_emulator: Emulator, git_repo: Callable[..., Path]
) -> None:
    repo = git_repo(["Start"])
    _tree(repo)
    code, out = _octoci(
        terminal.stream, repo, "publish", "--version", "2.0.0", "--package-id", "Acme.Web",
        "--base-path", "site",
        OCTOPUS_URL=octopus_emulator.url, OCTOPUS_API_KEY=octopus_emulator.api_key,
        OCTOCI_RETRY_BUDGET="5",
    )  # fmt: skip
    text = terminal.text()
    assert code == 0, text + out
    assert "packed Acme.Web.2.0.0.zip: 3 files" in out
    assert re.search(r"\] 100% 3 of 3 files, 2\.0 MiB of 2\.0 MiB .* Acme\.Web\.2\.0\.0\.zip", text)
    # The push that follows draws a line of its own, counting only its own package.
    assert re.search(r"\] 100% [\d.]+ [KM]iB of [\d.]+ [KM]iB .* Acme\.Web\.2\.0\.0\.zip", text)


# ---------------------------------------------------------------------------- the quiet period
def _read(progress: Progress, clock: Clock, seconds: int) -> None:
    """Read 10 files of 1 MiB, one a second, then finish."""
    transfer = progress.start(
        "A.1.0.0.zip", 10 * MiB, phase=Phase("", 10 * MiB, "read"), files=10, quiet=1.0
    )
    for _ in range(seconds):
        clock.now += 1
        progress.advance(transfer, MiB, files=1)
    progress.finish(transfer)


def test_nothing_is_drawn_during_the_quiet_period(terminal: Terminal) -> None:
    clock = Clock()
    progress = Progress(terminal.stream, live=True, clock=clock)
    transfer = progress.start("A.1.0.0.zip", 10 * MiB, files=10, quiet=1.0)
    clock.now += 0.5
    progress.advance(transfer, MiB, files=1)
    clock.now += 0.4
    progress.finish(transfer)
    assert terminal.text() == ""  # not even the newline that ends a line


def test_the_display_starts_after_the_quiet_period(terminal: Terminal) -> None:
    clock = Clock()
    _read(Progress(terminal.stream, live=True, clock=clock), clock, 10)
    redraws = terminal.text().split("\r")[1:]
    assert len(redraws) == 10 + 1  # from the first second on, and the last when it is done
    assert "1 of 10 files, 1.0 MiB of 10.0 MiB" in redraws[0]
    assert "10 of 10 files, 10.0 MiB of 10.0 MiB 1.0 MiB/s A.1.0.0.zip" in redraws[-1]


def test_a_ci_log_gets_a_line_after_the_quiet_period_then_at_the_interval() -> None:
    clock = Clock()
    stream = io.StringIO()
    _read(Progress(stream, live=False, interval=4, clock=clock), clock, 10)
    assert stream.getvalue().splitlines() == [
        "octoci: A.1.0.0.zip: 1 of 10 files, 10% of 10.0 MiB read (1.0 MiB/s, about 9 s left)",
        "octoci: A.1.0.0.zip: 5 of 10 files, 50% of 10.0 MiB read (1.0 MiB/s, about 5 s left)",
        "octoci: A.1.0.0.zip: 9 of 10 files, 90% of 10.0 MiB read (1.0 MiB/s, about 1 s left)",
        "octoci: A.1.0.0.zip: 10 of 10 files, 100% of 10.0 MiB read (1.0 MiB/s)",
    ]
