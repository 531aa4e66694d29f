"""The Bitrise adapter through ``octoci info --json`` under recorded builds: build information
per kind of build, commits from git over the range Bitrise names, outputs read back."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from tests.plugins.shared.git_commits import commits_from_git_test

from octoci.testing import CIServerContract, fields_per_variant_test, not_detected_test
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


test_info_json_per_variant = fields_per_variant_test("bitrise", EXPECTED, "Bitrise")
test_commits_are_this_builds_from_git = commits_from_git_test(
    "bitrise",
    {"BITRISE_GIT_COMMIT": "{HEAD}", "BITRISE_GIT_TAG": ""},
    ["third", "second", "first"],
    warnings=1,
)
test_no_false_positives = not_detected_test(
    Bitrise, [{}, {"BITRISE_BUILD_NUMBER": "5"}, {"BITRISE_IO": "false"}]
)
