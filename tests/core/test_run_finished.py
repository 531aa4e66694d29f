"""``octoci_run_finished`` through the ``octoci`` command: called once after every command that
ran, with the report the command handed to the build server and the exit code, which a failing
notification plugin cannot change."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest

import octoci
from octoci import RunContext, RunReport, hookimpl
from octoci.testing import CliResult
from octoci_emulator import Emulator

RunCli = Callable[..., CliResult]
WAIT = ("--wait", "--poll-interval", "0.02", "--timeout", "20")


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    """One project whose deployments fail, on a one-environment lifecycle."""
    return {
        "tasks": {
            "queued_seconds": 0.0,
            "executing_seconds": 0.02,
            "outcomes": [{"state": "Failed", "error": "disk full"}],
        },
        "environments": ["Dev"],
        "lifecycles": [{"name": "Flat", "phases": [{"name": "All", "optional": ["Dev"]}]}],
        "projects": [{"name": "Shop", "lifecycle": "Flat", "packages": ["Shop.Web"]}],
    }


@dataclass
class Call:
    report: RunReport
    exit_code: int
    context: RunContext


class Notifier:
    """A notification plugin: records each call and writes one line to standard error."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    @hookimpl
    def octoci_run_finished(self, report: RunReport, exit_code: int, context: RunContext) -> None:
        self.calls.append(Call(report, exit_code, context))
        context.stderr.write(f"notified: exit {exit_code}\n")


class BrokenNotifier:
    """A notification plugin whose chat server is down."""

    @hookimpl(tryfirst=True)
    def octoci_run_finished(self, report: RunReport, exit_code: int, context: RunContext) -> None:
        raise RuntimeError("the chat webhook answered 503")


@pytest.fixture
def octo(octopus_emulator: Emulator, run_cli: RunCli, tmp_path: Path) -> RunCli:
    """``octo("push", "x.zip", plugins=[...])``: octoci against the emulator, in ``tmp_path``."""
    env = {
        "OCTOPUS_URL": octopus_emulator.url,
        "OCTOPUS_API_KEY": octopus_emulator.api_key,
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    (tmp_path / "Shop.Web.1.0.0.zip").write_bytes(b"PK-not-really-a-zip" * 50)

    def run(*args: str, plugins: tuple[object, ...] = ()) -> CliResult:
        return run_cli(*args, env=env, cwd=tmp_path, plugins=plugins)

    return run


def test_a_successful_push_reports_its_packages_once_after_its_output(octo: RunCli) -> None:
    notifier = Notifier()
    result = octo("push", "Shop.Web.1.0.0.zip", plugins=(notifier,))
    assert result.exit_code == 0, result.stderr
    [call] = notifier.calls
    assert call.exit_code == 0
    assert call.report.exit_code == 0
    assert [(p.id, p.version, p.pushed) for p in call.report.packages] == [
        ("Shop.Web", "1.0.0", True)
    ]
    assert call.report.server == "local"
    assert isinstance(call.context, RunContext)
    assert call.context.server.name == "local"
    assert result.stderr.splitlines()[-1] == "notified: exit 0"  # after the command's output


def test_a_failed_deployment_is_reported_with_exit_code_3(octo: RunCli) -> None:
    notifier = Notifier()
    assert octo("push", "Shop.Web.1.0.0.zip").exit_code == 0
    result = octo(
        "release", "create", "--project", "Shop", "--version", "1.0.0", "--deploy-to", "Dev",
        *WAIT, plugins=(notifier,),
    )  # fmt: skip
    assert result.exit_code == 3, result.stderr
    [call] = notifier.calls
    assert (call.exit_code, call.report.exit_code) == (3, 3)
    assert call.report.release is not None
    assert call.report.release.version == "1.0.0"
    assert [d.state for d in call.report.deployments] == ["Failed"]
    # After the error line: the notification sees the run's final word.
    lines = result.stderr.splitlines()
    assert lines[-2].startswith("octoci: error: ")
    assert lines[-1] == "notified: exit 3"


def test_bad_input_is_reported_with_exit_code_2_and_a_report_of_nothing(octo: RunCli) -> None:
    notifier = Notifier()
    result = octo("push", "Missing.*.zip", plugins=(notifier,))
    assert result.exit_code == 2
    [call] = notifier.calls
    assert call.exit_code == 2
    assert call.report == RunReport(server="local", exit_code=2)


def test_a_failing_notification_plugin_is_a_warning_and_keeps_the_exit_code(octo: RunCli) -> None:
    notifier = Notifier()
    for args, code in ((("push", "Shop.Web.1.0.0.zip"), 0), (("push", "Missing.*.zip"), 2)):
        result = octo(*args, plugins=(BrokenNotifier(), notifier))
        assert result.exit_code == code, result.stderr
        assert (
            "octoci: warning: the plugin 'BrokenNotifier' failed in octoci_run_finished "
            "(RuntimeError: the chat webhook answered 503); the exit code is unchanged"
        ) in result.stderr.splitlines()
        assert "Traceback" not in result.stderr
    assert [call.exit_code for call in notifier.calls] == [0, 2]  # the others are still told


@pytest.mark.parametrize(
    "args",
    [("push", "--help"), ("release", "create", "--help"), ("--version",), ("push", "--bogus"), ()],
)
def test_not_called_when_no_command_ran(run_cli: RunCli, args: tuple[str, ...]) -> None:
    notifier = Notifier()
    result = run_cli(*args, env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}, plugins=[notifier])
    assert result.exit_code in (0, 2)
    assert notifier.calls == []


class ExitingCommand:
    """A plugin command that ends with click's ``ctx.exit(3)``."""

    @hookimpl
    def octoci_add_commands(self, cli: click.Group) -> None:
        @cli.command("acme-check")
        @octoci.pass_run_context
        def acme_check(context: RunContext) -> None:
            context.echo(f"checked in {context.cwd.name}")
            click.get_current_context().exit(3)


def test_a_plugin_commands_exit_code_is_kept_and_reported(run_cli: RunCli, tmp_path: Path) -> None:
    notifier = Notifier()
    result = run_cli(
        "acme-check",
        env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"},
        cwd=tmp_path,
        plugins=[ExitingCommand(), notifier],
    )
    assert result.exit_code == 3
    assert result.stdout == f"checked in {tmp_path.name}\n"
    assert [call.exit_code for call in notifier.calls] == [3]


def test_the_report_names_the_server_without_creating_the_adapter(
    run_cli: RunCli, ci_env: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    # `octoci plugins` needs no adapter: creating one for the notification would write GitHub's
    # ::add-mask:: commands after the command's output.
    env = ci_env("github_actions", "push", GITHUB_TOKEN="ghs_token0123456789abcdef")
    env["OCTOCI_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    notifier = Notifier()
    result = run_cli("plugins", env=env, cwd=tmp_path, plugins=[notifier])
    assert result.exit_code == 0, result.stderr
    assert "::add-mask::" not in result.stdout
    [call] = notifier.calls
    assert call.report.server == "github_actions"
