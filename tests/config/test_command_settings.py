"""One settings system for every command: the flags come from the one table, and every command
reads flags > OCTOCI_* variables > octoci.toml / [tool.octoci] > defaults alike."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from octoci.cli import cli
from octoci.config import resolve_config
from octoci.settings import COMMANDS, SETTINGS, settings_for
from octoci.testing import CliResult
from octoci_emulator import Emulator


def _stored_hashes(emulator: Emulator) -> list[str]:
    return [str(p["Hash"]) for p in emulator.packages()]


def _replace_stored(
    octoci: Callable[..., CliResult], package: Callable[[bytes], Path], **run: object
) -> CliResult:
    """Push a package, then push different content under the same version."""
    assert octoci("push", package(b"first build").name).exit_code == 0
    return octoci("push", package(b"second build").name, **run)


def test_the_overwrite_mode_variable_works_for_push_as_for_publish(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, package: Callable[[bytes], Path]
) -> None:
    refused = _replace_stored(octoci, package)
    assert refused.exit_code == 1, refused.stderr
    result = octoci(
        "push", "Acme.Web.1.0.0.zip", env={"OCTOCI_OVERWRITE_MODE": "OverwriteExisting"}
    )
    assert result.exit_code == 0, result.stderr
    assert _stored_hashes(octopus_emulator) == [hashlib.sha1(b"second build").hexdigest()]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("octoci.toml", 'overwrite_mode = "OverwriteExisting"\n'),
        ("pyproject.toml", '[tool.octoci]\noverwrite_mode = "OverwriteExisting"\n'),
    ],
)
def test_the_files_overwrite_mode_works_for_push(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    package: Callable[[bytes], Path],
    tmp_path: Path,
    name: str,
    text: str,
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = _replace_stored(octoci, package)
    assert result.exit_code == 0, result.stderr
    assert _stored_hashes(octopus_emulator) == [hashlib.sha1(b"second build").hexdigest()]
    # The flag still wins over the file.
    package(b"third build")
    flagged = octoci("push", "Acme.Web.1.0.0.zip", "--overwrite-mode", "FailIfExists")
    assert flagged.exit_code == 1


def test_build_info_reads_the_files_overwrite_mode(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, tmp_path: Path
) -> None:
    def push_build_information(build: str) -> CliResult:
        info = tmp_path / "info.json"
        info.write_text(json.dumps({"BuildEnvironment": "Local", "BuildNumber": build}), "utf-8")
        return octoci("build-info", "--package-id", "Acme.Web", "--version", "1.0.0",
                      "--file", str(info), "--no-commits")  # fmt: skip

    assert push_build_information("1").exit_code == 0
    assert push_build_information("2").exit_code == 1  # FailIfExists by default
    (tmp_path / "octoci.toml").write_text('overwrite_mode = "OverwriteExisting"\n', "utf-8")
    result = push_build_information("2")
    assert result.exit_code == 0, result.stderr
    (stored,) = octopus_emulator.documents("buildinfo")
    assert stored["BuildNumber"] == "2"


def test_the_files_server_and_delta_are_used_by_push(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, tmp_path: Path
) -> None:
    (tmp_path / "octoci.toml").write_text(
        f'octopus_url = "{octopus_emulator.url}"\ndelta = false\nconcurrency = 2\n', "utf-8"
    )
    (tmp_path / "Acme.Web.1.0.0.zip").write_bytes(b"1" * 20_000)
    assert octoci("push", "Acme.Web.1.0.0.zip", env={"OCTOPUS_URL": None}).exit_code == 0
    (tmp_path / "Acme.Web.1.0.1.zip").write_bytes(b"1" * 19_000 + b"2" * 1000)
    result = octoci("push", "Acme.Web.1.0.1.zip", "--json", env={"OCTOPUS_URL": None})
    assert result.exit_code == 0, result.stderr
    (pushed,) = json.loads(result.stdout)["Packages"]
    assert pushed["Delta"] is False  # the file said delta = false
    # Without that line the same push goes as a delta: the test above is not vacuous.
    (tmp_path / "octoci.toml").write_text(f'octopus_url = "{octopus_emulator.url}"\n', "utf-8")
    (tmp_path / "Acme.Web.1.0.2.zip").write_bytes(b"1" * 19_000 + b"3" * 1000)
    delta = octoci("push", "Acme.Web.1.0.2.zip", "--json", env={"OCTOPUS_URL": None})
    assert json.loads(delta.stdout)["Packages"][0]["Delta"] is True, delta.stderr


def test_release_deploy_waits_when_the_file_or_the_variable_says_so(
    octoci: Callable[..., CliResult], package: Callable[[bytes], Path], tmp_path: Path
) -> None:
    assert octoci("push", package(b"web").name).exit_code == 0
    assert octoci("release", "create", "--project", "Shop", "--version", "1.0.0").exit_code == 0
    deploy = (
        "release",
        "deploy",
        "--project",
        "Shop",
        "--version",
        "1.0.0",
        "--environment",
        "Dev",
    )
    queued = octoci(*deploy, "--json")
    assert json.loads(queued.stdout)["Tasks"][0]["State"] == "Queued"
    (tmp_path / "octoci.toml").write_text("wait = true\npoll_interval = 0.02\n", "utf-8")
    waited = octoci(*deploy, "--redeploy", "--json")
    assert waited.exit_code == 0, waited.stderr
    assert json.loads(waited.stdout)["Tasks"][0]["State"] == "Success"
    # The variable beats the file, the flag beats both.
    off = octoci(*deploy, "--redeploy", "--json",
                 env={"OCTOCI_WAIT": "false"})  # fmt: skip
    assert json.loads(off.stdout)["Tasks"][0]["State"] == "Queued"
    on = octoci(*deploy, "--redeploy", "--wait", "--json",
                env={"OCTOCI_WAIT": "false"})  # fmt: skip
    assert json.loads(on.stdout)["Tasks"][0]["State"] == "Success"


def test_a_setting_of_another_command_is_not_used_and_not_an_error(
    octoci: Callable[..., CliResult], package: Callable[[bytes], Path], tmp_path: Path
) -> None:
    # A shared file: publish's settings mean nothing to push, nor do their variables.
    (tmp_path / "octoci.toml").write_text(
        'project = "Shop"\ndeploy_to = ["Dev"]\nwait = true\n[[packages]]\nid = "Acme.Web"\n',
        "utf-8",
    )
    result = octoci("push", package(b"web").name, env={"OCTOCI_WAIT": "maybe"})
    assert result.exit_code == 0, result.stderr
    # The same variable is checked by a command that uses it.
    waiting = octoci("release", "deploy", "--project", "Shop", "--version", "1.0.0",
                     "--environment", "Dev", env={"OCTOCI_WAIT": "maybe"})  # fmt: skip
    assert waiting.exit_code == 2
    assert "OCTOCI_WAIT='maybe' is not a boolean" in waiting.stderr


def test_an_unknown_key_is_still_an_error_for_every_command(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, tmp_path: Path
) -> None:
    (tmp_path / "octoci.toml").write_text('overwrite_mod = "OverwriteExisting"\n', "utf-8")
    (tmp_path / "Acme.Web.1.0.0.zip").write_bytes(b"web")
    for args in (("push", "Acme.Web.1.0.0.zip"), ("task", "wait", "ServerTasks-1")):
        result = octoci(*args)
        assert result.exit_code == 2, args
        assert "unknown setting 'overwrite_mod' (did you mean 'overwrite_mode'?)" in result.stderr
        assert result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr
    assert octopus_emulator.packages() == []


def _command(path: str) -> click.Command:
    command: click.Command = cli
    with click.Context(cli) as ctx:
        for word in path.split():
            assert isinstance(command, click.Group)
            found = command.get_command(ctx, word)
            assert found is not None, path
            command = found
    return command


@pytest.mark.parametrize("path", COMMANDS)
def test_every_commands_settings_flags_come_from_the_table(path: str) -> None:
    params = {p.name: p for p in _command(path).params}
    assert "config_file" in params
    for setting in settings_for(path):
        option = params[setting.name]
        assert isinstance(option, click.Option)
        # No default of the flag's own: "not given" must leave room for the variable and file.
        assert option.multiple or option.default is None, setting.name
        assert option.opts[0] == setting.flag.split("/")[0]
        if setting.owned_flag:
            assert f"env: {setting.env}; file: {setting.name}" in (option.help or "")


@pytest.mark.parametrize(
    ("path", "flags"),
    [
        ("push", ["--overwrite-mode", "--concurrency", "--no-delta", "--progress-interval"]),
        ("build-info", ["--overwrite-mode", "--package-id", "--version", "--file"]),
        ("release deploy", ["--wait", "--timeout", "--poll-interval", "--cancel-on-timeout",
                            "--progress"]),
        ("task wait", ["--timeout", "--poll-interval", "--cancel-on-timeout", "--progress"]),
        ("publish", [s.flag.split("/")[0] for s in SETTINGS]),
    ],
)  # fmt: skip
def test_help_keeps_every_flag_users_have(path: str, flags: list[str]) -> None:
    names = {opt for p in _command(path).params for opt in (*p.opts, *p.secondary_opts)}
    assert set(flags) <= names


def test_commands_keep_their_own_defaults(tmp_path: Path) -> None:
    def resolved(command: str) -> tuple[float, float]:
        settings = resolve_config(flags={}, env={}, cwd=tmp_path, command=command).settings
        return settings.poll_interval, settings.timeout

    assert resolved("publish") == (5.0, 600.0)
    assert resolved("release deploy") == resolved("task wait") == (10.0, 600.0)


def test_describe_lists_the_settings_of_the_running_command(tmp_path: Path) -> None:
    push = resolve_config(flags={}, env={}, cwd=tmp_path, command="push").describe()
    assert [row["Name"] for row in push] == [
        "octopus_url", "space", "overwrite_mode", "repository", "concurrency", "delta",
        "publish_artifacts"
    ]  # fmt: skip
    publish = resolve_config(flags={}, env={}, cwd=tmp_path).describe()
    assert [row["Name"] for row in publish] == [s.name for s in SETTINGS]
