"""The emulator enforces channel version rules (release creation, the latest version a step gets,
automatic release creation) and refuses a many-environment or many-tenant deployment request as
a whole, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from octoci.errors import InputError
from octoci_emulator import Emulator
from octoci_emulator.seed import parse_seed

from .conftest import Client

#: Dev -> Test -> Production and the project Shop whose channels have version rules (Default:
#: no pre-release; Beta: 2.x betas); ``tests/octopus/test_channel_rules_cli.py`` runs the
#: commands against the same model.
SHOP_SEED: dict[str, Any] = {
    "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.05},
    "environments": ["Dev", "Test", "Production"],
    "lifecycles": [
        {
            "name": "Main",
            "phases": [
                {"name": "Dev", "optional": ["Dev"]},
                {"name": "Test", "optional": ["Test"]},
                {"name": "Production", "optional": ["Production"]},
            ],
        }
    ],
    "projects": [
        {
            "name": "Shop",
            "lifecycle": "Main",
            "packages": ["Acme.Web", "Acme.Api"],
            "channels": [
                {"name": "Default", "rules": [{"steps": ["Acme.Web"], "tag": "^$"}]},
                {
                    "name": "Beta",
                    "rules": [
                        {"steps": ["Acme.Web"], "version_range": "[2.0,3.0)", "tag": "^beta"}
                    ],
                },
            ],
        },
    ],
}

SEED: dict[str, Any] = {
    **SHOP_SEED,
    "projects": [
        *SHOP_SEED["projects"],
        {
            "name": "Auto",
            "lifecycle": "Main",
            "packages": ["Auto.Web", "Auto.Worker"],
            "auto_create_release": "Auto.Web",
            "channels": [{"name": "Default", "rules": [{"steps": ["Auto.Web"], "tag": "^$"}]}],
        },
        {
            "name": "Tenanted Shop",
            "lifecycle": "Main",
            "packages": ["T.App"],
            "tenanted": "Tenanted",
        },
    ],
    "tenants": [
        {"name": "Acme", "projects": {"Tenanted Shop": ["Dev", "Production"]}},
        {"name": "Globex", "projects": {"Tenanted Shop": ["Production"]}},
    ],
}


@pytest.fixture
def emulator(octopus_emulator_factory: Any) -> Emulator:
    made: Emulator = octopus_emulator_factory(SEED)
    return made


@pytest.fixture
def client(emulator: Emulator) -> Client:
    return Client(emulator)


def _release(client: Client, **body: Any) -> Any:
    return client.post("/releases/create/v1", json={"ProjectName": "Shop", **body})


def _channel(client: Client, name: str, project: str = "Shop") -> dict[str, Any]:
    project_id = client.get("/projects/all").json()
    (found,) = [p for p in project_id if p["Name"] == project]
    items = client.get(f"/projects/{found['Id']}/channels").json()["Items"]
    channel: dict[str, Any] = next(c for c in items if c["Name"] == name)
    return channel


def test_a_release_breaking_the_channel_rules_is_refused_unless_they_are_ignored(
    client: Client, emulator: Emulator
) -> None:
    for name in ("Acme.Web.1.0.0-beta.zip", "Acme.Api.1.0.0.zip"):
        assert client.push(name).status_code == 201
    refused = _release(client, ReleaseVersion="1.0.0", Packages=["Acme.Web:1.0.0-beta"])
    assert refused.status_code == 400
    assert refused.json()["Errors"] == [
        "The version 1.0.0-beta of package 'Acme.Web' for step 'Acme.Web' does not satisfy the "
        "version rules of channel 'Default' of project 'Shop' (the pre-release tag '^$': its "
        "pre-release tag 'beta' does not match the pattern '^$'). Select a version that "
        "satisfies the rules, another channel, or ignore the channel rules."
    ]
    assert emulator.documents("release") == []
    forced = _release(
        client, ReleaseVersion="1.0.0", Packages=["Acme.Web:1.0.0-beta"], IgnoreChannelRules=True
    )
    assert forced.status_code == 201, forced.text
    (release,) = emulator.documents("release")
    assert release["IgnoreChannelRules"] is True
    # The older POST releases takes it as a query argument.
    legacy = client.post(
        "/releases?ignoreChannelRules=false",
        json={
            "ProjectId": release["ProjectId"],
            "Version": "1.0.1",
            "SelectedPackages": [
                {"ActionName": "Acme.Web", "Version": "1.0.0-beta"},
                {"ActionName": "Acme.Api", "Version": "1.0.0"},
            ],
        },
    )
    assert legacy.status_code == 400
    assert "does not satisfy the version rules of channel 'Default'" in legacy.text


def test_a_step_without_a_version_gets_the_latest_the_channel_accepts(
    client: Client, emulator: Emulator
) -> None:
    for name in ("Acme.Web.1.0.0.zip", "Acme.Web.1.1.0-beta.zip", "Acme.Web.2.1.0-beta.1.zip"):
        assert client.push(name).status_code == 201
    assert client.push("Acme.Api.1.0.0.zip").status_code == 201
    default = _release(client, ReleaseVersion="1.0.0")
    assert default.status_code == 201, default.text
    beta = _release(client, ReleaseVersion="2.1.0-beta.1", ChannelName="Beta")
    assert beta.status_code == 201, beta.text
    picked = {
        r["Version"]: {p["ActionName"]: p["Version"] for p in r["SelectedPackages"]}
        for r in emulator.documents("release")
    }
    assert picked["1.0.0"]["Acme.Web"] == "1.0.0"  # not the newer 2.1.0-beta.1
    assert picked["2.1.0-beta.1"]["Acme.Web"] == "2.1.0-beta.1"
    none_fits = _release(client, ReleaseVersion="2.2.0", ChannelName="Beta")
    assert none_fits.status_code == 201  # 2.1.0-beta.1 still fits
    out_of_range = _release(
        client, ReleaseVersion="3.0.0", ChannelName="Beta", PackageVersion="3.0.0"
    )
    assert out_of_range.status_code == 400
    assert "outside the version range '[2.0,3.0)'" in out_of_range.text


def test_automatic_release_creation_skips_a_version_the_channel_refuses(
    client: Client, emulator: Emulator
) -> None:
    assert client.push("Auto.Worker.1.0.0.zip").status_code == 201
    assert client.push("Auto.Web.1.0.0-beta.zip").status_code == 201
    assert emulator.documents("release") == []
    assert client.push("Auto.Web.1.0.0.zip").status_code == 201
    (release,) = emulator.documents("release")
    assert release["Version"] == "1.0.0"


def test_channel_rules_are_checked_when_a_channel_is_saved(client: Client) -> None:
    channel = _channel(client, "Beta")
    bad = {
        **channel,
        "Rules": [
            {"ActionPackages": [], "VersionRange": "[2.0,1.0]", "Tag": "("},
        ],
    }
    answer = client.session.put(f"{client.space}/channels/{channel['Id']}", json=bad, timeout=30)
    assert answer.status_code == 400
    errors = answer.json()["Errors"]
    assert "Version rules must specify a package step." in errors
    assert any("'[2.0,1.0]' is empty" in e for e in errors)
    assert any("'(' is not a regular expression" in e for e in errors)
    assert _channel(client, "Beta")["Rules"] == channel["Rules"]  # nothing changed


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"steps": []}, "Version rules must specify a package step."),
        ({"steps": ["Nope"]}, "'Nope' is not one of the project's package steps"),
        ({"steps": ["Acme.Web"], "version_range": "(1.0)"}, "an exact version is written [1.0]"),
        ({"steps": ["Acme.Web"], "tag": "(("}, "is not a regular expression"),
    ],
)
def test_a_seed_with_a_bad_rule_is_refused(rule: dict[str, Any], problem: str) -> None:
    seed = {
        "projects": [
            {"name": "P", "packages": ["Acme.Web"], "channels": [{"name": "C", "rules": [rule]}]}
        ]
    }
    with pytest.raises(InputError, match="rules") as raised:
        parse_seed(seed)
    assert problem in str(raised.value)


def _deploy(client: Client, *environments: str) -> Any:
    return client.post(
        "/deployments/create/untenanted/v1",
        json={
            "ProjectName": "Shop",
            "ReleaseVersion": "1.0.0",
            "EnvironmentNames": list(environments),
        },
    )


def test_a_many_environment_request_is_refused_as_a_whole(
    client: Client, emulator: Emulator
) -> None:
    for name in ("Acme.Web.1.0.0.zip", "Acme.Api.1.0.0.zip"):
        assert client.push(name).status_code == 201
    assert _release(client, ReleaseVersion="1.0.0").status_code == 201
    refused = _deploy(client, "Dev", "Production")
    assert refused.status_code == 400
    assert refused.json()["Errors"] == [
        "Release '1.0.0' of project 'Shop' cannot be deployed to environment 'Production' yet: "
        "the lifecycle 'Main' requires the 'Dev' phase to be complete first."
    ]
    assert emulator.documents("deployment") == []
    assert emulator.documents("task") == []
    accepted = _deploy(client, "Dev")
    assert accepted.status_code == 200, accepted.text


def test_a_many_tenant_request_is_refused_as_a_whole(client: Client, emulator: Emulator) -> None:
    assert client.push("T.App.1.0.0.zip").status_code == 201
    created = client.post(
        "/releases/create/v1", json={"ProjectName": "Tenanted Shop", "ReleaseVersion": "1.0.0"}
    )
    assert created.status_code == 201
    refused = client.post(
        "/deployments/create/tenanted/v1",
        json={
            "ProjectName": "Tenanted Shop",
            "ReleaseVersion": "1.0.0",
            "EnvironmentName": "Dev",
            "Tenants": ["Acme", "Globex"],
        },
    )
    assert refused.status_code == 400
    assert refused.json()["Errors"] == [
        "Tenant 'Globex' is not connected to project 'Tenanted Shop' in environment 'Dev'."
    ]
    assert emulator.documents("deployment") == []
