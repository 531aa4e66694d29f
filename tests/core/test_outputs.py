"""The outputs a pipeline migrating from Octopus's official tools reads, through ``octoci`` under a
recorded GitHub Actions environment, read back from ``$GITHUB_OUTPUT`` as the next step would:
``release_number``, ``server_tasks``, ``task_state``, ``completed_successfully``,
``package_file_path`` and ``package_filename``; and ``octoci task wait`` naming each task's
environment and tenant, and the state after ``--cancel-on-timeout``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.testing import CliResult, run_octoci
from octoci.testing import emulator as emulator_fixtures
from octoci_emulator import Emulator

octopus_emulator = emulator_fixtures.octopus_emulator
octopus_emulator_factory = emulator_fixtures.octopus_emulator_factory

WAIT = ("--wait", "--poll-interval", "0.02", "--timeout", "20")

SEED: dict[str, Any] = {
    "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.05},
    "environments": ["Dev", "Test"],
    "lifecycles": [{"name": "Flat", "phases": [{"name": "All", "optional": ["Dev", "Test"]}]}],
    "projects": [
        {"name": "Web", "lifecycle": "Flat", "packages": ["Acme.Web"], "runbooks": ["Restart"]},
        {"name": "Shop", "lifecycle": "Flat", "packages": ["Acme.Web"], "tenanted": "Tenanted"},
    ],
    "tenants": [{"name": "Globex", "projects": {"Shop": ["Dev", "Test"]}}],
}


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return SEED


@pytest.fixture
def github(ci_env: Callable[..., dict[str, str]]) -> dict[str, str]:
    """A recorded GitHub Actions push job."""
    return ci_env("github_actions", "push")


def _run(emulator: Emulator, env: Mapping[str, str], cwd: Path, *args: str) -> CliResult:
    server = {"OCTOPUS_URL": emulator.url, "OCTOPUS_API_KEY": emulator.api_key}
    return run_octoci(*args, env={**env, **server, "OCTOCI_RETRY_BUDGET": "20"}, cwd=cwd)


def _outputs(env: Mapping[str, str]) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` as the runner reads it (``name<<delimiter`` blocks); the last value
    of a name wins, as for the runner."""
    text = Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    blocks = re.findall(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", text, flags=re.MULTILINE | re.DOTALL)
    return {name: value for name, _, value in blocks}


def _released(emulator: Emulator, env: Mapping[str, str], tmp_path: Path, project: str) -> None:
    (tmp_path / "Acme.Web.1.0.0.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    assert _run(emulator, env, tmp_path, "push", "Acme.Web.1.0.0.zip").exit_code == 0
    created = _run(emulator, env, tmp_path, "release", "create", "--project", project,
                   "--version", "1.0.0")  # fmt: skip
    assert created.exit_code == 0, created.stderr
    Path(env["GITHUB_OUTPUT"]).write_text("", encoding="utf-8")


def test_a_waited_deployment_gives_the_official_names(
    octopus_emulator: Emulator, github: dict[str, str], tmp_path: Path
) -> None:
    _released(octopus_emulator, github, tmp_path, "Web")
    result = _run(octopus_emulator, github, tmp_path, "release", "deploy", "--project", "Web",
                  "--version", "1.0.0", "--environment", "Dev", *WAIT)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    outputs = _outputs(github)
    (task,) = octopus_emulator.documents("task")
    # deploy-release-action: serverTaskId and environmentName (no tenantName when untenanted).
    assert json.loads(outputs["server_tasks"]) == [
        {"serverTaskId": task["Id"], "environmentName": "Dev"}
    ]
    assert (outputs["task_state"], outputs["completed_successfully"]) == ("Success", "true")


def test_the_release_number_and_no_task_state_before_the_task_ends(
    octopus_emulator: Emulator, github: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "Acme.Web.1.0.0.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    assert _run(octopus_emulator, github, tmp_path, "push", "Acme.Web.1.0.0.zip").exit_code == 0
    result = _run(octopus_emulator, github, tmp_path, "release", "create", "--project", "Web",
                  "--version", "1.0.0", "--deploy-to", "Dev")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    outputs = _outputs(github)
    assert outputs["release_number"] == outputs["release_version"] == "1.0.0"
    # Not waited for: a queued task has no final state to report.
    assert "task_state" not in outputs
    assert "completed_successfully" not in outputs


def test_a_failed_task_is_not_completed_successfully(
    octopus_emulator_factory: Callable[..., Emulator], github: dict[str, str], tmp_path: Path
) -> None:
    seed = json.loads(json.dumps(SEED))
    seed["tasks"]["outcomes"] = [{"state": "Failed", "error": "disk full", "environment": "Test"}]
    emulator = octopus_emulator_factory(seed)
    _released(emulator, github, tmp_path, "Web")
    result = _run(emulator, github, tmp_path, "release", "deploy", "--project", "Web",
                  "--version", "1.0.0", "--environment", "Dev", "--environment", "Test",
                  *WAIT)  # fmt: skip
    assert result.exit_code == 3
    outputs = _outputs(github)
    assert outputs["deployment_states"] == "Dev=Success,Test=Failed"
    assert (outputs["task_state"], outputs["completed_successfully"]) == ("Failed", "false")


def test_task_wait_names_the_environment_and_tenant(
    octopus_emulator: Emulator, github: dict[str, str], tmp_path: Path
) -> None:
    _released(octopus_emulator, github, tmp_path, "Shop")
    queued = _run(octopus_emulator, github, tmp_path, "release", "deploy", "--project", "Shop",
                  "--version", "1.0.0", "--environment", "Test", "--tenant", "Globex",
                  "--json")  # fmt: skip
    assert queued.exit_code == 0, queued.stderr
    (task,) = json.loads(queued.stdout)["Tasks"]
    ran = _run(octopus_emulator, github, tmp_path, "runbook", "run", "--project", "Web",
               "--runbook", "Restart", "--environment", "Dev", "--json")  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    (run,) = json.loads(ran.stdout)["Tasks"]
    ids = f"{task['ServerTaskId']},{run['ServerTaskId']}"
    waited = _run(octopus_emulator, github, tmp_path, "task", "wait", ids,
                  "--poll-interval", "0.02", "--json")  # fmt: skip
    assert waited.exit_code == 0, waited.stderr
    tasks = json.loads(waited.stdout)["Tasks"]
    assert [(t["EnvironmentName"], t.get("TenantName"), t["State"]) for t in tasks] == [
        ("Test", "Globex", "Success"),
        ("Dev", None, "Success"),
    ]
    assert tasks[0]["DeploymentId"] == task["DeploymentId"]
    assert tasks[1]["RunbookRunId"] == run["RunbookRunId"]
    outputs = _outputs(github)
    assert outputs["deployment_states"] == "Test/Globex=Success,Dev=Success"
    assert json.loads(outputs["server_tasks"]) == [
        {"serverTaskId": task["ServerTaskId"], "environmentName": "Test", "tenantName": "Globex"},
        {"serverTaskId": run["ServerTaskId"], "environmentName": "Dev"},
    ]
    assert (outputs["task_state"], outputs["completed_successfully"]) == ("Success", "true")


def test_task_wait_without_leave_to_read_the_deployment_still_reports_the_state(
    octopus_emulator: Emulator, github: dict[str, str], tmp_path: Path
) -> None:
    _released(octopus_emulator, github, tmp_path, "Web")
    queued = _run(octopus_emulator, github, tmp_path, "release", "deploy", "--project", "Web",
                  "--version", "1.0.0", "--environment", "Dev", "--json")  # fmt: skip
    (task,) = json.loads(queued.stdout)["Tasks"]
    octopus_emulator.add_fault(action="status", status=403, method="GET",
                               path=r"/deployments/Deployments-")  # fmt: skip
    waited = _run(octopus_emulator, github, tmp_path, "task", "wait", task["ServerTaskId"],
                  "--poll-interval", "0.02", "--json")  # fmt: skip
    assert waited.exit_code == 0, waited.stderr
    (result,) = json.loads(waited.stdout)["Tasks"]
    assert (result["EnvironmentName"], result["State"]) == ("", "Success")
    assert _outputs(github)["deployment_states"] == f"{task['ServerTaskId']}=Success"


def test_the_state_after_cancel_on_timeout_is_the_final_one(
    octopus_emulator_factory: Callable[..., Emulator], github: dict[str, str], tmp_path: Path
) -> None:
    seed = json.loads(json.dumps(SEED))
    seed["tasks"]["hold"] = True  # the task stays queued until cancelled
    emulator = octopus_emulator_factory(seed)
    _released(emulator, github, tmp_path, "Web")
    queued = _run(emulator, github, tmp_path, "release", "deploy", "--project", "Web",
                  "--version", "1.0.0", "--environment", "Dev", "--json")  # fmt: skip
    (task,) = json.loads(queued.stdout)["Tasks"]
    result = _run(emulator, github, tmp_path, "task", "wait", task["ServerTaskId"],
                  "--poll-interval", "0.05", "--timeout", "0.2", "--cancel-on-timeout",
                  "--json")  # fmt: skip
    assert result.exit_code == 4
    assert "cancelled them" in result.stderr
    (waited,) = json.loads(result.stdout)["Tasks"]
    assert (waited["EnvironmentName"], waited["State"]) == ("Dev", "Canceled")
    outputs = _outputs(github)
    assert outputs["deployment_states"] == "Dev=Canceled"
    assert (outputs["task_state"], outputs["completed_successfully"]) == ("Canceled", "false")


def test_pack_gives_the_pack_actions_outputs(github: dict[str, str], tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>hello</h1>", encoding="utf-8")
    result = run_octoci("pack", "--id", "Acme.Web", "--version", "1.2.3", "--base-path", "site",
                        "--out-folder", "dist", env=github, cwd=tmp_path)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    outputs = _outputs(github)
    package = tmp_path / "dist" / "Acme.Web.1.2.3.zip"
    assert outputs["package_file_path"] == str(package)
    assert Path(outputs["package_file_path"]).is_absolute()
    assert outputs["package_filename"] == "Acme.Web.1.2.3.zip"
    assert (outputs["package_id"], outputs["package_version"]) == ("Acme.Web", "1.2.3")
