"""Fixtures of the repository-kind tests: a real nginx with WebDAV, and pushing through a kind.

``push_file`` is the one place the tests push: through the kind objects today; when ``octoci push
--repository`` is there it can run the command instead, and every test follows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.package_names import parse_package_filename
from octoci.repositories.base import (
    OverwriteMode,
    PackageRepository,
    RepositoryConfig,
    RepositoryKind,
    StoredPackage,
)
from octoci.testing.nginx import NginxServer

#: The credentials of the nginx fixture's basic auth.
USER, PASSWORD = "ci", "s3cret-Pa55word"
#: Debian's Maven repository (maven, libmaven-dependency-plugin-java, junit4): mvn's plugins.
DEBIAN_MAVEN_REPO = Path("/usr/share/maven-repo")


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[NginxServer]:
    """A running nginx (``NginxServer``) with basic auth (``USER``/``PASSWORD``) and Debian's
    Maven repository at ``/seed`` when it is installed."""
    seed = DEBIAN_MAVEN_REPO if DEBIAN_MAVEN_REPO.is_dir() else None
    with NginxServer(tmp_path / "nginx", users={USER: PASSWORD}, seed=seed) as server:
        yield server


def make_repository(
    kind: RepositoryKind, name: str, values: Mapping[str, Any]
) -> PackageRepository:
    """The repository a ``[repositories.<name>]`` table of ``kind`` configures."""
    return kind.create(RepositoryConfig(name, kind.name, dict(values), source="octoci.toml"))


PushFile = Callable[..., StoredPackage]


@pytest.fixture
def push_file(tmp_path: Path) -> PushFile:
    """``push_file(repository, "Acme.Web.1.2.3.zip", b"bytes", mode=...)``: write the package
    file and push it."""

    def push(
        repository: PackageRepository,
        filename: str,
        content: bytes,
        *,
        mode: OverwriteMode = "FailIfExists",
    ) -> StoredPackage:
        folder = tmp_path / "packages"
        folder.mkdir(exist_ok=True)
        path = folder / filename
        path.write_bytes(content)
        name = parse_package_filename(filename)
        assert name is not None, filename
        return repository.push(path, name, mode=mode)

    return push
