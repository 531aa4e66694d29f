"""``octoci --help`` and ``--version`` answered without click say exactly what click says."""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import sys

import click
import pytest

from octoci.cli import run
from octoci.help_page import PLUGIN_COMMAND_SUMMARIES, ROOT_OPTIONS
from octoci.plugins import COMMAND_PLUGINS

# Every width click can lay the page out in (50 to 78) and either side of both ends.
WIDTHS = [20, 49, *range(50, 83), 200]


def _console(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """``octoci ARGS`` as the console script runs it (``octoci.launch.main``), in a clean
    environment: no OCTOCI_ variable, the given ones added."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OCTOCI_", "OCTOPUS_"))}
    clean.pop("COLUMNS", None)
    return subprocess.run(
        [sys.executable, "-c", "from octoci.launch import main; main()", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
    )


def _click(args: list[str], monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    """What click itself answers, in this process."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    assert run(args, stdout=out, stderr=io.StringIO(), env={**os.environ, **env}) == 0
    return out.getvalue()


def test_the_help_page_is_clicks_at_every_width(monkeypatch: pytest.MonkeyPatch) -> None:
    for width in WIDTHS:
        fast = _console(["--help"], COLUMNS=str(width))
        assert fast.returncode == 0, fast.stderr
        assert fast.stdout == _click(["--help"], monkeypatch, COLUMNS=str(width)), width


def test_h_and_version_are_clicks(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _console(["-h"], COLUMNS="80").stdout == _click(["-h"], monkeypatch, COLUMNS="80")
    version = _console(["--version"])
    assert (version.returncode, version.stdout) == (0, _click(["--version"], monkeypatch))


def test_the_fast_answer_imports_no_click() -> None:
    probe = (
        "import sys\n"
        "from octoci.launch import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(repr(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('click', 'pluggy', 'dataclasses', 'pathlib', 'json', 'octoci_plugins'))))\n"
    )
    for args in (["--help"], ["--version"]):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True
        )
        assert done.stderr == "[]", args


def test_a_secret_is_masked_in_the_fast_page_as_click_masks_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast = _console(["--help"], COLUMNS="80", OCTOPUS_API_KEY="Octopus Deploy")
    assert "Octopus Deploy" not in fast.stdout
    clicks = _click(["--help"], monkeypatch, COLUMNS="80", OCTOPUS_API_KEY="Octopus Deploy")
    assert fast.stdout == clicks


def test_plugin_variables_leave_the_answer_to_click() -> None:
    blocked = _console(["--help"], COLUMNS="80", OCTOCI_DISABLE_PLUGINS="emulator")
    assert blocked.returncode == 0, blocked.stderr
    assert "emulator" not in blocked.stdout
    assert "publish" in blocked.stdout


def test_other_arguments_go_to_click() -> None:
    done = _console(["--help", "--debug"], COLUMNS="80")
    assert done.returncode == 0
    assert "Usage: octoci [OPTIONS] COMMAND [ARGS]..." in done.stdout
    wrong = _console(["--nope"])
    assert wrong.returncode == 2
    assert "No such option '--nope'" in wrong.stderr


def test_plugin_command_summaries_are_the_plugins_commands() -> None:
    assert set(PLUGIN_COMMAND_SUMMARIES) == set(COMMAND_PLUGINS)
    from octoci.plugins import BUILTIN_PACKAGES, CORE_PLUGINS

    modules = {**CORE_PLUGINS, **BUILTIN_PACKAGES}
    for plugin, commands in PLUGIN_COMMAND_SUMMARIES.items():
        holder = click.Group()
        importlib.import_module(modules[plugin]).octoci_add_commands(holder)
        assert set(holder.commands) == set(commands), plugin
        for name, summary in commands.items():
            stand_in = click.Command(name, help=summary)
            for limit in (30, 45, 66, 200):
                real = holder.commands[name].get_short_help_str(limit)
                assert stand_in.get_short_help_str(limit) == real, name


def test_the_root_options_are_the_groups() -> None:
    from octoci.cli import cli

    names = [p.opts for p in cli.params if isinstance(p, click.Option)]
    expected = [list(o.switches) for o in ROOT_OPTIONS]
    assert [n for n in names if n not in (["--version"], ["-h", "--help"])] == expected
