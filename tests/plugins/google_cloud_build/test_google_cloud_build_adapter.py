"""The Google Cloud Build adapter through ``octoci info --json`` under recorded builds: build information
per kind of build, commits from git over the range Google Cloud Build names, outputs read back."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from octoci.errors import OctociError
from octoci.server import CIServer
from octoci.testing import CIServerContract, CliResult
from octoci_plugins._outputs import OutputFiles
from octoci_plugins.google_cloud_build import GoogleCloudBuild

CiEnv = Callable[..., dict[str, str]]
SHA = "5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b"
PR_SHA = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
BASE = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"


class TestGoogleCloudBuildContract(CIServerContract):
    server_class = GoogleCloudBuild

    @pytest.fixture(autouse=True)
    def _in_a_temporary_folder(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        # The adapter writes its outputs into the working directory.
        monkeypatch.chdir(tmp_path)

    variants: ClassVar[tuple[str, ...]] = ("push", "pull_request", "tag")

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        return OutputFiles(server.cwd / "octoci-outputs.json").read()


EXPECTED: dict[str, dict[str, str]] = {
    "push": {
        "BuildNumber": "b3c1f0e2-6a4d-4f8b-9c2e-1d0a7b6c5e4f",
        "BuildUrl": "https://console.cloud.google.com/cloud-build/builds;region=europe-west1/"
        "b3c1f0e2-6a4d-4f8b-9c2e-1d0a7b6c5e4f?project=acme-shop",
        "Branch": "main",
        "VcsCommitNumber": SHA,
        "JobName": "shop-main",
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
    assert data["Server"] == "google_cloud_build"
    return {**data["BuildInformation"], **data.get("Extra", {})}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_info_json_per_variant(
    ci_env: CiEnv, run_cli: Callable[..., CliResult], tmp_path: Path, variant: str
) -> None:
    info = info_json(run_cli, ci_env("google_cloud_build", variant), tmp_path)
    assert info["BuildEnvironment"] == "Google Cloud Build"
    assert {key: info.get(key, "") for key in EXPECTED[variant]} == EXPECTED[variant]


def test_commits_are_this_builds_from_git(
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third"])
    head = run_git(repo, "rev-parse", "HEAD")
    env = ci_env("google_cloud_build", "push", COMMIT_SHA=head, OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1")
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    commits = json.loads(result.stdout)["BuildInformation"]["Commits"]
    assert [c["Comment"] for c in commits] == ["third", "second", "first"]
    # The repository URL is the checkout's remote.
    assert (
        json.loads(result.stdout)["BuildInformation"]["VcsRoot"] == "https://github.com/acme/shop"
    )
    # One warning: what to configure for exactly this build's commits.
    assert result.stderr.count("warning") == 1


@pytest.mark.parametrize(
    "env", [{}, {"BUILD_ID": "1", "PROJECT_ID": "p"}, {"BUILDER_OUTPUT": "/tmp/out"}]
)
def test_no_false_positives(env: dict[str, str]) -> None:
    assert not GoogleCloudBuild.detect(env)


JWT = (
    "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL29jdG9wdXMuZXhhbXBsZSIsImV4cCI6NDEwMjQ0NDgwMH0"
    ".c2lnbmF0dXJl"
)


def test_the_identity_token_comes_from_the_metadata_server(ci_env: CiEnv, httpserver: Any) -> None:
    httpserver.expect_request(
        "/computeMetadata/v1/instance/service-accounts/default/identity",
        query_string={"audience": "https://octopus.example", "format": "full"},
        headers={"Metadata-Flavor": "Google"},
    ).respond_with_data(JWT + "\n")
    env = ci_env("google_cloud_build", "push", GCE_METADATA_HOST=f"127.0.0.1:{httpserver.port}")
    stream = io.StringIO()
    server = GoogleCloudBuild(env, stream)
    assert server.id_token("https://octopus.example") == JWT
    assert server.redact(f"x {JWT}") == "x ***"


def test_a_refusing_metadata_server_is_one_clear_error(ci_env: CiEnv, httpserver: Any) -> None:
    httpserver.expect_request(
        "/computeMetadata/v1/instance/service-accounts/default/identity"
    ).respond_with_data("forbidden", status=403)
    env = ci_env("google_cloud_build", "push", GCE_METADATA_HOST=f"127.0.0.1:{httpserver.port}")
    with pytest.raises(OctociError, match="HTTP 403"):
        GoogleCloudBuild(env, io.StringIO()).id_token("https://octopus.example")
