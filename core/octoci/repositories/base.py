"""The types every package repository kind shares: what a plugin registers
(:class:`RepositoryKind`), what the core gets from it (:class:`PackageRepository`), and what a
push returns (:class:`StoredPackage`).

A *repository* is a place the team keeps packages: Octopus's built-in feed, a Maven repository,
an Artifactory or Nexus generic repository, an S3 bucket. A *kind* is the protocol (``octopus``,
``maven``, ``http``, ``s3``, or a third party's); ``octoci.toml`` names repositories of those
kinds (``[repositories.<name>]``) and says per package where it goes (``[[packages]]
repository = "<name>"``). Octopus then deploys from the repository through one of its *feeds*:
:meth:`PackageRepository.feed_problem` says whether a feed Octopus has is this repository.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from octoci.package_names import PackageName

__all__ = [
    "OverwriteMode",
    "PackageRepository",
    "RepositoryConfig",
    "RepositoryKind",
    "StoreOutcome",
    "StoredPackage",
    "octopus_package_id",
]

#: The same three modes as the built-in feed (``octoci.octopus.packages.OverwriteMode``).
OverwriteMode = Literal["FailIfExists", "OverwriteExisting", "IgnoreIfExists"]

#: ``created``: stored now; ``identical``: already there with the same bytes (by hash);
#: ``ignored``: already there with different bytes, kept (``IgnoreIfExists``).
StoreOutcome = Literal["created", "identical", "ignored"]


@dataclass(frozen=True)
class StoredPackage:
    """Where a package version is stored and what the repository holds there.

    Example::

        StoredPackage(repository="releases", package_id="com.acme:web", version="1.2.3",
                      location="https://repo.example/maven/com/acme/web/1.2.3/web-1.2.3.zip",
                      sha1="3f78...", size=1048576, outcome="created")
    """

    repository: str
    """The repository's name in the configuration."""
    package_id: str
    version: str
    location: str
    """Where the package's bytes are: a URL, ``s3://bucket/key``; never holds a credential."""
    sha1: str
    """SHA-1 of the stored bytes, as read back from the repository (not only as sent)."""
    size: int
    outcome: StoreOutcome = "created"
    bytes_sent: int = 0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RepositoryConfig:
    """One ``[repositories.<name>]`` table, resolved: its kind and its own keys (credentials
    already taken from the environment where the kind says so)."""

    name: str
    kind: str
    values: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    """Where it was configured (``octoci.toml``, ``--repository-url``), for messages."""
    base_dir: Path = field(default_factory=Path)
    """The configuration file's folder: relative paths in the table are relative to it."""


@runtime_checkable
class PackageRepository(Protocol):
    """A configured repository: pushes package files and answers what it holds.

    Every method raises :class:`octoci.errors.OctociError` (or a subclass) with one line saying
    what is wrong and what to do; credentials never appear in it.
    """

    name: str
    kind: str

    def push(self, path: Path, name: PackageName, *, mode: OverwriteMode) -> StoredPackage:
        """Store the file as package ``name.id`` version ``name.version``; verify the stored
        bytes by hash before returning. With ``FailIfExists`` a version already present is an
        error (unless identical: ``identical``); ``IgnoreIfExists`` keeps it; ``OverwriteExisting``
        replaces it. A failed push leaves nothing half-stored."""
        ...

    def find(self, package_id: str, version: str) -> StoredPackage | None:
        """The stored version (location and hash) or ``None``; reads only."""
        ...

    def versions(self, package_id: str) -> Sequence[str]:
        """Every version of the package the repository holds; reads only."""
        ...

    def feed_problem(self, feed: Mapping[str, Any]) -> str | None:
        """``None`` when Octopus's feed document ``feed`` (``FeedType``, ``FeedUri``,
        ``BucketName``, ...) reads from this repository, else one line saying how they
        differ (``the feed 'Maven Central' reads https://repo1.maven.org/maven2, but the
        package went to https://repo.example/maven``)."""
        ...

    def describe(self) -> str:
        """One line for the dry run and messages: ``maven repository 'releases' at
        https://repo.example/maven``."""
        ...


@dataclass(frozen=True)
class RepositoryKind:
    """A kind of package repository a plugin registers with ``octoci_repository_kinds``.

    Example::

        RepositoryKind(
            name="maven",
            description="a Maven repository (Nexus, Artifactory, Reposilite, a WebDAV server)",
            keys=("url", "username", "password", "group_id"),
            secret_keys=("password",),
            feed_types=("Maven",),
            create=MavenRepository.from_config,
        )
    """

    name: str
    description: str
    create: Callable[[RepositoryConfig], PackageRepository]
    """Build the repository from its configuration; raise an ``InputError`` on a bad one."""
    keys: tuple[str, ...] = ()
    """The keys its ``[repositories.<name>]`` table may hold (besides ``kind``)."""
    secret_keys: tuple[str, ...] = ()
    """Keys whose values are secrets: masked everywhere, and also read from
    ``OCTOCI_REPOSITORY_<NAME>_<KEY>`` so they need not be in the file."""
    feed_types: tuple[str, ...] = ()
    """Octopus ``FeedType`` values a feed reading this kind of repository has."""
    secret_variables: tuple[str, ...] = ()
    """Environment variables the kind's client takes secrets from by itself
    (``AWS_SECRET_ACCESS_KEY`` for boto3): their values are masked too when a repository of
    the kind is configured."""


def octopus_package_id(repository: PackageRepository, package_id: str) -> str:
    """The package id a step on the Octopus feed that reads ``repository`` names the package by:
    the repository's own ``octopus_package_id(package_id)`` where it has one (optional, as it is
    for third-party kinds: a Maven repository answers ``groupId:artifactId``, an S3 bucket
    ``<bucket>/<prefix>/<id>``), else ``package_id`` itself.

    :raises InputError: the repository cannot name the package (a Maven id without a group).
    """
    name = getattr(repository, "octopus_package_id", None)
    return str(name(package_id)) if callable(name) else package_id
