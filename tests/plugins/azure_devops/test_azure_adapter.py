"""The Azure DevOps & TFS adapter against recorded environments: detection, build information,
artifacts and bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from octoci.normalize import normalize_build_information
from octoci.testing import CIServerContract, CliResult, parse_ci_output
from octoci_plugins.azure_devops import AzureDevOps

CiEnv = Callable[..., dict[str, str]]
SHA = "9f1c2e0d4b5a6c7d8e9f0a1b2c3d4e5f6a7b8c9d"
MERGE = "e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4"
HEAD = "4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f"


class TestAzureDevOpsContract(CIServerContract):
    server_class = AzureDevOps
    variants: ClassVar[tuple[str, ...]] = (
        "push",
        "pull_request",
        "pull_request_azure_repos",
        "tag",
        "credentials_in_url",
        "tfvc",
    )


def info_for(env: dict[str, str]) -> dict[str, str]:
    info = normalize_build_information(AzureDevOps(env, io.StringIO()).build_information())
    return {**info.to_octopus(), **info.extra()}


EXPECTED = {
    "push": {
        "BuildNumber": "20261126.3",
        "BuildUrl": "https://dev.azure.com/acme/Online%20Shop/_build/results?buildId=812",
        "Branch": "main",
        "VcsType": "Git",
        "VcsRoot": "https://dev.azure.com/acme/Online%20Shop/_git/web",
        "VcsCommitNumber": SHA,
        "PullRequestNumber": "",
        "Tag": "",
        "JobName": "shop-ci - Build and test",
    },
    "pull_request": {
        # A GitHub repository: the number, not GitHub's internal id in PULLREQUESTID.
        "PullRequestNumber": "17",
        "Branch": "feature/basket",
        "SourceBranch": "feature/basket",
        "TargetBranch": "main",
        "VcsType": "Git",
        "VcsRoot": "https://github.com/acme/shop",
        "VcsCommitNumber": MERGE,
        "HeadCommit": HEAD,
    },
    "pull_request_azure_repos": {
        "PullRequestNumber": "231",
        "Branch": "feature/basket",
        "SourceBranch": "feature/basket",
        "TargetBranch": "main",
        "VcsCommitNumber": MERGE,
        "HeadCommit": HEAD,
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0", "BuildNumber": "1.4.0"},
    "credentials_in_url": {
        "VcsRoot": "https://acme.visualstudio.com/Shop/_git/web",
        "BuildUrl": "https://acme.visualstudio.com/Shop/_build/results?buildId=77",
        "Branch": "feature/login",
    },
    "tfvc": {
        "VcsType": "TFVC",
        "VcsRoot": "http://tfs.acme.local:8080/tfs/DefaultCollection",
        "Branch": "$/Shop/Main",
        "VcsCommitNumber": "1234",
        "BuildUrl": (
            "http://tfs.acme.local:8080/tfs/DefaultCollection/Shop/_build/results?buildId=5120"
        ),
        "JobName": "Shop-Main - Phase 1",
    },
}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_build_information_per_variant(ci_env: CiEnv, variant: str) -> None:
    info = info_for(ci_env("azure_devops", variant))
    assert info["BuildEnvironment"] == "Azure DevOps"
    assert {key: info[key] for key in EXPECTED[variant]} == EXPECTED[variant]


def test_tfvc_root_falls_back_to_the_collection(ci_env: CiEnv) -> None:
    info = info_for(ci_env("azure_devops", "tfvc", BUILD_REPOSITORY_URI=""))
    assert info["VcsRoot"] == "http://tfs.acme.local:8080/tfs/DefaultCollection"


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"TF_BUILD": "False"},
        {"BUILD_BUILDID": "12"},  # Octopus's client would claim this; it is not enough
        {"AGENT_WORKFOLDER": "/agent/_work"},
        {"BUILD_NUMBER": "12", "JENKINS_URL": "http://ci/"},
        {"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "1"},
    ],
)
def test_no_false_positives(env: dict[str, str]) -> None:
    assert not AzureDevOps.detect(env)


def test_detects_agents_by_tf_build_or_collection_and_build_id() -> None:
    assert AzureDevOps.detect({"TF_BUILD": "True"})
    assert AzureDevOps.detect({"TF_BUILD": "true"})
    assert AzureDevOps.detect(
        {"SYSTEM_TEAMFOUNDATIONCOLLECTIONURI": "https://tfs/tfs/Default/", "BUILD_BUILDID": "4"}
    )


def test_detection_does_not_import_the_sdk() -> None:
    code = (
        "import sys, octoci_plugins.azure_devops as a; "
        "assert a.AzureDevOps.detect({'TF_BUILD': 'True'}); "
        "print(sorted(m for m in sys.modules if m.startswith(('azure', 'msrest', 'requests'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_artifact_roots_and_publishing(ci_env: CiEnv, tmp_path: Path) -> None:
    stream = io.StringIO()
    env = ci_env("azure_devops", "push")
    adapter = AzureDevOps(env, stream)
    assert adapter.artifact_roots() == [Path(env["BUILD_ARTIFACTSTAGINGDIRECTORY"])]
    package = tmp_path / "Acme.Web.1.4.0.zip"
    package.write_bytes(b"PK")
    assert adapter.publish_artifact(package, "packages; [x]") is True
    [message] = parse_ci_output(stream.getvalue())
    assert (message.name, message.value) == ("artifact.upload", str(package.resolve()))
    assert message.properties == {
        "containerfolder": "packages; [x]",
        "artifactname": "packages; [x]",
    }


def test_a_bad_build_id_warns_and_fails_only_when_strict(
    ci_env: CiEnv, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    env = ci_env("azure_devops", "push", SYSTEM_ACCESSTOKEN="t0ken-value", BUILD_BUILDID="x12")
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 0
    assert "numeric BUILD_BUILDID" in result.stderr
    strict = run_cli("info", "--json", "--strict", env=env, cwd=tmp_path)
    assert strict.exit_code == 2
    assert "numeric BUILD_BUILDID" in strict.stderr
    assert result.leaks("t0ken-value") == strict.leaks("t0ken-value") == []


def test_non_utf8_variable_through_the_cli_exits_2(
    ci_env: CiEnv, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    env = ci_env("azure_devops", "push", BUILD_SOURCEBRANCH="refs/heads/caf\udce9")
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 2
    assert "BUILD_SOURCEBRANCH is not valid UTF-8" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_credentials_never_reach_the_output(
    ci_env: CiEnv, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    env = ci_env(
        "azure_devops",
        "credentials_in_url",
        BUILD_REPOSITORY_URI="https://build:pAssw0rd-XYZ@acme.visualstudio.com/Shop/_git/web",
    )
    result = run_cli("info", "--json", "--no-commits", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "pAssw0rd-XYZ" not in result.stdout
    assert json.loads(result.stdout)["BuildInformation"]["VcsRoot"] == (
        "https://acme.visualstudio.com/Shop/_git/web"
    )
