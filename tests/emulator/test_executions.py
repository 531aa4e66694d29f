"""Releases, deployments, runbook runs, lifecycle rules, progression and automation."""

from __future__ import annotations

import time
from typing import Any

from octoci_emulator import Emulator

from .conftest import Client


def _release(client: Client, **body: Any) -> Any:
    payload = {"SpaceId": "Spaces-1", "SpaceIdOrName": "Default", "ProjectName": "My Project"}
    payload.update(body)
    return client.post("/releases/create/v1", json=payload)


def _deploy(client: Client, version: str, *environments: str, project: str = "My Project") -> Any:
    return client.post(
        "/deployments/create/untenanted/v1",
        json={
            "spaceId": "Spaces-1",
            "spaceIdOrName": "Default",
            "ProjectName": project,
            "ReleaseVersion": version,
            "EnvironmentNames": list(environments),
        },
    )


def _env_id(client: Client, name: str) -> str:
    items = client.get(f"/environments?name={name}").json()["Items"]
    return str(items[0]["Id"])


def test_release_create_v1(client: Client) -> None:
    assert client.push("MyApp.Web.1.2.3.zip").status_code == 201
    created = _release(
        client,
        ReleaseVersion="1.2.3",
        ReleaseNotes="notes",
        Packages=["MyApp.Web:1.2.3"],
        ChannelName="Default",
    )
    assert created.status_code == 201
    assert created.json() == {"ReleaseId": "Releases-1", "ReleaseVersion": "1.2.3"}
    again = _release(client, ReleaseVersion="1.2.3")
    assert again.status_code == 400
    assert "already exists" in again.json()["Errors"][0]
    ignored = _release(client, ReleaseVersion="1.2.3", IgnoreIfAlreadyExists=True)
    assert ignored.status_code == 201
    assert ignored.json()["ReleaseId"] == "Releases-1"
    release = client.get("/releases/Releases-1").json()
    assert release["SelectedPackages"][0]["Version"] == "1.2.3"
    assert release["ReleaseNotes"] == "notes"


def test_release_version_and_package_version_defaults(client: Client) -> None:
    assert client.push("MyApp.Web.2.0.0.zip").status_code == 201
    assert client.push("MyApp.Web.2.1.0.zip").status_code == 201
    first = _release(client).json()  # camelCase and PascalCase both work; version picked
    assert first["ReleaseVersion"] == "0.0.1"
    second = client.post(
        "/releases/create/v1", json={"projectName": "My Project", "spaceId": "Spaces-1"}
    ).json()
    assert second["ReleaseVersion"] == "0.0.2"
    release = client.get(f"/releases/{second['ReleaseId']}").json()
    assert release["SelectedPackages"][0]["Version"] == "2.1.0"  # the latest in the feed


def test_release_create_errors(client: Client) -> None:
    unknown = _release(client, ProjectName="Nope", ReleaseVersion="1.0.0")
    assert unknown.status_code == 400
    assert "Nope" in unknown.json()["Errors"][0]
    no_package = _release(client, ReleaseVersion="1.0.0")
    assert no_package.status_code == 400
    assert "MyApp.Web" in no_package.json()["Errors"][0]
    bad_version = _release(client, ReleaseVersion="not a version", PackageVersion="1.0.0")
    assert bad_version.status_code == 400
    wrong_space = _release(client, SpaceId="Spaces-7", PackageVersion="1.0.0")
    assert wrong_space.status_code == 400
    bad_channel = _release(client, ChannelName="Hotfix", PackageVersion="1.0.0")
    assert bad_channel.status_code == 400


def test_lifecycle_rules_and_progression(client: Client) -> None:
    assert _release(client, ReleaseVersion="1.0.0", PackageVersion="1.0.0").status_code == 201
    # The Dev phase deploys automatically; wait for it.
    deployments = client.get("/deployments").json()["Items"]
    assert [d["Name"] for d in deployments] == ["Deploy to Dev"]
    client.wait(deployments[0]["TaskId"])
    blocked = _deploy(client, "1.0.0", "Production")
    assert blocked.status_code == 400
    assert "Test" in blocked.json()["Errors"][0]
    test = _deploy(client, "1.0.0", "Test")
    assert test.status_code == 200
    task_id = test.json()["DeploymentServerTasks"][0]["ServerTaskId"]
    assert client.wait(task_id)["State"] == "Success"
    progression = client.get("/releases/Releases-1/progression").json()
    assert [p["Progress"] for p in progression["Phases"]] == ["Complete", "Complete", "Current"]
    assert progression["NextDeployments"] == [_env_id(client, "Production")]
    assert _deploy(client, "1.0.0", "Production").status_code == 200


def test_default_lifecycle_orders_environments(octopus_emulator: Emulator) -> None:
    octopus_emulator.seed({"projects": [{"name": "Plain", "packages": ["Plain"]}]})
    client = Client(octopus_emulator)
    body = {"ProjectName": "Plain", "ReleaseVersion": "1.0.0", "PackageVersion": "1.0.0"}
    assert client.post("/releases/create/v1", json=body).status_code == 201
    assert _deploy(client, "1.0.0", "Test", project="Plain").status_code == 400
    dev = _deploy(client, "1.0.0", "Dev", project="Plain").json()
    client.wait(dev["DeploymentServerTasks"][0]["ServerTaskId"])
    assert _deploy(client, "1.0.0", "Test", project="Plain").status_code == 200


def test_unknown_names_in_deployments(client: Client) -> None:
    assert _release(client, ReleaseVersion="1.0.0", PackageVersion="1.0.0").status_code == 201
    assert _deploy(client, "9.9.9", "Dev").status_code == 400
    assert _deploy(client, "1.0.0", "Nowhere").status_code == 400
    assert _deploy(client, "1.0.0", "Dev", project="Nope").status_code == 400


def test_tasks_polling_forms_and_logs(client: Client) -> None:
    assert _release(client, ReleaseVersion="1.0.0", PackageVersion="1.0.0").status_code == 201
    task_id = client.get("/deployments").json()["Items"][0]["TaskId"]
    client.wait(task_id)
    url = client.emulator.url
    polled = client.get(f"/tasks?skip=0&take=300&ids={task_id}").json()
    assert [t["Id"] for t in polled["Items"]] == [task_id]
    for path in (f"/api/tasks/{task_id}", f"/api/Spaces-1/tasks/{task_id}"):
        task = client.session.get(url + path, timeout=10).json()
        assert task["IsCompleted"] is True
        assert task["FinishedSuccessfully"] is True
        assert task["State"] == "Success"
    details = client.get(f"/tasks/{task_id}/details?verbose=true&tail=20").json()
    messages = [e["MessageText"] for e in details["ActivityLogs"][0]["LogElements"]]
    assert messages[-1].endswith("finished successfully")
    raw = client.get(f"/tasks/{task_id}/raw")
    assert raw.headers["Content-Type"].startswith("text/plain")
    assert "Deploy My Project release 1.0.0 to Dev" in raw.text
    assert client.get("/tasks/ServerTasks-999").status_code == 404


def test_held_tasks_progress_and_cancel(octopus_emulator_factory: Any) -> None:
    emulator: Emulator = octopus_emulator_factory(
        {
            "tasks": {"hold": True},
            "projects": [{"name": "Held", "packages": ["Held"]}],
        }
    )
    client = Client(emulator)
    body = {"ProjectName": "Held", "ReleaseVersion": "1.0.0", "PackageVersion": "1.0.0"}
    assert client.post("/releases/create/v1", json=body).status_code == 201
    first = _deploy(client, "1.0.0", "Dev", project="Held").json()
    task_id = first["DeploymentServerTasks"][0]["ServerTaskId"]
    time.sleep(0.2)
    assert client.get(f"/tasks/{task_id}").json()["State"] == "Queued"
    canceled = client.post(f"/tasks/{task_id}/cancel", json={})
    assert canceled.json()["State"] == "Canceled"
    assert canceled.json()["IsCompleted"] is True
    assert canceled.json()["FinishedSuccessfully"] is False
    second = _deploy(client, "1.0.0", "Dev", project="Held").json()
    emulator.finish_task(second["DeploymentServerTasks"][0]["ServerTaskId"], "Failed", "boom")
    failed = client.get(f"/tasks/{second['DeploymentServerTasks'][0]['ServerTaskId']}").json()
    assert (failed["State"], failed["ErrorMessage"]) == ("Failed", "boom")


def test_scripted_failure_outcome(octopus_emulator_factory: Any) -> None:
    emulator: Emulator = octopus_emulator_factory(
        {
            "tasks": {
                "queued_seconds": 0,
                "executing_seconds": 0.05,
                "outcomes": [{"environment": "Dev", "state": "Failed", "error": "Step 1 failed"}],
            },
            "projects": [{"name": "Flaky", "packages": ["Flaky"]}],
        }
    )
    client = Client(emulator)
    body = {"ProjectName": "Flaky", "ReleaseVersion": "1.0.0", "PackageVersion": "1.0.0"}
    assert client.post("/releases/create/v1", json=body).status_code == 201
    deployed = _deploy(client, "1.0.0", "Dev", project="Flaky").json()
    task = client.wait(deployed["DeploymentServerTasks"][0]["ServerTaskId"])
    assert (task["State"], task["ErrorMessage"]) == ("Failed", "Step 1 failed")
    # A failed deployment does not complete the phase.
    assert _deploy(client, "1.0.0", "Test", project="Flaky").status_code == 400


def test_tenanted_deployments(client: Client) -> None:
    body = {"ProjectName": "Tenanted", "ReleaseVersion": "1.0.0", "PackageVersion": "1.0.0"}
    assert client.post("/releases/create/v1", json=body).status_code == 201
    untenanted = _deploy(client, "1.0.0", "Dev", project="Tenanted")
    assert untenanted.status_code == 400

    def tenanted(**extra: Any) -> Any:
        payload = {"ProjectName": "Tenanted", "ReleaseVersion": "1.0.0", "EnvironmentName": "Dev"}
        payload.update(extra)
        return client.post("/deployments/create/tenanted/v1", json=payload)

    everyone = tenanted(Tenants=["*"])
    assert len(everyone.json()["DeploymentServerTasks"]) == 2
    gold = tenanted(TenantTags=["Tier/Gold"])
    deployment_id = gold.json()["DeploymentServerTasks"][0]["DeploymentId"]
    deployment = client.get(f"/deployments/{deployment_id}").json()
    assert deployment["TenantId"] == client.get("/tenants?name=Acme").json()["Items"][0]["Id"]
    assert tenanted(Tenants=["Nobody"]).status_code == 400
    assert tenanted().status_code == 400


def test_runbook_runs(client: Client) -> None:
    body = {
        "ProjectName": "Tenanted",
        "RunbookName": "Restart",
        "EnvironmentNames": ["Dev"],
        "Tenants": ["Acme"],
    }
    response = client.post("/runbook-runs/create/v1", json=body)
    assert response.status_code == 200
    run = response.json()["RunbookRunServerTasks"][0]
    assert client.wait(run["ServerTaskId"])["State"] == "Success"
    assert client.get(f"/runbookRuns/{run['RunbookRunId']}").json()["TaskId"] == run["ServerTaskId"]
    missing = client.post("/runbook-runs/create/v1", json={**body, "RunbookName": "Nope"})
    assert missing.status_code == 400


def test_a_projects_runbook_runs_newest_first(client: Client) -> None:
    body = {"ProjectName": "Tenanted", "RunbookName": "Restart", "Tenants": ["Acme"]}
    for environment in ("Dev", "Dev"):
        response = client.post(
            "/runbook-runs/create/v1", json={**body, "EnvironmentNames": [environment]}
        )
        assert response.status_code == 200
    project = client.get("/projects?name=Tenanted").json()["Items"][0]
    page = client.get(f"/projects/{project['Id']}/runbookRuns?skip=0&take=1").json()
    assert page["TotalResults"] == 2
    assert [r["Id"] for r in page["Items"]] == ["RunbookRuns-2"]
    assert client.get("/projects/Projects-999/runbookRuns").status_code == 404


def test_legacy_release_and_deployment_endpoints(client: Client) -> None:
    project = client.get("/projects?name=My%20Project").json()["Items"][0]
    no_version = client.post(
        "/releases",
        json={
            "ProjectId": project["Id"],
            "Version": "3.0.0",
            "SelectedPackages": [{"ActionName": "MyApp.Web", "Version": ""}],
        },
    )
    assert no_version.status_code == 400
    created = client.post(
        "/releases",
        json={
            "ProjectId": project["Id"],
            "Version": "3.0.0",
            "SelectedPackages": [{"ActionName": "MyApp.Web", "Version": "3.0.0"}],
        },
    )
    assert created.status_code == 201
    release = created.json()
    assert release["Links"]["Progression"].endswith("/progression")
    by_version = client.get(f"/projects/{project['Id']}/releases/3.0.0").json()
    assert by_version["Id"] == release["Id"]
    auto = client.get(f"/releases/{release['Id']}/deployments").json()["Items"][0]
    client.wait(auto["TaskId"])
    deployment = client.post(
        "/deployments", json={"ReleaseId": release["Id"], "EnvironmentId": _env_id(client, "Test")}
    )
    assert deployment.status_code == 201
    assert deployment.json()["TaskId"].startswith("ServerTasks-")


def test_push_creates_release_that_deploys_itself(client: Client) -> None:
    """The DEVELOPERS.md pipeline: push -> automatic release -> automatic deployment to Dev."""
    assert client.push("Auto.Worker.0.9.0.zip").status_code == 201
    assert client.push("Auto.Web.1.4.0.zip").status_code == 201
    project = client.get("/projects?name=Auto").json()["Items"][0]
    releases = client.get(f"/projects/{project['Id']}/releases").json()["Items"]
    assert [r["Version"] for r in releases] == ["1.4.0"]
    selected = {p["ActionName"]: p["Version"] for p in releases[0]["SelectedPackages"]}
    assert selected == {"Auto.Web": "1.4.0", "Auto.Worker": "0.9.0"}
    deployments = client.get(f"/deployments?projects={project['Id']}").json()["Items"]
    assert [d["Name"] for d in deployments] == ["Deploy to Dev"]
    assert client.wait(deployments[0]["TaskId"])["State"] == "Success"
    # Pushing the same version again (ignored) creates nothing new.
    assert client.push("Auto.Web.1.4.0.zip", mode="IgnoreIfExists").status_code == 200
    assert len(client.get(f"/projects/{project['Id']}/releases").json()["Items"]) == 1


def test_automatic_deployment_of_a_later_phase(octopus_emulator_factory: Any) -> None:
    emulator: Emulator = octopus_emulator_factory(
        {
            "lifecycles": [
                {
                    "name": "Auto All",
                    "phases": [
                        {"name": "Dev", "automatic": ["Dev"]},
                        {"name": "Test", "automatic": ["Test"]},
                    ],
                }
            ],
            "projects": [
                {
                    "name": "Chain",
                    "lifecycle": "Auto All",
                    "packages": ["Chain"],
                    "auto_create_release": True,
                }
            ],
        }
    )
    client = Client(emulator)
    assert client.push("Chain.2.0.0.zip").status_code == 201
    deadline = time.monotonic() + 10
    names: list[str] = []
    while time.monotonic() < deadline:
        names = sorted(d["Name"] for d in client.get("/deployments").json()["Items"])
        if names == ["Deploy to Dev", "Deploy to Test"]:
            break
        time.sleep(0.05)
    assert names == ["Deploy to Dev", "Deploy to Test"]


def _states_until_done(client: Client, task_id: str) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = client.get(f"/tasks/{task_id}").json()["State"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in {"Success", "Failed", "Canceled", "TimedOut"}:
            break
        time.sleep(0.02)
    return seen


def test_task_state_progression_and_cancel_while_executing(
    octopus_emulator_factory: Any,
) -> None:
    emulator: Emulator = octopus_emulator_factory(
        {
            "tasks": {"queued_seconds": 0.5, "executing_seconds": 2.0},
            "projects": [{"name": "Slow", "packages": ["Slow"]}],
        }
    )
    client = Client(emulator)
    body = {"ProjectName": "Slow", "ReleaseVersion": "1.0.0", "PackageVersion": "1.0.0"}
    assert client.post("/releases/create/v1", json=body).status_code == 201

    def deploy() -> str:
        response = _deploy(client, "1.0.0", "Dev", project="Slow")
        return str(response.json()["DeploymentServerTasks"][0]["ServerTaskId"])

    assert _states_until_done(client, deploy()) == ["Queued", "Executing", "Success"]
    task_id = deploy()
    deadline = time.monotonic() + 10
    while client.get(f"/tasks/{task_id}").json()["State"] != "Executing":
        assert time.monotonic() < deadline, "the task never started executing"
        time.sleep(0.02)
    cancelling = client.post(f"/tasks/{task_id}/cancel", json={}).json()
    assert cancelling["State"] == "Cancelling"
    assert cancelling["IsCompleted"] is False
    assert client.wait(task_id)["State"] == "Canceled"
