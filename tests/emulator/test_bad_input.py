"""Bad input never crashes the emulator: every odd body gets a 4xx with Octopus's error body."""

from __future__ import annotations

import json
from typing import Any

import pytest

from octoci_emulator import Emulator

from .conftest import Client

ENDPOINTS = [
    "/releases/create/v1",
    "/releases",
    "/deployments/create/untenanted/v1",
    "/deployments/create/tenanted/v1",
    "/deployments",
    "/runbook-runs/create/v1",
    "/build-information",
]
ODD_BODIES: list[Any] = [
    None,
    [],
    "text",
    42,
    {"ProjectName": 7, "ReleaseVersion": ["1"]},
    {"projectname": "My Project", "Packages": "MyApp.Web:1.0.0:x:y", "PackageVersion": "1.0"},
    {
        "ProjectName": "My Project",
        "ReleaseVersion": "1.0.0",
        "EnvironmentNames": "Dev",
        "Variables": [1, 2],
        "RunAt": "yesterday",
    },
    {"ProjectId": "Projects-1", "Version": "1.0.0", "SelectedPackages": 5},
    {"ReleaseId": "Releases-404", "EnvironmentId": "Environments-1", "FormValues": "x"},
    {"PackageId": "A", "Version": "1.0.0", "OctopusBuildInformation": {"Commits": "abc"}},
    {"PackageId": "A", "Version": "1.0.0", "OctopusBuildInformation": {"Commits": [1]}},
    {"PackageId": "A", "Version": "1.0.0", "OctopusBuildInformation": {"VcsRoot": {"a": 1}}},
    {
        "ProjectName": "Tenanted",
        "ReleaseVersion": "1.0.0",
        "EnvironmentName": "Dev",
        "Tenants": [None],
        "TenantTags": "Tier/Gold",
    },
    {
        "ProjectName": "Tenanted",
        "RunbookName": "Restart",
        "EnvironmentNames": ["Dev"],
        "UseGuidedFailure": "maybe",
    },
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_odd_json_bodies_get_4xx(client: Client, endpoint: str) -> None:
    for body in ODD_BODIES:
        response = client.post(
            endpoint, data=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text)
        assert "ErrorMessage" in response.json()


def test_overwrite_needs_administer_permission(octopus_emulator_factory: Any) -> None:
    emulator: Emulator = octopus_emulator_factory(
        {"api_keys": [{"key": "API-PUSHER", "permissions": ["BuiltInFeedPush"]}]}
    )
    client = Client(emulator)
    assert client.push("A.1.0.0.zip", b"one").status_code == 201
    refused = client.push("A.1.0.0.zip", b"two", mode="OverwriteExisting")
    assert refused.status_code == 403
    assert "BuiltInFeedAdminister" in refused.json()["ErrorMessage"]
    assert emulator.package_path(emulator.packages()[0]).read_bytes() == b"one"
    assert len(emulator.stored_files()) == 1


def test_finish_held_task_over_http(octopus_emulator_factory: Any) -> None:
    emulator: Emulator = octopus_emulator_factory(
        {"tasks": {"hold": True}, "projects": [{"name": "P", "packages": ["P"]}]}
    )
    client = Client(emulator)
    body = {"ProjectName": "P", "ReleaseVersion": "1.0.0", "PackageVersion": "1.0.0"}
    assert client.post("/releases/create/v1", json=body).status_code == 201
    deployed = client.post(
        "/deployments/create/untenanted/v1",
        json={"ProjectName": "P", "ReleaseVersion": "1.0.0", "EnvironmentNames": ["Dev"]},
    ).json()
    task_id = deployed["DeploymentServerTasks"][0]["ServerTaskId"]
    finished = client.session.post(
        f"{emulator.url}/__emulator/tasks/{task_id}/finish",
        json={"State": "TimedOut", "ErrorMessage": "too slow"},
        timeout=10,
    )
    assert finished.json()["State"] == "TimedOut"
    assert client.get(f"/tasks/{task_id}").json()["ErrorMessage"] == "too slow"
    bad = client.session.post(
        f"{emulator.url}/__emulator/tasks/{task_id}/finish", json={"State": "Sleepy"}, timeout=10
    )
    assert bad.status_code == 400


def test_delete_package(client: Client) -> None:
    assert client.push("Gone.1.0.0.zip").status_code == 201
    deleted = client.session.delete(client.space + "/packages/packages-Gone.1.0.0", timeout=10)
    assert deleted.status_code == 204
    assert client.emulator.stored_files() == []
    assert client.get("/packages/packages-Gone.1.0.0").status_code == 404
