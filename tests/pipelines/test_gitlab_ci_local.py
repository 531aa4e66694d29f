"""GitLab pipelines for real: ``examples/pipelines/gitlab-ci.yml`` and the CI/CD component
``templates/publish.yml`` run under `gitlab-ci-local <https://github.com/firecow/gitlab-ci-local>`_
(GitLab's job model - rules, needs, dotenv reports, component inputs - on this machine, shell
executor) against the emulator, with the CI/CD variables a GitLab user sets; the tests read back
what the next job reads: the dotenv report gitlab-ci-local hands on, and the ``announce`` job's
output.

gitlab-ci-local is an npm package, installed pinned (as the conformance session installs the
npm clients) into ``$OCTOCI_GITLAB_CI_LOCAL_DIR`` (nox: its cache folder) or a temporary folder.
It needs node, npm, git and rsync. Without them the tests are skipped - unless
``OCTOCI_REQUIRE_GITLAB_CI_LOCAL=1`` (the nox ``tests`` session, so CI), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from octoci.local_octopus import LocalOctopus
from octoci.testing.nginx import NginxServer
from octoci.testing.pipelines import (
    UNREACHABLE_API,
    octoci_bin_dir,
    read_dotenv,
    workspace_from,
)

from .conftest import (
    PIPELINES,
    ROOT,
    SAMPLE_APP,
    SERVICE_ACCOUNT,
    id_token,
    load_yaml,
    released_and_deployed,
)

#: 4.74.0 and later use ``Set.prototype.union`` (Node 22); CI's Node is 20, where 4.73.0 runs.
GITLAB_CI_LOCAL_VERSION = "4.73.0"
REQUIRE_VARIABLE = "OCTOCI_REQUIRE_GITLAB_CI_LOCAL"
FOLDER_VARIABLE = "OCTOCI_GITLAB_CI_LOCAL_DIR"
#: What gitlab-ci-local runs a job with (rsync copies the checkout, git reads the remote).
NEEDED_TOOLS = ("node", "npm", "git", "rsync", "bash")
#: Predefined variables the tests set on purpose (gitlab-ci-local warns about each otherwise):
#: ``GITLAB_CI`` is ``true`` in a GitLab job but ``false`` under gitlab-ci-local; with the shell
#: executor forced, gitlab-ci-local keeps the docker executor's ``CI_PROJECT_DIR``
#: (``/builds/<path>``), where a GitLab shell runner sets the checkout the job starts in; and
#: GitLab's API must not be reached from a test.
PREDEFINED_OVERRIDES = ("GITLAB_CI", "CI_PROJECT_DIR", "CI_API_V4_URL")
#: The component's project: a component of the pipeline's own project at the pipeline's commit
#: is read from the checkout, as GitLab's docs test a component before releasing it.
COMPONENT_REMOTE = "https://gitlab.com/octoci/octoci.git"
COMPONENT_PIPELINE = """\
include:
  - component: $CI_SERVER_FQDN/octoci/octoci/publish@$CI_COMMIT_SHA
    inputs:
      job-name: release
      deploy-to: Dev
      promote-to: Test
      version: 2.5.0

show:
  stage: .post
  needs: [release]
  script:
    - echo "Released $release_version ($deployment_states)"
"""

#: The API's package id in Octopus's Maven feed (groupId:artifactId, group_id of octoci.toml).
MAVEN_API = "com.acme:Acme.Shop.Api"
NEXUS_PASSWORD = "nexus-Pa55-for-ci"

pytestmark = pytest.mark.slow  # ~4 s a pipeline (gitlab-ci-local validates its schema first)


def _missing_tools(reason: str) -> None:
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"gitlab-ci-local cannot run: {reason} ({REQUIRE_VARIABLE}=1)")
    pytest.skip(f"gitlab-ci-local cannot run: {reason}")


@pytest.fixture(scope="session")
def gitlab_ci_local(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pinned gitlab-ci-local's entry script, installed by npm on first use."""
    missing = [tool for tool in NEEDED_TOOLS if shutil.which(tool) is None]
    if missing:
        _missing_tools(f"{', '.join(missing)} not on PATH")
    folder = (
        # Resolved now: the jobs run in other folders (nox names its cache folder relative to the
        # checkout, and a relative path there found no gitlab-ci-local in CI).
        Path(
            os.environ.get(FOLDER_VARIABLE) or tmp_path_factory.mktemp("gitlab-ci-local")
        ).resolve()
        / GITLAB_CI_LOCAL_VERSION
    )
    package = folder / "node_modules" / "gitlab-ci-local"
    if not (package / "package.json").is_file():
        _install(folder)
    installed = json.loads((package / "package.json").read_text(encoding="utf-8"))
    assert installed["version"] == GITLAB_CI_LOCAL_VERSION, installed["version"]
    return package / installed["bin"]


def _install(folder: Path) -> None:
    """npm-install the pinned version beside ``folder`` and move it into place, so that two
    test processes sharing the cache never see half an installation."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="install-", dir=folder.parent))
    manifest = {
        "name": "octoci-gitlab-ci-local",
        "private": True,
        "dependencies": {"gitlab-ci-local": GITLAB_CI_LOCAL_VERSION},
    }
    (staging / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
    npm = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"]
    done = subprocess.run(npm, cwd=staging, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.fail(
            f"npm could not install gitlab-ci-local {GITLAB_CI_LOCAL_VERSION}:\n{done.stderr}"
        )
    try:
        staging.rename(folder)
    except OSError:  # another process installed it first: use that one
        shutil.rmtree(staging, ignore_errors=True)


def _run_pipeline(
    tool: Path, workspace: Path, variables: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """gitlab-ci-local running the workspace's ``.gitlab-ci.yml`` with the shell executor, the
    CI/CD ``variables`` set, in an environment holding only PATH (the installed octoci first)
    and a private HOME, so nothing of the machine running the tests leaks into the jobs."""
    overrides = {
        "GITLAB_CI": "true",
        "CI_PROJECT_DIR": str(workspace),
        "CI_API_V4_URL": UNREACHABLE_API,
        # The emulator's tasks take 50 ms: poll them as often, not every 10 s.
        "OCTOCI_POLL_INTERVAL": "0.1",
    }
    argv = [
        "node",
        str(tool),
        "--force-shell-executor",
        "--no-color",
        "--ignore-predefined-vars",
        ",".join(PREDEFINED_OVERRIDES),
    ]
    for name, value in {**variables, **overrides}.items():
        argv += ["--variable", f"{name}={value}"]
    home = workspace.parent / "home"
    home.mkdir(exist_ok=True)
    path = os.pathsep.join([str(octoci_bin_dir()), os.environ.get("PATH", "")])
    env = {"PATH": path, "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8"}
    return subprocess.run(
        argv, cwd=workspace, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _project(tmp_path: Path, files: Mapping[str, str], *, remote: str) -> Path:
    """A GitLab checkout: the sample application with ``files`` added, one commit, ``origin``
    at ``remote`` (gitlab-ci-local reads the project's path from it)."""
    source = tmp_path / "source"
    shutil.copytree(SAMPLE_APP, source, ignore=shutil.ignore_patterns("build", "__pycache__"))
    for name, text in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text, encoding="utf-8")
    return workspace_from(source, tmp_path / "workspace", remote=remote)


def _job_output(workspace: Path, job: str) -> list[str]:
    """What ``job`` printed, as gitlab-ci-local logged it (the ``$ command`` lines left out)."""
    log = workspace / ".gitlab-ci-local" / "output" / f"{job}.log"
    return [line for line in log.read_text(encoding="utf-8").splitlines() if line[:2] != "$ "]


def _dotenv_report(workspace: Path, job: str, name: str) -> dict[str, str]:
    """The dotenv report of ``job`` that gitlab-ci-local hands on to the jobs that need it."""
    reports = workspace / ".gitlab-ci-local" / "artifacts" / job / ".gitlab-ci-reports"
    return read_dotenv(reports / "dotenv" / name)


def test_the_example_pipeline_publishes_and_announce_reads_the_release(
    gitlab_ci_local: Path, octopus_emulator: LocalOctopus, tmp_path: Path
) -> None:
    pipeline_file = PIPELINES / "gitlab-ci.yml"
    workspace = _project(
        tmp_path,
        {".gitlab-ci.yml": pipeline_file.read_text(encoding="utf-8")},
        remote="https://gitlab.com/acme/shop.git",
    )
    # The file's CI/CD variables; GitLab mints the `id_tokens:` token, gitlab-ci-local cannot.
    variables = {
        "OCTOPUS_URL": octopus_emulator.url,
        "OCTOPUS_SERVICE_ACCOUNT_ID": SERVICE_ACCOUNT,
        "OCTOCI_ID_TOKEN": id_token(),
    }
    done = _run_pipeline(gitlab_ci_local, workspace, variables)
    assert done.returncode == 0, done.stdout + done.stderr
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]

    dotenv = load_yaml(pipeline_file)["publish"]["artifacts"]["reports"]["dotenv"]
    report = _dotenv_report(workspace, "publish", dotenv)
    assert report["release_version"] == version
    assert report["deployment_states"] == "Dev=Success"
    assert f"Released {version} (Dev=Success)" in _job_output(workspace, "announce")


def test_the_component_included_by_a_pipeline_publishes_with_its_inputs(
    gitlab_ci_local: Path, octopus_emulator: LocalOctopus, tmp_path: Path
) -> None:
    component = (ROOT / "templates" / "publish.yml").read_text(encoding="utf-8")
    workspace = _project(
        tmp_path,
        {".gitlab-ci.yml": COMPONENT_PIPELINE, "templates/publish.yml": component},
        remote=COMPONENT_REMOTE,
    )
    # No id-token-audience input: the API key of a masked CI/CD variable logs in.
    variables = {"OCTOPUS_URL": octopus_emulator.url, "OCTOPUS_API_KEY": octopus_emulator.api_key}
    done = _run_pipeline(gitlab_ci_local, workspace, variables)
    assert done.returncode == 0, done.stdout + done.stderr
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success", "Success"]

    # The inputs decided, not octoci.toml (no promotion) nor the computed version.
    assert version == "2.5.0"
    report = _dotenv_report(workspace, "release", "octoci.env")
    assert report["release_version"] == version
    assert report["deployment_states"] == "Dev=Success,Test=Success"
    assert "Released 2.5.0 (Dev=Success,Test=Success)" in _job_output(workspace, "show")
    logs = done.stdout + done.stderr + "".join(_job_output(workspace, "release"))
    assert octopus_emulator.api_key not in logs


@pytest.fixture
def maven_nexus(tmp_path: Path) -> Iterator[NginxServer]:
    """A real nginx with WebDAV as the team's Maven repository, behind basic auth, with
    Debian's Maven repository at ``/seed`` for mvn's own plugins."""
    seed = Path("/usr/share/maven-repo")
    users = {"ci": NEXUS_PASSWORD}
    with NginxServer(tmp_path / "nginx", users=users, seed=seed if seed.is_dir() else None) as nx:
        yield nx


def test_the_repositories_example_publishes_to_maven_and_the_built_in_feed(
    gitlab_ci_local: Path,
    octopus_emulator_factory: Callable[..., LocalOctopus],
    maven_nexus: NginxServer,
    tmp_path: Path,
) -> None:
    repository = maven_nexus.url("maven")
    # Octopus as the team set it up: a Maven feed reading Nexus, the API step on it.
    emulator = octopus_emulator_factory(
        {
            "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.05},
            "feeds": [
                {
                    "name": "Nexus",
                    "type": "Maven",
                    "uri": repository,
                    "username": "ci",
                    "password": NEXUS_PASSWORD,
                }
            ],
            "projects": [
                {
                    "name": "Shop",
                    "packages": ["Acme.Shop.Web", {"id": MAVEN_API, "feed": "Nexus"}],
                }
            ],
        }
    )
    settings = (ROOT / "examples" / "repositories" / "octoci.toml").read_text(encoding="utf-8")
    example_url = 'url = "https://nexus.acme.example/repository/maven-releases"'
    assert example_url in settings
    workspace = _project(
        tmp_path,
        {
            ".gitlab-ci.yml": (PIPELINES / "gitlab-ci-repositories.yml").read_text("utf-8"),
            # The one line a team changes: where its Nexus is.
            "octoci.toml": settings.replace(example_url, f'url = "{repository}"'),
        },
        remote="https://gitlab.com/acme/shop.git",
    )
    variables = {
        "OCTOPUS_URL": emulator.url,
        "OCTOPUS_API_KEY": emulator.api_key,
        "OCTOCI_REPOSITORY_NEXUS_PASSWORD": NEXUS_PASSWORD,
    }
    done = _run_pipeline(gitlab_ci_local, workspace, variables)
    assert done.returncode == 0, done.stdout + done.stderr
    version, states = released_and_deployed(emulator)
    assert states == ["Success"]

    # One release selecting both new versions: the web package from the built-in feed, the API
    # from the Maven feed (which the emulator read from nginx, as Octopus reads Nexus).
    (release,) = emulator.documents("release")
    assert {p["ActionName"]: p["Version"] for p in release["SelectedPackages"]} == {
        "Acme.Shop.Web": version,
        MAVEN_API: version,
    }
    assert {p["PackageId"] for p in emulator.packages()} == {"Acme.Shop.Web"}
    infos = {i["PackageId"] for i in emulator.documents("buildinfo")}
    # Build information under the id the Maven feed names the package by.
    assert infos == {"Acme.Shop.Web", MAVEN_API}
    stored = maven_nexus.root / "maven" / "com" / "acme" / "Acme.Shop.Api" / version
    assert (stored / f"Acme.Shop.Api-{version}.tar.gz").is_file()
    report = _dotenv_report(workspace, "publish", "octoci.env")
    assert report["release_version"] == version
    assert f"Released {version} (Dev=Success)" in _job_output(workspace, "announce")
    logs = done.stdout + done.stderr + "".join(_job_output(workspace, "publish"))
    assert NEXUS_PASSWORD not in logs
    assert emulator.api_key not in logs
