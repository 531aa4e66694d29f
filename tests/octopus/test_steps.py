"""One implementation per step: the single-step commands and ``publish`` run the same steps
through one reporter - the same phase headings, lines, ``--json`` forms and outputs."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.testing import CliResult
from octoci_emulator import Emulator

from .conftest import PIPELINE_SEED

WAIT = ("--wait", "--poll-interval", "0.02", "--timeout", "20")


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return PIPELINE_SEED


def _headings(result: CliResult) -> list[str]:
    """The log groups (plain ``=== title`` headings on the local build server)."""
    return [line[4:] for line in result.stdout.splitlines() if line.startswith("=== ")]


def test_a_one_phase_command_keeps_its_plain_group_title(
    octoci: Callable[..., CliResult], make_package: Callable[..., Path]
) -> None:
    make_package("MyApp.Web.1.0.0.zip")
    result = octoci("push", "MyApp.Web.1.0.0.zip")
    assert result.exit_code == 0, result.stderr
    assert _headings(result) == ["Pushing 1 package"]


def test_create_and_deploy_is_a_two_phase_plan(
    octoci: Callable[..., CliResult], make_package: Callable[..., Path]
) -> None:
    make_package("MyApp.Web.1.0.0.zip")
    assert octoci("push", "MyApp.Web.1.0.0.zip").exit_code == 0
    result = octoci("release", "create", "--project", "My Project", "--version", "1.0.0",
                    "--deploy-to", "Dev", *WAIT)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert _headings(result) == [
        "[1/2] Creating release 1.0.0 of My Project",
        "[2/2] Deploying My Project 1.0.0 to Dev",
    ]
    lines = result.stdout.splitlines()
    created = next(line for line in lines if line.startswith("release My Project 1.0.0 created"))
    # The release line carries its link, as publish's does.
    assert "/app#/Spaces-1/projects/" in created
    assert any(line.startswith("queued ServerTasks-") and "(Dev)" in line for line in lines)
    assert any(line.endswith("(Dev): Success") for line in lines)


def _outputs(result: CliResult) -> dict[str, str]:
    # With --json the local build server writes its outputs to standard error.
    lines = (result.stdout + result.stderr).splitlines()
    prefix = "octoci output "
    return dict(line[len(prefix) :].split("=", 1) for line in lines if line.startswith(prefix))


def test_publish_and_release_deploy_give_the_same_task_forms(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, make_package: Callable[..., Path]
) -> None:
    path = make_package("MyApp.Web.1.0.0.zip")
    published = octoci("publish", "--package-file", str(path), "--version", "1.0.0",
                       "--project", "My Project", "--deploy-to", "Dev", "--wait",
                       "--poll-interval", "0.02", "--no-build-info", "--json",
                       env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"})  # fmt: skip
    assert published.exit_code == 0, published.stderr
    deployed = octoci("release", "deploy", "--project", "My Project", "--version", "1.0.0",
                      "--environment", "Test", *WAIT, "--json")  # fmt: skip
    assert deployed.exit_code == 0, deployed.stderr
    (task,) = json.loads(deployed.stdout)["Tasks"]
    (deployment,) = json.loads(published.stdout)["Deployments"]
    assert sorted(deployment) == sorted(task)  # one --json form of a deployment
    assert (deployment["EnvironmentName"], task["EnvironmentName"]) == ("Dev", "Test")
    assert deployment["State"] == task["State"] == "Success"
    # One task link, built in one place.
    assert task["Url"] == f"{octopus_emulator.url}/app#/Spaces-1/tasks/{task['ServerTaskId']}"
    # Both commands hand over the server tasks alike (publish gave only their ids before).
    for result, environment in ((published, "Dev"), (deployed, "Test")):
        outputs = _outputs(result)
        (entry,) = json.loads(outputs["server_tasks"])
        assert outputs["server_task_ids"] == entry["serverTaskId"]
        assert entry["environmentName"] == environment


def test_a_deployment_says_when_octopus_waits_for_a_person() -> None:
    # The emulator never interrupts a task, so the wording is checked on the model.
    from octoci.model import Deployment

    waiting = Deployment("Dev", "Acme", "ServerTasks-7", state="Executing", interrupted=True)
    assert waiting.state_line() == (
        "ServerTasks-7 (Dev/Acme): Executing - waiting for someone in Octopus (guided failure or "
        "manual intervention)"
    )
    linked = waiting.replace(url="https://octopus.example/app#/Spaces-1/tasks/ServerTasks-7")
    assert linked.state_line().endswith(
        "(guided failure or manual intervention): "
        "https://octopus.example/app#/Spaces-1/tasks/ServerTasks-7"
    )
    assert Deployment(task_id="ServerTasks-8", state="Success").state_line() == (
        "ServerTasks-8: Success"
    )
