"""Commits of GitHub Actions builds: the push payload, and the REST API (real ``requests`` through
octoci's session) against a local server answering as GitHub's REST API documents."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from octoci.model import BuildInformation
from octoci.normalize import normalize_build_information
from octoci.testing import CliResult
from octoci_plugins._http import CommitSourceError
from octoci_plugins.github_actions import GitHubActions

CiEnv = Callable[..., dict[str, str]]
TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
C1 = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
C2 = "b7c9e1f2a3d4c5b6a7980f1e2d3c4b5a69788776"
C3 = "9f1c2e0d4b5a6c7d8e9f0a1b2c3d4e5f6a7b8c9d"
HEAD_PR = "4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f"
BASE_PR = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
BEFORE = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def sha(n: int) -> str:
    return f"{n:040x}"


def api_commit(commit_sha: str, message: str) -> dict[str, Any]:
    """One entry of ``commits`` in a compare answer, as GitHub documents it."""
    person = {"name": "Mona", "email": "mona@acme.test", "date": "2026-11-26T10:00:00Z"}
    return {
        "sha": commit_sha,
        "node_id": "C_kwDO",
        "commit": {
            "author": person,
            "committer": person,
            "message": message,
            "tree": {"sha": "f" * 40, "url": "https://api.github.com/repos/acme/shop/git/trees/f"},
            "url": f"https://api.github.com/repos/acme/shop/git/commits/{commit_sha}",
            "comment_count": 0,
        },
        "url": f"https://api.github.com/repos/acme/shop/commits/{commit_sha}",
        "html_url": f"https://github.com/acme/shop/commit/{commit_sha}",
        "author": {"login": "mona"},
        "committer": {"login": "mona"},
        "parents": [],
    }


def serve_compare(
    httpserver: HTTPServer, base: str, head: str, commits: list[dict[str, Any]]
) -> None:
    """``GET /repos/acme/shop/compare/{base}...{head}``, 100 per page, oldest first."""
    pages = [commits[i : i + 100] for i in range(0, len(commits), 100)] or [[]]
    for number, page in enumerate(pages, 1):
        httpserver.expect_request(
            f"/api/v3/repos/acme/shop/compare/{base}...{head}",
            method="GET",
            headers=AUTH,
            query_string={"per_page": "100", "page": str(number)},
        ).respond_with_json(
            {
                "url": f"https://api.github.com/repos/acme/shop/compare/{base}...{head}",
                "status": "ahead",
                "ahead_by": len(commits),
                "behind_by": 0,
                "total_commits": len(commits),
                "commits": page,
                "files": [],
            }
        )


def make(ci_env: CiEnv, variant: str, httpserver: HTTPServer, **overrides: str) -> GitHubActions:
    env = ci_env(
        "github_actions",
        variant,
        GITHUB_TOKEN=TOKEN,
        GITHUB_API_URL=httpserver.url_for("/api/v3"),
        **overrides,
    )
    return GitHubActions(env, io.StringIO())


def info_of(server: GitHubActions) -> BuildInformation:
    return normalize_build_information(server.build_information())


def test_push_commits_come_from_the_payload_newest_first(
    ci_env: CiEnv, httpserver: HTTPServer
) -> None:
    server = make(ci_env, "push", httpserver)
    commits = server.commits(info_of(server))
    assert commits is not None
    assert [c.id for c in commits] == [C3, C2, C1]
    assert commits[2].comment == "Add the basket page\n\nCloses #12"
    assert not httpserver.log  # no API call for a complete push payload


def test_push_payload_without_a_token_needs_no_api(ci_env: CiEnv) -> None:
    server = GitHubActions(ci_env("github_actions", "push"), io.StringIO())
    assert [c.id for c in server.commits(info_of(server)) or []] == [C3, C2, C1]


def test_pull_request_commits_from_the_compare_api_all_pages(
    ci_env: CiEnv, httpserver: HTTPServer
) -> None:
    commits = [api_commit(sha(i), f"Commit {i}\n\nBody of {i}") for i in range(1, 151)]
    serve_compare(httpserver, BASE_PR, HEAD_PR, commits)
    server = make(ci_env, "pull_request", httpserver)
    listed = server.commits(info_of(server))
    assert listed is not None
    assert len(listed) == 150
    assert listed[0].id == sha(150)  # newest first
    assert listed[-1].comment == "Commit 1\n\nBody of 1"  # the full message, not the subject
    assert len(httpserver.log) == 2
    httpserver.check_assertions()


def test_tag_commits_since_the_previous_version_tag(ci_env: CiEnv, httpserver: HTTPServer) -> None:
    # 100 unrelated tags on the first page, so the tag list is paged too.
    first = [{"name": f"nightly-{i}", "commit": {"sha": sha(i)}} for i in range(100)]
    second = [
        {"name": "v1.4.0", "commit": {"sha": C3}},
        {"name": "v1.3.2", "commit": {"sha": C1}},
        {"name": "v1.10.0-beta", "commit": {"sha": sha(7)}},
        {"name": "v1.3.10", "commit": {"sha": sha(8)}},
    ]
    for number, page in enumerate((first, second), 1):
        httpserver.expect_request(
            "/api/v3/repos/acme/shop/tags",
            headers=AUTH,
            query_string={"per_page": "100", "page": str(number)},
        ).respond_with_json(page)
    serve_compare(httpserver, "v1.3.10", C3, [api_commit(C2, "Fix"), api_commit(C3, "Bump")])
    server = make(ci_env, "tag", httpserver)
    listed = server.commits(info_of(server))
    assert [c.id for c in listed or []] == [C3, C2]


@pytest.mark.parametrize("event", ["workflow_dispatch", "schedule"])
def test_runs_without_a_commit_list_use_the_last_successful_run(
    ci_env: CiEnv, httpserver: HTTPServer, event: str
) -> None:
    server = make(ci_env, event, httpserver)
    run_id = server.env["GITHUB_RUN_ID"]
    httpserver.expect_request(
        f"/api/v3/repos/acme/shop/actions/runs/{run_id}", headers=AUTH
    ).respond_with_json({"id": int(run_id), "workflow_id": 161335, "head_sha": C3})
    httpserver.expect_request(
        "/api/v3/repos/acme/shop/actions/workflows/161335/runs",
        headers=AUTH,
        query_string={
            "branch": "main",
            "status": "success",
            "event": event,
            "per_page": "100",
            "page": "1",
        },
    ).respond_with_json(
        {
            "total_count": 3,
            "workflow_runs": [
                {"id": int(run_id), "head_sha": C3, "conclusion": "success"},
                {"id": 5, "head_sha": C3, "conclusion": "success"},  # same commit: skipped
                {"id": 4, "head_sha": C1, "conclusion": "success"},
            ],
        }
    )
    serve_compare(httpserver, C1, C3, [api_commit(C2, "Fix"), api_commit(C3, "Bump")])
    listed = server.commits(info_of(server))
    assert [c.id for c in listed or []] == [C3, C2]


def test_merge_queue_commits_from_the_base_of_the_queue(
    ci_env: CiEnv, httpserver: HTTPServer
) -> None:
    queued = "5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7"
    serve_compare(
        httpserver, C3, queued, [api_commit(HEAD_PR, "Polish"), api_commit(queued, "Merge")]
    )
    server = make(ci_env, "merge_group", httpserver)
    assert [c.id for c in server.commits(info_of(server)) or []] == [queued, HEAD_PR]
    assert server.commit_range(info_of(server)) == f"{C3}..{queued}"


def test_no_previous_successful_run_falls_back_to_git(
    ci_env: CiEnv, httpserver: HTTPServer
) -> None:
    server = make(ci_env, "schedule", httpserver)
    run_id = server.env["GITHUB_RUN_ID"]
    httpserver.expect_request(f"/api/v3/repos/acme/shop/actions/runs/{run_id}").respond_with_json(
        {"id": int(run_id), "workflow_id": 9}
    )
    httpserver.expect_request("/api/v3/repos/acme/shop/actions/workflows/9/runs").respond_with_json(
        {"total_count": 0, "workflow_runs": []}
    )
    assert server.commits(info_of(server)) is None


def test_a_push_cut_at_githubs_limit_is_read_through_the_compare_api(
    ci_env: CiEnv, httpserver: HTTPServer, tmp_path: Path
) -> None:
    payload = {
        "ref": "refs/heads/main",
        "before": BEFORE,
        "after": C3,
        "commits": [{"id": sha(i), "message": f"c{i}"} for i in range(2048)],
    }
    event = tmp_path / "big-push.json"
    event.write_text(json.dumps(payload), encoding="utf-8")
    serve_compare(httpserver, BEFORE, C3, [api_commit(sha(i), f"c{i}") for i in range(2100)])
    server = make(ci_env, "push", httpserver, GITHUB_EVENT_PATH=str(event))
    listed = server.commits(info_of(server))
    assert listed is not None
    assert len(listed) == 2100
    assert listed[0].id == sha(2099)


def test_a_new_branch_without_new_commits_compares_with_the_default_branch(
    ci_env: CiEnv, httpserver: HTTPServer, tmp_path: Path
) -> None:
    payload = {
        "ref": "refs/heads/feature/x",
        "before": "0" * 40,
        "after": C3,
        "created": True,
        "commits": [],
        "repository": {"default_branch": "main"},
    }
    event = tmp_path / "new-branch.json"
    event.write_text(json.dumps(payload), encoding="utf-8")
    serve_compare(httpserver, "main", C3, [api_commit(C3, "Start feature x")])
    server = make(
        ci_env, "push", httpserver, GITHUB_EVENT_PATH=str(event), GITHUB_REF="refs/heads/feature/x"
    )
    assert [c.id for c in server.commits(info_of(server)) or []] == [C3]


@pytest.mark.parametrize(("status", "words"), [(401, "refused the credential"), (404, "HTTP 404")])
def test_api_failures_are_commit_source_errors_without_the_token(
    ci_env: CiEnv, httpserver: HTTPServer, status: int, words: str
) -> None:
    httpserver.expect_request(
        f"/api/v3/repos/acme/shop/compare/{BASE_PR}...{HEAD_PR}"
    ).respond_with_json(
        {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
        status=status,
    )
    server = make(ci_env, "pull_request", httpserver)
    with pytest.raises(CommitSourceError) as caught:
        server.commits(info_of(server))
    assert words in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_commit_range_for_the_git_fallback(ci_env: CiEnv) -> None:
    push = GitHubActions(ci_env("github_actions", "push"), io.StringIO())
    assert push.commit_range(info_of(push)) == f"{BEFORE}..{C3}"
    pr = GitHubActions(ci_env("github_actions", "pull_request"), io.StringIO())
    assert pr.commit_range(info_of(pr)) == f"{BASE_PR}..{HEAD_PR}"
    tag = GitHubActions(ci_env("github_actions", "tag"), io.StringIO())
    assert tag.commit_range(info_of(tag)) is None


# ---------------------------------------------------------------------- end to end, via the CLI
def test_info_json_for_a_pull_request_with_commits_from_the_api(
    ci_env: CiEnv, httpserver: HTTPServer, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    serve_compare(
        httpserver,
        BASE_PR,
        HEAD_PR,
        [api_commit(C1, "Add the basket page\n\nCloses #12"), api_commit(HEAD_PR, "Polish")],
    )
    env = ci_env(
        "github_actions",
        "pull_request",
        GITHUB_TOKEN=TOKEN,
        GITHUB_API_URL=httpserver.url_for("/api/v3"),
    )
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "github_actions"
    assert data["BuildInformation"] == {
        "BuildEnvironment": "GitHub Actions",
        "BuildNumber": "43",
        "BuildUrl": "https://github.com/acme/shop/actions/runs/7001234600",
        "Branch": "feature/basket",
        "VcsType": "Git",
        "VcsRoot": "https://github.com/acme/shop",
        "VcsCommitNumber": "e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4",
        "Commits": [
            {"Id": HEAD_PR, "Comment": "Polish"},
            {"Id": C1, "Comment": "Add the basket page\n\nCloses #12"},
        ],
    }
    assert data["Extra"]["PullRequestNumber"] == "17"
    assert data["Extra"]["HeadCommit"] == HEAD_PR
    assert result.leaks(TOKEN) == []


def test_info_json_falls_back_to_git_with_one_warning_when_the_api_fails(
    ci_env: CiEnv,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["one", "two", "three"], tags={0: "v1.3.0"})
    head = run_git(repo, "rev-parse", "HEAD")
    httpserver.expect_request("/api/v3/repos/acme/shop/actions/runs/7001234800").respond_with_json(
        {"message": "Not Found"}, status=404
    )
    env = ci_env(
        "github_actions",
        "workflow_dispatch",
        GITHUB_TOKEN=TOKEN,
        GITHUB_API_URL=httpserver.url_for("/api/v3"),
        GITHUB_SHA=head,
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    comments = [c["Comment"] for c in json.loads(result.stdout)["BuildInformation"]["Commits"]]
    assert comments == ["three", "two"]
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "GitHub runs API" in warnings[0]
    assert "HTTP 404" in warnings[0]
    assert result.leaks(TOKEN) == []

    strict = run_cli("info", "--json", "--strict", env=env, cwd=repo)
    assert strict.exit_code == 1
    assert "HTTP 404" in strict.stderr


def test_info_json_without_a_token_warns_what_to_configure(
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["one", "two"], tags={0: "v1.0.0"})
    env = ci_env("github_actions", "schedule", GITHUB_SHA=run_git(repo, "rev-parse", "HEAD"))
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert [c["Comment"] for c in json.loads(result.stdout)["BuildInformation"]["Commits"]] == [
        "two"
    ]
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "GITHUB_TOKEN: ${{ github.token }}" in warnings[0]


def test_info_keeps_an_empty_compare_answer_instead_of_asking_git(
    ci_env: CiEnv,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["one", "two", "three"], tags={0: "v1.3.0"})
    head = run_git(repo, "rev-parse", "HEAD")
    env = ci_env(
        "github_actions",
        "workflow_dispatch",
        GITHUB_TOKEN=TOKEN,
        GITHUB_API_URL=httpserver.url_for("/api/v3"),
        GITHUB_SHA=head,
    )
    run_id = env["GITHUB_RUN_ID"]
    httpserver.expect_request(f"/api/v3/repos/acme/shop/actions/runs/{run_id}").respond_with_json(
        {"id": int(run_id), "workflow_id": 9}
    )
    httpserver.expect_request("/api/v3/repos/acme/shop/actions/workflows/9/runs").respond_with_json(
        {"total_count": 1, "workflow_runs": [{"id": 1, "head_sha": C1}]}
    )
    # The last successful run built a commit this one only rewinds to: GitHub lists no commits.
    serve_compare(httpserver, C1, head, [])
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["BuildInformation"]["Commits"] == []
    assert "warning" not in result.stderr
    httpserver.check_assertions()
    assert any("/compare/" in request.path for request, _ in httpserver.log)
