"""The Cirrus CI adapter through ``octoci info --json`` under recorded builds: build information
per kind of build, commits from git over the range Cirrus CI names, outputs read back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from tests.plugins.shared.git_commits import commits_from_git_test

from octoci.server import CIServer
from octoci.testing import CIServerContract, fields_per_variant_test, not_detected_test
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


test_info_json_per_variant = fields_per_variant_test("cirrus_ci", EXPECTED, "Cirrus CI")
test_commits_are_this_builds_from_git = commits_from_git_test(
    "cirrus_ci",
    {"CIRRUS_CHANGE_IN_REPO": "{HEAD}", "CIRRUS_LAST_GREEN_CHANGE": "{HEAD~2}"},
    ["third", "second"],
)
test_no_false_positives = not_detected_test(
    CirrusCI, [{}, {"CIRRUS_BUILD_ID": "5"}, {"CIRRUS_CI": "false"}]
)
