"""The feeds a project's package steps take their packages from, and what Octopus can see in
them - for the pre-flight of a ``publish`` that pushes packages to repositories other than
Octopus's built-in feed:

* :func:`step_feeds`: every package step of the deployment process with the feed document it
  names (one read of the process, one of the feeds);
* :func:`feed_problems`: a step whose feed is not the repository its package went to (each
  repository's :meth:`~octoci.repositories.PackageRepository.feed_problem` says), one line each;
* :func:`feed_versions` and :func:`feed_has_version`: the versions Octopus sees in a feed (for an
  external feed Octopus asks the repository), so a run can check, after pushing and before
  creating the release, that Octopus will find the version it is about to select;
* :class:`ExternalPackage` and :func:`external_selection`: a package a run pushes to a repository
  other than the built-in feed, and the release's package selection naming the steps that take
  it from their external feed (by step, since a Maven id ``group:artifact`` has a ``:`` of its
  own).

Example::

    steps = step_feeds(connection, project)
    problems = feed_problems(steps, {"com.acme:web": maven_repository})
    feed_has_version(connection, steps[0].feed_id, "com.acme:web", "1.2.3")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from octoci.octopus.channels import PackageReference, package_references
from octoci.octopus.connection import Connection
from octoci.repositories.base import PackageRepository

if TYPE_CHECKING:
    from octoci.octopus.executions import ReleaseRequest

__all__ = [
    "BUILT_IN_FEED",
    "ExternalPackage",
    "StepFeed",
    "external_problems",
    "external_selection",
    "feed_has_version",
    "feed_problems",
    "feed_versions",
    "step_feeds",
]

BUILT_IN_FEED = "feeds-builtin"
_TAKE_ALL = 2147483647


@dataclass(frozen=True)
class StepFeed:
    """A package step and the feed Octopus takes its package from.

    Example::

        StepFeed(package=PackageReference("Web", "Web", "", "com.acme:web", "Feeds-1"),
                 feed={"Id": "Feeds-1", "Name": "Releases", "FeedType": "Maven", ...})
    """

    package: PackageReference
    feed: Mapping[str, Any] | None
    """The feed document; ``None`` when the process names a feed that does not exist."""

    @property
    def feed_id(self) -> str:
        """The ``FeedId`` the step names."""
        return self.package.feed

    @property
    def feed_name(self) -> str:
        """The feed's name (its id when it does not exist)."""
        return str((self.feed or {}).get("Name") or self.package.feed)

    @property
    def built_in(self) -> bool:
        """True when the step takes its package from Octopus's built-in feed."""
        return self.package.feed.lower() == BUILT_IN_FEED


@dataclass(frozen=True)
class ExternalPackage:
    """A package a run pushes to a repository other than Octopus's built-in feed.

    Example::

        ExternalPackage("Acme.Web", "1.2.3", "com.acme:Acme.Web", maven_repository)
    """

    package_id: str
    """The id octoci packs and pushes it under (its file's)."""
    version: str
    feed_package_id: str
    """The id the steps on the feed that reads the repository name it by
    (:func:`octoci.repositories.base.octopus_package_id`)."""
    repository: PackageRepository = field(compare=False, hash=False)

    def taken_by(self, step: StepFeed) -> bool:
        """True when ``step`` takes this package (by the id its feed knows it by)."""
        return step.package.package_id.lower() == self.feed_package_id.lower()


def step_feeds(connection: Connection, project: Mapping[str, Any]) -> list[StepFeed]:
    """Every package step of ``project``'s deployment process with its feed document (none for
    a version-controlled project, whose process is not a resource)."""
    packages = package_references(connection, dict(project))
    if not packages:
        return []
    feeds = connection.get_json(
        connection.space_path("/feeds/all"), what="listing the space's feeds"
    )
    by_id = {str(f.get("Id", "")).lower(): f for f in feeds or [] if isinstance(f, dict)}
    return [StepFeed(p, by_id.get(p.feed.lower())) for p in packages]


def feed_problems(
    steps: Sequence[StepFeed], where_each_package_goes: Mapping[str, PackageRepository]
) -> list[str]:
    """One line per step whose feed is not the repository its package is pushed to
    (``where_each_package_goes``: package id -> repository; packages not in it are not this
    run's). A package that goes to the built-in feed needs a step on the built-in feed."""
    goes = {k.lower(): v for k, v in where_each_package_goes.items()}
    problems = []
    for step in steps:
        repository = goes.get(step.package.package_id.lower())
        if repository is None:
            continue
        where = f"step {step.package.action!r} takes {step.package.package_id} from"
        if step.feed is None:
            problems.append(
                f"{where} feed {step.feed_id}, which this Octopus space does not have; "
                f"point the step at the feed that reads {repository.describe()}"
            )
            continue
        problem = repository.feed_problem(step.feed)
        if problem is not None:
            problems.append(
                f"{where} the feed {step.feed_name!r}: {problem}; point the step at the "
                f"feed that reads {repository.describe()}, or push the package where the feed "
                "reads"
            )
    return problems


def external_problems(steps: Sequence[StepFeed], external: Sequence[ExternalPackage]) -> list[str]:
    """:func:`feed_problems` for the packages a run pushes to other repositories: one line per
    step that takes one of them from a feed that does not read its repository."""
    return feed_problems(steps, {e.feed_package_id: e.repository for e in external})


def external_selection(
    request: ReleaseRequest, steps: Sequence[StepFeed], external: Sequence[ExternalPackage]
) -> ReleaseRequest:
    """``request`` with each external package's ``<id>:<version>`` item replaced by one item per
    step that takes it from an external feed (``<step>:<version>``, ``<step>:<reference>:
    <version>`` for a package reference), at the version pushed. A package no step takes is left
    out (the release has nothing to select for it)."""
    if not external:
        return request
    by_id = {e.package_id.lower(): e for e in external}
    items: list[str] = []
    for spec in request.packages:
        who, _, version = spec.rpartition(":")
        package = by_id.get(who.lower())
        if package is None:
            items.append(spec)
            continue
        for step in steps:
            if package.taken_by(step) and not step.built_in:
                where = step.package.action
                if step.package.reference:
                    where += f":{step.package.reference}"
                items.append(f"{where}:{version}")
    return replace(request, packages=tuple(dict.fromkeys(items)))


def feed_versions(
    connection: Connection,
    feed_id: str,
    package_id: str,
    *,
    version: str = "",
    include_prerelease: bool = True,
) -> list[str]:
    """The versions of ``package_id`` Octopus sees in feed ``feed_id``, newest first
    (``version``: only that one, compared as the feed compares versions)."""
    params: dict[str, Any] = {
        "packageId": package_id,
        "includePreRelease": "true" if include_prerelease else "false",
        "take": _TAKE_ALL,
    }
    if version:
        params["filter"] = version
    found = connection.get_json(
        connection.space_path(f"/feeds/{feed_id}/packages/versions"),
        what=f"asking feed {feed_id} for the versions of {package_id}",
        params=params,
    )
    return [
        str(item.get("Version"))
        for item in (found or {}).get("Items") or []
        if isinstance(item, dict) and item.get("Version")
    ]


def feed_has_version(connection: Connection, feed_id: str, package_id: str, version: str) -> bool:
    """True when Octopus sees ``package_id`` ``version`` in feed ``feed_id`` (Octopus asks an
    external feed's repository, so this is what a release will find)."""
    return bool(feed_versions(connection, feed_id, package_id, version=version))
