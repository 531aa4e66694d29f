"""Woodpecker and Drone builds read their commits from the forge's compare API (GitHub, Gitea,
Forgejo, GitLab) through the real ``octoci`` command, against a local server answering as each
forge documents it; without a token or a known forge: one warning and git."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from octoci.testing import CliResult
from octoci_plugins._forge import Forge

CiEnv = Callable[..., dict[str, str]]
Cli = Callable[..., CliResult]
TOKEN = "forge-token-5e4d3c2b1a09"
SHA = "2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"
PREV = "7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2"
PRSHA = "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3"
MIDDLE = "5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80"


def github_style_commit(commit_sha: str, message: str) -> dict[str, Any]:
    """One commit of a GitHub/Gitea compare answer (``sha``, ``commit.message``)."""
    return {
        "sha": commit_sha,
        "url": f"https://forge.example/api/v1/repos/acme/shop/git/commits/{commit_sha}",
        "commit": {"message": message, "author": {"name": "Mona", "email": "mona@acme.test"}},
        "parents": [],
    }


def gitlab_commit(commit_sha: str, message: str) -> dict[str, Any]:
    """One commit of GitLab's compare answer."""
    return {"id": commit_sha, "short_id": commit_sha[:8], "title": message, "message": message}


def info_commits(result: CliResult) -> list[tuple[str, str]]:
    assert result.exit_code == 0, result.stderr
    commits = json.loads(result.stdout)["BuildInformation"]["Commits"]
    return [(c["Id"], c["Comment"]) for c in commits]


def warnings_of(result: CliResult) -> list[str]:
    return [line for line in result.stderr.splitlines() if "warning" in line]


# ------------------------------------------------------------------------------ Woodpecker
def test_woodpecker_on_forgejo_lists_the_push_from_the_compare_api(
    ci_env: CiEnv, httpserver: HTTPServer, run_cli: Cli, tmp_path: Path
) -> None:
    # Gitea and Forgejo answer every commit on one page, newest first.
    httpserver.expect_request(
        f"/api/v1/repos/acme/shop/compare/{PREV}...{SHA}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).respond_with_json(
        {
            "total_commits": 2,
            "commits": [github_style_commit(SHA, "Fix"), github_style_commit(MIDDLE, "Add")],
        }
    )
    env = ci_env(
        "woodpecker",
        "push",
        CI_FORGE_URL=httpserver.url_for("/").rstrip("/"),
        OCTOCI_FORGE_TOKEN=TOKEN,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert info_commits(result) == [(SHA, "Fix"), (MIDDLE, "Add")]
    assert not warnings_of(result)
    assert TOKEN not in result.stdout + result.stderr
    httpserver.check_assertions()


def test_woodpecker_on_gitlab_lists_a_pull_request_by_project_id(
    ci_env: CiEnv, httpserver: HTTPServer, run_cli: Cli, tmp_path: Path
) -> None:
    httpserver.expect_request(
        "/api/v4/projects/82/repository/compare",
        headers={"PRIVATE-TOKEN": TOKEN},
        query_string={"from": "main", "to": PRSHA, "straight": "false"},
    ).respond_with_json(
        {
            "commits": [gitlab_commit(MIDDLE, "Basket"), gitlab_commit(PRSHA, "Basket total")],
            "compare_timeout": False,
        }
    )
    env = ci_env(
        "woodpecker",
        "pull_request",
        CI_FORGE_TYPE="gitlab",
        CI_FORGE_URL=httpserver.url_for("/").rstrip("/"),
        CI_REPO_REMOTE_ID="82",
        OCTOCI_FORGE_TOKEN=TOKEN,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert info_commits(result) == [(PRSHA, "Basket total"), (MIDDLE, "Basket")]
    httpserver.check_assertions()


def test_woodpecker_on_github_enterprise_lists_a_tag_since_the_previous_tag(
    ci_env: CiEnv, httpserver: HTTPServer, run_cli: Cli, tmp_path: Path
) -> None:
    httpserver.expect_request(
        "/api/v3/repos/acme/shop/tags", query_string={"per_page": "100", "page": "1"}
    ).respond_with_json([{"name": "v1.4.0"}, {"name": "v1.3.9"}, {"name": "v1.10.0-x"}])
    httpserver.expect_request(
        f"/api/v3/repos/acme/shop/compare/v1.3.9...{SHA}",
        query_string={"per_page": "100", "page": "1"},
    ).respond_with_json(
        {
            "total_commits": 2,
            "commits": [github_style_commit(MIDDLE, "Add"), github_style_commit(SHA, "Bump")],
        }
    )
    env = ci_env(
        "woodpecker",
        "tag",
        CI_FORGE_TYPE="github",
        CI_FORGE_URL=httpserver.url_for("/").rstrip("/"),
        OCTOCI_FORGE_TOKEN=TOKEN,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert info_commits(result) == [(SHA, "Bump"), (MIDDLE, "Add")]


def test_woodpecker_without_a_token_warns_once_and_reads_git(
    ci_env: CiEnv,
    run_cli: Cli,
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third"])
    env = ci_env(
        "woodpecker",
        "push",
        CI_COMMIT_SHA=run_git(repo, "rev-parse", "HEAD"),
        CI_PREV_COMMIT_SHA=run_git(repo, "rev-parse", "HEAD~2"),
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert [comment for _, comment in info_commits(result)] == ["third", "second"]
    warnings = warnings_of(result)
    assert len(warnings) == 1
    assert "OCTOCI_FORGE_TOKEN" in warnings[0]


def test_a_refused_token_warns_once_reads_git_and_strict_fails(
    ci_env: CiEnv,
    httpserver: HTTPServer,
    run_cli: Cli,
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third"])
    head, previous = run_git(repo, "rev-parse", "HEAD"), run_git(repo, "rev-parse", "HEAD~2")
    httpserver.expect_request(
        f"/api/v1/repos/acme/shop/compare/{previous}...{head}"
    ).respond_with_json({"message": "token is required"}, status=401)
    env = ci_env(
        "woodpecker",
        "push",
        CI_COMMIT_SHA=head,
        CI_PREV_COMMIT_SHA=previous,
        CI_FORGE_URL=httpserver.url_for("/").rstrip("/"),
        OCTOCI_FORGE_TOKEN=TOKEN,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert [comment for _, comment in info_commits(result)] == ["third", "second"]
    warnings = warnings_of(result)
    assert len(warnings) == 1
    assert "HTTP 401" in warnings[0]
    strict = run_cli("info", "--json", "--strict", env=env, cwd=repo)
    assert strict.exit_code == 1
    assert "HTTP 401" in strict.stderr
    assert TOKEN not in result.stdout + result.stderr + strict.stdout + strict.stderr


# ------------------------------------------------------------------------------ Drone
def test_drone_on_a_named_forge_lists_the_push_before_to_after(
    ci_env: CiEnv, httpserver: HTTPServer, run_cli: Cli, tmp_path: Path
) -> None:
    httpserver.expect_request(
        f"/api/v3/repos/acme/shop/compare/{PREV}...{SHA}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).respond_with_json(
        {
            "total_commits": 2,
            "commits": [github_style_commit(MIDDLE, "Add"), github_style_commit(SHA, "Fix")],
        }
    )
    env = ci_env(
        "drone",
        "push",
        DRONE_REPO_LINK=httpserver.url_for("/acme/shop"),
        OCTOCI_FORGE_TYPE="github",
        OCTOCI_FORGE_TOKEN=TOKEN,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert info_commits(result) == [(SHA, "Fix"), (MIDDLE, "Add")]
    assert TOKEN not in result.stdout + result.stderr


def test_drone_pull_request_on_gitlab_compares_the_target_branch_to_the_head(
    ci_env: CiEnv, httpserver: HTTPServer, run_cli: Cli, tmp_path: Path
) -> None:
    # The server sees the project's path decoded; it was sent as one segment (acme%2Fshop).
    httpserver.expect_request(
        "/api/v4/projects/acme/shop/repository/compare",
        query_string={"from": "main", "to": PRSHA, "straight": "false"},
    ).respond_with_json({"commits": [gitlab_commit(PRSHA, "Basket")]})
    env = ci_env(
        "drone",
        "pull_request",
        DRONE_REPO_LINK=httpserver.url_for("/acme/shop"),
        OCTOCI_FORGE_TYPE="GitLab",
        OCTOCI_FORGE_TOKEN=TOKEN,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert info_commits(result) == [(PRSHA, "Basket")]
    httpserver.check_assertions()
    assert (
        httpserver.log[0][0]
        .environ["RAW_URI"]
        .startswith("/api/v4/projects/acme%2Fshop/repository/compare?")
    )


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"OCTOCI_FORGE_TOKEN": TOKEN}, "OCTOCI_FORGE_TYPE"),  # a self-hosted forge, unnamed
        ({}, "OCTOCI_FORGE_TOKEN"),
    ],
)
def test_drone_warns_once_what_to_set_and_reads_git(
    ci_env: CiEnv,
    run_cli: Cli,
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
    overrides: dict[str, str],
    named: str,
) -> None:
    repo = git_repo(["first", "second", "third"])
    head = run_git(repo, "rev-parse", "HEAD")
    env = ci_env(
        "drone",
        "push",
        DRONE_REPO_LINK="https://git.acme.example/acme/shop",
        DRONE_COMMIT_SHA=head,
        DRONE_COMMIT_AFTER=head,
        DRONE_COMMIT_BEFORE=run_git(repo, "rev-parse", "HEAD~1"),
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
        **overrides,
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert [comment for _, comment in info_commits(result)] == ["third"]
    warnings = warnings_of(result)
    assert len(warnings) == 1
    assert named in warnings[0]


@pytest.mark.parametrize(
    ("kind", "url", "api"),
    [
        ("github", "https://github.com", "https://api.github.com"),
        ("github", "https://ghe.acme.example/", "https://ghe.acme.example/api/v3"),
        ("gitea", "https://gitea.acme.example", "https://gitea.acme.example/api/v1"),
        ("forgejo", "https://codeberg.org", "https://codeberg.org/api/v1"),
        ("gitlab", "https://gitlab.com", "https://gitlab.com/api/v4"),
    ],
)
def test_the_api_root_of_each_forge(kind: str, url: str, api: str) -> None:
    assert Forge(kind, url, "acme/shop").api_url == api


@pytest.mark.parametrize("variant", ["push", "pull_request", "tag"])
def test_a_harness_step_with_drone_true_is_harness_not_drone(ci_env: CiEnv, variant: str) -> None:
    # Harness's open-source engine documents DRONE=true; Harness CI sets Drone's DRONE_* names.
    from octoci_plugins.drone import Drone
    from octoci_plugins.harness_ci.adapter import HarnessCI

    env = ci_env("harness_ci", variant, DRONE="true")
    assert HarnessCI.detect(env)
    assert not Drone.detect(env)
