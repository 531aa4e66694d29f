"""The Bitrise adapter through ``octoci info --json`` under recorded builds: build information
per kind of build, commits from git over the range Bitrise names, outputs read back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from octoci.testing import CIServerContract, CliResult
from octoci_plugins.bitrise import Bitrise

CiEnv = Callable[..., dict[str, str]]
SHA = "5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b"
PR_SHA = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
BASE = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"


class TestBitriseContract(CIServerContract):
    server_class = Bitrise
    variants: ClassVar[tuple[str, ...]] = ("push", "pull_request", "tag")


EXPECTED: dict[str, dict[str, str]] = {
    "push": {
        "BuildNumber": "842",
        "BuildUrl": "https://app.bitrise.io/build/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "Branch": "main",
        "VcsCommitNumber": SHA,
        "VcsRoot": "https://github.com/acme/shop",
        "JobName": "primary",
    },
    "pull_request": {
        "Branch": "feature/basket",
        "PullRequestNumber": "12",
        "SourceBranch": "feature/basket",
        "TargetBranch": "main",
        "HeadCommit": PR_SHA,
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0", "JobName": "release"},
}


def info_json(run_cli: Callable[..., CliResult], env: dict[str, str], cwd: Path) -> dict[str, str]:
    """``octoci info --json`` (no commits) as one flat mapping."""
    env = {**env, "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = run_cli("info", "--json", "--no-commits", env=env, cwd=cwd)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "bitrise"
    return {**data["BuildInformation"], **data.get("Extra", {})}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_info_json_per_variant(
    ci_env: CiEnv, run_cli: Callable[..., CliResult], tmp_path: Path, variant: str
) -> None:
    info = info_json(run_cli, ci_env("bitrise", variant), tmp_path)
    assert info["BuildEnvironment"] == "Bitrise"
    assert {key: info.get(key, "") for key in EXPECTED[variant]} == EXPECTED[variant]


def test_commits_are_this_builds_from_git(
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third"])
    head = run_git(repo, "rev-parse", "HEAD")
    env = ci_env(
        "bitrise",
        "push",
        BITRISE_GIT_COMMIT=head,
        BITRISE_GIT_TAG="",
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    commits = json.loads(result.stdout)["BuildInformation"]["Commits"]
    assert [c["Comment"] for c in commits] == ["third", "second", "first"]
    # One warning: what to configure for exactly this build's commits.
    assert result.stderr.count("warning") == 1


@pytest.mark.parametrize("env", [{}, {"BITRISE_BUILD_NUMBER": "5"}, {"BITRISE_IO": "false"}])
def test_no_false_positives(env: dict[str, str]) -> None:
    assert not Bitrise.detect(env)
