"""Every built-in command loads, and start-up stays light (the benchmark measures the time)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from octoci.cli import BUILTIN_COMMANDS
from octoci.testing import CliResult

HEAVY = ("requests", "urllib3", "azure", "msrest", "atlassian", "jenkins", "teamcity")


@pytest.mark.parametrize("command", sorted(BUILTIN_COMMANDS))
def test_every_builtin_command_has_help(run_cli: Callable[..., CliResult], command: str) -> None:
    result = run_cli(command, "--help")
    assert result.exit_code == 0, result.stderr
    assert "Usage: octoci" in result.stdout


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["info", "--no-commits"]])
def test_no_heavy_library_is_imported(args: list[str]) -> None:
    probe = (
        "import io, sys\n"
        "from octoci.cli import run\n"
        f"run({args!r}, stdout=io.StringIO(), stderr=io.StringIO())\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("args", [["--help"], ["info", "--no-commits"]])
def test_the_emulator_plugin_loads_without_its_server(args: list[str]) -> None:
    # The built-in plugin `emulator` is loaded on every run; its server (SQLite, http.server)
    # only when one is started.
    probe = (
        "import io, sys\n"
        "from octoci.cli import run\n"
        f"run({args!r}, stdout=io.StringIO(), stderr=io.StringIO())\n"
        "print(sorted(m for m in sys.modules if m in ('sqlite3', 'http.server') "
        "or m.startswith('octoci_emulator.') and m not in "
        "('octoci_emulator.plugin', 'octoci_emulator.command')))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_version_does_not_load_plugins() -> None:
    probe = (
        "import io, sys\n"
        "from octoci.cli import run\n"
        "run(['--version'], stdout=io.StringIO())\n"
        "print('pluggy' in sys.modules, 'octoci_plugins' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False False"
