"""Travis CI against recorded environments: detection, build information (VcsRoot from the
build's forge), commits from git over ``TRAVIS_COMMIT_RANGE``."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
from pytest_httpserver import HTTPServer
from tests.plugins.shared.git_commits import commits_from_git_test

from octoci.normalize import normalize_build_information
from octoci.testing import CIServerContract, CliResult, fields_per_variant_test
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


test_build_information_per_variant = fields_per_variant_test("travis_ci", EXPECTED)
test_info_json_lists_the_commit_range = commits_from_git_test(
    "travis_ci",
    {"TRAVIS_COMMIT": "{HEAD}", "TRAVIS_COMMIT_RANGE": "{HEAD~2}...{HEAD}"},
    ["third", "second"],
)


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


# ---------------------------------------------------------------- commits since the last pass
API_TOKEN = "travis-api-token-Zq8sT2vW4xY6zA1b"
#: The slug is one URL segment (``acme%2Fshop``, as Travis requires); the server decodes it.
BUILDS_PATH = "/repo/acme/shop/builds"


def api_build(build_id: int, sha: str) -> dict[str, object]:
    """One build as Travis's API v3 lists it (standard representation, the fields octoci reads
    and some others)."""
    return {
        "@type": "build",
        "@href": f"/build/{build_id}",
        "@representation": "standard",
        "id": build_id,
        "number": str(build_id - 270122944),
        "state": "passed",
        "event_type": "push",
        "previous_state": "passed",
        "branch": {"@type": "branch", "name": "main"},
        "tag": None,
        "commit": {
            "@type": "commit",
            "@representation": "minimal",
            "id": build_id + 1,
            "sha": sha,
            "ref": "refs/heads/main",
            "message": "A change",
            "compare_url": "https://github.com/acme/shop/compare/0000000000...1111111111",
        },
    }


def travis_env(
    ci_env: CiEnv, httpserver: HTTPServer, head: str, **overrides: str
) -> dict[str, str]:
    """A push build Travis gave no range (a branch's first build, or one started by the API)."""
    return ci_env(
        "travis_ci",
        "push",
        TRAVIS_COMMIT=head,
        TRAVIS_EVENT_TYPE="api",
        OCTOCI_TRAVIS_API_URL=httpserver.url_for("/"),
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
        **{"OCTOCI_TRAVIS_TOKEN": API_TOKEN, "TRAVIS_COMMIT_RANGE": "", **overrides},
    )


def test_info_json_lists_the_commits_since_the_previous_passed_build(
    ci_env: CiEnv,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third", "fourth"], tags={0: "v1.0.0"})
    passed, head = run_git(repo, "rev-parse", "HEAD~2"), run_git(repo, "rev-parse", "HEAD")
    httpserver.expect_request(
        BUILDS_PATH,
        method="GET",
        headers={"Authorization": f"token {API_TOKEN}", "Travis-API-Version": "3"},
        query_string={
            "branch.name": "main",
            "build.state": "passed",
            "sort_by": "id:desc",
            "limit": "25",
        },
    ).respond_with_json(
        {
            "@type": "builds",
            "@href": f"{BUILDS_PATH}?branch.name=main&build.state=passed",
            "@pagination": {"limit": 25, "offset": 0, "count": 3, "is_first": True},
            # This build (restarted, passed before) and one of the same commit are stepped over.
            "builds": [
                api_build(270123456, head),
                api_build(270123400, head),
                api_build(270123300, passed),
            ],
        }
    )
    result = run_cli("info", "--json", env=travis_env(ci_env, httpserver, head), cwd=repo)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [c["Comment"] for c in data["BuildInformation"]["Commits"]] == ["fourth", "third"]
    assert result.leaks(API_TOKEN) == []
    assert "Travis" not in result.stderr
    httpserver.check_assertions()
    assert httpserver.log[0][0].environ["REQUEST_URI"].startswith("/repo/acme%2Fshop/builds?")


def test_without_a_token_one_warning_and_the_commits_since_the_previous_tag(
    ci_env: CiEnv,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third"], tags={0: "v1.0.0"})
    head = run_git(repo, "rev-parse", "HEAD")
    env = travis_env(ci_env, httpserver, head, OCTOCI_TRAVIS_TOKEN="")
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [c["Comment"] for c in data["BuildInformation"]["Commits"]] == ["third", "second"]
    assert result.stderr.count("no OCTOCI_TRAVIS_TOKEN") == 1
    assert httpserver.log == []


def test_with_a_commit_range_no_api_and_no_warning(
    ci_env: CiEnv,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third"])
    base, head = run_git(repo, "rev-parse", "HEAD~1"), run_git(repo, "rev-parse", "HEAD")
    env = travis_env(ci_env, httpserver, head, TRAVIS_COMMIT_RANGE=f"{base}...{head}")
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert [c["Comment"] for c in json.loads(result.stdout)["BuildInformation"]["Commits"]] == [
        "third"
    ]
    assert "Travis" not in result.stderr
    assert httpserver.log == []
