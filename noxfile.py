"""Development sessions: `nox` runs the default set (what CI runs); `nox -l` lists them all.

Every session installs what it needs into its own virtualenv, so `pip install nox && nox` is all a
fresh machine needs (plus git and Python 3.10+).
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import nox

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - nox itself runs on 3.11+ in CI
    import tomli as tomllib

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = False
nox.options.sessions = [
    "lint",
    "typecheck",
    "tests",
    "example_plugin",
    "plugin",
    "conformance",
    "build",
    "docs",
]

ROOT = Path(__file__).parent
# Pinned so a new release's new rules (ruff 0.17 began formatting Markdown code blocks) cannot
# turn a green main red overnight; raise them on purpose, here, in .pre-commit-config.yaml (whose
# hooks the lint session runs) and in the dev extra: tests/core/test_packaging_habits.py keeps the
# three equal.
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"
#: Built-in plugin (folder under tests/plugins) -> the pip extra that serves it.
SERVER_EXTRAS = {
    "appveyor": "appveyor",
    "aws_codebuild": "aws-codebuild",
    "azure_devops": "azure-devops",
    "bamboo": "bamboo",
    "bitbucket_pipelines": "bitbucket",
    "bitrise": "bitrise",
    "buddy": "buddy",
    "buildkite": "buildkite",
    "circleci": "circleci",
    "cirrus_ci": "cirrus",
    "codefresh": "codefresh",
    "continua_ci": "continua",
    "drone": "drone",
    "gitea_actions": "gitea",
    "github_actions": "github",
    "gitlab_ci": "gitlab",
    "gocd": "gocd",
    "google_cloud_build": "google-cloud-build",
    "harness_ci": "harness",
    "jenkins": "jenkins",
    "semaphore": "semaphore",
    "teamcity": "teamcity",
    "travis_ci": "travis",
    "woodpecker": "woodpecker",
}


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite with coverage (every extra installed)."""
    session.install("-e", ".[all,test]")
    session.run(
        "pytest",
        "--cov",
        "--cov-report=term",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env=_gitlab_ci_local_env(session),
    )


def _gitlab_ci_local_env(session: nox.Session) -> dict[str, str]:
    """The tests session's requirements (so CI's): gitlab-ci-local installed once into the
    session's cache folder for tests/pipelines/test_gitlab_ci_local.py, and a machine that cannot
    run it (no node, npm or rsync) or has no nginx or registry fails the tests instead of skipping
    them."""
    return {
        "OCTOCI_REQUIRE_GITLAB_CI_LOCAL": "1",
        # tests/repositories: the maven and http kinds against a real nginx (and mvn), installed
        # by .ci/run.
        "OCTOCI_REQUIRE_NGINX": "1",
        # tests/publish/test_images.py: Docker feeds read a real registry, installed by .ci/run.
        "OCTOCI_REQUIRE_REGISTRY": "1",
        "OCTOCI_GITLAB_CI_LOCAL_DIR": str((Path(session.cache_dir) / "gitlab-ci-local").resolve()),
    }


def _pre_commit(session: nox.Session, *hooks: str) -> None:
    """Run hooks of .pre-commit-config.yaml on every file: CI runs exactly what a commit runs."""
    env = {"PRE_COMMIT_HOME": str(Path(session.cache_dir) / "pre-commit")}
    for hook in hooks:
        session.run("pre-commit", "run", hook, "--all-files", "--show-diff-on-failure", env=env)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting (the pre-commit hooks, ruff pinned there as RUFF)."""
    session.install("pre-commit")
    _pre_commit(session, "ruff-check", "ruff-format")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict, on core/ and plugins/ (the pre-commit hook, in this environment)."""
    session.install("-e", ".[all,test]", MYPY, "pre-commit")
    _pre_commit(session, "mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site; any warning is an error."""
    session.install("-e", ".[docs]")
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        str(ROOT / "build" / "site"),
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session
def build(session: nox.Session) -> None:
    """Build the sdist and wheel; the wheel holds exactly octoci/, octoci_plugins/ and
    octoci_emulator/, each typed."""
    session.install("build")
    out = ROOT / "build" / "dist"
    session.run("python", "-m", "build", "--outdir", str(out))
    wheel = max(out.glob("octoci-*.whl"), key=lambda p: p.stat().st_mtime)
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
        names = set(archive.namelist())
    packages = {t for t in tops if not t.endswith(".dist-info")}
    expected = {"octoci", "octoci_plugins", "octoci_emulator"}
    if packages != expected:
        session.error(f"the wheel holds {sorted(packages)}, expected {sorted(expected)}")
    # Without the marker a plugin author's mypy sees octoci as untyped (PEP 561).
    unmarked = sorted(p for p in packages if f"{p}/py.typed" not in names)
    if unmarked:
        session.error(f"the wheel lacks the py.typed marker in {', '.join(unmarked)}")


@nox.session
def example_plugin(session: nox.Session) -> None:
    """Install the example third-party plugin; it must be listed, and blockable."""
    session.install(".", "./tests/example_plugin")

    def servers(**env: str) -> dict[str, object]:
        out = session.run("octoci", "plugins", "--json", silent=True, env=env)
        return json.loads(str(out))["servers"]  # type: ignore[no-any-return]

    if "example" not in servers():
        session.error("the example plugin was not discovered through its entry point")
    if "example" in servers(OCTOCI_DISABLE_PLUGINS="example"):
        session.error("OCTOCI_DISABLE_PLUGINS=example did not block the example plugin")
    session.run("octoci", "plugins")


def _extra_requirements() -> dict[str, list[str]]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    return extras


#: The servers whose extra brings nothing (their plugin needs the standard library and the core's
#: requests): a venv with ``.[test]`` is exactly "only its own extra" for each, so they share one
#: session instead of building fifteen identical venvs (about 45 s each on a loaded CI machine).
STANDARD_LIBRARY_SERVERS = sorted(
    s for s, x in SERVER_EXTRAS.items() if not _extra_requirements()[x]
)
#: The servers whose extra brings a client library: a session each, with only that extra.
LIBRARY_SERVERS = sorted(set(SERVER_EXTRAS) - set(STANDARD_LIBRARY_SERVERS))


@nox.session
@nox.parametrize("server", [*LIBRARY_SERVERS, "standard-library"])
def plugin(session: nox.Session, server: str) -> None:
    """A build-server plugin's tests with only its own extra installed (``standard-library``:
    every plugin whose extra is empty, together)."""
    servers = STANDARD_LIBRARY_SERVERS if server == "standard-library" else [server]
    tests_dirs = [ROOT / "tests" / "plugins" / name for name in servers]
    missing = [d.name for d in tests_dirs if not d.is_dir()]
    if missing:
        session.error(f"no tests/plugins/{', '.join(missing)}: every built-in plugin has tests")
    extra = "" if server == "standard-library" else f"{SERVER_EXTRAS[server]},"
    session.install("-e", f".[{extra}test]")
    session.run("pytest", "-p", "no:cacheprovider", *map(str, tests_dirs), *session.posargs)


@nox.session
def conformance(session: nox.Session) -> None:
    """Every Octopus client on the npm registry, unmodified and pinned, against our emulator:
    the api-client's own tests, its CI sequence, octopackjs and the octopus-deploy scripts (needs
    node and npm; the packages are installed into the session's cache folder)."""
    session.install("-e", ".")
    session.run(
        "python",
        "tests/emulator/conformance/run.py",
        "--node-dir",
        str(Path(session.cache_dir) / "conformance-node"),
    )


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Run every benchmark under benchmarks/ (ratios against reference tools, same run)."""
    session.install("-e", ".[all]")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run("python", str(script), *session.posargs)
