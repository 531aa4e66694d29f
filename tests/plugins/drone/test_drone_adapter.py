"""Drone against recorded environments: detection, build information, commits from git over
``DRONE_COMMIT_BEFORE..DRONE_COMMIT_AFTER``, outputs in the workspace's files."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import ClassVar

from tests.plugins.shared.git_commits import commits_from_git_test

from octoci.normalize import normalize_build_information
from octoci.server import CIServer
from octoci.testing import CIServerContract, fields_per_variant_test
from octoci_plugins.drone import Drone

CiEnv = Callable[..., dict[str, str]]
SHA = "2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"
PRSHA = "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3"


class TestDroneContract(CIServerContract):
    server_class = Drone
    variants: ClassVar[tuple[str, ...]] = ("push", "pull_request", "tag", "windows")

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        assert isinstance(server, Drone)
        return dict(json.loads(server.output_files.json_path.read_text(encoding="utf-8")))


EXPECTED = {
    "push": {
        "BuildEnvironment": "Drone",
        "BuildNumber": "88",
        "BuildUrl": "https://drone.acme.example/acme/shop/88",
        "Branch": "main",
        "VcsRoot": "https://github.com/acme/shop",
        "VcsCommitNumber": SHA,
        "JobName": "default - package",
    },
    "pull_request": {
        "Branch": "feature/basket",
        "PullRequestNumber": "31",
        "SourceBranch": "feature/basket",
        "TargetBranch": "main",
        "HeadCommit": PRSHA,
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0"},
    "windows": {"Branch": "main", "BuildNumber": "88"},
}


test_build_information_per_variant = fields_per_variant_test("drone", EXPECTED)
test_info_json_lists_the_pushed_commits = commits_from_git_test(
    "drone",
    {
        "DRONE_COMMIT_SHA": "{HEAD}",
        "DRONE_COMMIT_AFTER": "{HEAD}",
        "DRONE_COMMIT_BEFORE": "{HEAD~1}",
    },
    ["third"],
    warnings=1,  # no forge token: the commits come from git
)


def test_commit_range_of_each_kind_of_build(ci_env: CiEnv) -> None:
    ranges = {}
    for variant in ("push", "pull_request", "tag"):
        server = Drone(ci_env("drone", variant), io.StringIO())
        ranges[variant] = server.commit_range(
            normalize_build_information(server.build_information())
        )
    assert ranges == {
        "push": f"7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2..{SHA}",
        "pull_request": None,
        "tag": None,
    }
