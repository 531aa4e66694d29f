"""External feeds in the emulator: the feeds resource (create, read, change, delete, filters),
shapes checked against Octopus's Swagger document, secrets never answered, version look-ups
answered by asking a real repository over HTTP, and release creation refusing a version the
feed's repository does not hold."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from octoci.errors import InputError
from octoci_emulator import Emulator, parse_seed

from .conftest import Client
from .feed_repository import PASSWORD, USERNAME, FeedRepository, feed_repository
from .test_swagger import DOCUMENT, _name_problems, _type_problems, _typed_definitions

__all__ = ["feed_repository"]  # the fixture, used by the tests below


def _seed(repository: FeedRepository) -> dict[str, Any]:
    return {
        "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.02},
        "feeds": [
            {
                "name": "Releases",
                "type": "Maven",
                "uri": f"{repository.url}/maven",
                "username": USERNAME,
                "password": PASSWORD,
            },
            {
                "name": "Generic",
                "type": "ArtifactoryGeneric",
                "uri": repository.url,
                "repository": "generic",
                "username": USERNAME,
                "password": PASSWORD,
            },
        ],
        "projects": [
            {
                "name": "Shop",
                "packages": [{"id": "com.acme:web", "feed": "Releases"}, "Acme.Worker"],
            },
            {"name": "Files", "packages": [{"id": "apps/Acme.Api", "feed": "Generic"}]},
        ],
    }


@pytest.fixture
def octo(octopus_emulator_factory: Any, feed_repository: FeedRepository) -> Client:
    feed_repository.add_maven(
        "com.acme", "web", ["1.9", "1.10", "1.10-SNAPSHOT", "2.0-rc1", "1.2", "1.2-sp1"]
    )
    feed_repository.add_files(
        "generic/apps", "Acme.Api.1.0.0.zip", "Acme.Api.1.2.0.zip", "Other.3.0.0.zip"
    )
    emulator: Emulator = octopus_emulator_factory(_seed(feed_repository))
    return Client(emulator)


def _feed(octo: Client, name: str) -> dict[str, Any]:
    items = octo.get("/feeds", params={"partialName": name}).json()["Items"]
    return next(f for f in items if f["Name"] == name)


def _versions(octo: Client, feed_id: str, package_id: str, **params: Any) -> list[str]:
    response = octo.get(
        f"/feeds/{feed_id}/packages/versions", params={"packageId": package_id, **params}
    )
    assert response.status_code == 200, response.text
    return [item["Version"] for item in response.json()["Items"]]


def test_feeds_are_served_in_octopus_shapes_and_never_show_their_secrets(octo: Client) -> None:
    swagger = json.loads(gzip.decompress(DOCUMENT.read_bytes()))
    definitions = _typed_definitions(swagger)
    created = {}
    for body in (
        {"Name": "Bucket", "FeedType": "S3", "Region": "eu-west-1", "AccessKey": "AKIA1",
         "SecretKey": "s3-secret-key-value"},
        {"Name": "NuGet.org", "FeedType": "NuGet", "FeedUri": "https://api.nuget.org/v3/index.json"},
        {"Name": "Hub", "FeedType": "Docker", "FeedUri": "https://index.docker.io",
         "Password": {"HasValue": True, "NewValue": "docker-pw-value"}},
        {"Name": "GitHub", "FeedType": "GitHub", "FeedUri": "https://api.github.com"},
    ):  # fmt: skip
        response = octo.post("/feeds", json=body)
        assert response.status_code == 201, response.text
        created[body["Name"]] = response.json()
    assert created["Bucket"]["SecretKey"] == {"HasValue": True, "NewValue": None}
    assert created["NuGet.org"]["Password"] == {"HasValue": False, "NewValue": None}

    every = octo.get("/feeds/all")
    page = octo.get("/feeds", params={"take": 100})
    names = [f["Name"] for f in every.json()]
    assert names[0] == "Octopus Server (built-in)"
    assert {"Releases", "Generic", "Bucket", "NuGet.org", "Hub", "GitHub"} <= set(names)
    maven = octo.get("/feeds", params={"feedType": "Maven"}).json()["Items"]
    assert [f["Name"] for f in maven] == ["Releases"]
    assert [
        f["Name"] for f in octo.get("/feeds", params={"partialName": "gen"}).json()["Items"]
    ] == ["Generic"]
    one = octo.get(f"/feeds/{maven[0]['Id']}")
    assert one.json()["FeedUri"].endswith("/maven")
    assert one.json()["Password"] == {"HasValue": True, "NewValue": None}
    for response, schema in (
        (every, {"type": "array", "items": {"$ref": "#/definitions/FeedResource"}}),
        (page, {"$ref": "#/definitions/FeedResourceCollection"}),
        (one, {"$ref": "#/definitions/FeedResource"}),
    ):
        body = response.json()
        problems = [
            *_name_problems(swagger, schema, body, ""),
            *_type_problems(definitions, schema, body),
        ]
        if schema.get("type") == "array" or "Collection" in schema.get("$ref", ""):
            items = body if isinstance(body, list) else body["Items"]
            for item in items:
                problems += list(
                    _name_problems(swagger, {"$ref": "#/definitions/FeedResource"}, item, "")
                )
        assert not problems, problems
        for secret in (PASSWORD, "s3-secret-key-value", "docker-pw-value"):
            assert secret not in response.text


def test_a_feed_sent_back_as_read_keeps_its_secret_and_a_feed_in_use_stays(octo: Client) -> None:
    feed = _feed(octo, "Releases")
    changed = octo.session.put(
        f"{octo.space}/feeds/{feed['Id']}", json={**feed, "DownloadAttempts": 3}, timeout=30
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["DownloadAttempts"] == 3
    # The repository still lets the feed in: the password it was seeded with was kept.
    assert _versions(octo, feed["Id"], "com.acme:web", includePreRelease="true")[0] == "2.0-rc1"

    refused = octo.session.delete(f"{octo.space}/feeds/{feed['Id']}", timeout=30)
    assert refused.status_code == 400
    assert "It is used by project 'Shop'." in refused.json()["Errors"]
    assert octo.get(f"/feeds/{feed['Id']}").status_code == 200

    spare = octo.post(
        "/feeds", json={"Name": "Spare", "FeedType": "Maven", "FeedUri": "https://x.example/m2"}
    )
    assert (
        octo.session.delete(f"{octo.space}/feeds/{spare.json()['Id']}", timeout=30).status_code
        == 200
    )
    assert octo.get(f"/feeds/{spare.json()['Id']}").status_code == 404
    built_in = octo.session.delete(f"{octo.space}/feeds/feeds-builtin", timeout=30)
    assert built_in.status_code == 400


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"Name": "M", "FeedType": "Maven"}, "needs a FeedUri"),
        ({"Name": "M", "FeedType": "Maven", "FeedUri": "ftp://x/m2"}, "needs a FeedUri"),
        ({"Name": "B", "FeedType": "S3", "AccessKey": "A"}, "needs an AccessKey and a SecretKey"),
        (
            {"Name": "A", "FeedType": "ArtifactoryGeneric", "FeedUri": "https://a.example"},
            "Repository",
        ),
        ({"Name": "X", "FeedType": "Helmet"}, "is not one the emulator models"),
        (
            {"Name": "Releases", "FeedType": "Maven", "FeedUri": "https://a.example"},
            "already exists",
        ),
    ],
)
def test_a_bad_feed_is_refused_and_nothing_is_created(
    octo: Client, body: dict[str, Any], error: str
) -> None:
    before = octo.get("/feeds/all").json()
    response = octo.post("/feeds", json=body)
    assert response.status_code == 400
    assert any(error in e for e in response.json()["Errors"]), response.json()
    assert octo.get("/feeds/all").json() == before


def test_maven_versions_are_asked_of_the_repository_in_maven_order(
    octo: Client, feed_repository: FeedRepository
) -> None:
    feed = _feed(octo, "Releases")
    # Maven's order: a service pack (-sp1) is newer than its release, and no pre-release.
    assert _versions(octo, feed["Id"], "com.acme:web") == ["1.10", "1.9", "1.2-sp1", "1.2"]
    assert _versions(octo, feed["Id"], "com.acme:web", includePreRelease="true") == [
        "2.0-rc1",
        "1.10",
        "1.10-SNAPSHOT",
        "1.9",
        "1.2-sp1",
        "1.2",
    ]
    assert _versions(octo, feed["Id"], "com.acme:web", take=1) == ["1.10"]
    assert _versions(octo, feed["Id"], "com.acme:web", filter="1.9.0") == ["1.9"]
    assert _versions(octo, feed["Id"], "com.acme:nothing") == []
    assert "/maven/com/acme/web/maven-metadata.xml" in feed_repository.requests
    search = octo.get(f"/feeds/{feed['Id']}/packages/search", params={"term": "com.acme:web"})
    assert [(p["Id"], p["LatestVersion"]) for p in search.json()["Items"]] == [
        ("com.acme:web", "2.0-rc1")
    ]
    bad = octo.get(f"/feeds/{feed['Id']}/packages/versions", params={"packageId": "web"})
    assert bad.status_code == 400
    assert "group:artifact" in bad.json()["Errors"][0]


def test_a_generic_feed_reads_the_folder_listing(octo: Client) -> None:
    feed = _feed(octo, "Generic")
    assert _versions(octo, feed["Id"], "apps/Acme.Api") == ["1.2.0", "1.0.0"]


def test_a_repository_that_refuses_the_credentials_is_one_line_without_them(
    octo: Client, feed_repository: FeedRepository
) -> None:
    wrong = octo.post(
        "/feeds",
        json={"Name": "Wrong", "FeedType": "Maven", "FeedUri": f"{feed_repository.url}/maven",
              "Username": USERNAME, "Password": "not-the-password"},
    )  # fmt: skip
    response = octo.get(
        f"/feeds/{wrong.json()['Id']}/packages/versions", params={"packageId": "com.acme:web"}
    )
    assert response.status_code == 400
    (error,) = response.json()["Errors"]
    assert "refused the feed's credentials (HTTP 401)" in error
    assert "not-the-password" not in response.text


def test_an_s3_feed_without_boto3_says_what_it_needs(octo: Client) -> None:
    pytest.importorskip("octoci")  # the emulator's own dependency set: boto3 is not in it
    try:
        import boto3  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("boto3 is installed here")
    bucket = octo.post(
        "/feeds",
        json={
            "Name": "Bucket",
            "FeedType": "S3",
            "UseMachineCredentials": True,
            "Region": "eu-west-1",
        },
    )
    response = octo.get(
        f"/feeds/{bucket.json()['Id']}/packages/versions",
        params={"packageId": "releases/apps/Acme.Web"},
    )
    assert response.status_code == 400
    assert "boto3, which is not installed (pip install boto3)" in response.json()["Errors"][0]


def test_a_release_takes_a_version_only_if_the_feed_holds_it(octo: Client) -> None:
    octo.push("Acme.Worker.1.0.0.zip").raise_for_status()
    refused = octo.post(
        "/releases/create/v1",
        json={"ProjectName": "Shop", "ReleaseVersion": "1.0.0", "Packages": ["*:1.0.0"]},
    )
    assert refused.status_code == 400
    assert refused.json()["Errors"] == [
        "The package com.acme:web version 1.0.0 was not found in the feed 'Releases' (step "
        "'com.acme:web'). Push it to the repository the feed reads, or select a version the "
        "feed holds."
    ]
    assert octo.emulator.documents("release") == []

    # Without a version the step gets the newest the feed holds, in Maven's order (as the
    # built-in feed's latest, a pre-release counts unless the channel's rules say otherwise).
    created = octo.post(
        "/releases/create/v1", json={"ProjectName": "Shop", "ReleaseVersion": "1.0.0"}
    )
    assert created.status_code == 201, created.text
    release = octo.get(f"/releases/{created.json()['ReleaseId']}").json()
    assert {p["ActionName"]: p["Version"] for p in release["SelectedPackages"]} == {
        "com.acme:web": "2.0-rc1",
        "Acme.Worker": "1.0.0",
    }
    stored = octo.emulator.app.store.list("release")[0]
    feed = _feed(octo, "Releases")
    assert stored["_PackageFeeds"] == {"com.acme:web": feed["Id"], "Acme.Worker": "feeds-builtin"}

    project = octo.get("/projects/Shop").json()
    legacy = octo.post(
        "/releases",
        json={"ProjectId": project["Id"], "Version": "1.0.1",
              "SelectedPackages": [{"ActionName": "com.acme:web", "Version": "3.0"},
                                   {"ActionName": "Acme.Worker", "Version": "1.0.0"}]},
    )  # fmt: skip
    assert legacy.status_code == 400
    assert "version 3.0 was not found in the feed 'Releases'" in legacy.json()["Errors"][0]

    deployed = octo.post(
        "/deployments/create/untenanted/v1",
        json={"ProjectName": "Shop", "ReleaseVersion": "1.0.0", "EnvironmentNames": ["Dev"]},
    )
    assert deployed.status_code == 200, deployed.text
    task = octo.wait(deployed.json()["DeploymentServerTasks"][0]["ServerTaskId"])
    assert task["State"] == "Success"


def test_a_process_naming_an_unknown_feed_is_refused(octo: Client) -> None:
    project = octo.get("/projects/Files").json()
    process = octo.get(f"/projects/{project['Id']}/deploymentprocesses").json()
    process["Steps"][0]["Actions"][0]["Packages"][0]["FeedId"] = "Feeds-999"
    response = octo.session.put(
        f"{octo.space}/projects/{project['Id']}/deploymentprocesses", json=process, timeout=30
    )
    assert response.status_code == 400
    assert response.json()["Errors"] == [
        "Could not find a feed with ID Feeds-999, which is used by step: apps/Acme.Api"
    ]


def test_a_seed_package_on_an_unknown_feed_is_one_line() -> None:
    with pytest.raises(
        InputError, match="unknown feed 'Nowhere' \\(add it under \\[\\[feeds\\]\\]\\)"
    ):
        parse_seed({"projects": [{"name": "P", "packages": [{"id": "a:b", "feed": "Nowhere"}]}]})
    with pytest.raises(InputError, match=r"feeds\[0\]\.type: must be one of"):
        parse_seed({"feeds": [{"name": "F", "type": "Ftp"}]})


def test_a_maven_package_id_names_its_step_in_packages(octo: Client) -> None:
    octo.push("Acme.Worker.1.0.0.zip").raise_for_status()
    created = octo.post(
        "/releases/create/v1",
        json={"ProjectName": "Shop", "ReleaseVersion": "1.0.0", "Packages": ["com.acme:web:1.9"]},
    )
    assert created.status_code == 201, created.text
    release = octo.get(f"/releases/{created.json()['ReleaseId']}").json()
    assert {p["ActionName"]: p["Version"] for p in release["SelectedPackages"]}[
        "com.acme:web"
    ] == "1.9"
