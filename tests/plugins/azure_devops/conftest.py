"""A local Azure DevOps server for the ``azure-devops`` SDK: resource locations, resource areas,
and the build changes, Git commit and TFVC changeset resources, shaped as Azure DevOps documents."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

CHANGES = "54572c7b-bbd3-45d4-80dc-28be08941620"
GIT_COMMITS = "c2570c3b-5b3f-41b8-98bf-5407bfde8d58"
TFVC_CHANGESETS = "0bc8f0a4-6bfb-42a9-ba84-139da7b99c49"
RESOURCE_AREAS = "e81700f7-3be2-46de-8624-2eb35882fcaa"
TOKEN = "azdo-job-token-3f9a1c0e7b5d4a2f"


def _location(
    location_id: str, area: str, resource: str, route: str, version: int
) -> dict[str, Any]:
    return {
        "id": location_id,
        "area": area,
        "resourceName": resource,
        "routeTemplate": route,
        "resourceVersion": version,
        "minVersion": 1.0,
        "maxVersion": 7.1,
        "releasedVersion": "7.0",
    }


LOCATIONS = [
    _location(RESOURCE_AREAS, "Location", "ResourceAreas", "_apis/{resource}/{areaId}", 1),
    _location(CHANGES, "build", "changes", "{project}/_apis/{area}/builds/{buildId}/{resource}", 2),
    _location(
        GIT_COMMITS,
        "git",
        "commits",
        "{project}/_apis/{area}/repositories/{repositoryId}/{resource}/{commitId}",
        1,
    ),
    _location(TFVC_CHANGESETS, "tfvc", "changesets", "{project}/_apis/{area}/{resource}/{id}", 3),
]


@pytest.fixture(scope="session", autouse=True)
def _sdk_cache_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # The SDK caches resource locations under ~/.azure-devops; keep the tests out of $HOME.
    # Read when the SDK is first imported, which the adapter does lazily, after this.
    previous = os.environ.get("AZURE_DEVOPS_CACHE_DIR")
    os.environ["AZURE_DEVOPS_CACHE_DIR"] = str(tmp_path_factory.mktemp("azure-devops-cache"))
    yield
    if previous is None:
        os.environ.pop("AZURE_DEVOPS_CACHE_DIR", None)
    else:
        os.environ["AZURE_DEVOPS_CACHE_DIR"] = previous


def change(change_id: str, message: str, *, kind: str = "TfsGit", **extra: Any) -> dict[str, Any]:
    """One entry of the build changes list (``Change`` in the REST reference)."""
    return {
        "id": change_id,
        "message": message,
        "type": kind,
        "author": {"displayName": "Mona Kane", "uniqueName": "mona@acme.test", "id": "1"},
        "timestamp": "2026-11-26T09:00:00Z",
        "messageTruncated": False,
        "pusher": "mona@acme.test",
        **extra,
    }


@dataclass
class FakeAzureDevOps:
    """The local server, one fresh collection URL per test (the SDK caches per URL)."""

    httpserver: HTTPServer
    collection_path: str
    project: str = "Online Shop"

    @property
    def collection_url(self) -> str:
        return self.httpserver.url_for(self.collection_path)

    @property
    def auth(self) -> dict[str, str]:
        # Basic auth with an empty user name, as the SDK sends the job token.
        return {"Authorization": "Basic " + base64.b64encode(f":{TOKEN}".encode()).decode()}

    def serve_build_changes(self, build_id: int, pages: Sequence[Sequence[dict[str, Any]]]) -> None:
        """The build's changes, page by page, chained with ``x-ms-continuationtoken``."""
        path = f"{self.collection_path}{self.project}/_apis/build/builds/{build_id}/changes"
        for number, page in enumerate(pages):
            query: dict[str, str] = {"$top": "100000"}
            if number:
                query["continuationToken"] = f"page-{number}"
            headers = {}
            if number + 1 < len(pages):
                headers["x-ms-continuationtoken"] = f"page-{number + 1}"
            self.httpserver.expect_request(
                path, method="GET", headers=self.auth, query_string=query
            ).respond_with_json({"count": len(page), "value": list(page)}, headers=headers)

    def serve_git_commit(self, repository_id: str, commit_id: str, comment: str) -> None:
        path = (
            f"{self.collection_path}{self.project}/_apis/git/repositories/"
            f"{repository_id}/commits/{commit_id}"
        )
        self.httpserver.expect_request(path, method="GET", headers=self.auth).respond_with_json(
            {"commitId": commit_id, "comment": comment, "commentTruncated": False}
        )

    def serve_changeset(self, changeset_id: int, comment: str) -> None:
        path = f"{self.collection_path}{self.project}/_apis/tfvc/changesets/{changeset_id}"
        self.httpserver.expect_request(
            path, method="GET", headers=self.auth, query_string={"maxCommentLength": "1000000"}
        ).respond_with_json({"changesetId": changeset_id, "comment": comment})

    def env_overrides(self) -> dict[str, str]:
        return {
            "SYSTEM_ACCESSTOKEN": TOKEN,
            "SYSTEM_COLLECTIONURI": self.collection_url,
            "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI": self.collection_url,
            "SYSTEM_TEAMPROJECT": self.project,
        }


@pytest.fixture
def azure_server(httpserver: HTTPServer) -> FakeAzureDevOps:
    """A local Azure DevOps collection the real SDK can discover and call."""
    fake = FakeAzureDevOps(httpserver, f"/acme-{uuid.uuid4().hex[:8]}/")
    httpserver.expect_request(f"{fake.collection_path}_apis", method="OPTIONS").respond_with_json(
        {"count": len(LOCATIONS), "value": LOCATIONS}
    )
    httpserver.expect_request(
        f"{fake.collection_path}_apis/ResourceAreas", method="GET"
    ).respond_with_json({"count": 0, "value": []})
    return fake
