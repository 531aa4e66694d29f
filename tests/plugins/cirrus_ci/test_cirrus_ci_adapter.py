"""The Cirrus CI adapter through ``octoci info --json`` under recorded builds: build information
per kind of build, commits from git over the range Cirrus CI names, outputs read back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from octoci.server import CIServer
from octoci.testing import CIServerContract, CliResult
from octoci_plugins.cirrus_ci import CirrusCI

CiEnv = Callable[..., dict[str, str]]
SHA = "5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b"
PR_SHA = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
BASE = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"


class TestCirrusCIContract(CIServerContract):
    server_class = CirrusCI
    variants: ClassVar[tuple[str, ...]] = ("push", "pull_request", "tag", "windows")

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        values = dict(super().read_outputs(server, written))
        for line in Path(server.env["CIRRUS_ENV"]).read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            values[key] = value
        return values


EXPECTED: dict[str, dict[str, str]] = {
    "push": {
        "BuildNumber": "5849123456789012",
        "BuildUrl": "https://cirrus-ci.com/build/5849123456789012",
        "Branch": "main",
        "VcsCommitNumber": SHA,
        "VcsRoot": "https://github.com/acme/shop",
        "JobName": "publish",
    },
    "pull_request": {
        "Branch": "pull/12",
        "PullRequestNumber": "12",
        "SourceBranch": "",  # Cirrus does not name the pull request's branch
        "TargetBranch": "main",
        "HeadCommit": PR_SHA,
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0"},
    "windows": {"Branch": "main", "BuildNumber": "5849123456789012"},
}


def info_json(run_cli: Callable[..., CliResult], env: dict[str, str], cwd: Path) -> dict[str, str]:
    """``octoci info --json`` (no commits) as one flat mapping."""
    env = {**env, "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = run_cli("info", "--json", "--no-commits", env=env, cwd=cwd)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "cirrus_ci"
    return {**data["BuildInformation"], **data.get("Extra", {})}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_info_json_per_variant(
    ci_env: CiEnv, run_cli: Callable[..., CliResult], tmp_path: Path, variant: str
) -> None:
    info = info_json(run_cli, ci_env("cirrus_ci", variant), tmp_path)
    assert info["BuildEnvironment"] == "Cirrus CI"
    assert {key: info.get(key, "") for key in EXPECTED[variant]} == EXPECTED[variant]


def test_commits_are_this_builds_from_git(
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third"])
    head = run_git(repo, "rev-parse", "HEAD")
    base = run_git(repo, "rev-parse", "HEAD~2")
    env = ci_env(
        "cirrus_ci",
        "push",
        CIRRUS_CHANGE_IN_REPO=head,
        CIRRUS_LAST_GREEN_CHANGE=base,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    commits = json.loads(result.stdout)["BuildInformation"]["Commits"]
    assert [c["Comment"] for c in commits] == ["third", "second"]
    assert "warning" not in result.stderr


@pytest.mark.parametrize("env", [{}, {"CIRRUS_BUILD_ID": "5"}, {"CIRRUS_CI": "false"}])
def test_no_false_positives(env: dict[str, str]) -> None:
    assert not CirrusCI.detect(env)
