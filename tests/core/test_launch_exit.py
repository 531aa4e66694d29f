"""The console script ends without the interpreter's teardown, and loses nothing by it: every line
is written, the exit code is the command's, and a thread still running is waited for.

Each case runs ``octoci`` as the console script does (``octoci.launch.main``) in a child process.
A marker written by an ``atexit`` handler tells whether the teardown ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_SCRIPT = """
import atexit, sys, threading, time
from pathlib import Path
marker = Path(sys.argv[1])
atexit.register(lambda: marker.with_suffix(".teardown").write_text("ran"))
if sys.argv[2] == "thread":
    def late():
        # Still running when the command ends, however long it takes: it waits for the package
        # (written before the command's last lines), then a little more.
        deadline = time.monotonic() + 30  # bounded: a failed pack must not hang the test
        while not list(marker.parent.glob("out/*.zip")) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        marker.with_suffix(".thread").write_text("done")
    threading.Thread(target=late).start()
sys.argv = ["octoci", *sys.argv[3:]]
from octoci.launch import main
main()
"""


def _console(tmp_path: Path, thread: str, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OCTOCI_", "OCTOPUS_"))}
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path / "marker"), thread, *args],
        capture_output=True,
        text=True,
        env={**clean, "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"},
        cwd=tmp_path,
        timeout=60,
    )


def _pack(tmp_path: Path, package_id: str) -> list[str]:
    base = tmp_path / "build"
    base.mkdir(exist_ok=True)
    (base / "app.txt").write_text("hello\n")
    return ["pack", "--id", package_id, "--version", "1.0.0", "--base-path", str(base),
            "--out-folder", str(tmp_path / "out")]  # fmt: skip


def test_a_finished_command_exits_with_all_its_output_and_no_teardown(tmp_path: Path) -> None:
    done = _console(tmp_path, "none", *_pack(tmp_path, "Acme.Web"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Packed 1 files into ")
    assert "octoci output package_filename=Acme.Web.1.0.0.zip" in lines  # the last lines too
    assert (tmp_path / "out" / "Acme.Web.1.0.0.zip").is_file()
    assert not (tmp_path / "marker.teardown").exists()  # ended without the teardown


def test_the_exit_code_and_error_line_of_bad_input_are_kept(tmp_path: Path) -> None:
    done = _console(tmp_path, "none", *_pack(tmp_path, "bad id"))
    assert done.returncode == 2
    assert done.stderr.startswith("octoci: error: invalid package id 'bad id'")
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "marker.teardown").exists()


def test_a_thread_still_running_is_waited_for(tmp_path: Path) -> None:
    done = _console(tmp_path, "thread", *_pack(tmp_path, "Acme.Web"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "marker.thread").read_text() == "done"
    assert (tmp_path / "marker.teardown").read_text() == "ran"  # the normal exit
