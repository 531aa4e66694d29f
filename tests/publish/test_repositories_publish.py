"""``octoci publish`` with one package in Octopus's built-in feed and one in a Maven repository
(a real nginx with WebDAV ``PUT``): one release selects both new versions, build information is
pushed for both, the emulator's Maven feed reads the version from the repository (its
``maven-metadata.xml`` over HTTP, as Octopus reads it), and Debian's ``mvn`` resolves what was
uploaded. Bad input: a step whose feed reads another repository is refused before anything is
pushed; a version Octopus cannot see after the push creates no release."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from tests.repositories.conftest import DEBIAN_MAVEN_REPO, PASSWORD, USER
from tests.repositories.mvn import mvn_resolve

import octoci
from octoci.octopus.feeds import ExternalPackage
from octoci.octopus.preflight import ServerNeeds, required_permissions
from octoci.package_names import PackageName
from octoci.repositories import OverwriteMode, RepositoryConfig, RepositoryKind, StoredPackage
from octoci.testing import CliResult, run_octoci
from octoci.testing.nginx import NginxServer
from octoci_emulator import Emulator

from .conftest import CONFIG

Publish = Callable[..., CliResult]
VERSION = "1.4.0"
MAVEN_ID = "com.acme:Acme.Api"
ARTIFACT = f"com/acme/Acme.Api/{VERSION}/Acme.Api-{VERSION}.tar.gz"

#: The sample's two packages, Acme.Api routed to the Maven repository.
REPOSITORIES_CONFIG = (
    CONFIG.replace('format = "tar.gz"\n', 'format = "tar.gz"\nrepository = "releases"\n')
    + """
[repositories.releases]
kind = "maven"
url = "{url}"
username = "{user}"
group_id = "com.acme"
"""
)


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[NginxServer]:
    """The repositories' nginx (WebDAV, basic auth, Debian's Maven repository at ``/seed``)."""
    seed = DEBIAN_MAVEN_REPO if DEBIAN_MAVEN_REPO.is_dir() else None
    with NginxServer(tmp_path / "nginx", users={USER: PASSWORD}, seed=seed) as server:
        yield server


def _seed(feed_uri: str) -> dict[str, Any]:
    """Shop takes Acme.Web from the built-in feed and com.acme:Acme.Api from the Maven feed
    ``Releases`` that reads ``feed_uri``."""
    return {
        "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.05},
        "environments": ["Dev"],
        "feeds": [
            {
                "name": "Releases",
                "type": "Maven",
                "uri": feed_uri,
                "username": USER,
                "password": PASSWORD,
            }
        ],
        "projects": [
            {"name": "Shop", "packages": ["Acme.Web", {"id": MAVEN_ID, "feed": "Releases"}]}
        ],
    }


@pytest.fixture
def publish(octopus_emulator: Emulator, sample_repo: Path) -> Publish:
    """``publish(..., env={...}, plugins=[...])``: ``octoci publish`` in the sample repository,
    against ``octopus_emulator`` unless ``env`` names another server."""

    def run(
        *args: str, env: Mapping[str, str] | None = None, plugins: Sequence[object] = ()
    ) -> CliResult:
        merged = {
            "OCTOPUS_URL": octopus_emulator.url,
            "OCTOPUS_API_KEY": octopus_emulator.api_key,
            "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
            "OCTOCI_RETRY_BUDGET": "5",
            **(env or {}),
        }
        return run_octoci("publish", *args, env=merged, cwd=sample_repo, plugins=plugins)

    return run


@pytest.fixture
def octopus_emulator_seed(nginx: NginxServer) -> Mapping[str, Any]:
    return _seed(nginx.url("maven"))


@pytest.fixture
def maven_repo(sample_repo: Path, nginx: NginxServer) -> Path:
    (sample_repo / "octoci.toml").write_text(
        REPOSITORIES_CONFIG.format(url=nginx.url("maven"), user=USER), encoding="utf-8"
    )
    return sample_repo


ENV = {"OCTOCI_REPOSITORY_RELEASES_PASSWORD": PASSWORD}


def _nothing_created(emulator: Emulator) -> None:
    assert emulator.packages() == []
    assert emulator.documents("buildinfo") == []
    assert emulator.documents("release") == []


def _stored(nginx: NginxServer) -> list[Path]:
    return [p for p in (nginx.root / "maven").rglob("*") if p.is_file()]


def test_one_release_selects_the_built_in_and_the_maven_package(
    publish: Publish,
    maven_repo: Path,
    nginx: NginxServer,
    octopus_emulator: Emulator,
    tmp_path: Path,
) -> None:
    result = publish("--version", VERSION, "--no-commits", env=ENV)
    assert result.exit_code == 0, result.stderr
    # Acme.Web in the built-in feed, Acme.Api in the Maven repository (not in Octopus).
    assert [p["PackageId"] for p in octopus_emulator.packages()] == ["Acme.Web"]
    artifact = nginx.root / "maven" / ARTIFACT
    assert artifact.is_file()
    # Octopus's Maven feed was asked (it reads maven-metadata.xml) before the release.
    assert f"{MAVEN_ID} {VERSION}: seen in the feed 'Releases'" in result.stdout
    (release,) = octopus_emulator.documents("release")
    assert release["Version"] == VERSION
    selected = {p["ActionName"]: p["Version"] for p in release["SelectedPackages"]}
    assert selected == {"Acme.Web": VERSION, MAVEN_ID: VERSION}
    infos = {i["PackageId"]: i["Version"] for i in octopus_emulator.documents("buildinfo")}
    assert infos == {"Acme.Web": VERSION, MAVEN_ID: VERSION}
    assert result.leaks(PASSWORD) == []
    # A real Maven client resolves what octoci uploaded, with strict checksums.
    resolved = mvn_resolve(
        nginx, tmp_path, [("com.acme", "Acme.Api", VERSION, "tar.gz")], user=USER, password=PASSWORD
    )
    assert resolved.files == {
        f"Acme.Api-{VERSION}.tar.gz": hashlib.sha1(artifact.read_bytes()).hexdigest()
    }


def test_a_step_feed_reading_another_repository_is_refused_before_anything_is_pushed(
    publish: Publish,
    sample_repo: Path,
    nginx: NginxServer,
    octopus_emulator: Emulator,
) -> None:
    # The repository is /generic; the project's Maven feed reads /maven.
    (sample_repo / "octoci.toml").write_text(
        REPOSITORIES_CONFIG.format(url=nginx.url("generic"), user=USER), encoding="utf-8"
    )
    result = publish("--version", VERSION, "--no-commits", env=ENV)
    assert result.exit_code == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert (
        f"step '{MAVEN_ID}' takes {MAVEN_ID} from the feed 'Releases': the feed 'Releases' "
        f"reads {nginx.url('maven')}, but the package went to {nginx.url('generic')}"
    ) in line
    assert "nothing was pushed" in line
    assert "Traceback" not in result.stderr
    _nothing_created(octopus_emulator)
    assert [p for p in nginx.root.rglob("*") if p.is_file() and "generic" in p.parts] == []


def test_a_step_on_the_built_in_feed_for_a_maven_package_is_refused(
    publish: Publish,
    maven_repo: Path,
    nginx: NginxServer,
    octopus_emulator_factory: Callable[..., Emulator],
) -> None:
    seed = _seed(nginx.url("maven"))
    seed["projects"] = [{"name": "Shop", "packages": ["Acme.Web", MAVEN_ID]}]
    emulator = octopus_emulator_factory(seed)
    env = {**ENV, "OCTOPUS_URL": emulator.url, "OCTOPUS_API_KEY": emulator.api_key}
    result = publish("--version", VERSION, "--no-commits", env=env)
    assert result.exit_code == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"takes {MAVEN_ID} from the feed 'Octopus Server (built-in)'" in line
    _nothing_created(emulator)
    assert _stored(nginx) == []


class Blackhole:
    """A repository kind that says it stored the package (with the file's very hash) but keeps
    nothing where Octopus's Maven feed reads: the feed will not see the version."""

    name = "void"
    kind = "blackhole"

    def push(self, path: Path, name: PackageName, *, mode: OverwriteMode) -> StoredPackage:
        sha1 = hashlib.sha1(path.read_bytes()).hexdigest()
        size = path.stat().st_size
        return StoredPackage(self.name, name.id, name.version, "void://", sha1, size)

    def find(self, package_id: str, version: str) -> StoredPackage | None:
        return None

    def versions(self, package_id: str) -> Sequence[str]:
        return []

    def octopus_package_id(self, package_id: str) -> str:
        return f"com.acme:{package_id}"

    def feed_problem(self, feed: Mapping[str, Any]) -> str | None:
        return None

    def describe(self) -> str:
        return "blackhole repository 'void'"


class BlackholePlugin:
    @octoci.hookimpl
    def octoci_repository_kinds(self) -> Iterable[RepositoryKind]:
        def create(config: RepositoryConfig) -> Blackhole:
            return Blackhole()

        return [RepositoryKind(name="blackhole", description="tests", create=create)]


def test_a_version_octopus_cannot_see_after_the_push_creates_no_release(
    publish: Publish, sample_repo: Path, octopus_emulator: Emulator
) -> None:
    config = CONFIG.replace('format = "tar.gz"\n', 'format = "tar.gz"\nrepository = "void"\n')
    (sample_repo / "octoci.toml").write_text(
        config + '\n[repositories.void]\nkind = "blackhole"\n', encoding="utf-8"
    )
    result = publish("--version", VERSION, "--no-commits", env=ENV, plugins=[BlackholePlugin()])
    assert result.exit_code == 1, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert (
        f"Octopus cannot see what this run pushed: the feed 'Releases' (step '{MAVEN_ID}') does "
        f"not list {MAVEN_ID} {VERSION}, which was pushed to blackhole repository 'void'"
    ) in line
    assert "no release was created" in line
    assert "Traceback" not in result.stderr
    assert octopus_emulator.documents("release") == []


def test_a_run_whose_packages_all_go_elsewhere_needs_no_built_in_feed_permission() -> None:
    maven = Blackhole()
    external = (ExternalPackage("Acme.Api", VERSION, MAVEN_ID, maven),)
    assert required_permissions(ServerNeeds(external=external)) == []
    assert required_permissions(ServerNeeds(package_ids=("Acme.Web",), external=external)) == [
        "BuiltInFeedPush"
    ]
    assert required_permissions(ServerNeeds()) == ["BuiltInFeedPush"]


def test_release_create_asks_the_external_feed_for_the_version(
    maven_repo: Path, publish: Publish, octopus_emulator: Emulator, nginx: NginxServer
) -> None:
    seeded = publish("--version", VERSION, "--no-commits", env=ENV)
    assert seeded.exit_code == 0, seeded.stderr
    env = {
        "OCTOPUS_URL": octopus_emulator.url,
        "OCTOPUS_API_KEY": octopus_emulator.api_key,
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    missing = run_octoci(
        "release", "create", "--project", "Shop", "--version", "9.0.0",
        "--package", f"{MAVEN_ID}:9.9.9", env=env, cwd=maven_repo,
    )  # fmt: skip
    assert missing.exit_code == 2, missing.stderr
    (line,) = missing.stderr.strip().splitlines()
    assert f"has no {MAVEN_ID} 9.9.9 (step '{MAVEN_ID}'; it holds {VERSION})" in line
    assert [r["Version"] for r in octopus_emulator.documents("release")] == [VERSION]
    held = run_octoci(
        "release", "create", "--project", "Shop", "--version", "9.0.1",
        "--package", f"{MAVEN_ID}:{VERSION}", env=env, cwd=maven_repo,
    )  # fmt: skip
    assert held.exit_code == 0, held.stderr
    assert "octoci cannot check" not in held.stdout + held.stderr


def test_a_dry_run_pushes_nothing_anywhere(
    publish: Publish, maven_repo: Path, nginx: NginxServer, octopus_emulator: Emulator
) -> None:
    result = publish("--version", VERSION, "--no-commits", "--dry-run", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert f"{MAVEN_ID} {VERSION}: would be looked up in the feed 'Releases'" in result.stdout
    _nothing_created(octopus_emulator)
    assert _stored(nginx) == []


def _automatic(
    factory: Callable[..., Emulator], nginx: NginxServer
) -> tuple[Emulator, dict[str, str]]:
    """Shop's release created by Octopus when Acme.Web arrives, deploying itself to Dev."""
    seed = _seed(nginx.url("maven"))
    seed["lifecycles"] = [{"name": "Auto", "phases": [{"name": "Dev", "automatic": ["Dev"]}]}]
    seed["projects"][0].update(lifecycle="Auto", auto_create_release="Acme.Web")
    emulator = factory(seed)
    env = {
        "OCTOPUS_URL": emulator.url,
        "OCTOPUS_API_KEY": emulator.api_key,
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
        **ENV,
    }
    return emulator, env


def test_automatic_release_creation_sees_the_maven_version_before_the_trigger_is_pushed(
    octopus_emulator_factory: Callable[..., Emulator], maven_repo: Path, nginx: NginxServer
) -> None:
    emulator, env = _automatic(octopus_emulator_factory, nginx)
    result = run_octoci("publish", "--version", VERSION, "--no-commits", env=env, cwd=maven_repo)
    assert result.exit_code == 0, result.stderr
    assert "created by Octopus (automatic release creation)" in result.stderr + result.stdout
    lines = result.stdout.splitlines()
    seen_line = f"{MAVEN_ID} {VERSION}: seen in the feed 'Releases'"
    seen = next(i for i, line in enumerate(lines) if line.startswith(seen_line))
    trigger = next(i for i, line in enumerate(lines) if "it triggers automatic release" in line)
    assert seen < trigger, result.stdout
    (release,) = emulator.documents("release")
    selected = {p["ActionName"]: p["Version"] for p in release["SelectedPackages"]}
    assert selected == {"Acme.Web": VERSION, MAVEN_ID: VERSION}
    # The adopted release was checked for the Maven package's build information too.
    linked = {(b["PackageId"], b["Version"]) for b in release.get("BuildInformation") or []}
    assert (MAVEN_ID, VERSION) in linked


def test_an_automatic_release_that_takes_another_maven_version_is_a_failure(
    octopus_emulator_factory: Callable[..., Emulator], maven_repo: Path, nginx: NginxServer
) -> None:
    emulator, env = _automatic(octopus_emulator_factory, nginx)
    # A newer version is already in the repository: Octopus's release takes the newest.
    newer = maven_repo / "Acme.Api.9.0.0.tar.gz"
    newer.write_bytes(b"an older build's package")
    pushed = run_octoci("push", str(newer), "--repository", "releases", env=env, cwd=maven_repo)
    assert pushed.exit_code == 0, pushed.stderr
    result = run_octoci("publish", "--version", VERSION, "--no-commits", env=env, cwd=maven_repo)
    assert result.exit_code == 1, result.stderr
    assert f"{MAVEN_ID} at 9.0.0 (this run pushed {VERSION})" in result.stderr
    # Octopus did create it: octoci says it is not what this run pushed instead of success.
    assert len(emulator.documents("release")) == 1
