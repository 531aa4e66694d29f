"""Plugin settings: a real plugin declares them through ``octoci_add_settings``, they are read
from ``[<plugin>]`` / ``[tool.octoci.<plugin>]`` and ``OCTOCI_<PLUGIN>_<NAME>``, and the plugin
reads them back typed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from octoci import hookimpl
from octoci.model import RunReport
from octoci.plugins import OctociPluginManager
from octoci.settings import PluginSettings, plugin_setting
from octoci.testing import CliResult


@dataclass(frozen=True)
class AcmeSettings:
    """The test plugin's settings."""

    channel: str = plugin_setting("#builds", "Where to post.", env=True)
    retries: int = plugin_setting(3, "How often to try.")
    notify: bool = plugin_setting(True, "Post at all.")
    labels: tuple[str, ...] = plugin_setting((), "Labels to add.", env=True)


class AcmePlugin:
    """Declares AcmeSettings and shows what it read as build-server outputs."""

    def __init__(self, declaration: Any = None) -> None:
        self.declaration = declaration or PluginSettings("acme", AcmeSettings)
        self.manager: OctociPluginManager | None = None

    @hookimpl
    def octoci_addhooks(self, pluginmanager: OctociPluginManager) -> None:
        self.manager = pluginmanager

    @hookimpl
    def octoci_add_settings(self) -> Any:
        return self.declaration

    @hookimpl
    def octoci_outputs(self, report: RunReport) -> dict[str, str]:
        assert self.manager is not None
        settings = self.manager.plugin_settings(AcmeSettings)
        return {
            "acme": f"{settings.channel}|{settings.retries}|{settings.notify}|"
            f"{','.join(settings.labels)}"
        }


@pytest.fixture
def push(octoci: Callable[..., CliResult], tmp_path: Path) -> Callable[..., CliResult]:
    """``push(env=..., plugins=...)``: push a small package (each time a new version)."""
    counter = iter(range(1, 1000))

    def run(*extra: str, **kwargs: Any) -> CliResult:
        path = tmp_path / f"Acme.Web.1.0.{next(counter)}.zip"
        path.write_bytes(path.name.encode())
        kwargs.setdefault("plugins", (AcmePlugin(),))
        return octoci("push", path.name, *extra, **kwargs)

    return run


def _output(result: CliResult) -> str:
    assert result.exit_code == 0, result.stderr
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("octoci output acme=")]
    return line.removeprefix("octoci output acme=")


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_defaults_then_file_then_variable(push: Callable[..., CliResult], tmp_path: Path) -> None:
    assert _output(push()) == "#builds|3|True|"
    _write(tmp_path, "octoci.toml", '[acme]\nchannel = "#deploys"\nretries = 5\nnotify = false\n')
    assert _output(push()) == "#deploys|5|False|"
    env = {"OCTOCI_ACME_CHANNEL": "#ops", "OCTOCI_ACME_LABELS": "a, b"}
    assert _output(push(env=env)) == "#ops|5|False|a,b"
    # retries has no variable: OCTOCI_ACME_RETRIES means nothing.
    assert _output(push(env={"OCTOCI_ACME_RETRIES": "9"})) == "#deploys|5|False|"


def test_pyproject_table(push: Callable[..., CliResult], tmp_path: Path) -> None:
    _write(tmp_path, "pyproject.toml", '[tool.octoci]\n[tool.octoci.acme]\nlabels = ["x"]\n')
    assert _output(push()) == "#builds|3|True|x"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "octoci.toml",
            "[acme]\nchanel = '#x'\n",
            "octoci.toml: acme: the plugin 'acme' has no setting 'chanel' (did you mean "
            "'channel'?); its settings: channel, retries, notify, labels",
        ),
        (
            "pyproject.toml",
            "[tool.octoci.acme]\nretries = 'many'\n",
            "pyproject.toml: tool.octoci.acme.retries is not an integer",
        ),
        (
            "octoci.toml",
            "[slack]\nchannel = '#x'\n",
            "[slack] is not a setting, and no installed plugin declares settings named 'slack'",
        ),
        (
            "pyproject.toml",
            "[tool.octoci.acmee]\nchannel = '#x'\n",
            "[tool.octoci.acmee] is not a setting, and no installed plugin declares settings "
            "named 'acmee' (did you mean 'acme'?)",
        ),
    ],
)
def test_file_problems_are_one_line_naming_the_plugin(
    push: Callable[..., CliResult], tmp_path: Path, name: str, text: str, message: str
) -> None:
    _write(tmp_path, name, text)
    result = push()
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_bad_variable_names_itself(push: Callable[..., CliResult]) -> None:
    result = push(env={"OCTOCI_ACME_CHANNEL": " ", "OCTOCI_ACME_LABELS": ""})
    assert _output(result) == "#builds|3|True|"  # empty means unset, as for core variables


def test_a_table_of_a_blocked_plugin_is_skipped(
    push: Callable[..., CliResult], tmp_path: Path
) -> None:
    _write(tmp_path, "octoci.toml", "[emulator]\nanything = 1\n")
    refused = push()
    assert refused.exit_code == 2
    result = push(env={"OCTOCI_DISABLE_PLUGINS": "emulator"})
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ("acme", "the plugin '.*': octoci_add_settings returned 'acme', not a PluginSettings"),
        (PluginSettings("Acme!", AcmeSettings), "'Acme!' cannot name a settings table"),
        (PluginSettings("wait", AcmeSettings), "'wait' cannot name a settings table"),
        (PluginSettings("acme", dict), "is not a dataclass"),
    ],
)
def test_a_wrong_declaration_is_an_error_naming_the_plugin(
    push: Callable[..., CliResult], declaration: Any, message: str
) -> None:
    import re

    result = push(plugins=(AcmePlugin(declaration),))
    assert result.exit_code == 1
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_two_plugins_cannot_share_a_table(push: Callable[..., CliResult]) -> None:
    result = push(plugins=(AcmePlugin(), AcmePlugin()))
    assert result.exit_code == 1
    assert "both declare the settings table 'acme'" in result.stderr


def test_dry_run_lists_plugin_settings_with_their_source(
    octoci: Callable[..., CliResult], tmp_path: Path
) -> None:
    _write(tmp_path, "octoci.toml", '[acme]\nchannel = "#deploys"\n')
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "Acme.Web.1.0.0.zip").write_bytes(b"web")
    result = octoci("publish", "--package-file", "dist/*.zip", "--version", "1.0.0",
                    "--no-build-info", "--dry-run", plugins=(AcmePlugin(),))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert f"acme.channel = #deploys  [file {tmp_path / 'octoci.toml'}]" in result.stdout
    assert "acme.retries = 3  [default]" in result.stdout
    assert "overwrite_mode = FailIfExists  [default]" in result.stdout


class AcmeCommandPlugin(AcmePlugin):
    """Adds ``octoci acme-status``, which shows its settings through the run context."""

    @hookimpl
    def octoci_add_commands(self, cli: Any) -> None:
        import octoci

        @cli.command("acme-status")
        @octoci.pass_run_context
        def acme_status(context: octoci.RunContext) -> None:
            acme = context.plugin_settings(AcmeSettings)
            context.echo(f"channel={acme.channel} retries={acme.retries}")
            # No core setting applies to a plugin's command: each holds its default.
            context.echo(f"space={context.settings.space!r}")


def test_a_plugin_command_reads_its_settings_through_the_run_context(
    octoci: Callable[..., CliResult], tmp_path: Path
) -> None:
    _write(tmp_path, "octoci.toml", 'space = "Ops"\n[acme]\nretries = 7\n')
    result = octoci(
        "acme-status", env={"OCTOCI_ACME_CHANNEL": "#ops"}, plugins=(AcmeCommandPlugin(),)
    )
    assert result.exit_code == 0, result.stderr
    assert "channel=#ops retries=7" in result.stdout
    assert "space=''" in result.stdout
    _write(tmp_path, "octoci.toml", "[acme]\nretry = 7\n")
    refused = octoci("acme-status", plugins=(AcmeCommandPlugin(),))
    assert refused.exit_code == 2
    assert "retry" in refused.stderr
    assert "acme" in refused.stderr
