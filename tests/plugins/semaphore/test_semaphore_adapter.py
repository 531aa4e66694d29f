"""The Semaphore adapter through ``octoci info --json`` under recorded builds: build information
per kind of build, commits from git over the range Semaphore names, outputs read back."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
from tests.plugins.circleci.test_circleci_adapter import needs_bash, read_bash_env
from tests.plugins.shared.git_commits import commits_from_git_test

from octoci.server import CIServer
from octoci.testing import CIServerContract, fields_per_variant_test, not_detected_test
from octoci_plugins.semaphore import Semaphore

CiEnv = Callable[..., dict[str, str]]
SHA = "5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b"
PR_SHA = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
BASE = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"


@needs_bash
class TestSemaphoreContract(CIServerContract):
    server_class = Semaphore

    @pytest.fixture(autouse=True)
    def _in_a_temporary_folder(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        # The adapter writes its outputs into the working directory.
        monkeypatch.chdir(tmp_path)

    variants: ClassVar[tuple[str, ...]] = ("push", "pull_request", "tag")

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        return read_bash_env(Path(server.cwd / "octoci.env"), ["octoci_value"])


EXPECTED: dict[str, dict[str, str]] = {
    "push": {
        "BuildNumber": "211",
        "BuildUrl": "https://acme.semaphoreci.com/workflows/65c8e5a1-2b3c-4d5e-8f90-a1b2c3d4e5f6"
        "?pipeline_id=0d9e8f7a-6b5c-4d3e-9f2a-1b0c9d8e7f6a",
        "Branch": "main",
        "VcsCommitNumber": SHA,
        "VcsRoot": "https://github.com/acme/shop",
        "JobName": "Publish",
    },
    "pull_request": {
        "Branch": "feature/basket",
        "PullRequestNumber": "12",
        "SourceBranch": "feature/basket",
        "TargetBranch": "main",
        "HeadCommit": PR_SHA,
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0"},
}


test_info_json_per_variant = fields_per_variant_test("semaphore", EXPECTED, "Semaphore")
test_commits_are_this_builds_from_git = commits_from_git_test(
    "semaphore",
    {"SEMAPHORE_GIT_SHA": "{HEAD}", "SEMAPHORE_GIT_COMMIT_RANGE": "{HEAD~2}...{HEAD}"},
    ["third", "second"],
)
test_no_false_positives = not_detected_test(
    Semaphore, [{}, {"SEMAPHORE": "true"}, {"SEMAPHORE_WORKFLOW_ID": "x"}]
)


@needs_bash
def test_outputs_read_back_from_the_sourced_file(ci_env: CiEnv, tmp_path: Path) -> None:
    server = Semaphore(ci_env("semaphore", "push"), io.StringIO(), cwd=tmp_path)
    server.set_output("RELEASE", "1.4.0")
    server.set_output("NOTES", "it's $HOME\nline two")
    values = read_bash_env(Path(server.cwd / "octoci.env"), ["RELEASE", "NOTES"])
    assert values == {"RELEASE": "1.4.0", "NOTES": "it's $HOME\nline two"}


def test_a_secret_output_stays_out_of_the_file(ci_env: CiEnv, tmp_path: Path) -> None:
    server = Semaphore(ci_env("semaphore", "push"), io.StringIO(), cwd=tmp_path)
    server.mask("s3cret-token-value")
    server.set_output("TOKEN", "s3cret-token-value")
    assert not Path(server.cwd / "octoci.env").exists()
