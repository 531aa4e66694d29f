"""The read-only routes Octopus's clients need besides the model collections: runbook runs by id,
variable sets, capabilities, a project's deployment process, project groups, the built-in feed,
the dashboard, environments/v2, and release progression with its deployments."""

from __future__ import annotations

from typing import Any

import requests

from octoci_emulator import Emulator

from .conftest import Client


def _release_and_deploy(client: Client, version: str, *environments: str) -> list[str]:
    """Create ``My Project`` ``version`` and deploy it; the task ids."""
    client.post(
        "/releases/create/v1",
        json={
            "ProjectName": "My Project",
            "ReleaseVersion": version,
            "IgnoreIfAlreadyExists": True,
        },
    ).raise_for_status()
    for task in client.emulator.documents("task"):  # the automatic deployments first
        client.wait(task["Id"])
    tasks = []
    for environment in environments:
        response = client.post(
            "/deployments/create/untenanted/v1",
            json={
                "ProjectName": "My Project",
                "ReleaseVersion": version,
                "EnvironmentNames": [environment],
            },
        )
        assert response.status_code == 200, response.text
        task_id = response.json()["DeploymentServerTasks"][0]["ServerTaskId"]
        client.wait(task_id)
        tasks.append(task_id)
    return tasks


def test_runbook_runs_by_ids(client: Client) -> None:
    runs = []
    for environment in ("Dev", "Production"):
        response = client.post(
            "/runbook-runs/create/v1",
            json={
                "ProjectName": "Tenanted",
                "RunbookName": "Restart",
                "EnvironmentNames": [environment],
                "Tenants": ["Acme"],
            },
        )
        assert response.status_code == 200, response.text
        runs.append(response.json()["RunbookRunServerTasks"][0])
    wanted = runs[1]["RunbookRunId"]
    page = client.get(f"/runbookRuns?ids={wanted}").json()
    assert page["ItemType"] == "RunbookRun"
    assert [r["Id"] for r in page["Items"]] == [wanted]
    assert page["Items"][0]["TaskId"] == runs[1]["ServerTaskId"]
    everything = client.get("/runbookRuns").json()
    assert [r["Id"] for r in everything["Items"]] == [
        runs[1]["RunbookRunId"],
        runs[0]["RunbookRunId"],
    ]
    one = client.get(f"/runbookRuns/{wanted}").json()
    assert one["DeployedBy"] == "api-key-user-1"  # who, never the key itself
    assert client.emulator.api_key not in str(one)
    assert client.get("/runbookRuns?ids=RunbookRuns-999").json()["Items"] == []


def test_variable_set_of_a_project_and_its_release_snapshot(client: Client) -> None:
    project = client.get("/projects/my-project").json()
    variables = client.get(f"/variables/{project['VariableSetId']}").json()
    assert variables["Id"] == project["VariableSetId"]
    assert variables["OwnerId"] == project["Id"]
    assert variables["Variables"] == []
    assert {e["Name"] for e in variables["ScopeValues"]["Environments"]} == {
        "Dev",
        "Test",
        "Production",
    }
    assert client.push("MyApp.Web.1.0.0.zip").status_code == 201
    _release_and_deploy(client, "1.0.0")
    release = client.get("/releases").json()["Items"][0]
    snapshot_id = release["ProjectVariableSetSnapshotId"]
    assert snapshot_id != project["VariableSetId"]
    snapshot = client.get(f"/variables/{snapshot_id}")
    assert snapshot.status_code == 200
    assert snapshot.json()["OwnerId"] == project["Id"]
    # The snapshot is frozen: a variable added to the project later is not in it.
    changed = {**variables, "Variables": [{"Name": "Colour", "Value": "blue"}]}
    assert (
        client.session.put(
            f"{client.space}/variables/{project['VariableSetId']}", json=changed, timeout=30
        ).status_code
        == 200
    )
    assert [
        v["Name"] for v in client.get(f"/variables/{project['VariableSetId']}").json()["Variables"]
    ] == ["Colour"]
    assert client.get(f"/variables/{snapshot_id}").json()["Variables"] == []
    assert client.get("/variables/variableset-Projects-999").status_code == 404
    assert client.get("/variables/nonsense").status_code == 404


def test_capabilities_agree_with_the_root_document(
    client: Client, octopus_emulator_factory: Any
) -> None:
    root = requests.get(f"{client.emulator.url}/api", timeout=10).json()
    assert root["Links"]["Capabilities"] == "/api/capabilities"
    capabilities = client.session.get(f"{client.emulator.url}/api/capabilities", timeout=10)
    assert capabilities.status_code == 200
    assert "CreateReleaseCommandV1" in capabilities.json()["Capabilities"]
    old: Emulator = octopus_emulator_factory({"version": "2021.2.4488"})
    old_root = requests.get(f"{old.url}/api", timeout=10).json()
    assert old_root["Version"] == "2021.2.4488"
    assert "Capabilities" not in old_root["Links"]
    missing = requests.get(f"{old.url}/api/capabilities", headers=old.headers, timeout=10)
    assert missing.status_code == 404  # api-client then says "upgrade to 2022.3", as it should


def test_project_deployment_process_and_project_groups(client: Client) -> None:
    project = client.get("/projects/my-project").json()
    process = client.get(f"/projects/{project['Id']}/deploymentprocesses").json()
    assert process["Id"] == project["DeploymentProcessId"]
    assert process == client.get(f"/deploymentprocesses/{process['Id']}").json()
    (step,) = process["Steps"]
    (action,) = step["Actions"]
    assert action["ActionType"] == "Octopus.TentaclePackage"
    assert action["Packages"][0]["PackageId"] == "MyApp.Web"
    assert client.get("/projects/Projects-999/deploymentprocesses").status_code == 404
    groups = client.get("/projectgroups").json()
    (group,) = groups["Items"]
    assert group["Name"] == "Default Project Group"
    assert project["ProjectGroupId"] == group["Id"]
    assert client.get(f"/projectgroups/{group['Id']}").json()["Id"] == group["Id"]
    members = client.get(f"/projectgroups/{group['Id']}/projects").json()
    assert {p["Name"] for p in members["Items"]} == {"My Project", "Auto", "Tenanted"}
    assert client.get("/projectgroups/ProjectGroups-999/projects").status_code == 404


def test_built_in_feed(client: Client) -> None:
    feeds = client.get("/feeds").json()
    (feed,) = feeds["Items"]
    assert feed["Id"] == "feeds-builtin"
    assert feed["FeedType"] == "BuiltIn"
    assert client.get("/feeds/feeds-builtin").json() == feed
    assert client.get("/feeds/all").json() == [feed]
    assert client.get("/feeds?feedType=Docker").json()["Items"] == []
    assert client.get("/feeds/feeds-nuget").status_code == 404


def test_dashboard_shows_the_latest_and_previous_deployment(client: Client) -> None:
    assert client.push("MyApp.Web.1.0.0.zip").status_code == 201
    _release_and_deploy(client, "1.0.0", "Dev")  # Main: Dev deploys automatically too
    _release_and_deploy(client, "1.0.1")
    dashboard = client.get("/dashboard").json()
    project_id = client.get("/projects/my-project").json()["Id"]
    dev = client.get("/environments?name=Dev").json()["Items"][0]["Id"]
    current = [
        i for i in dashboard["Items"] if i["ProjectId"] == project_id and i["EnvironmentId"] == dev
    ]
    (latest,) = current
    assert latest["ReleaseVersion"] == "1.0.1"
    assert latest["State"] == "Success"
    assert latest["IsCurrent"] is True
    previous = [i for i in dashboard["PreviousItems"] if i["ProjectId"] == project_id]
    assert [p["ReleaseVersion"] for p in previous] == ["1.0.0"]
    assert {e["Name"] for e in dashboard["Environments"]} == {"Dev", "Test", "Production"}
    assert {p["Name"] for p in dashboard["Projects"]} >= {"My Project"}


def test_environments_v2(client: Client) -> None:
    page = client.get("/environments/v2?partialName=prod").json()
    (production,) = page["Items"]
    assert production["Name"] == "Production"
    assert production["Type"] == "Static"
    assert client.get("/environments/v2?type=Ephemeral").json()["Items"] == []
    everything = client.get("/environments/v2").json()
    assert everything["TotalResults"] == 3


def test_progression_phases_hold_deployment_objects(client: Client) -> None:
    assert client.push("MyApp.Web.1.0.0.zip").status_code == 201
    (test_task,) = _release_and_deploy(client, "1.0.0", "Test")
    release = client.get("/releases").json()["Items"][0]
    progression = client.get(f"/releases/{release['Id']}/progression").json()
    by_name = {p["Name"]: p for p in progression["Phases"]}
    (dev,) = by_name["Dev"]["Deployments"]  # the automatic one
    assert dev["Deployment"]["ReleaseId"] == release["Id"]
    assert dev["Task"]["State"] == "Success"
    (test,) = by_name["Test"]["Deployments"]
    assert test["Task"]["Id"] == test_task
    assert test["Deployment"]["TaskId"] == test_task
    assert by_name["Production"]["Deployments"] == []
