"""Every built-in command loads, and start-up stays light (the benchmark measures the time)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

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


def test_help_lists_each_builtin_command_as_the_command_itself_would() -> None:
    # `octoci --help` shows BUILTIN_SUMMARIES instead of importing every command: they must say
    # what the commands' own help says, at any terminal width.
    import importlib

    import click

    from octoci.cli import BUILTIN_SUMMARIES

    assert set(BUILTIN_SUMMARIES) == set(BUILTIN_COMMANDS)
    for name, target in BUILTIN_COMMANDS.items():
        module_name, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        stand_in = click.Command(name, help=BUILTIN_SUMMARIES[name])
        for limit in (30, 45, 66, 200):
            assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit), name


def test_command_plugins_names_every_builtin_that_adds_commands() -> None:
    # Listing the commands loads only COMMAND_PLUGINS of the core's and built-in plugins.
    import importlib

    from octoci.plugins import BUILTIN_PACKAGES, COMMAND_PLUGINS, CORE_PLUGINS
    from octoci_plugins import BUILTIN_PLUGINS

    modules = {
        **CORE_PLUGINS,
        **{name: f"octoci_plugins.{name}" for name in BUILTIN_PLUGINS},
        **BUILTIN_PACKAGES,
    }
    adding = {
        name
        for name, module in modules.items()
        if hasattr(importlib.import_module(module), "octoci_add_commands")
    }
    assert adding == set(COMMAND_PLUGINS)


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_help_imports_no_command_and_no_adapter(args: list[str]) -> None:
    probe = (
        "import io, sys\n"
        "from octoci.cli import run\n"
        f"run({args!r}, stdout=io.StringIO(), stderr=io.StringIO())\n"
        "print(sorted(m for m in sys.modules if m.startswith('octoci_plugins.') "
        "or m.startswith('octoci.cli.') and m != 'octoci.cli.state' "
        "or m == 'octoci.model' and " + repr(args) + " == ['--version'] "
        "or m == 'importlib.metadata'))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_help_lists_the_commands_of_an_allowed_plugin_set(
    run_cli: Callable[..., CliResult],
) -> None:
    # OCTOCI_PLUGINS may name built-ins the listing does not load: not an unknown name.
    result = run_cli("--help", env={"OCTOCI_PLUGINS": "github_actions"})
    assert result.exit_code == 0, result.stderr
    assert "emulator" in result.stdout
    assert "publish" in result.stdout


_PLUGIN_MODULE = """
import click
import octoci


@octoci.hookimpl
def octoci_add_commands(cli):
    @cli.command()
    def kestrel():
        \"\"\"Say hello from a plugin found through its entry point.\"\"\"
        click.echo("kestrel here")
"""


def _write_plugin_distribution(folder: Path, info_suffix: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kestrel_plugin.py").write_text(_PLUGIN_MODULE, encoding="utf-8")
    info = folder / f"octoci_kestrel-1.0{info_suffix}"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: octoci-kestrel\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "PKG-INFO").write_text((info / "METADATA").read_text(), encoding="utf-8")
    (info / "entry_points.txt").write_text("[octoci]\nkestrel = kestrel_plugin\n", encoding="utf-8")


def _octoci(
    args: list[str], python_path: Path, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTOCI_")}
    env.update(PYTHONPATH=str(python_path), **extra_env)
    return subprocess.run(
        [sys.executable, "-m", "octoci", *args], capture_output=True, text=True, env=env
    )


@pytest.mark.parametrize("info_suffix", [".dist-info", ".egg-info"])
def test_a_plugin_found_through_its_entry_point_adds_its_command(
    tmp_path: Path, info_suffix: str
) -> None:
    # --help skips importlib.metadata when no distribution on sys.path declares an [octoci]
    # entry point: one that does must still be found, listed and run.
    _write_plugin_distribution(tmp_path / "site", info_suffix)
    listing = _octoci(["--help"], tmp_path / "site")
    assert listing.returncode == 0, listing.stderr
    assert "kestrel" in listing.stdout
    ran = _octoci(["kestrel"], tmp_path / "site")
    assert (ran.returncode, ran.stdout) == (0, "kestrel here\n"), ran.stderr
    blocked = _octoci(["--help"], tmp_path / "site", OCTOCI_DISABLE_PLUGINS="kestrel")
    assert blocked.returncode == 0, blocked.stderr
    assert "kestrel" not in blocked.stdout


def test_a_plugin_in_a_zip_on_sys_path_is_found(tmp_path: Path) -> None:
    # A zip on sys.path is not scanned by hand: importlib.metadata reads it.
    _write_plugin_distribution(tmp_path / "site", ".dist-info")
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted((tmp_path / "site").rglob("*")):
            zipped.write(path, path.relative_to(tmp_path / "site").as_posix())
    ran = _octoci(["kestrel"], archive)
    assert (ran.returncode, ran.stdout) == (0, "kestrel here\n"), ran.stderr
