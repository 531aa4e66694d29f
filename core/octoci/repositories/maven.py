"""The ``maven`` repository kind: packages stored in a Maven repository's layout, as Octopus's
Maven feed reads them (it lists versions from ``maven-metadata.xml``; the package id is
``groupId:artifactId``).

A package ``Acme.Web`` version ``1.2.3`` from ``Acme.Web.1.2.3.zip`` with ``group_id =
"com.acme"`` is stored as::

    com/acme/Acme.Web/1.2.3/Acme.Web-1.2.3.zip          (+ .sha1 .md5 .sha256 .sha512)
    com/acme/Acme.Web/1.2.3/Acme.Web-1.2.3.pom          (a minimal POM, + checksums)
    com/acme/Acme.Web/maven-metadata.xml                (versions, latest, release, + checksums)

A SNAPSHOT version (``1.2.3-SNAPSHOT``) is stored as a timestamped build,
``Acme.Web-1.2.3-20240102.030405-7.zip``, with the version's own ``maven-metadata.xml`` naming the
latest build (``snapshot``/``snapshotVersions``), as ``mvn deploy`` does; the timestamp is
``SOURCE_DATE_EPOCH``'s when set, else the push's.

The order keeps the repository consistent for readers at every moment: artifact, POM and their
checksums first, the stored artifact's SHA-1 verified, metadata last. If anything fails before the
metadata is written, what this push wrote is deleted (or the error says what is left), so no
``maven-metadata.xml`` names a version whose artifact is missing. Metadata is merged with what is
there (read, add, write, read back); plain HTTP has no lock, so two pushes of the same artifact at
the same moment can still lose a version from the list (the files stay): the read-back catches it
and writes again once.
"""

from __future__ import annotations

import os
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from octoci.errors import InputError, OctociError
from octoci.package_names import PackageName
from octoci.packaging.reproducible import timestamp_from_env
from octoci.repositories.base import (
    OverwriteMode,
    RepositoryConfig,
    RepositoryKind,
    StoredPackage,
)
from octoci.repositories.http import (
    Digests,
    RepositoryHttp,
    _text,
    client_from_config,
    feed_type_problem,
    normalized_url,
)
from octoci.repositories.overwrite import settle_existing

__all__ = ["KIND", "MavenCoordinates", "MavenRepository", "packaging_of"]

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_CHECKSUMS = ("sha1", "md5", "sha256", "sha512")
_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>{group}</groupId>
  <artifactId>{artifact}</artifactId>
  <version>{version}</version>
  <packaging>{packaging}</packaging>
</project>
"""


def packaging_of(extension: str) -> str:
    """Maven's packaging (and file extension) for a package file's extension: ``.zip`` ->
    ``zip``, ``.tar.gz`` -> ``tar.gz``, ``.jar`` -> ``jar``."""
    return extension.lstrip(".").lower()


class MavenCoordinates:
    """``groupId``, ``artifactId`` and version of a package, and its paths in the layout."""

    def __init__(self, group: str, artifact: str, version: str, packaging: str) -> None:
        self.group = group
        self.artifact = artifact
        self.version = version
        self.packaging = packaging

    @property
    def snapshot(self) -> bool:
        """Whether the version is a SNAPSHOT (stored as timestamped builds)."""
        return self.version.endswith("-SNAPSHOT")

    @property
    def artifact_folder(self) -> str:
        """``com/acme/web``: where the artifact-level ``maven-metadata.xml`` is."""
        return f"{self.group.replace('.', '/')}/{self.artifact}"

    @property
    def version_folder(self) -> str:
        """``com/acme/web/1.2.3``."""
        return f"{self.artifact_folder}/{self.version}"

    def file(self, file_version: str, extension: str) -> str:
        """``com/acme/web/1.2.3/web-<file_version>.<extension>``."""
        return f"{self.version_folder}/{self.artifact}-{file_version}.{extension}"


def _stamp(moment: int) -> tuple[str, str]:
    """``(yyyyMMdd.HHmmss, yyyyMMddHHmmss)`` of ``moment``, UTC."""
    when = datetime.fromtimestamp(moment, tz=timezone.utc)
    return when.strftime("%Y%m%d.%H%M%S"), when.strftime("%Y%m%d%H%M%S")


def _find(element: ET.Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _listed_versions(metadata: ET.Element | None) -> list[str]:
    """The ``versioning/versions`` of an artifact-level ``maven-metadata.xml``."""
    if metadata is None:
        return []
    found = ((v.text or "").strip() for v in metadata.findall("versioning/versions/version"))
    return [v for v in found if v]


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = text
    return child


def _xml(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"


class MavenRepository:
    """A Maven repository (Nexus, Artifactory, Reposilite, a WebDAV server) that takes ``PUT``.

    Example::

        repository = MavenRepository.from_config(RepositoryConfig(
            "releases", "maven", {"url": "https://repo.example/maven", "group_id": "com.acme",
                                  "username": "ci", "password": "..."}))
        repository.push(Path("Acme.Web.1.2.3.zip"), name, mode="FailIfExists").location
        # https://repo.example/maven/com/acme/Acme.Web/1.2.3/Acme.Web-1.2.3.zip
    """

    kind = "maven"

    def __init__(
        self,
        name: str,
        client: RepositoryHttp,
        *,
        group_id: str = "",
        clock: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        self.name = name
        self.client = client
        self.group_id = group_id
        self.clock = clock

    @classmethod
    def from_config(
        cls, config: RepositoryConfig, *, env: Mapping[str, str] | None = None
    ) -> MavenRepository:
        """Build it from ``[repositories.<name>]`` (``kind = "maven"``); ``env`` (the process's
        by default) gives ``SOURCE_DATE_EPOCH`` for SNAPSHOT timestamps."""
        where = f"repository {config.name!r} ({config.source or 'configuration'})"
        group_id = _text(config.values, "group_id", config)
        if group_id and not _NAME.match(group_id):
            raise InputError(f"{where}: group_id {group_id!r} is not a Maven groupId (com.acme)")
        try:
            fixed = timestamp_from_env(os.environ if env is None else env)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        client = client_from_config(config, "maven", token=False)
        clock = (lambda: fixed) if fixed is not None else (lambda: int(time.time()))
        return cls(config.name, client, group_id=group_id, clock=clock)

    def describe(self) -> str:
        """``maven repository 'releases' at https://...``."""
        return self.client.label

    # ------------------------------------------------------------------ coordinates
    def coordinates(self, package_id: str, version: str, extension: str = "") -> MavenCoordinates:
        """``groupId:artifactId`` from the package id, or ``group_id`` + the id.

        :raises InputError: no group, or a name Maven cannot store.
        """
        group, colon, artifact = package_id.rpartition(":")
        if not colon:
            group, artifact = self.group_id, package_id
        if not group:
            raise InputError(
                f"{package_id}: a Maven package needs a groupId: name it groupId:artifactId, or "
                f"set group_id in [repositories.{self.name}]"
            )
        for label, value in (("groupId", group), ("artifactId", artifact)):
            if not _NAME.match(value) or ".." in value:
                raise InputError(f"{package_id}: {value!r} is not a Maven {label}")
        return MavenCoordinates(group, artifact, version, packaging_of(extension))

    def octopus_package_id(self, package_id: str) -> str:
        """``groupId:artifactId``: the package id a step on Octopus's Maven feed names
        (``Acme.Web`` with ``group_id = "com.acme"`` is ``com.acme:Acme.Web``).

        :raises InputError: no group, or a name Maven cannot store.
        """
        coords = self.coordinates(package_id, "0")
        return f"{coords.group}:{coords.artifact}"

    # ------------------------------------------------------------------ metadata
    def _metadata(self, path: str, what: str) -> ET.Element | None:
        data = self.client.read(path, what=what)
        if data is None:
            return None
        try:
            root = ET.fromstring(data)
        except ET.ParseError as exc:
            raise OctociError(
                f"{what} failed: {self.client.url(path)} is not valid XML ({exc}); fix or delete "
                "it in the repository"
            ) from None
        if root.tag.rpartition("}")[2] != "metadata":
            raise OctociError(
                f"{what} failed: {self.client.url(path)} is not a maven-metadata.xml document"
            )
        # Namespaced metadata (modelVersion 1.1.0 with xmlns) is read as plain tags.
        for element in root.iter():
            element.tag = element.tag.rpartition("}")[2]
        return root

    def _put_with_checksums(self, path: str, data: bytes, what: str, written: list[str]) -> None:
        digests = Digests.of_bytes(data)
        self.client.put_bytes(path, data, what=what)
        written.append(path)
        self._put_checksums(path, digests, what, written)

    def _put_checksums(self, path: str, digests: Digests, what: str, written: list[str]) -> None:
        for algorithm in _CHECKSUMS:
            value = getattr(digests, algorithm)
            self.client.put_bytes(f"{path}.{algorithm}", value.encode("ascii"), what=what)
            written.append(f"{path}.{algorithm}")

    def _artifact_metadata(
        self, coords: MavenCoordinates, existing: ET.Element | None, updated: str
    ) -> bytes:
        versions = _listed_versions(existing)
        if coords.version not in versions:
            versions.append(coords.version)
        release = _find(existing, "versioning/release")
        if not coords.snapshot:
            release = coords.version
        root = ET.Element("metadata")
        _sub(root, "groupId", coords.group)
        _sub(root, "artifactId", coords.artifact)
        versioning = ET.SubElement(root, "versioning")
        # As maven-deploy: the version deployed last is the latest.
        _sub(versioning, "latest", coords.version)
        if release:
            _sub(versioning, "release", release)
        listed = ET.SubElement(versioning, "versions")
        for version in versions:
            _sub(listed, "version", version)
        _sub(versioning, "lastUpdated", updated)
        return _xml(root)

    def _version_metadata(
        self,
        coords: MavenCoordinates,
        existing: ET.Element | None,
        stamp: str,
        build: int,
        updated: str,
    ) -> bytes:
        value = f"{coords.version.removesuffix('-SNAPSHOT')}-{stamp}-{build}"
        kept = []
        if existing is not None:
            for entry in existing.findall("versioning/snapshotVersions/snapshotVersion"):
                if _find(entry, "classifier") or _find(entry, "extension") not in (
                    coords.packaging,
                    "pom",
                ):
                    kept.append(entry)
        root = ET.Element("metadata", {"modelVersion": "1.1.0"})
        _sub(root, "groupId", coords.group)
        _sub(root, "artifactId", coords.artifact)
        _sub(root, "version", coords.version)
        versioning = ET.SubElement(root, "versioning")
        snapshot = ET.SubElement(versioning, "snapshot")
        _sub(snapshot, "timestamp", stamp)
        _sub(snapshot, "buildNumber", str(build))
        _sub(versioning, "lastUpdated", updated)
        listed = ET.SubElement(versioning, "snapshotVersions")
        for extension in (coords.packaging, "pom"):
            entry = ET.SubElement(listed, "snapshotVersion")
            _sub(entry, "extension", extension)
            _sub(entry, "value", value)
            _sub(entry, "updated", updated)
        listed.extend(kept)
        return _xml(root)

    def _write_artifact_metadata(
        self, coords: MavenCoordinates, updated: str, what: str, written: list[str] | None = None
    ) -> None:
        path = f"{coords.artifact_folder}/maven-metadata.xml"
        for _ in range(2):
            existing = self._metadata(path, f"{what}: reading maven-metadata.xml")
            document = self._artifact_metadata(coords, existing, updated)
            self._put_with_checksums(
                path,
                document,
                f"{what}: writing maven-metadata.xml",
                [] if written is None else written,
            )
            check = self._metadata(path, f"{what}: reading maven-metadata.xml back")
            if coords.version in _listed_versions(check):
                return
        raise OctociError(
            f"{what} failed: {self.client.url(path)} does not list {coords.version} after "
            "writing it twice (another push is writing it at the same time?); push again"
        )

    # ------------------------------------------------------------------ push
    def push(self, path: Path, name: PackageName, *, mode: OverwriteMode) -> StoredPackage:
        """Store the artifact, its POM and checksums, verify, then merge the metadata."""
        what = f"pushing {path.name} to {self.client.label}"
        coords = self.coordinates(name.id, name.version, name.extension)
        package_id = f"{coords.group}:{coords.artifact}"
        local = Digests.of_package(path, what)
        stamp, updated = _stamp(self.clock())
        # Read (and check) the metadata before anything is written: a broken document stops
        # the push while the repository is untouched.
        self._metadata(
            f"{coords.artifact_folder}/maven-metadata.xml", f"{what}: reading maven-metadata.xml"
        )
        if coords.snapshot:
            version_meta_path = f"{coords.version_folder}/maven-metadata.xml"
            version_meta = self._metadata(
                version_meta_path, f"{what}: reading the SNAPSHOT's metadata"
            )
            last = _find(version_meta, "versioning/snapshot/buildNumber")
            build = int(last) + 1 if last.isdigit() else 1
            latest = self._snapshot_file(coords, version_meta)
            if latest is not None:
                stored = self.client.stored_digest(latest, what=f"{what}: reading the latest build")
                if stored is not None and stored[0] == local.sha1:
                    return StoredPackage(
                        self.name,
                        package_id,
                        name.version,
                        self.client.url(latest),
                        stored[0],
                        stored[1],
                        "identical",
                    )
            file_version = f"{coords.version.removesuffix('-SNAPSHOT')}-{stamp}-{build}"
        else:
            file_version = coords.version
            build = 0
            version_meta = None
        target = coords.file(file_version, coords.packaging)
        location = self.client.url(target)
        if not coords.snapshot:
            stored = self.client.stored_digest(target, what=f"{what}: reading what is there")
            if stored is not None:
                settled = settle_existing(
                    what=what,
                    package_id=package_id,
                    version=name.version,
                    place=f"in {self.client.label}",
                    stored_sha1=stored[0],
                    local_sha1=local.sha1,
                    mode=mode,
                )
                if settled is not None:
                    outcome, warning = settled
                    # A push that stopped before its metadata left the artifact unlisted: list it.
                    self._write_artifact_metadata(coords, updated, what)
                    return StoredPackage(
                        self.name,
                        package_id,
                        name.version,
                        location,
                        stored[0],
                        stored[1],
                        outcome,
                        warnings=(warning,) if warning else (),
                    )
        written: list[str] = []
        try:
            sent = self.client.put_file(target, path, local, what=what)
            written.append(target)
            self._put_checksums(target, local, what, written)
            pom = _POM.format(
                group=coords.group,
                artifact=coords.artifact,
                version=coords.version,
                packaging=coords.packaging,
            ).encode("utf-8")
            self._put_with_checksums(
                coords.file(file_version, "pom"), pom, f"{what}: the POM", written
            )
            after = self.client.stored_digest(target, what=f"{what}: reading the artifact back")
            if after is None or after[0] != local.sha1:
                stored_text = "nothing" if after is None else f"bytes with SHA-1 {after[0]}"
                raise OctociError(
                    f"{what} failed: the repository holds {stored_text}, but the bytes sent have "
                    f"SHA-1 {local.sha1}: it answered but stored something else"
                )
            if coords.snapshot:
                document = self._version_metadata(coords, version_meta, stamp, build, updated)
                self._put_with_checksums(
                    f"{coords.version_folder}/maven-metadata.xml",
                    document,
                    f"{what}: writing the SNAPSHOT's metadata",
                    written,
                )
            self._write_artifact_metadata(coords, updated, what, written)
        except OctociError as exc:
            raise OctociError(f"{exc}; {self._remove(written, what)}") from None
        return StoredPackage(
            self.name,
            package_id,
            name.version,
            location,
            local.sha1,
            local.size,
            "created",
            bytes_sent=sent,
        )

    def _remove(self, written: list[str], what: str) -> str:
        """Delete what a failed push wrote, newest first; say what was done or is left. Once a
        metadata document names the new files they stay: deleting them would leave metadata
        naming a missing artifact."""
        if not written:
            return "nothing was written"
        if any(path.endswith("/maven-metadata.xml") for path in written):
            return (
                "maven-metadata.xml was written, so the files it names were kept (a checksum "
                "file may be missing): push again"
            )
        left = [
            self.client.url(path)
            for path in reversed(written)
            if self.client.delete(path, what=f"{what}: removing {path}")
        ]
        if not left:
            return f"the {len(written)} files this push wrote were removed; no metadata names it"
        return (
            f"no metadata names it, but {len(left)} files it wrote could not be removed "
            f"(delete them): {', '.join(left)}"
        )

    def _snapshot_file(
        self, coords: MavenCoordinates, version_meta: ET.Element | None
    ) -> str | None:
        """The path of the latest build of a SNAPSHOT with the artifact's extension."""
        if version_meta is None:
            return None
        for entry in version_meta.findall("versioning/snapshotVersions/snapshotVersion"):
            extension = _find(entry, "extension")
            if not _find(entry, "classifier") and (
                extension == coords.packaging or (not coords.packaging and extension != "pom")
            ):
                return coords.file(_find(entry, "value"), extension)
        return None

    # ------------------------------------------------------------------ reads
    def find(self, package_id: str, version: str) -> StoredPackage | None:
        """The stored version: a release's artifact (extension from its POM's packaging), or a
        SNAPSHOT's latest build."""
        what = f"looking up {package_id} {version} in {self.client.label}"
        coords = self.coordinates(package_id, version)
        if coords.snapshot:
            meta = self._metadata(f"{coords.version_folder}/maven-metadata.xml", what)
            target = self._snapshot_file(coords, meta)
        else:
            pom = self.client.read(coords.file(version, "pom"), what=what)
            if pom is None:
                return None
            try:
                document = ET.fromstring(pom)
            except ET.ParseError:
                return None
            packaging = next(
                ((e.text or "").strip() for e in document.iter() if e.tag.endswith("packaging")),
                "jar",
            )
            target = coords.file(version, packaging)
        if target is None:
            return None
        stored = self.client.stored_digest(target, what=what)
        if stored is None:
            return None
        return StoredPackage(
            self.name,
            f"{coords.group}:{coords.artifact}",
            version,
            self.client.url(target),
            stored[0],
            stored[1],
        )

    def versions(self, package_id: str) -> Sequence[str]:
        """The versions ``maven-metadata.xml`` lists (what Octopus's Maven feed reads)."""
        coords = self.coordinates(package_id, "0")
        what = f"listing the versions of {package_id} in {self.client.label}"
        meta = self._metadata(f"{coords.artifact_folder}/maven-metadata.xml", what)
        return _listed_versions(meta)

    def feed_problem(self, feed: Mapping[str, Any]) -> str | None:
        """A ``Maven`` feed reads this repository when its ``FeedUri`` is this url (scheme and
        host case, default port and trailing slash aside)."""
        feed_name, wrong = feed_type_problem(
            feed, KIND.feed_types, "a Maven repository through a Maven"
        )
        if wrong:
            return wrong
        theirs = normalized_url(str(feed.get("FeedUri") or ""))
        ours = normalized_url(self.client.base)
        if theirs == ours:
            return None
        return f"the feed {feed_name!r} reads {theirs}, but the package went to {ours}"


KIND = RepositoryKind(
    name="maven",
    description="a Maven repository (Nexus, Artifactory, Reposilite, a WebDAV server)",
    create=MavenRepository.from_config,
    keys=("url", "username", "password", "group_id"),
    secret_keys=("password",),
    feed_types=("Maven",),
)
