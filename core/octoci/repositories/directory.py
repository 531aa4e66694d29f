"""The kind ``directory``: a folder, typically a file share, holding package files by their
Octopus names (``Acme.Web.1.2.3.zip``). Octopus reads such a folder through a NuGet feed whose
URL is the folder's path (``\\\\fileserver\\packages`` or ``/mnt/packages``).

A push writes a temporary file beside the target, checks the SHA-1 of what landed on the
share against that of the bytes read, and only then gives it its name (without replacing
another file unless the mode is ``OverwriteExisting``): a failed push leaves nothing behind,
and two runs pushing the same version never see half a file.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from octoci.errors import InputError, OctociError
from octoci.package_names import PackageName, canonical_version, parse_package_filename
from octoci.repositories.base import (
    OverwriteMode,
    RepositoryConfig,
    RepositoryKind,
    StoredPackage,
)

__all__ = ["KIND", "DirectoryRepository"]

_BLOCK = 1024 * 1024


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


# Not frozen: PackageRepository declares name and kind as plain (settable) attributes.
@dataclass
class DirectoryRepository:
    """A folder of package files, as a :class:`~octoci.repositories.PackageRepository`.

    Example::

        DirectoryRepository("share", Path("/mnt/packages")).push(path, name, mode="FailIfExists")
    """

    name: str
    folder: Path
    kind: str = "directory"

    @classmethod
    def from_config(cls, config: RepositoryConfig) -> DirectoryRepository:
        """From ``[repositories.<name>] kind = "directory", path = "..."`` (relative to the
        configuration file's folder)."""
        path = config.values.get("path")
        if not isinstance(path, str) or not path.strip():
            raise InputError(
                f"{config.source or config.name}: path is required (the folder to keep "
                'packages in, e.g. path = "//fileserver/packages")'
            )
        folder = Path(path.strip())
        folder = folder if folder.is_absolute() else config.base_dir / folder
        if not folder.is_dir():
            # Found before anything is pushed anywhere, not as one failure among several.
            raise InputError(
                f"{config.source or config.name}: the folder {folder} does not exist; create "
                "it (or mount the share), or fix path"
            )
        return cls(config.name, folder)

    def _where(self) -> str:
        return f"the repository {self.name!r}"

    def _stored(self, file: Path, name: PackageName, outcome: Any, sha1: str) -> StoredPackage:
        return StoredPackage(
            repository=self.name,
            package_id=name.id,
            version=name.version,
            location=str(file),
            sha1=sha1,
            size=file.stat().st_size,
            outcome=outcome,
        )

    def _files_of(self, package_id: str) -> list[tuple[Path, PackageName]]:
        if not self.folder.is_dir():
            return []
        found = []
        for entry in sorted(self.folder.iterdir()):
            parsed = parse_package_filename(entry.name)
            if parsed is not None and parsed.id.lower() == package_id.lower() and entry.is_file():
                found.append((entry, parsed))
        return found

    def _file_of(self, package_id: str, version: str) -> Path | None:
        wanted = canonical_version(version)
        for file, parsed in self._files_of(package_id):
            if canonical_version(parsed.version) == wanted:
                return file
        return None

    def push(self, path: Path, name: PackageName, *, mode: OverwriteMode) -> StoredPackage:
        """Copy the file into the folder, verified by SHA-1 (module docstring)."""
        from octoci.repositories.overwrite import settle_existing

        what = f"pushing {path.name} to {self._where()}"
        if not self.folder.is_dir():
            raise InputError(
                f"{what} failed: the folder {self.folder} does not exist; create it (or mount "
                "the share), or fix path in the repository's table"
            )
        existing = self._file_of(name.id, name.version)
        local_sha1 = _sha1(path)
        if existing is not None:
            decided = settle_existing(
                what=what,
                package_id=name.id,
                version=name.version,
                place=f"in {self._where()}",
                stored_sha1=_sha1(existing),
                local_sha1=local_sha1,
                mode=mode,
            )
            if decided is not None:
                outcome, warning = decided
                stored = self._stored(existing, name, outcome, _sha1(existing))
                return stored if not warning else _with_warning(stored, warning)
        target = self.folder / name.filename
        partial = self.folder / f".{name.filename}.{uuid.uuid4().hex}.partial"
        digest = hashlib.sha1()
        sent = 0
        try:
            with path.open("rb") as source, partial.open("xb") as out:
                while block := source.read(_BLOCK):
                    digest.update(block)
                    out.write(block)
                    sent += len(block)
                out.flush()
                os.fsync(out.fileno())
            landed = _sha1(partial)
            if landed != digest.hexdigest():
                raise OctociError(
                    f"{what} failed: the folder holds bytes with SHA-1 {landed}, but those "
                    f"read have SHA-1 {digest.hexdigest()}; nothing was stored, push again"
                )
            if mode == "OverwriteExisting":
                partial.replace(target)
                if existing is not None and existing != target:
                    existing.unlink(missing_ok=True)  # the same version in another format
            else:
                try:
                    # A link never replaces: a run that stored the version meanwhile wins.
                    os.link(partial, target)
                except FileExistsError:
                    raise OctociError(
                        f"{what} failed: another push stored {name.filename} meanwhile; run "
                        "again to compare it with yours"
                    ) from None
        except OSError as exc:
            raise OctociError(
                f"{what} failed: {exc.strerror or exc} ({exc.filename or self.folder}); check "
                "the folder's permissions and free space"
            ) from None
        finally:
            partial.unlink(missing_ok=True)
        return replace(self._stored(target, name, "created", landed), bytes_sent=sent)

    def find(self, package_id: str, version: str) -> StoredPackage | None:
        """The stored file of that version, or ``None``; reads only."""
        file = self._file_of(package_id, version)
        if file is None:
            return None
        return self._stored(file, PackageName(package_id, version, ""), "identical", _sha1(file))

    def versions(self, package_id: str) -> Sequence[str]:
        """Every version of the package in the folder; reads only."""
        return [parsed.version for _, parsed in self._files_of(package_id)]

    def feed_problem(self, feed: Mapping[str, Any]) -> str | None:
        """``None`` for a NuGet feed whose ``FeedUri`` is this folder."""
        label = repr(feed.get("Name") or feed.get("Id"))
        uri = str(feed.get("FeedUri") or "")
        if str(feed.get("FeedType") or "") != "NuGet":
            return f"the feed {label} is a {feed.get('FeedType')} feed, not a NuGet feed"
        if not uri or Path(uri).resolve() != self.folder.resolve():
            return (
                f"the feed {label} reads {uri or 'nothing'}, but the package went to {self.folder}"
            )
        return None

    def describe(self) -> str:
        """``directory repository 'share' at /mnt/packages``."""
        return f"directory repository {self.name!r} at {self.folder}"


def _with_warning(stored: StoredPackage, warning: str) -> StoredPackage:
    return replace(stored, warnings=(warning,))


KIND = RepositoryKind(
    name="directory",
    description="a folder or file share (Octopus reads it through a NuGet feed on that path)",
    create=DirectoryRepository.from_config,
    keys=("path",),
    feed_types=("NuGet",),
)
