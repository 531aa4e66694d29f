"""The release and deployment settings live in the one table: every command that creates a
release, deploys or runs a runbook keeps the flags it had, accepts the Octopus CLI's spellings,
and reads the same variables and file keys as publish."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
import pytest

from octoci.cli import cli
from octoci.testing import CliResult
from octoci_emulator import Emulator

#: The flags each command had before the commands shared the table (they must keep working).
BEFORE = {
    "release create": [
        "--project", "--version", "--channel", "--package-version", "--package", "--git-ref",
        "--git-commit", "--release-notes", "--release-notes-file", "--ignore-if-exists",
        "--deploy-to", "--tenant", "--tenant-tag", "--variable", "--guided-failure",
        "--no-guided-failure", "--force-package-download", "--deploy-at", "--redeploy",
    ],
    "release deploy": [
        "--project", "--version", "--environment", "--tenant", "--tenant-tag", "--variable",
        "--guided-failure", "--no-guided-failure", "--force-package-download", "--deploy-at",
        "--redeploy",
    ],
    "release promote": [
        "--project", "--from", "--to", "--latest-successful", "--tenant", "--tenant-tag",
        "--variable", "--guided-failure", "--force-package-download", "--deploy-at", "--redeploy",
    ],
    "runbook run": [
        "--project", "--runbook", "--environment", "--snapshot", "--tenant", "--tenant-tag",
        "--variable", "--guided-failure", "--force-package-download", "--deploy-at",
    ],
}  # fmt: skip
#: The Octopus CLI's names (octopus and octo) each command accepts as well.
OCTOPUS_CLI = {
    "release create": [
        "--ignore-existing", "--ignoreExisting", "--ignore-channel-rules", "--ignoreChannelRules",
        "--releaseNumber", "--packageVersion", "--default-package-version", "--releaseNotes",
        "--releaseNotesFile", "--git-resource", "--package-prerelease", "--custom-field",
    ],
    "release deploy": [
        "--releaseNumber", "--deployTo", "--skip", "--deployment-target", "--target",
        "--specificMachines", "--exclude-deployment-target", "--exclude-target",
        "--excludeMachines", "--deploy-at-expiry", "--deploy-at-expire", "--noDeployAfter",
        "--update-variables", "--updateVariables", "--deployment-freeze-name",
        "--deployment-freeze-override-reason", "--guidedFailure", "--forcePackageDownload",
        "--deployAt", "--tenantTag",
    ],
    "runbook run": ["--skip", "--deployment-target", "--exclude-deployment-target"],
    "publish": ["--ignore-existing", "--skip", "--branch", "--release-notes-file"],
    "build-info": ["--branch"],
}  # fmt: skip


def _flags(path: str) -> set[str]:
    command: click.Command = cli
    with click.Context(cli) as ctx:
        for word in path.split():
            assert isinstance(command, click.Group)
            found = command.get_command(ctx, word)
            assert found is not None, path
            command = found
    return {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}


@pytest.mark.parametrize("path", sorted(BEFORE))
def test_every_flag_the_release_commands_had_still_works(path: str) -> None:
    assert set(BEFORE[path]) <= _flags(path)


@pytest.mark.parametrize("path", sorted(OCTOPUS_CLI))
def test_the_octopus_cli_names_are_accepted(path: str) -> None:
    assert set(OCTOPUS_CLI[path]) <= _flags(path)


@pytest.mark.parametrize(
    "args",
    [
        ("release", "deploy", "--version", "1.0.0", "--environment", "Dev"),
        ("release", "promote", "--from", "Dev"),
        ("runbook", "run", "--runbook", "Restart", "--environment", "Dev"),
        ("release", "create", "--version", "1.0.0"),
    ],
)
def test_a_command_without_a_project_says_where_to_name_it(
    octoci: Callable[..., CliResult], args: tuple[str, ...]
) -> None:
    result = octoci(*args)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.strip() == (
        "octoci: error: name the project: --project, OCTOCI_PROJECT or project in octoci.toml"
    )


def test_the_project_and_channel_come_from_the_file_for_release_create(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, tmp_path: Path
) -> None:
    (tmp_path / "octoci.toml").write_text(
        'project = "Shop"\nrelease_notes = "From the file"\nrelease_exists = "use"\n',
        encoding="utf-8",
    )
    (tmp_path / "Acme.Web.1.0.0.zip").write_bytes(b"content")
    assert octoci("push", "Acme.Web.1.0.0.zip").exit_code == 0
    for _ in range(2):  # the file's release_exists = "use" makes the re-run succeed
        result = octoci("release", "create", "--version", "1.0.0")
        assert result.exit_code == 0, result.stderr
    (release,) = octopus_emulator.documents("release")
    assert release["ReleaseNotes"] == "From the file"


def test_release_notes_file_in_the_file_is_relative_to_the_file(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, tmp_path: Path
) -> None:
    config = tmp_path / "ci"
    config.mkdir()
    (config / "notes.md").write_text("Notes next to the file", encoding="utf-8")
    (config / "octoci.toml").write_text(
        'project = "Shop"\nrelease_notes_file = "notes.md"\n', encoding="utf-8"
    )
    (tmp_path / "Acme.Web.1.0.0.zip").write_bytes(b"content")
    assert octoci("push", "Acme.Web.1.0.0.zip").exit_code == 0
    result = octoci("release", "create", "--version", "1.0.0", "--config", "ci/octoci.toml")
    assert result.exit_code == 0, result.stderr
    (release,) = octopus_emulator.documents("release")
    assert release["ReleaseNotes"] == "Notes next to the file"
