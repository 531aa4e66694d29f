"""Guided failure and manual intervention: a task waits for a person, who takes the interruption
and answers it through the API (as Octopus's clients and scripts do), and the task goes on."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from octoci.testing import run_octoci
from octoci_emulator import Emulator, parse_seed

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from .conftest import Client

SEED: dict[str, Any] = {
    "api_keys": ["API-TESTKEY1", {"key": "API-NOSUBMIT", "permissions": ["DeploymentCreate"]}],
    "tasks": {
        "queued_seconds": 0.0,
        "executing_seconds": 0.05,
        "outcomes": [
            # Fails once: a guided-failure Retry runs the step again and it passes.
            {
                "project": "Shop",
                "environment": "Production",
                "state": "Failed",
                "error": "Step 'Shop.Web' failed: exit code 1",
                "times": 1,
            },
            {"project": "Shop", "environment": "Test", "state": "Failed", "error": "Test broke"},
            {"project": "Unguided", "state": "Failed", "error": "Unguided broke"},
            {"runbook": "Flaky", "state": "Failed", "error": "runbook broke", "times": 1},
        ],
    },
    "environments": ["Dev", "Test", "Production"],
    "guided_failure": ["Test"],  # the environment's UseGuidedFailure
    "lifecycles": [
        {"name": "Flat", "phases": [{"name": "All", "optional": ["Dev", "Test", "Production"]}]}
    ],
    "projects": [
        {"name": "Shop", "lifecycle": "Flat", "packages": ["Shop.Web"], "runbooks": ["Flaky"]},
        {
            "name": "Unguided",
            "lifecycle": "Flat",
            "packages": ["Shop.Web"],
            "guided_failure": "Off",
        },
        {
            "name": "Approved",
            "lifecycle": "Flat",
            "packages": ["Shop.Web"],
            "manual_interventions": [
                {
                    "name": "Approve Production",
                    "instructions": "Check the release notes",
                    "environments": ["Production"],
                }
            ],
        },
    ],
}


@pytest.fixture
def emulator(octopus_emulator_factory: Callable[..., Emulator]) -> Emulator:
    return octopus_emulator_factory(SEED)


@pytest.fixture
def client(emulator: Emulator) -> Client:
    client = Client(emulator)
    assert client.push("Shop.Web.1.0.0.zip").status_code == 201
    return client


def _deploy(
    client: Client, project: str, environment: str, version: str = "1.0.0", **extra: Any
) -> dict[str, str]:
    """Create the release (once) and deploy it; the deployment and task ids."""
    client.post(
        "/releases/create/v1",
        json={"ProjectName": project, "ReleaseVersion": version, "IgnoreIfAlreadyExists": True},
    ).raise_for_status()
    response = client.post(
        "/deployments/create/untenanted/v1",
        json={
            "ProjectName": project,
            "ReleaseVersion": version,
            "EnvironmentNames": [environment],
            **extra,
        },
    )
    assert response.status_code == 200, response.text
    (created,) = response.json()["DeploymentServerTasks"]
    return {"deployment": created["DeploymentId"], "task": created["ServerTaskId"]}


def _task_when(
    client: Client, task_id: str, ready: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The task once ``ready(task)`` holds (polled; 10 s at most)."""
    deadline = time.monotonic() + 10
    while True:
        task: dict[str, Any] = client.get(f"/tasks/{task_id}").json()
        if ready(task):
            return task
        assert not task["IsCompleted"], f"{task_id} ended {task['State']} without waiting: {task}"
        assert time.monotonic() < deadline, f"{task_id} never got there: {task}"
        time.sleep(0.02)


def _waiting(client: Client, task_id: str) -> dict[str, Any]:
    return _task_when(client, task_id, lambda t: bool(t["HasPendingInterruptions"]))


def _pending(client: Client, regarding: str) -> dict[str, Any]:
    page = client.get(f"/interruptions?regarding={regarding}&pendingOnly=true").json()
    assert page["ItemType"] == "Interruption"
    (interruption,) = page["Items"]
    return dict(interruption)


def _take(client: Client, interruption: dict[str, Any]) -> None:
    taken = client.session.put(
        client.emulator.url + interruption["Links"]["Responsible"], timeout=30
    )
    assert taken.status_code == 200, taken.text


def _submit(client: Client, interruption: dict[str, Any], **values: Any) -> requests.Response:
    return client.session.post(
        client.emulator.url + interruption["Links"]["Submit"], json=values, timeout=30
    )


def _answer(client: Client, ids: dict[str, str], **values: Any) -> dict[str, Any]:
    """Wait for the deployment's interruption, take it, submit ``values``; the ended task."""
    _waiting(client, ids["task"])
    interruption = _pending(client, ids["deployment"])
    _take(client, interruption)
    assert _submit(client, interruption, **values).status_code == 200
    return client.wait(ids["task"])


def test_guided_failure_pauses_and_retry_runs_the_step_again(client: Client) -> None:
    ids = _deploy(client, "Shop", "Production", UseGuidedFailure=True)
    task = _waiting(client, ids["task"])
    assert task["State"] == "Executing"
    assert not task["IsCompleted"]
    assert task["PendingInterruptionTypes"] == ["GuidedFailure"]
    deployment = client.get(f"/deployments/{ids['deployment']}").json()
    assert deployment["UseGuidedFailure"] is True
    assert deployment["FailureEncountered"] is True
    interruption = _pending(client, ids["deployment"])
    assert _pending(client, ids["task"])["Id"] == interruption["Id"]  # by task id too
    assert interruption["TaskId"] == ids["task"]
    assert interruption["IsPending"] is True
    assert set(interruption["Form"]["Values"]) == {"Notes", "Guidance"}
    assert client.get(f"/interruptions/{interruption['Id']}").json()["Id"] == interruption["Id"]
    assert client.get(f"/interruptions/{interruption['Id']}/responsible").json() is None

    early = _submit(client, interruption, Guidance="Retry")
    assert early.status_code == 400
    assert "take responsibility" in early.json()["Errors"][0]
    as_post = client.post(f"/interruptions/{interruption['Id']}/responsible")
    assert as_post.status_code == 405  # Octopus takes responsibility with PUT
    _take(client, interruption)
    responsible = client.get(f"/interruptions/{interruption['Id']}/responsible").json()
    assert responsible["Id"] == "Users-1"
    wrong = _submit(client, interruption, Guidance="Proceed")
    assert wrong.status_code == 400
    assert wrong.json()["ErrorMessage"] == "There were errors with the form."
    assert "Fail, Retry, Ignore, Exclude" in wrong.json()["Errors"][0]
    assert client.get(f"/tasks/{ids['task']}").json()["HasPendingInterruptions"] is True

    answered = _submit(client, interruption, Notes="flaky network", Guidance="Retry")
    assert answered.status_code == 200, answered.text
    assert answered.json()["IsPending"] is False
    assert answered.json()["Form"]["Values"]["Guidance"] == "Retry"
    done = client.wait(ids["task"])
    assert done["State"] == "Success"  # the outcome fails only the first run
    assert done["PendingInterruptionTypes"] == []
    again = _submit(client, interruption, Guidance="Retry")
    assert again.status_code == 400
    assert "already been submitted" in again.json()["Errors"][0]
    assert (
        client.get(f"/interruptions?regarding={ids['deployment']}&pendingOnly=true").json()["Items"]
        == []
    )
    log = client.get(f"/tasks/{ids['task']}/raw").text
    assert "Step 'Shop.Web' failed: exit code 1" in log
    assert "Retry was chosen (flaky network)" in log


def test_environment_default_fail_and_ignore(client: Client) -> None:
    failed = _deploy(client, "Shop", "Test")  # no UseGuidedFailure: Test's setting is on
    task = _answer(client, failed, Guidance="Fail")
    assert task["State"] == "Failed"
    assert task["ErrorMessage"] == "Test broke"

    ignored = _deploy(client, "Shop", "Test", version="1.0.1")
    task = _answer(client, ignored, Guidance="Ignore")
    assert task["State"] == "Success"
    assert task["HasWarningsOrErrors"] is True


def test_without_guided_failure_a_failure_ends_the_task(client: Client) -> None:
    off_in_project = _deploy(client, "Unguided", "Test")  # project Off beats the environment
    off_in_request = _deploy(client, "Shop", "Test", UseGuidedFailure=False)
    for ids in (off_in_project, off_in_request):
        assert client.wait(ids["task"])["State"] == "Failed"
        assert client.get(f"/interruptions?regarding={ids['deployment']}").json()["Items"] == []
        assert client.get(f"/deployments/{ids['deployment']}").json()["UseGuidedFailure"] is False


def test_manual_intervention_proceed_and_abort(client: Client) -> None:
    dev = _deploy(client, "Approved", "Dev")  # the step is scoped to Production
    assert client.wait(dev["task"])["State"] == "Success"
    assert client.get(f"/deployments/{dev['deployment']}").json()["FailureEncountered"] is False

    approved = _deploy(client, "Approved", "Production")
    assert _waiting(client, approved["task"])["PendingInterruptionTypes"] == ["ManualIntervention"]
    interruption = _pending(client, approved["deployment"])
    assert interruption["Title"] == "Approve Production"
    assert interruption["Form"]["Values"]["Instructions"] == "Check the release notes"
    _take(client, interruption)
    assert _submit(client, interruption, Guidance="Retry").status_code == 400  # needs Result
    proceed = _submit(client, interruption, Instructions=None, Notes="looks good", Result="Proceed")
    assert proceed.status_code == 200, proceed.text
    assert client.wait(approved["task"])["State"] == "Success"

    aborted = _deploy(client, "Approved", "Production", version="1.0.1")
    task = _answer(client, aborted, Result="Abort")
    assert task["State"] == "Failed"
    assert "Approve Production" in task["ErrorMessage"]


def test_cancel_while_waiting_closes_the_interruption(client: Client) -> None:
    ids = _deploy(client, "Approved", "Production")
    _waiting(client, ids["task"])
    interruption = _pending(client, ids["deployment"])
    assert client.post(f"/tasks/{ids['task']}/cancel").status_code == 200
    assert client.wait(ids["task"])["State"] == "Canceled"
    assert client.get(f"/interruptions/{interruption['Id']}").json()["IsPending"] is False
    _take_refused = client.session.put(
        client.emulator.url + interruption["Links"]["Responsible"], timeout=30
    )
    assert _take_refused.status_code == 400


def test_answering_needs_the_interruption_permission(client: Client) -> None:
    ids = _deploy(client, "Approved", "Production")
    _waiting(client, ids["task"])
    interruption = _pending(client, ids["deployment"])
    refused = requests.put(
        client.emulator.url + interruption["Links"]["Responsible"],
        headers={"X-Octopus-ApiKey": "API-NOSUBMIT"},
        timeout=30,
    )
    assert refused.status_code == 403
    assert client.get(f"/interruptions/{interruption['Id']}").json()["ResponsibleUserId"] is None


def test_runbook_run_under_guided_failure(client: Client) -> None:
    response = client.post(
        "/runbook-runs/create/v1",
        json={
            "ProjectName": "Shop",
            "RunbookName": "Flaky",
            "EnvironmentNames": ["Dev"],
            "UseGuidedFailure": True,
        },
    )
    (run,) = response.json()["RunbookRunServerTasks"]
    ids = {"deployment": run["RunbookRunId"], "task": run["ServerTaskId"]}
    assert _answer(client, ids, Guidance="Retry")["State"] == "Success"


def test_task_wait_says_it_waits_for_a_person(client: Client) -> None:
    """The core prints the waiting line from the task's HasPendingInterruptions."""
    emulator = client.emulator
    ids = _deploy(client, "Approved", "Production")
    _waiting(client, ids["task"])
    env = {
        "OCTOPUS_URL": emulator.url,
        "OCTOPUS_API_KEY": emulator.api_key,
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    waiting = run_octoci(
        "task", "wait", ids["task"], "--poll-interval", "0.02", "--timeout", "0.3", env=env
    )
    assert waiting.exit_code == 4, waiting.stderr
    assert (
        "waiting for someone in Octopus (guided failure or manual intervention): "
        f"{emulator.url}/app#/Spaces-1/tasks/{ids['task']}"
    ) in waiting.stdout
    _answer(client, ids, Result="Proceed")
    done = run_octoci("task", "wait", ids["task"], "--poll-interval", "0.02", env=env)
    assert done.exit_code == 0, done.stderr
    assert f"{ids['task']} (Production): Success" in done.stdout  # named by its environment


def test_python_helper_answers_like_a_person(client: Client) -> None:
    """``Emulator.answer_interruption`` (for tests of code that waits on Octopus)."""
    ids = _deploy(client, "Approved", "Production")
    _waiting(client, ids["task"])
    answered = client.emulator.answer_interruption(ids["task"], Result="Proceed")
    assert answered["IsPending"] is False
    assert answered["ResponsibleUserId"] == "Users-1"
    assert client.wait(ids["task"])["State"] == "Success"
    with pytest.raises(LookupError, match="not waiting"):
        client.emulator.answer_interruption(ids["task"], Result="Proceed")


def test_the_documented_seed_parses() -> None:
    """The seed example in docs/emulator.md (guided failure keys included) is a valid seed."""
    text = (Path(__file__).parents[2] / "docs" / "emulator.md").read_text(encoding="utf-8")
    block = text.split("```toml\n", 1)[1].split("```", 1)[0]
    seed = parse_seed(tomllib.loads(block))
    (space,) = [s for s in seed.spaces if s.default]
    assert space.guided_failure == ("Production",)
    (project,) = space.projects
    assert project.manual_interventions[0].environments == ("Production",)


def test_a_waiting_task_survives_a_restart(
    octopus_emulator_factory: Callable[..., Emulator], tmp_path: Path
) -> None:
    first = octopus_emulator_factory(SEED, data_dir=tmp_path / "state")
    client = Client(first)
    assert client.push("Shop.Web.1.0.0.zip").status_code == 201
    ids = _deploy(client, "Approved", "Production")
    _waiting(client, ids["task"])
    first.stop()
    second = octopus_emulator_factory(SEED, data_dir=tmp_path / "state")
    client = Client(second)
    assert client.get(f"/tasks/{ids['task']}").json()["State"] == "Executing"
    assert _answer(client, ids, Result="Proceed")["State"] == "Success"


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ('{"guided_failure": ["Mars"]}', "guided_failure: unknown environment 'Mars'"),
        (
            '{"projects": [{"name": "P", "guided_failure": "Sometimes"}]}',
            "EnvironmentDefault, On or Off",
        ),
        (
            '{"projects": [{"name": "P", "manual_interventions": '
            '[{"name": "A", "environments": ["Mars"]}]}]}',
            "manual intervention 'A': unknown environment 'Mars'",
        ),
        (
            '{"tasks": {"outcomes": [{"state": "Failed", "times": -1}]}}',
            "times: must be at least 0",
        ),
    ],
)
def test_bad_guided_failure_seed_is_exit_2(tmp_path: Path, seed: str, message: str) -> None:
    path = tmp_path / "seed.json"
    path.write_text(seed)
    result = run_octoci(
        "emulator", "--seed", str(path), "--data-dir", str(tmp_path / "state"),
        env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert not (tmp_path / "state").exists()


def _interruption_form(page: str) -> tuple[str, dict[str, str], list[str]]:
    """The task page's interruption form: its action, hidden fields and button values."""
    (form,) = re.findall(r'<form[^>]*action="[^"]*/interruptions/[^"]*".*?</form>', page, re.S)
    action = re.search(r'action="([^"]+)"', form)
    assert action is not None
    hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
    buttons = re.findall(r'<button type="submit" name="\w+" value="(\w+)"', form)
    return action.group(1), hidden, buttons


def test_the_web_view_answers_a_manual_intervention_by_click(
    emulator: Emulator, client: Client
) -> None:
    from .web import sign_in

    ids = _deploy(client, "Approved", "Production")
    _waiting(client, ids["task"])
    session = sign_in(emulator)
    page = session.get(f"{emulator.url}/app/Spaces-1/tasks/{ids['task']}", timeout=10).text
    assert "Waiting for a person: Approve Production" in page
    assert "Check the release notes" in page
    action, hidden, buttons = _interruption_form(page)
    assert buttons == ["Proceed", "Abort"]
    answer = {**hidden, "Result": "Proceed", "notes": "looks good"}
    done = session.post(emulator.url + action, data=answer, allow_redirects=False, timeout=10)
    assert done.status_code == 303, done.text
    assert done.headers["Location"].endswith(f"/app/Spaces-1/tasks/{ids['task']}")
    assert client.wait(ids["task"])["State"] == "Success"
    again = session.post(emulator.url + action, data=answer, allow_redirects=False, timeout=10)
    assert again.status_code == 400  # answered already: nothing is done twice
    finished = session.get(f"{emulator.url}/app/Spaces-1/tasks/{ids['task']}", timeout=10).text
    assert "Waiting for a person" not in finished


def test_the_web_view_offers_guided_failure_answers_and_checks_the_permission(
    emulator: Emulator, client: Client
) -> None:
    from .web import sign_in

    ids = _deploy(client, "Shop", "Production", UseGuidedFailure=True)
    _waiting(client, ids["task"])
    looker = sign_in(emulator, "API-NOSUBMIT")
    page = looker.get(f"{emulator.url}/app/Spaces-1/tasks/{ids['task']}", timeout=10).text
    action, hidden, buttons = _interruption_form(page)
    assert buttons == ["Fail", "Retry", "Ignore", "Exclude"]
    refused = looker.post(
        emulator.url + action, data={**hidden, "Guidance": "Retry"}, allow_redirects=False,
        timeout=10,
    )  # fmt: skip
    assert refused.status_code == 403
    assert _waiting(client, ids["task"])["State"] == "Executing"  # still waiting: nothing done
    session = sign_in(emulator)
    page = session.get(f"{emulator.url}/app/Spaces-1/tasks/{ids['task']}", timeout=10).text
    action, hidden, _ = _interruption_form(page)
    retried = session.post(
        emulator.url + action, data={**hidden, "Guidance": "Retry"}, allow_redirects=False,
        timeout=10,
    )  # fmt: skip
    assert retried.status_code == 303, retried.text
    assert client.wait(ids["task"])["State"] == "Success"  # the step fails only its first run
