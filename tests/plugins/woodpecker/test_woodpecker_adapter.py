"""Woodpecker CI against recorded environments: detection apart from GitLab, build information,
commits from git since the previous pipeline, outputs in the workspace's files."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from octoci.normalize import normalize_build_information
from octoci.server import CIServer
from octoci.testing import CIServerContract, CliResult
from octoci_plugins.drone import Drone
from octoci_plugins.gitlab_ci import GitLabCI
from octoci_plugins.woodpecker import WoodpeckerCI

CiEnv = Callable[..., dict[str, str]]
SHA = "2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"
PRSHA = "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3"


class TestWoodpeckerContract(CIServerContract):
    server_class = WoodpeckerCI
    variants: ClassVar[tuple[str, ...]] = ("push", "pull_request", "tag")

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        assert isinstance(server, WoodpeckerCI)
        return dict(json.loads(server.output_files.json_path.read_text(encoding="utf-8")))


EXPECTED = {
    "push": {
        "BuildEnvironment": "Woodpecker CI",
        "BuildNumber": "118",
        "BuildUrl": "https://ci.acme.example/repos/7/pipeline/118",
        "Branch": "main",
        "VcsRoot": "https://codeberg.org/acme/shop",
        "VcsCommitNumber": SHA,
        "JobName": "build - package",
    },
    "pull_request": {
        "Branch": "feature/basket",
        "PullRequestNumber": "31",
        "SourceBranch": "feature/basket",
        "TargetBranch": "main",
        "HeadCommit": PRSHA,
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0", "PullRequestNumber": ""},
}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_build_information_per_variant(ci_env: CiEnv, variant: str) -> None:
    server = WoodpeckerCI(ci_env("woodpecker", variant), io.StringIO())
    info = normalize_build_information(server.build_information())
    got = {**info.to_octopus(), **info.extra()}
    assert {key: got[key] for key in EXPECTED[variant]} == EXPECTED[variant]


@pytest.mark.parametrize("variant", ["push", "pull_request", "tag"])
def test_gitlab_and_drone_do_not_claim_woodpecker(ci_env: CiEnv, variant: str) -> None:
    env = ci_env("woodpecker", variant)
    assert not GitLabCI.detect(env)
    assert not Drone.detect({**env, "DRONE": "true"})  # old Woodpecker set Drone's names too


def test_woodpecker_does_not_claim_gitlab(ci_env: CiEnv) -> None:
    assert not WoodpeckerCI.detect(ci_env("gitlab_ci", "push"))


def test_info_json_lists_the_commits_since_the_previous_pipeline(
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third"])
    previous, head = run_git(repo, "rev-parse", "HEAD~2"), run_git(repo, "rev-parse", "HEAD")
    env = ci_env(
        "woodpecker",
        "push",
        CI_COMMIT_SHA=head,
        CI_PREV_COMMIT_SHA=previous,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "woodpecker"
    build = data["BuildInformation"]
    assert (build["BuildNumber"], build["VcsCommitNumber"]) == ("118", head)
    assert [c["Comment"] for c in build["Commits"]] == ["third", "second"]
    assert env["CI_NETRC_PASSWORD"] not in result.stdout + result.stderr


def test_outputs_accumulate_in_the_workspace(ci_env: CiEnv) -> None:
    server = WoodpeckerCI(ci_env("woodpecker", "push"), io.StringIO())
    server.set_output("RELEASE", "1.4.0")
    server.set_output("NOTES", "two\nlines")
    path = Path(server.env["CI_WORKSPACE"]) / "octoci-outputs.json"
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "RELEASE": "1.4.0",
        "NOTES": "two\nlines",
    }
    assert server.artifact_roots() == [Path(server.env["CI_WORKSPACE"])]
