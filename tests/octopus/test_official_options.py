"""What the official integrations offer (the Octopus CLI, the official actions), through every
command that creates a release, deploys or runs a runbook: each option reaches Octopus's request
and is checked on the emulator's side (the stored release, deployment, run and task), and the
Octopus CLI's spellings work (issue 14, item 4 and "Done when" (c))."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from octoci.testing import CliResult
from octoci_emulator import Emulator

from .conftest import PIPELINE_SEED

WAIT = ("--wait", "--poll-interval", "0.02", "--timeout", "20")
SEED: dict[str, Any] = {
    **PIPELINE_SEED,
    "machines": [
        {"name": "web-01", "environments": ["Dev", "Test"]},
        {"name": "web-02", "environments": ["Dev", "Test"]},
    ],
}
#: A moment already past (the deployment starts at once) and its expiry an hour later.
DEPLOY_AT = datetime.now(timezone.utc) - timedelta(minutes=1)
EXPIRY = DEPLOY_AT + timedelta(hours=1)

#: The deployment options every deploying command takes, in the Octopus CLI's names.
DEPLOY_OPTIONS = (
    "--skip", "MyApp.Web",
    "--deployment-target", "web-01",
    "--exclude-deployment-target", "web-02",
    "--deploy-at", DEPLOY_AT.isoformat(), "--deploy-at-expiry", EXPIRY.isoformat(),
    "--deployment-freeze-name", "Xmas", "--deployment-freeze-override-reason", "hotfix 12",
    "--variable", "Approver:Jane", "--guided-failure", "--force-package-download",
)  # fmt: skip
#: What only release deployments take (a runbook run has no release snapshot to refresh).
RELEASE_DEPLOY_OPTIONS = ("--update-variables",)
#: The release options of publish and release create.
RELEASE_OPTIONS = (
    "--ignore-channel-rules",
    "--custom-field", "Ticket:TST-123",
    "--git-resource", "MyApp.Web:refs/heads/feature/x",
    "--package-prerelease", "beta",
)  # fmt: skip


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return SEED


@pytest.fixture
def package(make_package: Callable[..., Path]) -> Callable[[str], Path]:
    """``package("1.0.0")``: MyApp.Web at that version, as a file in the working folder."""
    return lambda version: make_package(f"MyApp.Web.{version}.zip")


def _ok(result: CliResult) -> CliResult:
    assert result.exit_code == 0, result.stderr
    return result


def _stored(emulator: Any, kind: str) -> list[dict[str, Any]]:
    """The emulator's stored documents of ``kind``, with its own bookkeeping (``_`` keys)."""
    return list(emulator.app.store.list(kind))


def _machine_id(emulator: Emulator, name: str) -> str:
    (machine,) = [m for m in _stored(emulator, "machine") if m["Name"] == name]
    return str(machine["Id"])


def _task_log(emulator: Emulator, task_id: str) -> list[str]:
    (task,) = [t for t in _stored(emulator, "task") if t["Id"] == task_id]
    return [text for _time, _category, text in task["_Log"]]


def _check_deployment_options(emulator: Emulator, execution: Mapping[str, Any]) -> None:
    """Every one of :data:`DEPLOY_OPTIONS` is on the stored deployment or run and its task."""
    log = _task_log(emulator, str(execution["TaskId"]))
    assert any("'MyApp.Web'" in line for line in log), log  # skipped (or unknown, for a runbook)
    assert execution["SpecificMachineIds"] == [_machine_id(emulator, "web-01")]
    assert execution["ExcludedMachineIds"] == [_machine_id(emulator, "web-02")]
    expiry = datetime.fromisoformat(str(execution["QueueTimeExpiry"]).replace("Z", "+00:00"))
    assert abs(expiry - EXPIRY) < timedelta(seconds=1)
    assert execution["QueueTime"] is not None
    assert execution["_DeploymentFreezeOverride"] == {"Names": ["Xmas"], "Reason": "hotfix 12"}
    assert execution["FormValues"] == {"Approver": "Jane"}
    assert execution["UseGuidedFailure"] is True
    assert execution["ForcePackageDownload"] is True


def _check_release_options(release: Mapping[str, Any]) -> None:
    assert release["IgnoreChannelRules"] is True
    assert release["CustomFields"] == {"Ticket": "TST-123"}
    assert release["SelectedGitResources"] == [
        {
            "ActionName": "MyApp.Web",
            "GitReferenceResource": {"GitRef": "refs/heads/feature/x", "GitCommit": None},
            "GitResourceReferenceName": "",
        }
    ]
    assert release["_PackagePrerelease"] == "beta"


def _only(emulator: Emulator, kind: str) -> dict[str, Any]:
    (document,) = _stored(emulator, kind)
    return document


def test_publish_sends_every_release_and_deployment_option(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, package: Callable[[str], Path]
) -> None:
    package("1.0.0")
    _ok(
        octoci(
            "publish", "--package-file", "MyApp.Web.1.0.0.zip", "--version", "1.0.0",
            "--project", "My Project", "--deploy-to", "Dev", "--no-build-info",
            "--release-notes", "Fixes the login", *RELEASE_OPTIONS,
            *DEPLOY_OPTIONS, *RELEASE_DEPLOY_OPTIONS,
        )
    )  # fmt: skip
    release = _only(octopus_emulator, "release")
    _check_release_options(release)
    assert release["ReleaseNotes"] == "Fixes the login"
    deployment = _only(octopus_emulator, "deployment")
    _check_deployment_options(octopus_emulator, deployment)
    assert deployment["SkipActions"]
    assert deployment["_UpdatedVariableSnapshot"] is True


def test_release_create_sends_every_release_and_deployment_option(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    package: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    for version in ("1.0.0", "1.1.0-beta.2", "1.1.0-rc.1"):
        _ok(octoci("push", package(version).name))
    (tmp_path / "notes.md").write_text("# 1.0.0\n\nFirst release\n", encoding="utf-8")
    _ok(
        octoci(
            "release", "create", "--project", "My Project", "--version", "1.0.0",
            "--release-notes-file", "notes.md", *RELEASE_OPTIONS,
            "--deploy-to", "Dev", *DEPLOY_OPTIONS, *RELEASE_DEPLOY_OPTIONS,
        )
    )  # fmt: skip
    release = _only(octopus_emulator, "release")
    _check_release_options(release)
    assert release["ReleaseNotes"] == "# 1.0.0\n\nFirst release\n"
    # --package-prerelease beta: the newest beta of the package, not the newest version.
    assert [p["Version"] for p in release["SelectedPackages"]] == ["1.1.0-beta.2"]
    deployment = _only(octopus_emulator, "deployment")
    _check_deployment_options(octopus_emulator, deployment)
    assert deployment["SkipActions"]
    assert deployment["_UpdatedVariableSnapshot"] is True


@pytest.fixture
def released(octoci: Callable[..., CliResult], package: Callable[[str], Path]) -> None:
    """Release 1.0.0 of My Project, deployed to Dev (so that it can be promoted to Test)."""
    package("1.0.0")
    _ok(octoci("push", "MyApp.Web.1.0.0.zip"))
    _ok(octoci("release", "create", "--project", "My Project", "--version", "1.0.0",
               "--deploy-to", "Dev", *WAIT))  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [
        ("release", "deploy", "--version", "1.0.0", "--environment", "Test"),
        ("release", "promote", "--from", "Dev", "--to", "Test"),
    ],
    ids=["deploy", "promote"],
)
def test_deploy_and_promote_send_every_deployment_option(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    released: None,
    command: tuple[str, ...],
) -> None:
    _ok(octoci(*command, "--project", "My Project", *DEPLOY_OPTIONS, *RELEASE_DEPLOY_OPTIONS))
    (deployment,) = [
        d for d in _stored(octopus_emulator, "deployment") if d["Name"] == "Deploy to Test"
    ]
    _check_deployment_options(octopus_emulator, deployment)
    assert deployment["SkipActions"]
    assert deployment["_UpdatedVariableSnapshot"] is True


def test_runbook_run_sends_every_deployment_option(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator
) -> None:
    _ok(octoci("runbook", "run", "--project", "My Project", "--runbook", "Restart",
               "--environment", "Dev", *DEPLOY_OPTIONS))  # fmt: skip
    run = _only(octopus_emulator, "runbookrun")
    _check_deployment_options(octopus_emulator, run)
    # The runbook's process has no such step: Octopus logs a warning and runs the rest.
    log = _task_log(octopus_emulator, str(run["TaskId"]))
    assert "The step 'MyApp.Web' to skip was not found in the process; it was ignored" in log


def test_a_skipped_step_shows_in_the_task_log(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, released: None
) -> None:
    _ok(octoci("release", "deploy", "--project", "My Project", "--version", "1.0.0",
               "--environment", "Test", "--skip", "MyApp.Web", *WAIT))  # fmt: skip
    (deployment,) = [
        d for d in _stored(octopus_emulator, "deployment") if d["Name"] == "Deploy to Test"
    ]
    assert len(deployment["SkipActions"]) == 1
    log = _task_log(octopus_emulator, str(deployment["TaskId"]))
    assert "Skipping step 'MyApp.Web': skipped by request" in log


def test_update_variables_takes_the_projects_variables_into_the_release(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, released: None
) -> None:
    import requests

    (project,) = [p for p in _stored(octopus_emulator, "project") if p["Name"] == "My Project"]
    url = f"{octopus_emulator.url}/api/{octopus_emulator.space_id}/variables/"
    current = requests.get(url + project["VariableSetId"], headers=octopus_emulator.headers)
    body = {**current.json(), "Variables": [{"Name": "Greeting", "Value": "changed"}]}
    saved = requests.put(
        url + project["VariableSetId"], json=body, headers=octopus_emulator.headers
    )
    assert saved.status_code == 200, saved.text
    (release,) = _stored(octopus_emulator, "release")

    def snapshot() -> list[Any]:
        answer = requests.get(
            url + release["ProjectVariableSetSnapshotId"], headers=octopus_emulator.headers
        )
        return [(v["Name"], v["Value"]) for v in answer.json()["Variables"]]

    assert ("Greeting", "changed") not in snapshot()  # the release keeps its snapshot...
    _ok(octoci("release", "deploy", "--project", "My Project", "--version", "1.0.0",
               "--environment", "Test", "--update-variables"))  # fmt: skip
    assert ("Greeting", "changed") in snapshot()  # ...until a deployment asks to update it


def test_an_unknown_deployment_target_is_refused_and_nothing_is_deployed(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, released: None
) -> None:
    result = octoci("release", "deploy", "--project", "My Project", "--version", "1.0.0",
                    "--environment", "Test", "--deployment-target", "web-99")  # fmt: skip
    assert result.exit_code == 1, result.stderr
    assert "web-99 could not be found in environment 'Test'" in result.stderr
    assert "Traceback" not in result.stderr
    assert [d["Name"] for d in _stored(octopus_emulator, "deployment")] == ["Deploy to Dev"]


def test_a_target_missing_from_one_environment_refuses_the_whole_request(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, package: Callable[[str], Path]
) -> None:
    package("1.0.0")
    _ok(octoci("push", "MyApp.Web.1.0.0.zip"))
    _ok(octoci("release", "create", "--project", "Flat Project", "--version", "1.0.0"))
    # web-01 is a target of Dev but not of Production: neither environment gets a deployment.
    result = octoci("release", "deploy", "--project", "Flat Project", "--version", "1.0.0",
                    "--environment", "Dev", "--environment", "Production",
                    "--deployment-target", "web-01")  # fmt: skip
    assert result.exit_code == 1, result.stderr
    assert "web-01 could not be found in environment 'Production'" in result.stderr
    assert _stored(octopus_emulator, "deployment") == []


def test_a_task_not_started_by_its_expiry_times_out(
    octoci: Callable[..., CliResult],
    octopus_emulator_factory: Callable[..., Any],
    package: Callable[[str], Path],
) -> None:
    held = octopus_emulator_factory({**SEED, "tasks": {"hold": True}})
    env = {"OCTOPUS_URL": held.url, "OCTOPUS_API_KEY": held.api_key}
    package("1.0.0")
    _ok(octoci("push", "MyApp.Web.1.0.0.zip", env=env))
    now = datetime.now(timezone.utc)
    result = octoci(
        "release", "create", "--project", "Flat Project", "--version", "1.0.0",
        "--deploy-to", "Dev", "--deploy-at", now.isoformat(),
        "--deploy-at-expiry", (now + timedelta(seconds=0.5)).isoformat(), *WAIT, "--json",
        env=env,
    )  # fmt: skip
    assert result.exit_code == 3, result.stderr
    (task,) = json.loads(result.stdout)["Tasks"]
    assert task["State"] == "TimedOut"
    (stored,) = _stored(held, "task")
    assert "had not started by its QueueTimeExpiry" in stored["ErrorMessage"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--deploy-at-expiry", "2026-12-01T22:00:00+00:00"), "--deploy-at-expiry needs --deploy-at"),
        (
            ("--deploy-at", "2026-12-01T22:00:00+00:00", "--deploy-at-expiry", "2026-12-01T21:00:00+00:00"),
            "is not after --deploy-at",
        ),
        (
            ("--deploy-at-expiry", "soon", "--deploy-at", "2026-12-01T22:00:00+00:00"),
            "--deploy-at-expiry 'soon' is not an ISO 8601",
        ),
        (("--deployment-freeze-name", "Xmas"), "needs --deployment-freeze-override-reason"),
        (("--deployment-freeze-override-reason", "why"), "needs --deployment-freeze-name"),
        (("--deployment-target", "web-01", "--exclude-target", "WEB-01"), "is both in --deployment-target"),
        (("--skip", " "), "--skip needs a name"),
        (("--variable", "no-colon"), "--variable 'no-colon': write NAME:VALUE"),
    ],
)  # fmt: skip
def test_bad_deployment_options_are_refused_before_anything_is_sent(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    args: tuple[str, ...],
    message: str,
) -> None:
    result = octoci("release", "deploy", "--project", "My Project", "--version", "1.0.0",
                    "--environment", "Dev", *args)  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--custom-field", "Ticket"), "--custom-field 'Ticket': write NAME:VALUE"),
        (("--git-resource", "refs/heads/main"), "--git-resource 'refs/heads/main': write STEP:REF"),
        (("--package-prerelease", "beta!"), "--package-prerelease 'beta!' is not a pre-release tag"),
        (("--release-notes", "a", "--release-notes-file", "n.md"), "not both"),
        (("--skip", "MyApp.Web"), "deployment options need --deploy-to: --skip given without it"),
        (("--release-exists", "fail", "--ignore-existing"), "--release-exists fail contradicts"),
    ],
)  # fmt: skip
def test_bad_release_options_are_refused_before_anything_is_sent(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    package: Callable[[str], Path],
    args: tuple[str, ...],
    message: str,
) -> None:
    package("1.0.0")
    result = octoci("publish", "--package-file", "MyApp.Web.1.0.0.zip", "--version", "1.0.0",
                    "--project", "My Project", "--no-build-info", *args)  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert octopus_emulator.packages() == []  # nothing was pushed


def test_the_octopus_cli_spellings_work(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, released: None
) -> None:
    # octo/octopus: --ignore-existing succeeds with the release that is there.
    again = octoci("release", "create", "--project", "My Project", "--version", "1.0.0",
                   "--ignore-existing", "--json")  # fmt: skip
    assert json.loads(_ok(again).stdout)["Release"]["Created"] is False
    refused = octoci("release", "create", "--project", "My Project", "--version", "1.0.0")
    assert refused.exit_code == 1  # without it, release create fails as before
    _ok(octoci("release", "deploy", "--project", "My Project", "--releaseNumber", "1.0.0",
               "--deployTo", "Test", "--specificMachines", "web-01", "--excludeMachines",
               "web-02", "--updateVariables"))  # fmt: skip
    (deployment,) = [
        d for d in _stored(octopus_emulator, "deployment") if d["Name"] == "Deploy to Test"
    ]
    assert deployment["SpecificMachineIds"] == [_machine_id(octopus_emulator, "web-01")]
    assert deployment["ExcludedMachineIds"] == [_machine_id(octopus_emulator, "web-02")]
    assert deployment["_UpdatedVariableSnapshot"] is True


def test_the_file_and_the_variables_set_deployment_options_for_every_command(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    released: None,
    tmp_path: Path,
) -> None:
    # One octoci.toml serves publish and the single-step commands alike.
    (tmp_path / "octoci.toml").write_text(
        'project = "My Project"\nskip_steps = ["MyApp.Web"]\n', encoding="utf-8"
    )
    _ok(octoci("release", "deploy", "--version", "1.0.0", "--environment", "Test",
               env={"OCTOCI_DEPLOYMENT_TARGETS": "web-01"}))  # fmt: skip
    (deployment,) = [
        d for d in _stored(octopus_emulator, "deployment") if d["Name"] == "Deploy to Test"
    ]
    assert deployment["SkipActions"]
    assert deployment["SpecificMachineIds"] == [_machine_id(octopus_emulator, "web-01")]


def test_a_dry_run_masks_prompted_variables(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, package: Callable[[str], Path]
) -> None:
    package("1.0.0")
    result = octoci("publish", "--package-file", "MyApp.Web.1.0.0.zip", "--version", "1.0.0",
                    "--project", "My Project", "--deploy-to", "Dev", "--no-build-info",
                    "--variable", "Password:hunter2-secret", "--dry-run")  # fmt: skip
    _ok(result)
    assert "hunter2-secret" not in result.stdout + result.stderr
    assert "Password:***" in result.stdout + result.stderr
    assert '"Password": "***"' in result.stdout + result.stderr


@pytest.mark.parametrize("command", ["build-info", "publish"])
def test_the_branch_flag_overrides_the_build_servers_branch(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    package: Callable[[str], Path],
    command: str,
) -> None:
    if command == "build-info":
        args: tuple[str, ...] = ("build-info", "--package-id", "MyApp.Web", "--version", "1.0.0")
    else:
        package("1.0.0")
        args = ("publish", "--package-file", "MyApp.Web.1.0.0.zip", "--version", "1.0.0")
    _ok(octoci(*args, "--no-commits", "--branch", "refs/heads/release/2.0"))
    (record,) = _stored(octopus_emulator, "buildinfo")
    assert record["Branch"] == "release/2.0"


def test_publish_emulator_seeds_the_deployment_targets_named(
    octoci: Callable[..., CliResult], package: Callable[[str], Path]
) -> None:
    package("1.0.0")
    result = octoci("publish", "--emulator", "--package-file", "MyApp.Web.1.0.0.zip",
                    "--version", "1.0.0", "--project", "Shop", "--deploy-to", "Dev",
                    "--deployment-target", "web-01", "--no-build-info")  # fmt: skip
    _ok(result)
    assert "queued ServerTasks-1 (Dev)" in result.stdout


#: A project whose release Octopus creates when MyApp.Web is pushed, deployed to Dev by itself.
AUTOMATIC: dict[str, Any] = {
    "tasks": SEED["tasks"],
    "environments": ["Dev", "Test"],
    "lifecycles": [
        {
            "name": "Automatic Dev",
            "phases": [
                {"name": "Dev", "automatic": ["Dev"]},
                {"name": "Test", "optional": ["Test"]},
            ],
        }
    ],
    "projects": [
        {
            "name": "Auto",
            "lifecycle": "Automatic Dev",
            "packages": ["MyApp.Web"],
            "auto_create_release": "MyApp.Web",
        }
    ],
}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--release-notes", "Fixes"), "--release-notes would not reach Octopus: Auto creates its "
         "release itself when MyApp.Web is pushed (automatic release creation); leave them out"),
        (("--deploy-to", "Dev", "--skip", "MyApp.Web"), "--skip would not reach Octopus: Auto "
         "creates its release itself when MyApp.Web is pushed (automatic release creation), and "
         "deploys it to Dev by its lifecycle"),
    ],
)  # fmt: skip
def test_options_automatic_release_creation_would_drop_are_refused_before_any_push(
    octoci: Callable[..., CliResult],
    octopus_emulator_factory: Callable[..., Any],
    package: Callable[[str], Path],
    args: tuple[str, ...],
    message: str,
) -> None:
    automatic = octopus_emulator_factory(AUTOMATIC)
    package("1.0.0")
    result = octoci("publish", "--package-file", "MyApp.Web.1.0.0.zip", "--version", "1.0.0",
                    "--project", "Auto", "--no-build-info", *args,
                    env={"OCTOPUS_URL": automatic.url, "OCTOPUS_API_KEY": automatic.api_key})  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert automatic.packages() == []  # nothing was pushed, so Octopus created nothing
    assert automatic.documents("release") == []
