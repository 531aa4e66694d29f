from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import click

from octoci import BuildInformation, CIServer, __version__, hookimpl
from octoci.errors import OctociError
from octoci.testing import CliResult

RunCli = Callable[..., CliResult]


def test_version(run_cli: RunCli) -> None:
    result = run_cli("--version")
    assert (result.exit_code, result.stdout.strip()) == (0, f"octoci {__version__}")


def test_python_dash_m_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "octoci", "--version"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"octoci {__version__}")


def test_help_lists_commands(run_cli: RunCli) -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "info" in result.stdout
    assert "plugins" in result.stdout


def test_info_json_in_a_repository(
    run_cli: RunCli, git_repo: Callable[..., Path], run_git: Callable[..., str]
) -> None:
    repo = git_repo(
        ["first", "second"],
        tags={0: "v1.0.0"},
        remote="https://x-access-token:ghs_SECRET@github.com/acme/shop.git",
    )
    head = run_git(repo, "rev-parse", "HEAD")
    result = run_cli("info", "--json", cwd=repo)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["Server", "BuildInformation", "Extra"]
    assert data["Server"] == "local"
    assert data["BuildInformation"] == {
        "BuildEnvironment": "Local",
        "BuildNumber": "2",
        "BuildUrl": "",
        "Branch": "main",
        "VcsType": "Git",
        "VcsRoot": "https://github.com/acme/shop",
        "VcsCommitNumber": head,
        "Commits": [{"Id": head, "Comment": "second"}],
    }
    assert set(data["Extra"]) == {
        "PullRequestNumber",
        "SourceBranch",
        "TargetBranch",
        "Tag",
        "HeadCommit",
        "JobName",
    }
    assert "ghs_SECRET" not in result.stdout + result.stderr


def test_info_human_output(run_cli: RunCli, git_repo: Callable[..., Path]) -> None:
    repo = git_repo(["Add the login page\n\nLong body"])
    result = run_cli("info", cwd=repo)
    assert result.exit_code == 0
    assert "Build server: Local (local)" in result.stdout
    assert "Add the login page" in result.stdout
    assert "Long body" not in result.stdout


def test_info_outside_git_warns_but_works(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("info", "--json", cwd=tmp_path)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["BuildInformation"]["Commits"] == []
    assert "octoci: warning: no commit list" in result.stderr


def test_unknown_server_is_exit_2_one_line(run_cli: RunCli, tmp_path: Path) -> None:
    for args in (("info", "--server", "nope"), ("--server", "nope", "info")):
        result = run_cli(*args, cwd=tmp_path)
        assert result.exit_code == 2
        assert result.stderr.startswith("octoci: error: unknown build server 'nope'; known: ")
        assert len(result.stderr.strip().splitlines()) == 1
    assert run_cli("info", cwd=tmp_path, env={"OCTOCI_SERVER": "nope"}).exit_code == 2


def test_usage_error_is_exit_2(run_cli: RunCli) -> None:
    result = run_cli("info", "--bogus")
    assert result.exit_code == 2
    assert "No such option" in result.stderr
    assert "--bogus" in result.stderr
    assert run_cli("no-such-command").exit_code == 2


class Flaky(CIServer):
    name = "flaky"
    display_name = "Flaky CI"

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        return "FLAKY" in env

    def build_information(self) -> BuildInformation:
        mode = self.env["FLAKY"]
        if mode == "bug":
            raise ZeroDivisionError("boom with API-SECRET-KEY-1")
        if mode == "error":
            raise OctociError("the build API said no to API-SECRET-KEY-1\nsecond line")
        return BuildInformation(
            build_environment=self.display_name,
            build_number="1",
            vcs_commit_number="abc",
            branch=self.env.get("FLAKY_BRANCH", ""),
        )


class FlakyPlugin:
    @hookimpl
    def octoci_servers(self) -> list[type[CIServer]]:
        return [Flaky]


def test_errors_are_one_line_masked_and_traceback_only_with_debug(
    run_cli: RunCli, tmp_path: Path
) -> None:
    env = {"FLAKY": "error", "OCTOPUS_API_KEY": "API-SECRET-KEY-1"}
    result = run_cli("info", env=env, cwd=tmp_path, plugins=[FlakyPlugin()])
    assert result.exit_code == 1
    assert result.stderr == ("octoci: error: the build API said no to *** second line\n")
    bug = run_cli("info", env={**env, "FLAKY": "bug"}, cwd=tmp_path, plugins=[FlakyPlugin()])
    assert bug.exit_code == 1
    assert "Traceback" not in bug.stderr
    assert "internal error: ZeroDivisionError: boom with ***" in bug.stderr
    debug = run_cli(
        "--debug", "info", env={**env, "FLAKY": "bug"}, cwd=tmp_path, plugins=[FlakyPlugin()]
    )
    assert "Traceback" in debug.stderr
    assert "API-SECRET-KEY-1" not in debug.stderr


def test_non_utf8_environment_value_is_exit_2(run_cli: RunCli, tmp_path: Path) -> None:
    bad = b"feature/caf\xe9".decode("utf-8", "surrogateescape")
    result = run_cli(
        "info", env={"FLAKY": "ok", "FLAKY_BRANCH": bad}, cwd=tmp_path, plugins=[FlakyPlugin()]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "octoci: error: environment variable FLAKY_BRANCH is not valid UTF-8; "
        "set it to a UTF-8 value"
    )
    assert result.stdout == ""


def test_plugins_command(run_cli: RunCli) -> None:
    text = run_cli("plugins")
    assert text.exit_code == 0
    assert "octoci.defaults  (core, octoci" in text.stdout
    data = json.loads(run_cli("plugins", "--json").stdout)
    names = {p["name"]: p for p in data["plugins"]}
    assert names["octoci.defaults"]["kind"] == "core"
    assert "octoci_servers" in names["octoci.defaults"]["hooks"]
    assert "local" in data["servers"]


def test_plugin_commands_are_added(run_cli: RunCli) -> None:
    class Commands:
        @hookimpl
        def octoci_add_commands(self, cli: click.Group) -> None:
            @cli.command()
            def hello() -> None:
                """Say hello."""
                click.echo("hello from a plugin")

    assert run_cli("hello", plugins=[Commands()]).stdout == "hello from a plugin\n"
    assert "hello" in run_cli("--help", plugins=[Commands()]).stdout

    class Clash:
        @hookimpl
        def octoci_add_commands(self, cli: click.Group) -> None:
            cli.command(name="info")(lambda: None)

    result = run_cli("--help", plugins=[Clash()])
    assert result.exit_code == 1
    assert "adds the command 'info'" in result.stderr


def test_disable_plugin_flag(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("--disable-plugin", "octoci.defaults", "info", cwd=tmp_path)
    assert result.exit_code == 2
    assert "essential" in result.stderr
