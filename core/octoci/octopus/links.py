"""Links into Octopus: the web portal's task and release pages, and API links to what a run made.

Built here, once, so that every command and report shows the same addresses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from octoci.octopus.connection import Connection

__all__ = ["api_links", "package_url", "release_url", "task_url"]


def task_url(connection: Connection, task_id: str) -> str:
    """The portal page of a server task: ``{url}/app#/{space}/tasks/{id}``."""
    return f"{connection.settings.url}/app#/{connection.space_id() or ''}/tasks/{task_id}"


def release_url(connection: Connection, project: Mapping[str, Any], release_id: str) -> str:
    """The portal page of a release (by the project's slug, else its id)."""
    slug = project.get("Slug") or project["Id"]
    return (
        f"{connection.settings.url}/app#/{connection.space_id() or ''}/projects/{slug}"
        f"/deployments/releases/{release_id}"
    )


def package_url(connection: Connection, package_id: str, version: str) -> str:
    """A package of the built-in feed, as an API link on the server the run talks to."""
    path = connection.space_path(f"/packages/packages-{package_id}.{version}")
    return f"{connection.settings.url}{path}"


def api_links(base_url: str, space_id: str) -> ApiLinks:
    """API links under ``base_url`` in ``space_id`` (for a server without a web portal, such as
    the emulator)."""
    return ApiLinks(f"{base_url}/api/{space_id}")


class ApiLinks:
    """The API resources one run created, as links."""

    def __init__(self, space_api: str) -> None:
        self.space_api = space_api

    def package(self, package_id: str, version: str) -> str:
        """A package of the built-in feed."""
        return f"{self.space_api}/packages/packages-{package_id}.{version}"

    def build_information(self, package_id: str) -> str:
        """The build information records of a package id."""
        return f"{self.space_api}/build-information?packageId={package_id}"
