"""The Semaphore adapter through ``octoci info --json`` under recorded builds: build information
per kind of build, commits from git over the range Semaphore names, outputs read back."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
from tests.plugins.circleci.test_circleci_adapter import needs_bash, read_bash_env

from octoci.server import CIServer
from octoci.testing import CIServerContract, CliResult
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


def info_json(run_cli: Callable[..., CliResult], env: dict[str, str], cwd: Path) -> dict[str, str]:
    """``octoci info --json`` (no commits) as one flat mapping."""
    env = {**env, "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = run_cli("info", "--json", "--no-commits", env=env, cwd=cwd)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "semaphore"
    return {**data["BuildInformation"], **data.get("Extra", {})}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_info_json_per_variant(
    ci_env: CiEnv, run_cli: Callable[..., CliResult], tmp_path: Path, variant: str
) -> None:
    info = info_json(run_cli, ci_env("semaphore", variant), tmp_path)
    assert info["BuildEnvironment"] == "Semaphore"
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
        "semaphore",
        "push",
        SEMAPHORE_GIT_SHA=head,
        SEMAPHORE_GIT_COMMIT_RANGE=f"{base}...{head}",
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    commits = json.loads(result.stdout)["BuildInformation"]["Commits"]
    assert [c["Comment"] for c in commits] == ["third", "second"]
    assert "warning" not in result.stderr


@pytest.mark.parametrize("env", [{}, {"SEMAPHORE": "true"}, {"SEMAPHORE_WORKFLOW_ID": "x"}])
def test_no_false_positives(env: dict[str, str]) -> None:
    assert not Semaphore.detect(env)


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
