"""The Google Cloud Build adapter through ``octoci info --json`` under recorded builds: build information
per kind of build, commits from git over the range Google Cloud Build names, outputs read back."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from tests.plugins.shared.git_commits import commits_from_git_test

from octoci.errors import OctociError
from octoci.server import CIServer
from octoci.testing import CIServerContract, fields_per_variant_test, not_detected_test
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


test_info_json_per_variant = fields_per_variant_test(
    "google_cloud_build", EXPECTED, "Google Cloud Build"
)
# The repository URL is the checkout's remote; one warning: what to configure for exactly this
# build's commits.
test_commits_are_this_builds_from_git = commits_from_git_test(
    "google_cloud_build",
    {"COMMIT_SHA": "{HEAD}"},
    ["third", "second", "first"],
    warnings=1,
    fields={"VcsRoot": "https://github.com/acme/shop"},
)
test_no_false_positives = not_detected_test(
    GoogleCloudBuild, [{}, {"BUILD_ID": "1", "PROJECT_ID": "p"}, {"BUILDER_OUTPUT": "/tmp/out"}]
)


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
