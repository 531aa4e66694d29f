"""Woodpecker CI against recorded environments: detection apart from GitLab, build information,
commits from git since the previous pipeline, outputs in the workspace's files."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
from tests.plugins.shared.git_commits import commits_from_git_test

from octoci.server import CIServer
from octoci.testing import CIServerContract, fields_per_variant_test
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


test_build_information_per_variant = fields_per_variant_test("woodpecker", EXPECTED)
test_info_json_lists_the_commits_since_the_previous_pipeline = commits_from_git_test(
    "woodpecker",
    {"CI_COMMIT_SHA": "{HEAD}", "CI_PREV_COMMIT_SHA": "{HEAD~2}"},
    ["third", "second"],
    warnings=1,  # no forge token: the commits come from git
    fields={"BuildNumber": "118", "VcsCommitNumber": "{HEAD}"},
    secrets=("CI_NETRC_PASSWORD",),
)


@pytest.mark.parametrize("variant", ["push", "pull_request", "tag"])
def test_gitlab_and_drone_do_not_claim_woodpecker(ci_env: CiEnv, variant: str) -> None:
    env = ci_env("woodpecker", variant)
    assert not GitLabCI.detect(env)
    assert not Drone.detect({**env, "DRONE": "true"})  # old Woodpecker set Drone's names too


def test_woodpecker_does_not_claim_gitlab(ci_env: CiEnv) -> None:
    assert not WoodpeckerCI.detect(ci_env("gitlab_ci", "push"))


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
