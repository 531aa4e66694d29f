"""Releases, deployments, promotion, runbooks and waiting, through the commands, against the
emulator's lifecycle, tenants and task engine."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.octopus.executions import parse_variables
from octoci.testing import CliResult
from octoci_emulator import Emulator

from .conftest import PIPELINE_SEED

WAIT = ("--wait", "--poll-interval", "0.02", "--timeout", "20")


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return PIPELINE_SEED


@pytest.fixture
def pushed(octoci: Callable[..., CliResult], make_package: Callable[..., Path]) -> None:
    make_package("MyApp.Web.1.0.0.zip")
    make_package("Shop.Web.2.0.0.zip")
    result = octoci("push", "*.zip")
    assert result.exit_code == 0, result.stderr


def _json(result: CliResult) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_create_deploy_and_wait(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    data = _json(
        octoci(
            "release", "create", "--project", "My Project", "--version", "1.0.0",
            "--deploy-to", "Dev", *WAIT, "--json",
        )
    )  # fmt: skip
    assert data["Release"]["Version"] == "1.0.0"
    assert data["Release"]["Created"] is True
    assert data["Tasks"][0]["EnvironmentName"] == "Dev"
    assert data["Tasks"][0]["State"] == "Success"
    releases = octopus_emulator.documents("release")
    assert [(r["Version"], r["SelectedPackages"][0]["Version"]) for r in releases] == [
        ("1.0.0", "1.0.0")
    ]


def test_outputs_go_to_the_build_server(octoci: Callable[..., CliResult], pushed: None) -> None:
    result = octoci("release", "create", "--project", "My Project", "--version", "1.0.0",
                    "--deploy-to", "Dev", *WAIT)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "octoci output release_version=1.0.0" in result.stdout
    assert "octoci output deployment_states=Dev=Success" in result.stdout
    assert "octoci output server_task_ids=ServerTasks-" in result.stdout


def test_a_bad_environment_leaves_no_stray_release(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    result = octoci("release", "create", "--project", "My Project", "--version", "1.0.0",
                    "--deploy-to", "Dev", "--deploy-to", "Prodution")  # fmt: skip
    assert result.exit_code == 2
    assert "environment 'Prodution' was not found; did you mean 'Production'?" in result.stderr
    assert result.stderr.count("\n") == 1
    assert octopus_emulator.documents("release") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--project", "My Projet"),
            "project 'My Projet' was not found; did you mean 'My Project'",
        ),
        (("--project", "My Project", "--channel", "Hotfix"), "channel 'Hotfix' was not found"),
        (
            ("--project", "My Project", "--version", "not a version"),
            "release version 'not a version'",
        ),
        (("--project", "My Project", "--git-commit", "abc"), "--git-commit needs --git-ref"),
        (("--project", "My Project", "--package", "MyApp.Web"), "--package 'MyApp.Web'"),
        (("--project", "My Project", "--tenant", "Acme"), "need --deploy-to"),
    ],
)
def test_bad_release_input(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    pushed: None,
    args: tuple[str, ...],
    message: str,
) -> None:
    result = octoci("release", "create", *args)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert octopus_emulator.documents("release") == []


def test_ignore_if_exists_and_release_notes_file(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None, tmp_path: Path
) -> None:
    (tmp_path / "notes.md").write_text("# Fixed\n- the login page\n", encoding="utf-8")
    first = _json(octoci("release", "create", "--project", "My Project", "--version", "1.0.0",
                         "--release-notes-file", "notes.md", "--json"))  # fmt: skip
    assert first["Release"]["Created"] is True
    again = _json(octoci("release", "create", "--project", "My Project", "--version", "1.0.0",
                         "--ignore-if-exists", "--json"))  # fmt: skip
    assert again["Release"]["Created"] is False
    assert again["Release"]["Id"] == first["Release"]["Id"]
    (release,) = octopus_emulator.documents("release")
    assert release["ReleaseNotes"] == "# Fixed\n- the login page\n"
    duplicate = octoci("release", "create", "--project", "My Project", "--version", "1.0.0")
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.stderr


def test_package_versions_per_step(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, make_package: Callable[..., Path]
) -> None:
    make_package("MyApp.Web.1.0.0.zip")
    make_package("MyApp.Web.1.1.0.zip")
    assert octoci("push", "*.zip").exit_code == 0
    result = octoci("release", "create", "--project", "My Project", "--version", "5.0.0",
                    "--package", "MyApp.Web:1.0.0")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (release,) = octopus_emulator.documents("release")
    assert release["SelectedPackages"][0]["Version"] == "1.0.0"


def test_variables_with_colons_guided_failure_and_force_download(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    assert (
        octoci("release", "create", "--project", "My Project", "--version", "1.0.0").exit_code == 0
    )
    result = octoci(
        "release", "deploy", "--project", "My Project", "--version", "1.0.0",
        "--environment", "Dev", "--variable", "Url:https://shop.example:8443/a:b",
        "--variable", "Empty:", "--guided-failure", "--force-package-download", *WAIT,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (deployment,) = octopus_emulator.documents("deployment")
    assert deployment["FormValues"] == {"Url": "https://shop.example:8443/a:b", "Empty": ""}
    assert deployment["UseGuidedFailure"] is True
    assert deployment["ForcePackageDownload"] is True


def test_parse_variables_rejects_a_missing_colon() -> None:
    assert parse_variables(["A:b:c"]) == {"A": "b:c"}
    with pytest.raises(Exception, match="NAME:VALUE"):
        parse_variables(["A=b"])


def test_deploy_many_environments(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    assert (
        octoci("release", "create", "--project", "Flat Project", "--version", "1.0.0").exit_code
        == 0
    )
    data = _json(octoci("release", "deploy", "--project", "Flat Project", "--version", "1.0.0",
                        "--environment", "Dev", "--environment", "Test", *WAIT, "--json"))  # fmt: skip
    assert sorted((t["EnvironmentName"], t["State"]) for t in data["Tasks"]) == [
        ("Dev", "Success"),
        ("Test", "Success"),
    ]


def test_tenanted_deploy_by_name_and_tag(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    assert (
        octoci("release", "create", "--project", "Tenanted Shop", "--version", "2.0.0").exit_code
        == 0
    )
    data = _json(octoci("release", "deploy", "--project", "Tenanted Shop", "--version", "2.0.0",
                        "--environment", "Dev", "--tenant", "Acme", "--tenant-tag", "Tier/Silver",
                        *WAIT, "--json"))  # fmt: skip
    assert sorted((t["EnvironmentName"], t["TenantName"]) for t in data["Tasks"]) == [
        ("Dev", "Acme"),
        ("Dev", "Globex"),
    ]
    bad = octoci("release", "deploy", "--project", "Tenanted Shop", "--version", "2.0.0",
                 "--environment", "Dev", "--tenant", "Acmee")  # fmt: skip
    assert bad.exit_code == 2
    assert "tenant 'Acmee' was not found; did you mean 'Acme'?" in bad.stderr
    tag = octoci("release", "deploy", "--project", "Tenanted Shop", "--version", "2.0.0",
                 "--environment", "Dev", "--tenant-tag", "Tier/Gould")  # fmt: skip
    assert tag.exit_code == 2
    assert "did you mean 'Tier/Gold'" in tag.stderr
    assert len(octopus_emulator.documents("deployment")) == 2


def test_deploying_a_missing_release(octoci: Callable[..., CliResult], pushed: None) -> None:
    result = octoci("release", "deploy", "--project", "My Project", "--version", "9.9.9",
                    "--environment", "Dev")  # fmt: skip
    assert result.exit_code == 2
    assert "release '9.9.9' of project 'My Project' was not found" in result.stderr


def test_promote_to_the_next_environment_and_to_a_named_one(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    assert octoci("release", "create", "--project", "My Project", "--version", "1.0.0",
                  "--deploy-to", "Dev", *WAIT).exit_code == 0  # fmt: skip
    data = _json(octoci("release", "promote", "--project", "My Project", "--from", "Dev",
                        *WAIT, "--json"))  # fmt: skip
    assert data["Release"]["Version"] == "1.0.0"
    assert [(t["EnvironmentName"], t["State"]) for t in data["Tasks"]] == [("Test", "Success")]
    data = _json(octoci("release", "promote", "--project", "My Project", "--from", "Test",
                        "--to", "Production", *WAIT, "--json"))  # fmt: skip
    assert [t["EnvironmentName"] for t in data["Tasks"]] == ["Production"]
    nothing = octoci("release", "promote", "--project", "My Project", "--from", "Production")
    assert nothing.exit_code == 2
    assert "no next environment" in nothing.stderr


def test_promote_latest_successful_skips_a_failed_deployment(
    octopus_emulator_factory: Callable[..., Emulator],
    octoci: Callable[..., CliResult],
    make_package: Callable[..., Path],
) -> None:
    seed = json.loads(json.dumps(PIPELINE_SEED))
    seed["tasks"]["outcomes"] = [{"state": "Failed", "error": "boom", "project": "Failing"}]
    seed["projects"].append({"name": "Failing", "lifecycle": "Main", "packages": ["Fail.Web"]})
    emulator = octopus_emulator_factory(seed)
    env = {"OCTOPUS_URL": emulator.url, "OCTOPUS_API_KEY": emulator.api_key}
    make_package("Fail.Web.1.0.0.zip")
    assert octoci("push", "Fail.Web.1.0.0.zip", env=env).exit_code == 0
    assert octoci("release", "create", "--project", "Failing", "--version", "1.0.0",
                  "--deploy-to", "Dev", *WAIT, env=env).exit_code == 3  # fmt: skip
    result = octoci("release", "promote", "--project", "Failing", "--from", "Dev",
                    "--latest-successful", env=env)  # fmt: skip
    assert result.exit_code == 1
    assert "successfully deployed to Dev" in result.stderr


def test_failed_deployment_exit_code_and_states(
    octopus_emulator_factory: Callable[..., Emulator],
    octoci: Callable[..., CliResult],
    make_package: Callable[..., Path],
) -> None:
    seed = json.loads(json.dumps(PIPELINE_SEED))
    seed["tasks"]["outcomes"] = [
        {"state": "Failed", "error": "Step 2 failed: disk full", "environment": "Test"}
    ]
    emulator = octopus_emulator_factory(seed)
    env = {"OCTOPUS_URL": emulator.url, "OCTOPUS_API_KEY": emulator.api_key}
    make_package("MyApp.Web.1.0.0.zip")
    assert octoci("push", "MyApp.Web.1.0.0.zip", env=env).exit_code == 0
    result = octoci("release", "create", "--project", "Flat Project", "--version", "1.0.0",
                    "--deploy-to", "Dev", "--deploy-to", "Test", *WAIT, env=env)  # fmt: skip
    assert result.exit_code == 3
    assert "ended Failed: Step 2 failed: disk full" in result.stderr
    assert "deployment_states=Dev=Success,Test=Failed" in result.stdout


def test_wait_timeout_and_cancel(
    octopus_emulator_factory: Callable[..., Emulator],
    octoci: Callable[..., CliResult],
    make_package: Callable[..., Path],
) -> None:
    seed = json.loads(json.dumps(PIPELINE_SEED))
    seed["tasks"]["hold"] = True
    emulator = octopus_emulator_factory(seed)
    env = {"OCTOPUS_URL": emulator.url, "OCTOPUS_API_KEY": emulator.api_key}
    make_package("MyApp.Web.1.0.0.zip")
    assert octoci("push", "MyApp.Web.1.0.0.zip", env=env).exit_code == 0
    assert (
        octoci(
            "release", "create", "--project", "My Project", "--version", "1.0.0", env=env
        ).exit_code
        == 0
    )
    result = octoci("release", "deploy", "--project", "My Project", "--version", "1.0.0",
                    "--environment", "Dev", "--wait", "--poll-interval", "0.05",
                    "--timeout", "0.3", env=env)  # fmt: skip
    assert result.exit_code == 4
    assert "timed out after 0.3 s" in result.stderr
    assert "keep running" in result.stderr
    (task,) = emulator.documents("task")
    assert task["State"] == "Queued"
    again = octoci("task", "wait", task["Id"], "--poll-interval", "0.05", "--timeout", "0.2",
                   "--cancel-on-timeout", env=env)  # fmt: skip
    assert again.exit_code == 4
    assert "cancelled them" in again.stderr
    assert emulator.wait_for_task(task["Id"])["State"] == "Canceled"
    after = octoci("task", "wait", task["Id"], "--poll-interval", "0.05", env=env)
    assert after.exit_code == 3
    assert "ended Canceled" in after.stderr


def test_task_wait_streams_the_log(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    created = _json(octoci("release", "create", "--project", "My Project", "--version", "1.0.0",
                           "--deploy-to", "Dev", "--json"))  # fmt: skip
    task_id = created["Tasks"][0]["ServerTaskId"]
    result = octoci("task", "wait", task_id, "--progress", "--poll-interval", "0.02")
    assert result.exit_code == 0, result.stderr
    assert "finished successfully" in result.stdout
    assert f"{task_id} (Dev): Success" in result.stdout
    unknown = octoci("task", "wait", "ServerTasks-999", "--poll-interval", "0.02")
    assert unknown.exit_code == 2
    assert "unknown task id ServerTasks-999" in unknown.stderr


def test_runbook_run(octoci: Callable[..., CliResult], octopus_emulator: Emulator) -> None:
    data = _json(octoci("runbook", "run", "--project", "My Project", "--runbook", "restart",
                        "--environment", "Dev", "--environment", "Test", *WAIT, "--json"))  # fmt: skip
    assert sorted((t["EnvironmentName"], t["State"]) for t in data["Tasks"]) == [
        ("Dev", "Success"),
        ("Test", "Success"),
    ]
    bad = octoci("runbook", "run", "--project", "My Project", "--runbook", "Restrat",
                 "--environment", "Dev")  # fmt: skip
    assert bad.exit_code == 2
    assert "runbook 'Restrat' was not found; did you mean 'Restart'?" in bad.stderr


def test_deploy_at_is_checked_and_sent(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    assert (
        octoci("release", "create", "--project", "My Project", "--version", "1.0.0").exit_code == 0
    )
    bad = octoci("release", "deploy", "--project", "My Project", "--version", "1.0.0",
                 "--environment", "Dev", "--deploy-at", "tomorrow")  # fmt: skip
    assert bad.exit_code == 2
    assert "--deploy-at 'tomorrow'" in bad.stderr
    later = octoci("release", "deploy", "--project", "My Project", "--version", "1.0.0",
                   "--environment", "Dev", "--deploy-at", "2099-01-01T00:00:00Z")  # fmt: skip
    assert later.exit_code == 0, later.stderr
    (task,) = octopus_emulator.documents("task")
    assert task["State"] == "Queued"


def test_an_old_server_is_told_apart(
    octopus_emulator_factory: Callable[..., Emulator], octoci: Callable[..., CliResult]
) -> None:
    seed = {**PIPELINE_SEED, "version": "2021.2.4488"}
    emulator = octopus_emulator_factory(seed)
    env = {"OCTOPUS_URL": emulator.url, "OCTOPUS_API_KEY": emulator.api_key}
    result = octoci("release", "create", "--project", "My Project", env=env)
    assert result.exit_code == 1
    assert "needs Octopus Server 2022.3.5512 or later" in result.stderr
    assert "runs 2021.2.4488" in result.stderr


def test_the_client_as_a_python_library(
    octopus_emulator: Emulator, make_package: Callable[..., Path]
) -> None:
    from octoci.octopus import Connection, DeployRequest, OctopusSettings, ReleaseRequest
    from octoci.octopus.executions import create_release, deploy_release, promote_release
    from octoci.octopus.packages import push_packages, validate_package_files
    from octoci.octopus.tasks import wait_for_tasks

    path = make_package("MyApp.Web.4.0.0.zip")
    env = {"OCTOPUS_URL": octopus_emulator.url, "OCTOPUS_API_KEY": octopus_emulator.api_key}
    connection = Connection(OctopusSettings.from_env(env))
    try:
        results, failures = push_packages(connection, validate_package_files([path]))
        assert ([p.outcome for p in results], failures) == (["created"], [])
        release = create_release(connection, ReleaseRequest(project="My Project", version="4.0.0"))
        assert release.created
        tasks = deploy_release(connection, DeployRequest("My Project", ("Dev",), "4.0.0"))
        assert tasks[0].url.endswith(f"/app#/Spaces-1/tasks/{tasks[0].task_id}")
        states = wait_for_tasks(
            connection, [t.task_id for t in tasks], poll_interval=0.02, timeout=20
        )
        assert [s.state for s in states] == ["Success"]
        promoted_release, promoted = promote_release(
            connection, DeployRequest("My Project", ()), source="Dev"
        )
        assert (promoted_release.version, promoted_release.id) == ("4.0.0", release.id)
        assert promoted[0].environment == "Test"
    finally:
        connection.close()


# ---------------------------------------------------------------------------------- at most once
def _fired(emulator: Emulator) -> bool:
    """True when every injected fault has fired (each test's rules are ``times=N``)."""
    return emulator.app.faults.rules() == []


def _release(octoci: Callable[..., CliResult], project: str = "My Project") -> None:
    result = octoci("release", "create", "--project", project, "--version", "1.0.0")
    assert result.exit_code == 0, result.stderr


def test_a_lost_deployment_answer_is_found_and_a_rerun_deploys_nothing_new(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    _release(octoci)
    octopus_emulator.add_fault(
        action="lose_response", path="deployments/create", method="POST", times=1
    )
    deploy = ("release", "deploy", "--project", "My Project", "--version", "1.0.0",
              "--environment", "Dev", *WAIT)  # fmt: skip
    result = octoci(*deploy)
    assert _fired(octopus_emulator)
    assert result.exit_code == 0, result.stderr
    (deployment,) = octopus_emulator.documents("deployment")
    assert (
        f"the deployment to Dev was created although the answer was lost: {deployment['Id']}"
        in result.stderr
    )
    assert "deployment_states=Dev=Success" in result.stdout
    # A re-run of the CI job (a new process) finds the deployment and deploys nothing new.
    again = octoci(*deploy)
    assert again.exit_code == 0, again.stderr
    assert len(octopus_emulator.documents("deployment")) == 1
    assert f"already deployed to Dev: {deployment['Id']}" in again.stdout
    assert "deployment_states=Dev=Success" in again.stdout
    # Asking for it deploys again.
    assert octoci(*deploy, "--redeploy").exit_code == 0
    assert len(octopus_emulator.documents("deployment")) == 2


def test_a_lost_answer_to_deploying_two_environments_creates_each_once(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    _release(octoci, "Flat Project")
    octopus_emulator.add_fault(
        action="lose_response", path="deployments/create", method="POST", times=1
    )
    data = _json(octoci("release", "deploy", "--project", "Flat Project", "--version", "1.0.0",
                        "--environment", "Dev", "--environment", "Test", *WAIT, "--json"))  # fmt: skip
    assert _fired(octopus_emulator)
    assert sorted((t["EnvironmentName"], t["Origin"]) for t in data["Tasks"]) == [
        ("Dev", "recovered"),
        ("Test", "recovered"),
    ]
    assert len(octopus_emulator.documents("deployment")) == 2


def test_a_500_before_the_deployment_was_made_is_retried_once(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    _release(octoci)
    octopus_emulator.add_fault(
        action="status", status=500, path="deployments/create", method="POST", times=1
    )
    result = octoci("release", "deploy", "--project", "My Project", "--version", "1.0.0",
                    "--environment", "Dev")  # fmt: skip
    assert _fired(octopus_emulator)
    assert result.exit_code == 0, result.stderr
    assert "a deployment to Dev is not in Octopus; sending the request again" in result.stderr
    assert len(octopus_emulator.documents("deployment")) == 1


def test_a_lost_tenanted_deployment_answer_is_found(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    _release(octoci, "Tenanted Shop")
    octopus_emulator.add_fault(
        action="lose_response", path="deployments/create/tenanted", method="POST", times=1
    )
    deploy = ("release", "deploy", "--project", "Tenanted Shop", "--version", "1.0.0",
              "--environment", "Dev", "--tenant-tag", "Tier/Gold", "--tenant", "Globex")  # fmt: skip
    result = octoci(*deploy)
    assert _fired(octopus_emulator)
    assert result.exit_code == 0, result.stderr
    assert len(octopus_emulator.documents("deployment")) == 2
    assert "the deployment to Dev/Acme was created although the answer was lost" in result.stderr
    again = octoci(*deploy)
    assert again.exit_code == 0, again.stderr
    assert len(octopus_emulator.documents("deployment")) == 2
    assert "already deployed to Dev/Globex" in again.stdout


@pytest.mark.parametrize("fault", ["lose_response", "status"])
def test_release_creation_after_a_lost_or_failed_answer_makes_one_release(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None, fault: str
) -> None:
    octopus_emulator.add_fault(
        action=fault, status=500, path="releases/create", method="POST", times=1
    )
    data = _json(octoci("release", "create", "--project", "My Project", "--version", "1.0.0",
                        "--json"))  # fmt: skip
    assert _fired(octopus_emulator)
    (release,) = octopus_emulator.documents("release")
    assert data["Release"] == {**data["Release"], "Id": release["Id"], "Created": True}


def test_a_lost_answer_to_a_release_without_a_version_is_found(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    _release(octoci)
    octopus_emulator.add_fault(
        action="lose_response", path="releases/create", method="POST", times=1
    )
    result = octoci("release", "create", "--project", "My Project")
    assert _fired(octopus_emulator)
    assert result.exit_code == 0, result.stderr
    assert "release My Project 1.0.1 was created although the answer was lost" in result.stderr
    assert sorted(r["Version"] for r in octopus_emulator.documents("release")) == [
        "1.0.0",
        "1.0.1",
    ]


def test_a_lost_runbook_run_answer_makes_one_run(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator
) -> None:
    octopus_emulator.add_fault(action="lose_response", path="runbook-runs", method="POST", times=1)
    data = _json(octoci("runbook", "run", "--project", "My Project", "--runbook", "Restart",
                        "--environment", "Dev", "--environment", "Test", *WAIT, "--json"))  # fmt: skip
    assert _fired(octopus_emulator)
    runs = octopus_emulator.documents("runbookrun")
    assert len(runs) == 2
    assert sorted(t["RunbookRunId"] for t in data["Tasks"]) == sorted(r["Id"] for r in runs)
    assert {t["State"] for t in data["Tasks"]} == {"Success"}


def test_a_runbook_run_500_is_retried_once(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator
) -> None:
    octopus_emulator.add_fault(
        action="status", status=502, path="runbook-runs", method="POST", times=1
    )
    result = octoci("runbook", "run", "--project", "My Project", "--runbook", "Restart",
                    "--environment", "Dev")  # fmt: skip
    assert _fired(octopus_emulator)
    assert result.exit_code == 0, result.stderr
    assert len(octopus_emulator.documents("runbookrun")) == 1


@pytest.mark.parametrize(
    "targets",
    [("Production",), ("Dev", "Test")],
    ids=["a-later-phase", "two-phases-at-once"],
)
def test_the_lifecycle_is_checked_before_the_release_is_created(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    pushed: None,
    targets: tuple[str, ...],
) -> None:
    args = [a for t in targets for a in ("--deploy-to", t)]
    result = octoci("release", "create", "--project", "My Project", "--version", "1.0.0", *args)
    assert result.exit_code == 2, result.stderr
    refused = targets[-1]
    assert (
        f"the lifecycle 'Main' does not let a new release (1.0.0) go to {refused} before the "
        "'Dev' phase is complete" in result.stderr
    )
    assert "nothing was created" in result.stderr
    assert result.stderr.count("\n") == 1
    assert octopus_emulator.documents("release") == []
    assert octopus_emulator.documents("deployment") == []


def test_deploying_an_existing_release_checks_every_environment_first(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    _release(octoci)
    result = octoci("release", "deploy", "--project", "My Project", "--version", "1.0.0",
                    "--environment", "Dev", "--environment", "Production")  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert "does not let release 1.0.0 go to Production" in result.stderr
    assert "(it may go to Dev now)" in result.stderr
    assert octopus_emulator.documents("deployment") == []


def test_repeated_names_are_merged_case_insensitively(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    data = _json(octoci("release", "create", "--project", "My Project", "--version", "1.0.0",
                        "--deploy-to", "Dev", "--deploy-to", "dev", "--deploy-to", "DEV ",
                        *WAIT, "--json"))  # fmt: skip
    assert [t["EnvironmentName"] for t in data["Tasks"]] == ["Dev"]
    assert len(octopus_emulator.documents("deployment")) == 1
    promoted = _json(octoci("release", "promote", "--project", "My Project", "--from", "dev",
                            "--to", "Test", "--to", "test", *WAIT, "--json"))  # fmt: skip
    assert [t["EnvironmentName"] for t in promoted["Tasks"]] == ["Test"]
    _release(octoci, "Tenanted Shop")
    tenants = _json(octoci("release", "deploy", "--project", "Tenanted Shop", "--version",
                           "1.0.0", "--environment", "Dev", "--tenant", "Acme", "--tenant",
                           "acme", "--tenant-tag", "Tier/Gold", "--json"))  # fmt: skip
    assert [t["TenantName"] for t in tenants["Tasks"]] == ["Acme"]
    assert len(octopus_emulator.documents("deployment")) == 3


def test_a_tenant_not_connected_to_one_environment_stops_every_deployment(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, pushed: None
) -> None:
    _release(octoci, "Tenanted Shop")
    result = octoci("release", "deploy", "--project", "Tenanted Shop", "--version", "1.0.0",
                    "--environment", "Dev", "--environment", "Production",
                    "--tenant", "Globex")  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert "tenant Globex in Production is not connected to Tenanted Shop" in result.stderr
    assert octopus_emulator.documents("deployment") == []
