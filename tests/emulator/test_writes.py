"""The model is writable through the REST API as in Octopus: POST a collection, PUT an item,
DELETE an item; a bad write is one 400 in Octopus's error shape and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from octoci.testing import run_octoci
from octoci_emulator import Emulator

#: Everything an emulator stores about the model, to show that a refused write changed nothing.
MODEL_KINDS = (
    "space",
    "projectgroup",
    "environment",
    "lifecycle",
    "tagset",
    "project",
    "deploymentprocess",
    "variableset",
    "channel",
    "tenant",
    "runbook",
    "runbooksnapshot",
)


class Api:
    """Octopus's REST API of one emulator, as a configuring client calls it."""

    def __init__(self, emulator: Emulator, api_key: str | None = None) -> None:
        self.emulator = emulator
        self.session = requests.Session()
        self.session.headers["X-Octopus-ApiKey"] = api_key or emulator.api_key
        self.root = f"{emulator.url}/api"

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.root + path, json=body, timeout=30, **kwargs)

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = self.call(method, path, body)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def create(self, space: str, collection: str, body: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self.ok("POST", f"/{space}/{collection}", body, status=201)
        return created

    def model(self) -> dict[str, list[dict[str, Any]]]:
        return {kind: self.emulator.documents(kind) for kind in MODEL_KINDS}


@pytest.fixture
def api(octopus_emulator: Emulator) -> Api:
    return Api(octopus_emulator)


def _new_space(api: Api, name: str = "Shop Space") -> dict[str, Any]:
    space: dict[str, Any] = api.ok(
        "POST",
        "/spaces",
        {"Name": name, "SpaceManagersTeamMembers": ["Users-1"], "IsDefault": False},
        status=201,
    )
    return space


def _shop(api: Api, space_id: str) -> dict[str, Any]:
    """Dev and Test, a Dev -> Test lifecycle, project Shop deploying package Acme.Web."""
    dev = api.create(space_id, "environments", {"Name": "Dev"})
    test = api.create(space_id, "environments", {"Name": "Test"})
    lifecycle = api.create(
        space_id,
        "lifecycles",
        {
            "Name": "Dev then Test",
            "Phases": [
                {
                    "Name": "Dev",
                    "AutomaticDeploymentTargets": [],
                    "OptionalDeploymentTargets": [dev["Id"]],
                },
                {"Name": "Test", "OptionalDeploymentTargets": [test["Id"]]},
            ],
        },
    )
    group = api.ok("GET", f"/{space_id}/projectgroups?take=1")["Items"][0]
    project = api.create(
        space_id,
        "projects",
        {"Name": "Shop", "LifecycleId": lifecycle["Id"], "ProjectGroupId": group["Id"]},
    )
    process = api.ok("GET", f"/{space_id}/projects/{project['Id']}/deploymentprocesses")
    process["Steps"] = [
        {
            "Name": "Deploy web",
            "Actions": [
                {
                    "Name": "Deploy web",
                    "ActionType": "Octopus.TentaclePackage",
                    "Properties": {"Octopus.Action.Package.PackageId": "Acme.Web"},
                    "Packages": [{"Name": "", "PackageId": "Acme.Web", "FeedId": "feeds-builtin"}],
                }
            ],
        }
    ]
    api.ok("PUT", f"/{space_id}/projects/{project['Id']}/deploymentprocesses", process)
    return {"dev": dev, "test": test, "lifecycle": lifecycle, "project": project}


def test_a_space_configured_through_the_api_takes_an_octoci_publish(
    api: Api, octopus_emulator: Emulator, git_repo: Callable[..., Path]
) -> None:
    space = _new_space(api)
    _shop(api, space["Id"])
    repo = git_repo(["Start the shop", "Add the basket (#12)"], tags={0: "v1.0.0"})
    (repo / "web").mkdir()
    (repo / "web" / "index.html").write_text("<h1>Shop</h1>\n", encoding="utf-8")
    (repo / "octoci.toml").write_text(
        'project = "Shop"\ndeploy_to = ["Dev"]\nwait = true\npoll_interval = 0.05\n\n'
        '[[packages]]\nid = "Acme.Web"\nbase_path = "web"\n',
        encoding="utf-8",
    )
    result = run_octoci(
        "publish",
        "--version",
        "1.0.1",
        env={
            "OCTOPUS_URL": octopus_emulator.url,
            "OCTOPUS_API_KEY": octopus_emulator.api_key,
            "OCTOPUS_SPACE": "Shop Space",
            "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
        },
        cwd=repo,
    )
    assert result.exit_code == 0, result.stderr
    releases = octopus_emulator.documents("release", space["Id"])
    assert [(r["Version"], r["SelectedPackages"][0]["ActionName"]) for r in releases] == [
        ("1.0.1", "Deploy web")
    ]
    deployments = octopus_emulator.documents("deployment", space["Id"])
    assert len(deployments) == 1
    assert octopus_emulator.wait_for_task(deployments[0]["TaskId"])["State"] == "Success"
    # The default space was not touched.
    assert octopus_emulator.documents("release", octopus_emulator.space_id) == []


def test_a_new_space_comes_with_a_project_group_and_a_lifecycle(api: Api) -> None:
    space = _new_space(api)
    assert space["Links"]["Self"] == f"/api/spaces/{space['Id']}"
    assert api.ok("GET", f"/spaces/{space['Id']}")["Name"] == "Shop Space"
    groups = api.ok("GET", f"/{space['Id']}/projectgroups")["Items"]
    lifecycles = api.ok("GET", f"/{space['Id']}/lifecycles")["Items"]
    assert [g["Name"] for g in groups] == ["Default Project Group"]
    assert [(lc["Name"], lc["Phases"]) for lc in lifecycles] == [("Default Lifecycle", [])]
    assert api.ok("GET", f"/{space['Id']}/environments")["Items"] == []


def test_put_changes_an_item_and_keeps_its_id(api: Api, octopus_emulator: Emulator) -> None:
    env = api.ok("GET", "/environments?name=Dev")["Items"][0]
    changed = api.ok(
        "PUT",
        f"/environments/{env['Id']}",
        {**env, "Name": "Development", "UseGuidedFailure": True},
    )
    assert (changed["Id"], changed["Name"], changed["UseGuidedFailure"]) == (
        env["Id"],
        "Development",
        True,
    )
    assert api.ok("GET", "/environments?name=Development")["Items"][0]["Id"] == env["Id"]
    assert api.ok("GET", "/environments?name=Dev")["Items"] == []


def test_deployment_process_versions_and_stale_puts(api: Api) -> None:
    project = api.create(
        "Spaces-1",
        "projects",
        {"Name": "Api", "LifecycleId": "Lifecycles-1", "ProjectGroupId": "ProjectGroups-1"},
    )
    path = f"/Spaces-1/projects/{project['Id']}/deploymentprocesses"
    process = api.ok("GET", path)
    assert (process["Id"], process["Version"], process["Steps"]) == (
        project["DeploymentProcessId"],
        0,
        [],
    )
    step = {"Name": "Run", "Actions": [{"Name": "Run", "ActionType": "Octopus.Script"}]}
    updated = api.ok("PUT", path, {**process, "Steps": [step]})
    assert updated["Version"] == 1
    assert updated["Steps"][0]["Id"]
    assert updated["Steps"][0]["Actions"][0]["Id"]
    # A PUT of the version read before that change is refused and changes nothing.
    stale = api.call("PUT", path, {**process, "Steps": []})
    assert stale.status_code == 400
    assert "changed by someone else" in stale.json()["Errors"][0]
    assert api.ok("GET", f"/Spaces-1/deploymentprocesses/{process['Id']}") == updated


def test_a_version_controlled_project_keeps_its_settings_and_hides_its_password(
    api: Api, octopus_emulator: Emulator
) -> None:
    settings = {
        "Type": "VersionControlled",
        "Url": "https://github.com/acme/shop.git",
        "DefaultBranch": "main",
        "BasePath": ".octopus/shop",
        "Credentials": {
            "Type": "UsernamePassword",
            "Username": "bot",
            "Password": {"HasValue": True, "NewValue": "s3cret-pw"},
        },
    }
    project = api.create(
        "Spaces-1",
        "projects",
        {
            "Name": "Config as code",
            "LifecycleId": "Lifecycles-1",
            "ProjectGroupId": "ProjectGroups-1",
            "IsVersionControlled": True,
            "PersistenceSettings": settings,
        },
    )
    read = api.ok("GET", f"/projects/{project['Id']}")
    assert read["IsVersionControlled"] is True
    assert read["PersistenceSettings"]["Url"] == settings["Url"]
    assert read["PersistenceSettings"]["BasePath"] == ".octopus/shop"
    assert read["PersistenceSettings"]["Credentials"]["Password"] == {
        "HasValue": True,
        "NewValue": None,
    }
    assert "s3cret-pw" not in api.call("GET", "/projects/all").text
    assert "s3cret-pw" not in api.call("GET", f"/projects/{project['Id']}").text


def test_variables_put_and_get_never_return_a_sensitive_value(api: Api) -> None:
    project = api.ok("GET", "/projects/all")[0]
    path = f"/variables/{project['VariableSetId']}"
    current = api.ok("GET", path)
    assert (current["OwnerId"], current["Version"], current["Variables"]) == (project["Id"], 0, [])
    dev = api.ok("GET", "/environments?name=Dev")["Items"][0]
    variables = [
        {"Name": "Greeting", "Value": "hello", "Scope": {"Environment": [dev["Id"]]}},
        {"Name": "DbPassword", "Value": "hunter2-secret", "Type": "Sensitive"},
    ]
    saved = api.ok("PUT", path, {**current, "Variables": variables})
    assert saved["Version"] == 1
    by_name = {v["Name"]: v for v in saved["Variables"]}
    assert by_name["Greeting"]["Value"] == "hello"
    assert by_name["Greeting"]["Scope"] == {"Environment": [dev["Id"]]}
    assert (by_name["DbPassword"]["Value"], by_name["DbPassword"]["IsSensitive"]) == (None, True)
    again = api.call("GET", path)
    assert "hunter2-secret" not in again.text
    assert again.json() == saved
    # A stale version is Octopus's "another user has made changes" 400.
    stale = api.call("PUT", path, {**current, "Variables": []})
    assert stale.status_code == 400
    assert "another user has made changes" in stale.json()["Errors"][0]
    assert api.ok("GET", path) == saved


def test_api_made_tenants_and_runbooks_deploy_and_run(api: Api, octopus_emulator: Emulator) -> None:
    dev = api.ok("GET", "/environments?name=Dev")["Items"][0]
    project = api.create(
        "Spaces-1",
        "projects",
        {
            "Name": "Tenanted",
            "LifecycleId": "Lifecycles-1",
            "ProjectGroupId": "ProjectGroups-1",
            "TenantedDeploymentMode": "Tenanted",
        },
    )
    api.create("Spaces-1", "tagsets", {"Name": "Tier", "Tags": [{"Name": "Gold"}]})
    tenant = api.create(
        "Spaces-1",
        "tenants",
        {
            "Name": "Acme",
            "TenantTags": ["tier/gold"],
            "ProjectEnvironments": {project["Id"]: [dev["Id"]]},
        },
    )
    assert tenant["TenantTags"] == ["Tier/Gold"]
    runbook = api.create("Spaces-1", "runbooks", {"ProjectId": project["Id"], "Name": "Restart"})
    assert runbook["PublishedRunbookSnapshotId"] is None
    snapshot = api.ok(
        "POST",
        f"/Spaces-1/projects/{project['Id']}/runbookSnapshots?publish=true",
        {"RunbookId": runbook["Id"], "Name": "Snapshot 1"},
        status=201,
    )
    assert (
        api.ok("GET", f"/runbooks/{runbook['Id']}")["PublishedRunbookSnapshotId"] == snapshot["Id"]
    )
    release = api.ok(
        "POST",
        "/Spaces-1/releases/create/v1",
        {"spaceIdOrName": "Spaces-1", "ProjectName": "Tenanted", "ReleaseVersion": "1.0.0"},
        status=201,
    )
    deployed = api.ok(
        "POST",
        "/Spaces-1/deployments/create/tenanted/v1",
        {
            "spaceIdOrName": "Spaces-1",
            "ProjectName": "Tenanted",
            "ReleaseVersion": release["ReleaseVersion"],
            "EnvironmentName": "Dev",
            "Tenants": ["Acme"],
        },
    )
    run = api.ok(
        "POST",
        "/Spaces-1/runbook-runs/create/v1",
        {
            "spaceIdOrName": "Spaces-1",
            "ProjectName": "Tenanted",
            "RunbookName": "Restart",
            "EnvironmentNames": ["Dev"],
            "Tenants": ["Acme"],
        },
    )
    tasks = [t["ServerTaskId"] for t in deployed["DeploymentServerTasks"]]
    tasks += [t["ServerTaskId"] for t in run["RunbookRunServerTasks"]]
    assert len(tasks) == 2
    assert [octopus_emulator.wait_for_task(t)["State"] for t in tasks] == ["Success"] * 2


def test_deleting_a_space_needs_a_stopped_queue_and_takes_its_contents(
    api: Api, octopus_emulator: Emulator
) -> None:
    space = _new_space(api)
    _shop(api, space["Id"])
    pushed = api.session.post(
        f"{api.root}/{space['Id']}/packages/raw",
        files={"file": ("Acme.Web.1.0.0.zip", b"PK\x05\x06" + b"\x00" * 18)},
        timeout=30,
    )
    assert pushed.status_code == 201, pushed.text
    package_file = octopus_emulator.package_path(octopus_emulator.packages()[0])
    assert package_file.is_file()
    refused = api.call("DELETE", f"/spaces/{space['Id']}")
    assert refused.status_code == 400
    assert refused.json()["ErrorMessage"] == "There was a problem with your request."
    assert any("TaskQueueStopped" in e for e in refused.json()["Errors"])
    assert api.ok("GET", f"/spaces/{space['Id']}")["Name"] == "Shop Space"
    api.ok("PUT", f"/spaces/{space['Id']}", {**space, "TaskQueueStopped": True})
    assert api.call("DELETE", f"/spaces/{space['Id']}").status_code == 200
    assert api.call("GET", f"/spaces/{space['Id']}").status_code == 404
    for kind in MODEL_KINDS:
        assert octopus_emulator.documents(kind, space["Id"]) == [], kind
    assert octopus_emulator.packages() == []
    assert not package_file.exists()
    # The default space cannot be deleted.
    default = api.ok("GET", f"/spaces/{octopus_emulator.space_id}")
    api.ok("PUT", f"/spaces/{default['Id']}", {**default, "TaskQueueStopped": True})
    refused = api.call("DELETE", f"/spaces/{default['Id']}")
    assert refused.status_code == 400
    assert "default space" in " ".join(refused.json()["Errors"])


def test_an_item_in_use_is_not_deleted(api: Api) -> None:
    env = api.ok("GET", "/environments?name=Dev")["Items"][0]
    api.create(
        "Spaces-1",
        "lifecycles",
        {"Name": "Dev only", "Phases": [{"Name": "Dev", "OptionalDeploymentTargets": [env["Id"]]}]},
    )
    refused = api.call("DELETE", f"/environments/{env['Id']}")
    assert refused.status_code == 400
    assert refused.json()["Errors"] == [
        "The Environment has dependent resources and cannot be deleted.",
        "It is used by lifecycle 'Dev only'.",
    ]
    assert api.ok("GET", f"/environments/{env['Id']}")["Name"] == "Dev"
    unused = api.create("Spaces-1", "environments", {"Name": "Scratch"})
    assert api.call("DELETE", f"/environments/{unused['Id']}").status_code == 200
    assert api.call("GET", f"/environments/{unused['Id']}").status_code == 404
    channel = api.ok("GET", "/channels")["Items"][0]
    refused = api.call("DELETE", f"/channels/{channel['Id']}")
    assert refused.json()["Errors"][1] == "You cannot delete the default channel."


#: (method, path, body, a phrase of the error): each a 400 that changes nothing.
BAD_WRITES: list[tuple[str, str, Any, str]] = [
    ("POST", "/spaces", {"Name": ""}, "Please specify a name for the space."),
    ("POST", "/spaces", {"Name": "Default"}, "A space with the name 'Default' already exists"),
    ("POST", "/Spaces-1/environments", {"Name": ["Dev"]}, "The field 'Name' must be a string."),
    ("POST", "/Spaces-1/environments", {"Name": "dev"}, "'dev' already exists in this space"),
    ("POST", "/Spaces-1/environments", {"Name": "QA", "SortOrder": "first"}, "'SortOrder'"),
    (
        "POST",
        "/Spaces-1/lifecycles",
        {"Name": "L", "Phases": [{"Name": "P", "OptionalDeploymentTargets": ["Environments-404"]}]},
        "The environment 'Environments-404' does not exist in this space.",
    ),
    ("POST", "/Spaces-1/lifecycles", {"Name": "L", "Phases": "Dev"}, "'Phases' must be a list"),
    (
        "POST",
        "/Spaces-1/projects",
        {"Name": "P", "LifecycleId": "Lifecycles-404", "ProjectGroupId": "ProjectGroups-1"},
        "The lifecycle 'Lifecycles-404' does not exist in this space.",
    ),
    ("POST", "/Spaces-1/projects", {"Name": "P"}, "Please specify the lifecycle."),
    (
        "POST",
        "/Spaces-1/projects",
        {
            "Name": "P",
            "LifecycleId": "Lifecycles-1",
            "ProjectGroupId": "ProjectGroups-1",
            "TenantedDeploymentMode": "Sometimes",
        },
        "'TenantedDeploymentMode' must be one of",
    ),
    (
        "PUT",
        "/Spaces-1/projects/Projects-1/deploymentprocesses",
        {
            "Steps": [
                {
                    "Name": "S",
                    "Actions": [
                        {
                            "Name": "A",
                            "ActionType": "Octopus.TentaclePackage",
                            "Packages": [{"PackageId": "X", "FeedId": "feeds-nuget"}],
                        }
                    ],
                }
            ]
        },
        "Could not find a feed with ID feeds-nuget, which is used by step: A",
    ),
    (
        "PUT",
        "/Spaces-1/projects/Projects-1/deploymentprocesses",
        {"Steps": [{"Name": "S", "Actions": []}]},
        "The step 'S' needs at least one action.",
    ),
    (
        "POST",
        "/Spaces-1/tenants",
        {"Name": "T", "ProjectEnvironments": {"Projects-404": ["Environments-1"]}},
        "The project 'Projects-404' does not exist in this space.",
    ),
    (
        "POST",
        "/Spaces-1/tenants",
        {"Name": "T", "ProjectEnvironments": {"Projects-1": ["Environments-1"]}},
        "does not allow tenanted deployments",
    ),
    (
        "POST",
        "/Spaces-1/tenants",
        {"Name": "T", "TenantTags": ["Tier/Platinum"]},
        "'Tier/Platinum'",
    ),
    (
        "POST",
        "/Spaces-1/channels",
        {"Name": "Beta", "ProjectId": "Projects-1", "LifecycleId": "Lifecycles-404"},
        "The lifecycle 'Lifecycles-404' does not exist",
    ),
    ("POST", "/Spaces-1/runbooks", {"Name": "R"}, "Please specify the project."),
    (
        "PUT",
        "/Spaces-1/variables/variableset-Projects-1",
        {"Variables": [{"Name": "V", "Scope": {"Environment": ["Environments-404"]}}]},
        "The environment 'Environments-404' does not exist",
    ),
    (
        "PUT",
        "/Spaces-1/variables/variableset-Projects-1",
        {"Variables": [{"Name": "V", "Type": "Magic"}]},
        "'Type' must be one of",
    ),
    (
        "PUT",
        "/Spaces-1/projects/Projects-1",
        {
            "Name": "Web",
            "LifecycleId": "Lifecycles-1",
            "ProjectGroupId": "ProjectGroups-1",
            "AutoCreateRelease": True,
            "ReleaseCreationStrategy": {
                "ChannelId": "Channels-1",
                "ReleaseCreationPackage": {"DeploymentAction": "Nope"},
            },
        },
        "The package step provided could not be found in the project's deployment process",
    ),
]


@pytest.fixture
def octopus_emulator_seed() -> dict[str, Any]:
    return {
        "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.05},
        "projects": [{"name": "Web", "packages": ["Web"]}],
        "tenants": [],
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "phrase"),
    BAD_WRITES,
    ids=[f"{m} {p} {x}" for m, p, _, x in BAD_WRITES],
)
def test_a_bad_write_is_one_400_in_octopus_shape_and_changes_nothing(
    api: Api, method: str, path: str, body: Any, phrase: str
) -> None:
    before = api.model()
    response = api.call(method, path, body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["ErrorMessage"] == "There was a problem with your request."
    assert any(phrase in e for e in error["Errors"]), error["Errors"]
    assert api.model() == before


def test_every_problem_of_a_body_is_listed_at_once(api: Api) -> None:
    response = api.call(
        "POST",
        "/Spaces-1/projects",
        {"Name": "", "LifecycleId": "Lifecycles-404", "ProjectGroupId": "ProjectGroups-404"},
    )
    assert response.json()["Errors"] == [
        "Please specify a name for the project.",
        "The lifecycle 'Lifecycles-404' does not exist in this space.",
        "The project group 'ProjectGroups-404' does not exist in this space.",
    ]


@pytest.mark.parametrize("body", [b"", b"{not json", b"[1, 2]", b'"text"'])
def test_a_malformed_body_is_400_and_changes_nothing(api: Api, body: bytes) -> None:
    before = api.model()
    for path in ("/spaces", "/Spaces-1/environments", "/Spaces-1/projects"):
        response = api.session.post(
            api.root + path, data=body, headers={"Content-Type": "application/json"}, timeout=30
        )
        assert response.status_code == 400, (path, body, response.text)
        assert set(response.json()) >= {"ErrorMessage", "Errors"}
    assert api.model() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/spaces"),
        ("PUT", "/spaces/Spaces-1"),
        ("DELETE", "/spaces/Spaces-1"),
        ("POST", "/Spaces-1/environments"),
        ("PUT", "/Spaces-1/variables/variableset-Projects-1"),
        ("GET", "/Spaces-1/variables/variableset-Projects-1"),
        ("PUT", "/Spaces-1/projects/Projects-1/deploymentprocesses"),
    ],
)
def test_a_write_without_credentials_is_401_and_changes_nothing(
    api: Api, octopus_emulator: Emulator, method: str, path: str
) -> None:
    before = api.model()
    response = requests.request(method, api.root + path, json={"Name": "X"}, timeout=30)
    assert response.status_code == 401
    assert response.json()["ErrorMessage"].startswith("You must be logged in")
    assert api.model() == before


def test_a_key_without_the_permission_is_403(octopus_emulator_factory: Any) -> None:
    emulator = octopus_emulator_factory(
        {"api_keys": ["API-FULL", {"key": "API-ENVONLY", "permissions": ["EnvironmentCreate"]}]}
    )
    limited = Api(emulator, "API-ENVONLY")
    assert limited.call("POST", "/Spaces-1/environments", {"Name": "QA"}).status_code == 201
    refused = limited.call("POST", "/spaces", {"Name": "Other"})
    assert refused.status_code == 403
    assert "SpaceCreate" in refused.json()["ErrorMessage"]
    assert [s["Name"] for s in emulator.documents("space")] == ["Default"]


def test_secrets_sent_back_without_their_value_are_kept(
    api: Api, octopus_emulator: Emulator
) -> None:
    project = api.ok("GET", "/projects/all")[0]
    path = f"/variables/{project['VariableSetId']}"
    current = api.ok("GET", path)
    secret = {"Name": "DbPassword", "Value": "hunter2-secret", "Type": "Sensitive"}
    saved = api.ok("PUT", path, {**current, "Variables": [secret]})
    # A client changes something else and sends back what it read (the value is null there).
    renamed = {**saved["Variables"][0], "Description": "the database password"}
    again = api.ok("PUT", path, {**saved, "Variables": [renamed]})
    assert again["Variables"][0]["Value"] is None
    stored = octopus_emulator.app.store.get("variableset", project["VariableSetId"])
    assert stored is not None
    assert stored["_Values"] == {saved["Variables"][0]["Id"]: "hunter2-secret"}


def test_runbooks_under_their_project_and_one_default_channel(api: Api) -> None:
    project = api.ok("GET", "/projects/all")[0]
    base = f"/Spaces-1/projects/{project['Id']}/runbooks"
    runbook = api.ok("POST", base, {"Name": "Backup"}, status=201)
    assert runbook["ProjectId"] == project["Id"]
    changed = api.ok("PUT", f"{base}/{runbook['Id']}", {**runbook, "Description": "nightly"})
    assert api.ok("GET", f"{base}/{runbook['Id']}")["Description"] == changed["Description"]
    assert api.call("DELETE", f"{base}/{runbook['Id']}").status_code == 200
    assert api.call("GET", f"{base}/{runbook['Id']}").status_code == 404
    # Making another channel the default takes it from the old one.
    old = api.ok("GET", f"/projects/{project['Id']}/channels")["Items"][0]
    new = api.create(
        "Spaces-1", "channels", {"ProjectId": project["Id"], "Name": "Beta", "IsDefault": True}
    )
    defaults = [
        (c["Id"], c["IsDefault"])
        for c in api.ok("GET", f"/projects/{project['Id']}/channels")["Items"]
    ]
    assert defaults == [(old["Id"], False), (new["Id"], True)]


def test_a_refused_write_uses_up_no_id(api: Api) -> None:
    assert api.call("POST", "/Spaces-1/lifecycles", {"Name": "L", "Phases": "x"}).status_code == 400
    assert api.call("POST", "/Spaces-1/projects", {"Name": "P"}).status_code == 400
    lifecycle = api.create("Spaces-1", "lifecycles", {"Name": "L"})
    project = api.create(
        "Spaces-1",
        "projects",
        {"Name": "P", "LifecycleId": lifecycle["Id"], "ProjectGroupId": "ProjectGroups-1"},
    )
    # The seed made Lifecycles-1 and Projects-1.
    assert (lifecycle["Id"], project["Id"]) == ("Lifecycles-2", "Projects-2")


def test_concurrent_creates_of_one_name_make_one_resource(
    api: Api, octopus_emulator: Emulator
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def create(_: int) -> int:
        return (
            Api(octopus_emulator).call("POST", "/Spaces-1/environments", {"Name": "QA"}).status_code
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(create, range(8)))
    assert statuses == [201] + [400] * 7
    assert [e["Name"] for e in octopus_emulator.documents("environment")].count("QA") == 1
