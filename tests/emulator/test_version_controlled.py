"""Version-controlled (config-as-code) projects in the emulator, over HTTP: the seed option, the
project document, releases that need a Git ref (Octopus's refusal, the recorded reference and
its stable fake commit), and Git runbooks on their own route."""

from __future__ import annotations

from typing import Any

import pytest

from octoci_emulator import Emulator
from octoci_emulator.version_control import NO_GIT_REF, NOT_VERSION_CONTROLLED

from .conftest import Client

SEED: dict[str, Any] = {
    "projects": [
        {
            "name": "Shop",
            "packages": ["Shop.Web"],
            "version_controlled": "https://git.example.com/acme/shop.git",
            "default_branch": "trunk",
            "runbooks": ["Backup"],
        },
        {"name": "Legacy", "packages": ["Shop.Web"], "runbooks": ["Backup"]},
    ]
}


@pytest.fixture
def vcs(octopus_emulator_factory: Any) -> Client:
    emulator: Emulator = octopus_emulator_factory(SEED)
    return Client(emulator)


def _release(client: Client, **body: Any) -> Any:
    fields = {"ProjectName": "Shop", "ReleaseVersion": "1.0.0", "PackageVersion": "1.0.0"}
    return client.post("/releases/create/v1", json={**fields, **body})


def _errors(response: Any) -> list[str]:
    assert response.status_code == 400, response.text
    errors: list[str] = response.json()["Errors"]
    return errors


def test_the_seed_makes_a_version_controlled_project(vcs: Client) -> None:
    projects = {p["Name"]: p for p in vcs.get("/projects/all").json()}
    shop, legacy = projects["Shop"], projects["Legacy"]
    assert shop["IsVersionControlled"] is True
    settings = shop["PersistenceSettings"]
    assert settings["Type"] == "VersionControlled"
    assert settings["Url"] == "https://git.example.com/acme/shop.git"
    assert settings["DefaultBranch"] == "trunk"
    assert settings["BasePath"] == ".octopus/shop"
    assert settings["ConversionState"]["RunbooksAreInGit"] is True
    assert legacy["IsVersionControlled"] is False
    assert legacy["PersistenceSettings"] == {"Type": "Database"}


def test_a_release_without_a_git_ref_is_refused_as_octopus_refuses_it(vcs: Client) -> None:
    assert _errors(_release(vcs)) == [NO_GIT_REF]
    assert _errors(_release(vcs, GitCommit="9f1c2e0")) == [NO_GIT_REF]
    assert vcs.emulator.documents("release") == []


@pytest.mark.parametrize(
    ("given", "recorded"),
    [
        (
            {"GitRef": "refs/heads/feature/x", "GitCommit": "abc1234"},
            ("refs/heads/feature/x", "abc1234"),
        ),
        ({"GitRef": "main"}, ("refs/heads/main", None)),
        ({"GitRef": "refs/tags/v1.2.0"}, ("refs/tags/v1.2.0", None)),
        ({"GitRef": "9f1c2e0d4b5a"}, ("9f1c2e0d4b5a", "9f1c2e0d4b5a")),
    ],
)
def test_a_release_records_its_git_ref_and_commit(
    vcs: Client, given: dict[str, str], recorded: tuple[str, str | None]
) -> None:
    response = _release(vcs, **given)
    assert response.status_code == 201, response.text
    release = vcs.get(f"/releases/{response.json()['ReleaseId']}").json()
    reference = release["VersionControlReference"]
    assert reference["GitRef"] == recorded[0]
    commit = recorded[1]
    if commit is None:
        # A ref without a commit: the same stable made-up commit every time.
        assert len(reference["GitCommit"]) == 40
        again = _release(vcs, ReleaseVersion="1.0.1", **given).json()["ReleaseId"]
        assert vcs.get(f"/releases/{again}").json()["VersionControlReference"] == reference
    else:
        assert reference["GitCommit"] == commit


def test_a_database_project_refuses_a_git_ref(vcs: Client) -> None:
    assert _errors(_release(vcs, ProjectName="Legacy", GitRef="main")) == [NOT_VERSION_CONTROLLED]
    created = _release(vcs, ProjectName="Legacy")
    assert created.status_code == 201
    release = vcs.get(f"/releases/{created.json()['ReleaseId']}").json()
    assert release["VersionControlReference"] is None


def test_the_older_releases_route_takes_the_reference_from_the_body(vcs: Client) -> None:
    shop = next(p for p in vcs.get("/projects/all").json() if p["Name"] == "Shop")
    selected = [{"ActionName": "Shop.Web", "Version": "1.0.0"}]
    body = {"ProjectId": shop["Id"], "Version": "2.0.0", "SelectedPackages": selected}
    assert _errors(vcs.post("/releases", json=body)) == [NO_GIT_REF]
    reference = {"GitRef": "refs/heads/main", "GitCommit": "abc1234"}
    created = vcs.post("/releases", json={**body, "VersionControlReference": reference})
    assert created.status_code == 201, created.text
    assert created.json()["VersionControlReference"] == reference


def test_git_runbooks_run_only_on_the_git_route_and_need_a_ref(vcs: Client) -> None:
    body = {"ProjectName": "Shop", "RunbookName": "Backup", "EnvironmentNames": ["Dev"]}
    assert (
        "runbook-runs/git/create/v1" in _errors(vcs.post("/runbook-runs/create/v1", json=body))[0]
    )
    assert _errors(vcs.post("/runbook-runs/git/create/v1", json=body)) == [
        "The GitRef field is required."
    ]
    response = vcs.post("/runbook-runs/git/create/v1", json={**body, "GitRef": "refs/heads/main"})
    assert response.status_code == 200, response.text
    (task,) = response.json()["RunbookRunServerTasks"]
    run = vcs.get(f"/runbookRuns/{task['RunbookRunId']}").json()
    assert run["GitReference"]["GitRef"] == "refs/heads/main"
    assert vcs.wait(task["ServerTaskId"])["State"] == "Success"


def test_database_runbooks_refuse_the_git_route(vcs: Client) -> None:
    body = {"ProjectName": "Legacy", "RunbookName": "Backup", "EnvironmentNames": ["Dev"]}
    refused = vcs.post("/runbook-runs/git/create/v1", json={**body, "GitRef": "main"})
    assert "runbook-runs/create/v1" in _errors(refused)[0]
    ran = vcs.post("/runbook-runs/create/v1", json=body)
    assert ran.status_code == 200, ran.text
    run_id = ran.json()["RunbookRunServerTasks"][0]["RunbookRunId"]
    assert "GitReference" not in vcs.get(f"/runbookRuns/{run_id}").json()
