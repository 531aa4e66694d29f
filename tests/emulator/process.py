"""``octoci emulator`` as a user starts it: a child process, its URL and API key read from its
first line."""

from __future__ import annotations

import os
import subprocess
import sys

__all__ = ["start_emulator_process"]


def start_emulator_process(*args: str) -> tuple[subprocess.Popen[str], str, str]:
    """Start ``python -m octoci emulator ARGS``; return the process, its URL and its API key."""
    process = subprocess.Popen(
        [sys.executable, "-m", "octoci", "emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line.startswith("Octopus emulator listening on http://127.0.0.1:"), line
    url = line.split(" on ", 1)[1].split(" ", 1)[0]
    key = line.rsplit("API key: ", 1)[1].rstrip(")")
    return process, url, key
