"""Package repositories: where ``octoci push`` and ``octoci publish`` store packages (Octopus's
built-in feed, Maven, generic HTTP, S3, or a plugin's kind), and how Octopus reads them back
through its feeds. The shared types are in :mod:`octoci.repositories.base`."""

from octoci.repositories.base import (
    OverwriteMode,
    PackageRepository,
    RepositoryConfig,
    RepositoryKind,
    StoredPackage,
    StoreOutcome,
)

__all__ = [
    "OverwriteMode",
    "PackageRepository",
    "RepositoryConfig",
    "RepositoryKind",
    "StoreOutcome",
    "StoredPackage",
]
