"""The AWS CodeBuild adapter through ``octoci info --json`` under recorded builds: build
information per webhook event, commits from git over the webhook's previous commit, outputs in
the sourced env file (read back by bash)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from tests.plugins.circleci.test_circleci_adapter import needs_bash, read_bash_env
from tests.plugins.shared.git_commits import commits_from_git_test

from octoci.server import CIServer
from octoci.testing import CIServerContract, fields_per_variant_test, not_detected_test
from octoci_plugins.aws_codebuild import AwsCodeBuild

CiEnv = Callable[..., dict[str, str]]
SHA = "5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b"
PR_SHA = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
URL = (
    "https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/"
    "shop-build/build/shop-build%3A8f2c1a6e-4b3d-4e5f-9a8b-7c6d5e4f3a2b/?region=eu-west-1"
)


@needs_bash
class TestAwsCodeBuildContract(CIServerContract):
    server_class = AwsCodeBuild
    variants: ClassVar[tuple[str, ...]] = ("push", "pull_request", "tag", "windows")

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        env_file = Path(server.env["CODEBUILD_SRC_DIR"]) / "octoci.env"
        return read_bash_env(env_file, ["octoci_value"])


EXPECTED = {
    "push": {
        "BuildNumber": "318",
        "BuildUrl": URL,
        "Branch": "main",
        "VcsCommitNumber": SHA,
        "VcsRoot": "https://github.com/acme/shop",
        "PullRequestNumber": "",
        "JobName": "shop-build",
    },
    "pull_request": {
        "Branch": "feature/basket",
        "PullRequestNumber": "12",
        "SourceBranch": "feature/basket",
        "TargetBranch": "main",
        "HeadCommit": PR_SHA,
        "VcsCommitNumber": PR_SHA,
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0"},
    "windows": {"Branch": "main", "BuildNumber": "318"},
}


test_info_json_per_variant = fields_per_variant_test("aws_codebuild", EXPECTED, "AWS CodeBuild")
test_commits_are_the_pushed_ones_from_git = commits_from_git_test(
    "aws_codebuild",
    {"CODEBUILD_RESOLVED_SOURCE_VERSION": "{HEAD}", "CODEBUILD_WEBHOOK_PREV_COMMIT": "{HEAD~2}"},
    ["third", "second"],
)
test_no_false_positives = not_detected_test(
    AwsCodeBuild,
    [{}, {"CODEBUILD_BUILD_ID": "x:y"}, {"CODEBUILD_BUILD_ARN": "build/x"}, {"CI": "true"}],
)


@needs_bash
def test_outputs_read_back_from_the_sourced_file(ci_env: CiEnv, tmp_path: Path) -> None:
    import io

    server = AwsCodeBuild(ci_env("aws_codebuild", "push"), io.StringIO(), cwd=tmp_path)
    server.set_output("RELEASE", "1.4.0")
    server.set_output("NOTES", "it's $HOME\nline two")
    env_file = Path(server.env["CODEBUILD_SRC_DIR"]) / "octoci.env"
    assert read_bash_env(env_file, ["RELEASE", "NOTES"]) == {
        "RELEASE": "1.4.0",
        "NOTES": "it's $HOME\nline two",
    }
