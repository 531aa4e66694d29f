"""Discovery: the root document, spaces, space roots, route forms and virtual directories."""

from __future__ import annotations

import requests

from octoci_emulator import Emulator


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("-")[0].split("."))


def test_root_document_is_anonymous_and_gates_the_executions_api(
    octopus_emulator: Emulator,
) -> None:
    for path in ("/api", "/api/"):
        response = requests.get(octopus_emulator.url + path, timeout=10)
        assert response.status_code == 200
        root = response.json()
        assert root["ApiVersion"] == "3.0.0"
        assert _version_tuple(root["Version"]) >= (2022, 3, 5512)
        assert root["Links"]["PackageUpload"] == "/api/Spaces-1/packages/raw{?overwriteMode}"
        assert root["Links"]["PackageDeltaSignature"] == (
            "/api/Spaces-1/packages/{packageId}/{version}/delta-signature"
        )


def test_spaces_lookup_forms(octopus_emulator: Emulator) -> None:
    octopus_emulator.seed({"spaces": [{"name": "Team B"}]})
    headers = octopus_emulator.headers
    url = octopus_emulator.url
    listed = requests.get(
        f"{url}/api/spaces?partialName=Default&skip=0&take=2147483647", headers=headers, timeout=10
    ).json()
    assert listed["TotalResults"] == 1
    assert listed["Items"][0]["Name"] == "Default"
    assert listed["Items"][0]["IsDefault"] is True
    everything = requests.get(f"{url}/api/spaces/all", headers=headers, timeout=10).json()
    assert [s["Name"] for s in everything] == ["Default", "Team B"]
    team = requests.get(f"{url}/api/spaces/Spaces-2", headers=headers, timeout=10).json()
    assert team["Name"] == "Team B"
    page = requests.get(f"{url}/api/spaces?skip=1&take=1", headers=headers, timeout=10).json()
    assert [s["Name"] for s in page["Items"]] == ["Team B"]
    assert page["NumberOfPages"] == 2


def test_space_root_and_three_route_forms_reach_the_same_space(octopus_emulator: Emulator) -> None:
    url, headers = octopus_emulator.url, octopus_emulator.headers
    home = requests.get(f"{url}/api/Spaces-1", headers=headers, timeout=10).json()
    assert home["Links"]["SpaceHome"] == "/api/Spaces-1"
    forms = ["/api/Spaces-1/environments", "/api/spaces/Spaces-1/environments", "/api/environments"]
    names = [
        [e["Name"] for e in requests.get(url + f, headers=headers, timeout=10).json()["Items"]]
        for f in forms
    ]
    assert names == [["Dev", "Test", "Production"]] * 3


def test_unknown_space_and_unknown_route_are_404_with_octopus_body(
    octopus_emulator: Emulator,
) -> None:
    url, headers = octopus_emulator.url, octopus_emulator.headers
    for path in ("/api/Spaces-99/environments", "/api/Spaces-1/no-such-thing", "/elsewhere"):
        response = requests.get(url + path, headers=headers, timeout=10)
        assert response.status_code == 404, path
        assert set(response.json()) >= {"ErrorMessage", "Errors"}


def test_virtual_directory_prefix_is_served_and_kept_in_links(octopus_emulator: Emulator) -> None:
    url, headers = octopus_emulator.url, octopus_emulator.headers
    root = requests.get(f"{url}/octopus/api", timeout=10).json()
    assert root["Links"]["Self"] == "/octopus/api"
    envs = requests.get(f"{url}/octopus/api/Spaces-1/environments", headers=headers, timeout=10)
    assert envs.status_code == 200
    assert envs.json()["Items"][0]["Links"]["Self"].startswith("/octopus/api/Spaces-1/")


def test_method_not_allowed_is_405(octopus_emulator: Emulator) -> None:
    response = requests.delete(
        f"{octopus_emulator.url}/api/Spaces-1/releases/create/v1",
        headers=octopus_emulator.headers,
        timeout=10,
    )
    assert response.status_code == 405
    assert "ErrorMessage" in response.json()


def test_model_listing_by_name_and_id(octopus_emulator: Emulator) -> None:
    octopus_emulator.seed({"projects": [{"name": "Web App", "packages": ["Web"]}]})
    url, headers = octopus_emulator.url, octopus_emulator.headers
    found = requests.get(
        f"{url}/api/Spaces-1/projects?name=web%20app", headers=headers, timeout=10
    ).json()
    assert [p["Name"] for p in found["Items"]] == ["Web App"]
    project = found["Items"][0]
    by_slug = requests.get(f"{url}/api/Spaces-1/projects/web-app", headers=headers, timeout=10)
    assert by_slug.json()["Id"] == project["Id"]
    channels = requests.get(
        f"{url}/api/Spaces-1/projects/{project['Id']}/channels", headers=headers, timeout=10
    ).json()
    assert [(c["Name"], c["IsDefault"]) for c in channels["Items"]] == [("Default", True)]
    lifecycle = requests.get(
        f"{url}/api/Spaces-1/lifecycles/{project['LifecycleId']}", headers=headers, timeout=10
    ).json()
    assert lifecycle["Name"] == "Default Lifecycle"
