"""Fixtures for package repositories: the emulator, a run of ``octoci`` in a project folder
with an ``octoci.toml``, ``shelf`` (a third party's repository kind, a test plugin), a real nginx
with WebDAV, and ``push_file``, the one place the kind tests push through the kind objects."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import octoci
from octoci.errors import InputError, OctociError
from octoci.package_names import PackageName, parse_package_filename
from octoci.repositories import (
    OverwriteMode,
    RepositoryConfig,
    RepositoryKind,
    StoredPackage,
)
from octoci.repositories.base import PackageRepository
from octoci.repositories.overwrite import settle_existing
from octoci.testing import CliResult, run_octoci
from octoci.testing import emulator as emulator_fixtures
from octoci.testing.nginx import NginxServer
from octoci_emulator import Emulator

octopus_emulator = emulator_fixtures.octopus_emulator
octopus_emulator_factory = emulator_fixtures.octopus_emulator_factory

SHELF_TOKEN = "shelf-token-0f3c9a7e"


@dataclass
class Shelf:
    """What a shelf server holds: ``(id, version) -> bytes``; ``damage`` flips a byte of
    what it stores (a server that answers but keeps other bytes)."""

    held: dict[tuple[str, str], bytes] = field(default_factory=dict)
    damage: bool = False


@dataclass
class ShelfRepository:
    """A third party's kind, written as docs/plugins/repositories.md shows."""

    name: str
    shelf: Shelf
    kind: str = "shelf"

    def push(self, path: Path, name: PackageName, *, mode: OverwriteMode) -> StoredPackage:
        data = path.read_bytes()
        sha1 = hashlib.sha1(data).hexdigest()
        key = (name.id, name.version)
        if key in self.shelf.held:
            held = hashlib.sha1(self.shelf.held[key]).hexdigest()
            decided = settle_existing(
                what=f"pushing {path.name}",
                package_id=name.id,
                version=name.version,
                place=f"in the repository {self.name!r}",
                stored_sha1=held,
                local_sha1=sha1,
                mode=mode,
            )
            if decided is not None:
                return self._stored(name, held, decided[0], (decided[1],) if decided[1] else ())
        stored = data[:-1] + b"X" if self.shelf.damage else data
        self.shelf.held[key] = stored
        return self._stored(name, hashlib.sha1(stored).hexdigest(), "created", ())

    def _stored(
        self, name: PackageName, sha1: str, outcome: Any, warnings: tuple[str, ...]
    ) -> StoredPackage:
        return StoredPackage(
            self.name,
            name.id,
            name.version,
            f"shelf://{name.id}/{name.version}",
            sha1,
            len(self.shelf.held.get((name.id, name.version), b"")),
            outcome=outcome,
            warnings=warnings,
        )

    def find(self, package_id: str, version: str) -> StoredPackage | None:
        data = self.shelf.held.get((package_id, version))
        if data is None:
            return None
        sha1 = hashlib.sha1(data).hexdigest()
        return StoredPackage(self.name, package_id, version, "shelf://", sha1, len(data))

    def versions(self, package_id: str) -> Sequence[str]:
        return [v for i, v in self.shelf.held if i == package_id]

    def feed_problem(self, feed: Mapping[str, Any]) -> str | None:
        return None

    def describe(self) -> str:
        return f"shelf repository {self.name!r}"


class ShelfPlugin:
    """Registers the ``shelf`` kind; the token must be :data:`SHELF_TOKEN`."""

    def __init__(self) -> None:
        self.shelf = Shelf()

    def create(self, config: RepositoryConfig) -> ShelfRepository:
        if config.values.get("token") != SHELF_TOKEN:
            raise InputError(
                f"the shelf {config.name!r} refused the token {config.values.get('token')!r}; "
                "set OCTOCI_REPOSITORY_<NAME>_TOKEN"
            )
        return ShelfRepository(config.name, self.shelf)

    @octoci.hookimpl
    def octoci_repository_kinds(self) -> Iterable[RepositoryKind]:
        return [
            RepositoryKind(
                name="shelf",
                description="a shelf server (tests)",
                keys=("url", "token"),
                secret_keys=("token",),
                create=self.create,
            )
        ]


@pytest.fixture
def shelf_plugin() -> ShelfPlugin:
    return ShelfPlugin()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The project folder (a git checkout's root, so the configuration search stops here)."""
    folder = tmp_path / "project"
    (folder / ".git").mkdir(parents=True)
    return folder


@pytest.fixture
def package(project: Path) -> Callable[..., Path]:
    """``package("Acme.Web.1.0.0.zip", b"...")``: a package file in the project folder."""

    def make(name: str, content: bytes = b"PK-content") -> Path:
        path = project / "dist" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return path

    return make


@pytest.fixture
def octoci_run(octopus_emulator: Emulator, project: Path) -> Callable[..., CliResult]:
    """``octoci_run("push", ..., env={...}, plugins=[...])`` in the project, on the emulator."""

    def run(
        *args: str, env: dict[str, str] | None = None, plugins: Sequence[object] = ()
    ) -> CliResult:
        merged = {
            "OCTOPUS_URL": octopus_emulator.url,
            "OCTOPUS_API_KEY": octopus_emulator.api_key,
            "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
            "OCTOCI_RETRY_BUDGET": "20",
            **(env or {}),
        }
        return run_octoci(*args, env=merged, cwd=project, plugins=plugins)

    return run


def sha1_of(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


__all__ = ["SHELF_TOKEN", "OctociError", "ShelfPlugin", "sha1_of"]


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
