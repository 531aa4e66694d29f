"""The kind ``octopus``: Octopus's built-in feed, the repository every package goes to unless
``octoci.toml`` names another.

It pushes exactly as ``octoci push`` always has (:func:`octoci.octopus.packages.push_package`:
streamed, as a delta when that is smaller, verified by hash, safe to re-run). It needs the
run's Octopus connection, which the push step hands it (:meth:`OctopusFeed.connected`): a
configuration alone cannot say which server the run talks to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from octoci.errors import OctociError
from octoci.repositories.base import (
    OverwriteMode,
    RepositoryConfig,
    RepositoryKind,
    StoredPackage,
    StoreOutcome,
)

if TYPE_CHECKING:
    from octoci.model import Package
    from octoci.octopus.connection import Connection
    from octoci.package_names import PackageName
    from octoci.progress import Progress

__all__ = ["BUILTIN_FEED", "KIND", "OctopusFeed"]

_STORE_OUTCOMES: dict[str, StoreOutcome] = {
    "created": "created",
    "identical": "identical",
    "ignored": "ignored",
}

#: The name of the built-in feed in ``[[packages]] repository`` and ``--repository``.
BUILTIN_FEED = "octopus"


# Not frozen: PackageRepository declares name and kind as plain (settable) attributes.
@dataclass
class OctopusFeed:
    """Octopus's built-in feed, as a :class:`~octoci.repositories.PackageRepository`.

    Example::

        feed = OctopusFeed().connected(connection)
        stored = feed.push(Path("dist/Acme.Web.1.2.3.zip"), name, mode="FailIfExists")
    """

    name: str = BUILTIN_FEED
    connection: Connection | None = None
    delta: bool = True
    progress: Progress | None = None
    kind: str = "octopus"

    def connected(
        self, connection: Connection, *, delta: bool = True, progress: Progress | None = None
    ) -> OctopusFeed:
        """This feed on the run's connection, with its delta and progress settings."""
        return replace(self, connection=connection, delta=delta, progress=progress)

    def _connection(self) -> Connection:
        if self.connection is None:  # a bug: the push step connects the feed first
            raise OctociError("the built-in feed was used before the run connected to Octopus")
        return self.connection

    def location(self, package_id: str, version: str) -> str:
        """The package's API address in Octopus."""
        from octoci.octopus.links import package_url

        return package_url(self._connection(), package_id, version)

    def push_package(self, path: Path, name: PackageName, *, mode: OverwriteMode) -> Package:
        """Push as ``octoci push`` always has, with everything the run reports of it (delta,
        attempts, the stored hash)."""
        from octoci.octopus.packages import push_package

        package = push_package(
            self._connection(),
            path,
            name,
            mode=mode,
            progress=self.progress,
            delta=self.delta,
        )
        return replace(package, repository=self.name, location=self.location(name.id, name.version))

    def push(self, path: Path, name: PackageName, *, mode: OverwriteMode) -> StoredPackage:
        """Store the file in the built-in feed (:meth:`push_package`)."""
        package = self.push_package(path, name, mode=mode)
        return StoredPackage(
            repository=self.name,
            package_id=package.id,
            version=package.version,
            location=package.location,
            sha1=package.server_hash or package.sha1,
            size=package.size,
            outcome=_STORE_OUTCOMES[package.outcome],
            bytes_sent=package.sent,
            warnings=package.warnings,
        )

    def find(self, package_id: str, version: str) -> StoredPackage | None:
        """The stored package, or ``None``; reads only."""
        from octoci.octopus.packages import find_package
        from octoci.package_names import PackageName

        found = find_package(self._connection(), PackageName(package_id, version, ""))
        if found is None:
            return None
        size = found.get("PackageSizeBytes")
        return StoredPackage(
            repository=self.name,
            package_id=str(found.get("PackageId") or package_id),
            version=str(found.get("Version") or version),
            location=self.location(package_id, version),
            sha1=str(found.get("Hash") or "").lower(),
            size=size if isinstance(size, int) else 0,
            outcome="identical",
        )

    def versions(self, package_id: str) -> Sequence[str]:
        """Every version of the package in the feed; reads only."""
        from octoci.octopus.packages import package_versions

        return package_versions(self._connection(), package_id)

    def feed_problem(self, feed: Mapping[str, Any]) -> str | None:
        """``None`` for the built-in feed (``FeedType`` ``BuiltIn``)."""
        if str(feed.get("FeedType") or "") == "BuiltIn":
            return None
        return (
            f"the feed {feed.get('Name') or feed.get('Id')!r} is a {feed.get('FeedType')} feed, "
            "but the package went to Octopus's built-in feed"
        )

    def describe(self) -> str:
        """``Octopus's built-in feed at https://octopus.example``."""
        url = self.connection.settings.url if self.connection is not None else ""
        return "Octopus's built-in feed" + (f" at {url}" if url else "")


def _create(config: RepositoryConfig) -> OctopusFeed:
    return OctopusFeed(name=config.name)


KIND = RepositoryKind(
    name="octopus",
    description="Octopus's built-in feed on the server the run talks to (the default)",
    create=_create,
    feed_types=("BuiltIn",),
)
