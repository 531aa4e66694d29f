"""Build information: overwrite modes, validation, and Octopus's server-side link mapping."""

from __future__ import annotations

from typing import Any

import pytest

from octoci_emulator import Emulator

from .conftest import Client


def _payload(vcs_root: str = "https://github.com/org/repo", **info: Any) -> dict[str, Any]:
    build = {
        "BuildEnvironment": "GitHub Actions",
        "BuildNumber": "42",
        "BuildUrl": "https://ci.example/run/42",
        "Branch": "main",
        "VcsType": "Git",
        "VcsRoot": vcs_root,
        "VcsCommitNumber": "abc123",
        "Commits": [{"Id": "abc123", "Comment": "Fix bug #12"}],
    }
    build.update(info)
    return {"PackageId": "MyApp.Web", "Version": "1.2.3", "OctopusBuildInformation": build}


@pytest.fixture
def octo(octopus_emulator_factory: Any) -> Client:
    emulator: Emulator = octopus_emulator_factory(
        {"issue_trackers": {"jira_base_url": "https://acme.atlassian.net/"}}
    )
    return Client(emulator)


def test_create_returns_mapped_resource(octo: Client) -> None:
    response = octo.post("/build-information?overwriteMode=FailIfExists", json=_payload())
    assert response.status_code == 200
    body = response.json()
    assert body["Id"].startswith("BuildInformation-")
    assert body["VcsCommitUrl"] == "https://github.com/org/repo/commit/abc123"
    assert body["Commits"] == [
        {
            "Id": "abc123",
            "LinkUrl": "https://github.com/org/repo/commit/abc123",
            "Comment": "Fix bug #12",
        }
    ]
    assert body["WorkItems"] == [
        {
            "Id": "12",
            "LinkUrl": "https://github.com/org/repo/issues/12",
            "Description": "12",
            "Source": "GitHub",
        }
    ]
    assert body["IssueTrackerName"] == "GitHub"


def test_overwrite_modes(octo: Client) -> None:
    assert octo.post("/build-information", json=_payload()).status_code == 200
    conflict = octo.post("/build-information", json=_payload(BuildNumber="43"))
    assert conflict.status_code == 409
    assert conflict.json()["Errors"][0].startswith("Metadata for the specified Package ID")
    ignored = octo.post(
        "/build-information?overwriteMode=IgnoreIfExists", json=_payload(BuildNumber="43")
    )
    assert ignored.json()["BuildNumber"] == "42"
    body_mode = {**_payload(BuildNumber="44"), "OverwriteMode": "OverwriteExisting"}
    replaced = octo.post("/build-information", json=body_mode)
    assert replaced.status_code == 200
    assert replaced.json()["BuildNumber"] == "44"
    assert replaced.json()["Id"] == ignored.json()["Id"]


def test_camel_case_keys_and_equal_versions(octo: Client) -> None:
    camel = {
        "spaceId": "Spaces-1",
        "packageId": "MyApp.Web",
        "version": "1.2.3.0",
        "octopusBuildInformation": {
            "vcsRoot": "https://gitlab.com/org/repo",
            "vcsCommitNumber": "f",
        },
    }
    assert octo.post("/build-information", json=camel).status_code == 200
    # 1.2.3 equals 1.2.3.0, so this is the same record.
    assert octo.post("/build-information", json=_payload()).status_code == 409


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({**_payload(), "PackageId": "bad id!"}, 400, "invalid characters"),
        ({**_payload(), "Version": "one"}, 400, "version is invalid"),
        ({"PackageId": "A", "Version": "1.0.0"}, 400, "Invalid package metadata"),
    ],
)
def test_validation(octo: Client, payload: dict[str, Any], status: int, message: str) -> None:
    response = octo.post("/build-information", json=payload)
    assert response.status_code == status
    assert message in " ".join(response.json()["Errors"])


def test_invalid_json_is_400(octo: Client) -> None:
    response = octo.post(
        "/build-information", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["Errors"][0]


@pytest.mark.parametrize(
    ("root", "vcs_type", "commit", "link"),
    [
        ("git@github.com:org/repo.git", "Git", "a1", "https://github.com/org/repo/commit/a1"),
        (
            "https://gitlab.com/grp/sub/repo.git",
            "Git",
            "b2",
            "https://gitlab.com/grp/sub/repo/-/commit/b2",
        ),
        (
            "https://bitbucket.org/team/repo",
            "Git",
            "c3",
            "https://bitbucket.org/team/repo/commits/c3",
        ),
        (
            "https://bitbucket.acme.com/scm/PROJ/repo.git",
            "Git",
            "d4",
            "https://bitbucket.acme.com/projects/PROJ/repos/repo/commits/d4",
        ),
        (
            "https://dev.azure.com/acme/Shop/_git/web",
            "Git",
            "e5",
            "https://dev.azure.com/acme/Shop/_git/web/commit/e5",
        ),
        (
            "https://dev.azure.com/acme/Shop",
            "TFVC",
            "123",
            "https://dev.azure.com/acme/Shop/_versionControl/changeset/123",
        ),
        ("https://svn.example/repo", "SVN", "9", None),
    ],
)
def test_commit_links_per_host(
    octo: Client, root: str, vcs_type: str, commit: str, link: str | None
) -> None:
    payload = _payload(
        root, VcsType=vcs_type, VcsCommitNumber=commit, Commits=[{"Id": commit, "Comment": "x"}]
    )
    body = octo.post("/build-information", json=payload).json()
    assert body["VcsCommitUrl"] == link
    assert body["Commits"][0]["LinkUrl"] == link


def test_work_items_from_jira_and_azure_devops(octo: Client) -> None:
    payload = _payload(
        "https://dev.azure.com/acme/Shop/_git/web",
        Commits=[{"Id": "1", "Comment": "SHOP-12 and AB#45, again SHOP-12"}],
    )
    body = octo.post("/build-information", json=payload).json()
    assert body["WorkItems"] == [
        {
            "Id": "SHOP-12",
            "LinkUrl": "https://acme.atlassian.net/browse/SHOP-12",
            "Description": "SHOP-12",
            "Source": "Jira",
        },
        {
            "Id": "45",
            "LinkUrl": "https://dev.azure.com/acme/Shop/_workitems/edit/45",
            "Description": "45",
            "Source": "Azure DevOps",
        },
    ]


def test_list_filter_latest_and_get(octo: Client) -> None:
    for version in ("1.0.0", "1.1.0"):
        assert octo.post("/build-information", json={**_payload(), "Version": version}).ok
    assert octo.post("/build-information", json={**_payload(), "PackageId": "Other"}).ok
    listing = octo.get("/build-information?packageId=MyApp.Web").json()
    assert [d["Version"] for d in listing["Items"]] == ["1.1.0", "1.0.0"]
    latest = octo.get("/build-information?latest=true").json()
    assert sorted(d["PackageId"] for d in latest["Items"]) == ["MyApp.Web", "Other"]
    first = listing["Items"][0]
    assert octo.get(f"/build-information/{first['Id']}").json() == first
    assert octo.get("/build-information/BuildInformation-999").status_code == 404


def test_package_resource_carries_its_build_information(octo: Client) -> None:
    assert octo.post("/build-information", json=_payload()).ok
    pushed = octo.push("MyApp.Web.1.2.3.zip").json()
    assert pushed["PackageVersionBuildInformation"]["VcsCommitNumber"] == "abc123"
