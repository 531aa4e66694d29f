"""Travis CI against recorded environments: detection, build information (VcsRoot from the
build's forge), commits from git over ``TRAVIS_COMMIT_RANGE``."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from octoci.normalize import normalize_build_information
from octoci.testing import CIServerContract, CliResult
from octoci_plugins.travis_ci import TravisCI

CiEnv = Callable[..., dict[str, str]]
SHA = "2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"
PRSHA = "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3"


class TestTravisContract(CIServerContract):
    server_class = TravisCI
    variants: ClassVar[tuple[str, ...]] = ("push", "pull_request", "tag", "windows")


EXPECTED = {
    "push": {
        "BuildEnvironment": "Travis CI",
        "BuildNumber": "512",
        "BuildUrl": "https://app.travis-ci.com/github/acme/shop/builds/270123456",
        "Branch": "main",
        "VcsRoot": "https://github.com/acme/shop",
        "VcsCommitNumber": SHA,
        "PullRequestNumber": "",
    },
    "pull_request": {
        "Branch": "feature/basket",
        "PullRequestNumber": "31",
        "SourceBranch": "feature/basket",
        "TargetBranch": "main",  # TRAVIS_BRANCH is the target in a pull request build
        "HeadCommit": PRSHA,
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0"},
    "windows": {"Branch": "main", "VcsRoot": "https://github.com/acme/shop"},
}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_build_information_per_variant(ci_env: CiEnv, variant: str) -> None:
    server = TravisCI(ci_env("travis_ci", variant), io.StringIO())
    info = normalize_build_information(server.build_information())
    got = {**info.to_octopus(), **info.extra()}
    assert {key: got[key] for key in EXPECTED[variant]} == EXPECTED[variant]


@pytest.mark.parametrize(
    ("url", "root"),
    [
        (
            "https://app.travis-ci.com/bitbucket/acme/shop/builds/1",
            "https://bitbucket.org/acme/shop",
        ),
        ("https://app.travis-ci.com/gitlab/acme/shop/builds/1", "https://gitlab.com/acme/shop"),
    ],
)
def test_vcs_root_follows_the_forge_in_the_build_url(ci_env: CiEnv, url: str, root: str) -> None:
    server = TravisCI(ci_env("travis_ci", "push", TRAVIS_BUILD_WEB_URL=url), io.StringIO())
    assert normalize_build_information(server.build_information()).vcs_root == root


def test_info_json_lists_the_commit_range(
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third"])
    base, head = run_git(repo, "rev-parse", "HEAD~2"), run_git(repo, "rev-parse", "HEAD")
    env = ci_env(
        "travis_ci",
        "push",
        TRAVIS_COMMIT=head,
        TRAVIS_COMMIT_RANGE=f"{base}...{head}",
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "travis_ci"
    assert [c["Comment"] for c in data["BuildInformation"]["Commits"]] == ["third", "second"]
