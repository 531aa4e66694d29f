"""The seed file and the REST API build the same model: a seed is the quick way to make the
calls a client configuring Octopus would make, and is refused as a seed where the model would
refuse the calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from octoci.testing import run_octoci
from octoci_emulator import Emulator

from .test_writes import Api

SEED: dict[str, Any] = {
    "environments": ["Dev", "Test"],
    "lifecycles": [
        {
            "name": "Main",
            "phases": [
                {"name": "Dev", "automatic": ["Dev"]},
                {"name": "Test", "optional": ["Test"], "minimum": 1},
            ],
        }
    ],
    "projects": [
        {
            "name": "Shop",
            "lifecycle": "Main",
            "packages": ["Shop.Web", "Shop.Api"],
            "auto_create_release": "Shop.Web",
            "tenanted": "TenantedOrUntenanted",
            "channels": [{"name": "Hotfix", "lifecycle": "Main"}],
            "runbooks": ["Restart"],
        }
    ],
    "tenants": [{"name": "Acme", "tags": ["Tier/Gold"], "projects": {"Shop": ["Dev"]}}],
}


def _configure_by_api(api: Api) -> None:
    """What :data:`SEED` says, as API calls (in an emulator seeded with the environments only)."""
    space = "Spaces-1"
    envs = {e["Name"]: e["Id"] for e in api.ok("GET", f"/{space}/environments/all")}
    main = api.create(
        space,
        "lifecycles",
        {
            "Name": "Main",
            "Phases": [
                {"Name": "Dev", "AutomaticDeploymentTargets": [envs["Dev"]]},
                {
                    "Name": "Test",
                    "OptionalDeploymentTargets": [envs["Test"]],
                    "MinimumEnvironmentsBeforePromotion": 1,
                },
            ],
        },
    )
    group = api.ok("GET", f"/{space}/projectgroups/all")[0]
    body = {
        "Name": "Shop",
        "LifecycleId": main["Id"],
        "ProjectGroupId": group["Id"],
        "TenantedDeploymentMode": "TenantedOrUntenanted",
    }
    project = api.create(space, "projects", body)
    steps = [
        {
            "Name": package,
            "Actions": [
                {
                    "Name": package,
                    "ActionType": "Octopus.TentaclePackage",
                    "Properties": {
                        "Octopus.Action.Package.PackageId": package,
                        "Octopus.Action.Package.FeedId": "feeds-builtin",
                    },
                    "Packages": [{"Name": "", "PackageId": package, "FeedId": "feeds-builtin"}],
                }
            ],
        }
        for package in ("Shop.Web", "Shop.Api")
    ]
    api.ok(
        "PUT", f"/{space}/deploymentprocesses/{project['DeploymentProcessId']}", {"Steps": steps}
    )
    api.create(
        space, "channels", {"ProjectId": project["Id"], "Name": "Hotfix", "LifecycleId": main["Id"]}
    )
    default = api.ok("GET", f"/{space}/projects/{project['Id']}/channels?name=Default")["Items"][0]
    arc = {"DeploymentAction": "Shop.Web", "PackageReference": ""}
    api.ok(
        "PUT",
        f"/{space}/projects/{project['Id']}",
        {
            **body,
            "AutoCreateRelease": True,
            "ReleaseCreationStrategy": {"ChannelId": default["Id"], "ReleaseCreationPackage": arc},
            "VersioningStrategy": {"DonorPackage": arc},
        },
    )
    runbook = api.create(
        space,
        "runbooks",
        {"ProjectId": project["Id"], "Name": "Restart", "MultiTenancyMode": "TenantedOrUntenanted"},
    )
    api.ok(
        "POST",
        f"/{space}/runbookSnapshots?publish=true",
        {"ProjectId": project["Id"], "RunbookId": runbook["Id"]},
        status=201,
    )
    api.create(space, "tagsets", {"Name": "Tier", "Tags": [{"Name": "Gold"}]})
    api.create(
        space,
        "tenants",
        {
            "Name": "Acme",
            "TenantTags": ["Tier/Gold"],
            "ProjectEnvironments": {project["Id"]: [envs["Dev"]]},
        },
    )


def _without_generated_ids(value: Any) -> Any:
    """``value`` with the random ids of steps, actions and packages blanked (they are GUIDs)."""
    if isinstance(value, dict):
        return {
            k: "<guid>" if k == "Id" and len(str(v)) == 36 else _without_generated_ids(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_without_generated_ids(v) for v in value]
    return value


def test_the_seed_and_the_api_build_the_same_model(octopus_emulator_factory: Any) -> None:
    seeded: Emulator = octopus_emulator_factory(SEED)
    by_api: Emulator = octopus_emulator_factory({"environments": SEED["environments"]})
    _configure_by_api(Api(by_api))
    for kind in (
        "space",
        "environment",
        "lifecycle",
        "projectgroup",
        "project",
        "deploymentprocess",
        "variableset",
        "channel",
        "runbook",
        "runbooksnapshot",
        "tagset",
        "tenant",
    ):
        expected = _without_generated_ids(seeded.documents(kind))
        assert _without_generated_ids(by_api.documents(kind)) == expected, kind
    # And the model works: pushing the ARC package creates a release.
    for emulator in (seeded, by_api):
        api = Api(emulator)
        for name in ("Shop.Api.1.0.0.zip", "Shop.Web.2.0.0.zip"):
            pushed = api.session.post(
                f"{api.root}/Spaces-1/packages/raw",
                files={"file": (name, b"PK\x05\x06" + b"\x00" * 18)},
                timeout=30,
            )
            assert pushed.status_code == 201, pushed.text
        releases = emulator.documents("release")
        assert [r["Version"] for r in releases] == ["2.0.0"]


def test_a_seed_the_model_refuses_is_one_line_exit_2_and_creates_nothing(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        '{"projects": [{"name": "Web"}], "tenants": [{"name": "Acme", "projects": {"Web": []}}]}'
    )
    data_dir = tmp_path / "state"
    result = run_octoci(
        "emulator",
        "--seed",
        str(seed),
        "--data-dir",
        str(data_dir),
        env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "project 'Web' does not allow tenanted deployments" in result.stderr
    assert not data_dir.exists()
