"""Version-controlled (config-as-code) projects end to end through ``octoci publish``,
``octoci release create`` and ``octoci runbook run`` against the emulator over HTTP: a release
needs a Git ref (the given one, else the build's branch or tag) and is refused with one line,
before anything is created, when there is none; a Git runbook runs on the Git route; a project
stored in the database is never sent a ref."""

from __future__ import annotations

import json
import subprocess
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.testing import CliResult, run_octoci
from octoci_emulator import Emulator

from .conftest import SEED

Publish = Callable[..., CliResult]
CiEnv = Callable[..., dict[str, str]]
SHA = "9f1c2e0d4b5a6c7d8e9f0a1b2c3d4e5f6a7b8c9d"

#: The sample's Shop, version-controlled, with a runbook in Git; Legacy stays in the database.
VCS_SEED: dict[str, Any] = {
    **SEED,
    "projects": [
        {
            "name": "Shop",
            "lifecycle": "Flat",
            "packages": ["Acme.Web", "Acme.Api"],
            "version_controlled": "https://git.example.com/acme/shop.git",
            "runbooks": ["Backup"],
        },
        {
            "name": "Legacy",
            "lifecycle": "Flat",
            "packages": ["Acme.Web", "Acme.Api"],
            "runbooks": ["Backup"],
        },
    ],
}


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return VCS_SEED


@pytest.fixture
def octoci(octopus_emulator: Emulator, sample_repo: Path) -> Callable[..., CliResult]:
    """``octoci("release", "create", ...)`` in the sample repo, against the emulator."""

    def run(*args: str, env: Mapping[str, str] | None = None) -> CliResult:
        merged = {
            "OCTOPUS_URL": octopus_emulator.url,
            "OCTOPUS_API_KEY": octopus_emulator.api_key,
            "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
            **(env or {}),
        }
        return run_octoci(*args, env=merged, cwd=sample_repo)

    return run


def _error_line(result: CliResult) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("octoci: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def _detach(repo: Path) -> None:
    # HEAD two commits after the tag, detached: the local build names no branch and no tag.
    subprocess.run(["git", "checkout", "-q", "--detach"], cwd=repo, check=True)


def _head(repo: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def _reference(octopus_emulator: Emulator) -> Any:
    (release,) = octopus_emulator.documents("release")
    return release["VersionControlReference"]


def _assert_nothing_created(octopus_emulator: Emulator, repo: Path) -> None:
    for kind in ("package", "buildinfo", "release", "task"):
        assert octopus_emulator.documents(kind) == [], kind
    assert not (repo / ".octoci").exists()


# ---------------------------------------------------------------------------------- publish
def test_publish_without_a_ref_is_refused_before_anything_is_pushed(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path
) -> None:
    _detach(sample_repo)
    result = publish()
    assert result.exit_code == 2, result.stderr
    line = _error_line(result)
    assert "the project Shop is version-controlled" in line
    assert "--git-ref" in line
    assert "OCTOCI_GIT_REF" in line
    _assert_nothing_created(octopus_emulator, sample_repo)


def test_publish_uses_the_github_builds_branch_and_commit(
    octopus_emulator: Emulator, ci_env: CiEnv, sample_repo: Path, tmp_path: Path
) -> None:
    env = ci_env(
        "github_actions",
        "push",
        GITHUB_REF="refs/heads/feature/basket",
        GITHUB_REF_NAME="feature/basket",
        OCTOPUS_URL=octopus_emulator.url,
        OCTOPUS_API_KEY=octopus_emulator.api_key,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
        OCTOCI_OUTPUT_FILE=str(tmp_path / "outputs.json"),
    )
    result = run_octoci("publish", "--version", "2.4.0", "--no-commits", env=env, cwd=sample_repo)
    assert result.exit_code == 0, result.stderr
    assert "Shop is version-controlled: the release uses Git ref refs/heads/feature/basket" in (
        result.stdout
    )
    assert _reference(octopus_emulator) == {"GitRef": "refs/heads/feature/basket", "GitCommit": SHA}


def test_publish_of_a_tag_build_uses_the_tags_ref(
    octopus_emulator: Emulator, ci_env: CiEnv, sample_repo: Path, tmp_path: Path
) -> None:
    env = ci_env(
        "github_actions",
        "tag",
        OCTOPUS_URL=octopus_emulator.url,
        OCTOPUS_API_KEY=octopus_emulator.api_key,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
        OCTOCI_OUTPUT_FILE=str(tmp_path / "outputs.json"),
    )
    result = run_octoci("publish", "--version", "1.4.0", "--no-commits", env=env, cwd=sample_repo)
    assert result.exit_code == 0, result.stderr
    assert _reference(octopus_emulator)["GitRef"] == "refs/tags/v1.4.0"


def test_a_given_ref_wins_over_the_builds(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path
) -> None:
    result = publish("--git-ref", "refs/heads/release/2.0", "--git-commit", "abc1234")
    assert result.exit_code == 0, result.stderr
    assert _reference(octopus_emulator) == {
        "GitRef": "refs/heads/release/2.0",
        "GitCommit": "abc1234",
    }


def test_dry_run_shows_the_ref_and_creates_nothing(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path
) -> None:
    result = publish("--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    assert "Shop is version-controlled: the release uses Git ref refs/heads/main, commit " in (
        result.stderr
    )
    document = json.loads(result.stdout)
    release = next(r for r in document["Requests"] if r["Path"].endswith("/releases/create/v1"))
    assert release["Body"]["GitRef"] == "refs/heads/main"
    assert release["Body"]["GitCommit"] == _head(sample_repo)
    _assert_nothing_created(octopus_emulator, sample_repo)


def test_a_database_project_is_never_sent_the_builds_ref(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path
) -> None:
    dry = json.loads(publish("--project", "Legacy", "--dry-run", "--json").stdout)
    release = next(r for r in dry["Requests"] if r["Path"].endswith("/releases/create/v1"))
    assert "GitRef" not in release["Body"]
    assert "GitCommit" not in release["Body"]
    result = publish("--project", "Legacy")
    assert result.exit_code == 0, result.stderr
    assert _reference(octopus_emulator) is None


def test_a_ref_for_a_database_project_is_refused_before_anything_is_pushed(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path
) -> None:
    result = publish("--project", "Legacy", env={"OCTOCI_GIT_REF": "main"})
    assert result.exit_code == 2, result.stderr
    assert "the project Legacy is not version-controlled" in _error_line(result)
    _assert_nothing_created(octopus_emulator, sample_repo)


# ---------------------------------------------------------------------------------- release create
def test_release_create_needs_a_ref_and_takes_the_builds(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, sample_repo: Path
) -> None:
    # The release's package versions must be in the feed (checked before anything is created).
    for package_id in ("Acme.Web", "Acme.Api"):
        with zipfile.ZipFile(sample_repo / f"{package_id}.1.0.0.zip", "w") as archive:
            archive.writestr("app.txt", package_id)
    pushed = octoci(
        "push", f"{sample_repo / 'Acme.Web.1.0.0.zip'}", f"{sample_repo / 'Acme.Api.1.0.0.zip'}"
    )
    assert pushed.exit_code == 0, pushed.stderr
    create = ("release", "create", "--project", "Shop", "--package-version", "1.0.0")
    result = octoci(*create, "--version", "1.0.0")
    assert result.exit_code == 0, result.stderr
    assert _reference(octopus_emulator) == {
        "GitRef": "refs/heads/main",
        "GitCommit": _head(sample_repo),
    }
    _detach(sample_repo)
    refused = octoci(*create, "--version", "1.0.1")
    assert refused.exit_code == 2
    assert "--git-ref" in _error_line(refused)
    assert len(octopus_emulator.documents("release")) == 1
    given = octoci(*create, "--version", "1.0.2", env={"OCTOCI_GIT_REF": "refs/tags/v1.3.0"})
    assert given.exit_code == 0, given.stderr
    references = {
        r["Version"]: r["VersionControlReference"] for r in octopus_emulator.documents("release")
    }
    assert references["1.0.2"]["GitRef"] == "refs/tags/v1.3.0"


# ---------------------------------------------------------------------------------- runbook run
def test_runbook_run_runs_a_git_runbook_at_the_builds_ref(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, sample_repo: Path
) -> None:
    run = ("runbook", "run", "--runbook", "Backup", "--environment", "Dev", "--wait",
           "--poll-interval", "0.02")  # fmt: skip
    result = octoci(*run, "--project", "Shop")
    assert result.exit_code == 0, result.stderr
    (shop_run,) = octopus_emulator.documents("runbookrun")
    assert shop_run["GitReference"]["GitRef"] == "refs/heads/main"
    # Legacy keeps its runbooks in Octopus: the build's branch is not sent.
    legacy = octoci(*run, "--project", "Legacy")
    assert legacy.exit_code == 0, legacy.stderr
    assert "GitReference" not in octopus_emulator.documents("runbookrun")[-1]
    refused = octoci(*run, "--project", "Legacy", "--git-ref", "main")
    assert refused.exit_code == 2
    assert "keeps its runbooks in Octopus" in _error_line(refused)
    _detach(sample_repo)
    missing = octoci(*run, "--project", "Shop")
    assert missing.exit_code == 2
    assert "--git-ref" in _error_line(missing)
    assert len(octopus_emulator.documents("runbookrun")) == 2
