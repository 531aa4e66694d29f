"""The client's feed reads (octoci.octopus.feeds) against the emulator over real HTTP, whose
external feeds ask a real repository (a local HTTP server laid out as Maven)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.emulator.feed_repository import PASSWORD, USERNAME, FeedRepository, feed_repository

from octoci.octopus.connection import Connection
from octoci.octopus.executions import find_project
from octoci.octopus.feeds import feed_has_version, feed_problems, feed_versions, step_feeds
from octoci.package_names import PackageName
from octoci.repositories import PackageRepository, StoredPackage

__all__ = ["feed_repository"]  # the fixture, used below


@pytest.fixture
def octopus_emulator_seed(feed_repository: FeedRepository) -> dict[str, Any]:
    feed_repository.add_maven("com.acme", "web", ["1.0.0", "1.2.0", "1.10.0"])
    return {
        "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.02},
        "feeds": [
            {"name": "Releases", "type": "Maven", "uri": f"{feed_repository.url}/maven",
             "username": USERNAME, "password": PASSWORD},
            {"name": "Elsewhere", "type": "Maven", "uri": "https://repo.example/maven2"},
        ],
        "projects": [
            {"name": "Shop", "packages": [{"id": "com.acme:web", "feed": "Releases"},
                                         "Acme.Worker"]},
            {"name": "Lost", "packages": [{"id": "com.acme:web", "feed": "Elsewhere"}]},
        ],
    }  # fmt: skip


@dataclass(frozen=True)
class MavenAt:
    """A repository that is ``url`` (only what the feed check asks of one: feed_problem)."""

    url: str
    name: str = "releases"
    kind: str = "maven"

    def push(self, path: Path, name: PackageName, *, mode: str) -> StoredPackage:
        raise NotImplementedError

    def find(self, package_id: str, version: str) -> StoredPackage | None:
        raise NotImplementedError

    def versions(self, package_id: str) -> Sequence[str]:
        raise NotImplementedError

    def feed_problem(self, feed: Mapping[str, Any]) -> str | None:
        uri = str(feed.get("FeedUri") or "").rstrip("/")
        if feed.get("FeedType") == "Maven" and uri == self.url:
            return None
        return f"the feed reads {uri or 'no URL'}, and the package went to {self.url}"

    def describe(self) -> str:
        return f"maven repository {self.name!r} at {self.url}"


def _steps(connect: Callable[..., Connection], project: str) -> Any:
    connection = connect()
    return connection, step_feeds(connection, find_project(connection, project))


def test_steps_come_with_the_feed_octopus_takes_their_package_from(
    connect: Callable[..., Connection],
) -> None:
    _, steps = _steps(connect, "Shop")
    assert [(s.package.package_id, s.feed_name, s.built_in) for s in steps] == [
        ("com.acme:web", "Releases", False),
        ("Acme.Worker", "Octopus Server (built-in)", True),
    ]
    assert steps[0].feed is not None
    assert steps[0].feed["FeedType"] == "Maven"


def test_a_feed_that_reads_another_repository_is_one_line_per_step(
    connect: Callable[..., Connection], feed_repository: FeedRepository
) -> None:
    repository = MavenAt(f"{feed_repository.url}/maven")
    assert isinstance(repository, PackageRepository)
    _, shop = _steps(connect, "Shop")
    assert feed_problems(shop, {"com.acme:web": repository}) == []
    _, lost = _steps(connect, "Lost")
    assert feed_problems(lost, {"com.acme:web": repository}) == [
        "step 'com.acme:web' takes com.acme:web from the feed 'Elsewhere': the feed reads "
        f"https://repo.example/maven2, and the package went to {feed_repository.url}/maven; "
        f"point the step at the feed that reads maven repository 'releases' at "
        f"{feed_repository.url}/maven, or push the package where the feed reads"
    ]
    # A package this run does not push is not its business.
    assert feed_problems(lost, {"Other.App": repository}) == []


def test_octopus_sees_the_versions_the_repository_holds(
    connect: Callable[..., Connection], feed_repository: FeedRepository
) -> None:
    connection, steps = _steps(connect, "Shop")
    feed_id = steps[0].feed_id
    assert feed_versions(connection, feed_id, "com.acme:web") == ["1.10.0", "1.2.0", "1.0.0"]
    assert feed_has_version(connection, feed_id, "com.acme:web", "1.2")
    assert not feed_has_version(connection, feed_id, "com.acme:web", "2.0.0")
    # Pushed after the feed was first asked: Octopus asks the repository every time.
    feed_repository.add_maven("com.acme", "web", ["1.0.0", "1.2.0", "1.10.0", "2.0.0"])
    assert feed_has_version(connection, feed_id, "com.acme:web", "2.0.0")
