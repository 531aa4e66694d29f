"""Commits of GitLab CI pipelines from GitLab's REST API (real ``requests`` through octoci's session)
against a local server answering as GitLab's API documents, and the git fallback."""

from __future__ import annotations

import io
import json
import logging
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from octoci.model import BuildInformation
from octoci.normalize import normalize_build_information
from octoci.testing import CliResult
from octoci_plugins._http import CommitSourceError
from octoci_plugins.gitlab_ci import GitLabCI
from octoci_plugins.gitlab_ci.commits import previous_tag_in_version_order

CiEnv = Callable[..., dict[str, str]]
JOB_TOKEN = "glcbt-64_eZ6tLx2qW9rNc4VbP8kA"
API_TOKEN = "glpat-Rz8sT2vW4xY6zA1bC3dE"
SHA = "3f6c1d2e9a8b7c6d5e4f30211a2b3c4d5e6f7a8b"
BEFORE = "b1d2c3e4f5a60718293a4b5c6d7e8f9012345678"
TAG_SHA = "7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b"
PRIVATE = {"PRIVATE-TOKEN": API_TOKEN}


def sha(n: int) -> str:
    return f"{n:040x}"


def api_commit(commit_sha: str, message: str) -> dict[str, Any]:
    """One commit as GitLab's commits, compare and merge request commits APIs return it."""
    return {
        "id": commit_sha,
        "short_id": commit_sha[:8],
        "created_at": "2026-11-26T10:00:00.000+01:00",
        "parent_ids": [],
        "title": message.splitlines()[0],
        "message": message + "\n",
        "author_name": "Mona Lisa",
        "author_email": "mona@acme.test",
        "authored_date": "2026-11-26T10:00:00.000+01:00",
        "committer_name": "Mona Lisa",
        "committer_email": "mona@acme.test",
        "committed_date": "2026-11-26T10:00:00.000+01:00",
        "trailers": {},
        "web_url": f"https://gitlab.com/acme/shop/-/commit/{commit_sha}",
    }


def serve_compare(
    httpserver: HTTPServer, base: str, head: str, commits: list[dict[str, Any]], **headers: str
) -> None:
    """``GET /projects/4711/repository/compare?from=&to=``: commits oldest first, with diffs."""
    httpserver.expect_request(
        "/api/v4/projects/4711/repository/compare",
        method="GET",
        headers=headers or PRIVATE,
        query_string={"from": base, "to": head, "straight": "false"},
    ).respond_with_json(
        {
            "commit": commits[-1] if commits else None,
            "commits": commits,
            "diffs": [{"old_path": "a.txt", "new_path": "a.txt", "diff": "@@ -1 +1 @@\n-a\n+b\n"}],
            "compare_timeout": False,
            "compare_same_ref": False,
            "web_url": f"https://gitlab.com/acme/shop/-/compare/{base}...{head}",
        }
    )


def make(ci_env: CiEnv, variant: str, httpserver: HTTPServer, **overrides: str) -> GitLabCI:
    env = ci_env(
        "gitlab_ci",
        variant,
        CI_API_V4_URL=httpserver.url_for("/api/v4"),
        **{"OCTOCI_GITLAB_TOKEN": API_TOKEN, **overrides},
    )
    return GitLabCI(env, io.StringIO())


def info_of(server: GitLabCI) -> BuildInformation:
    return normalize_build_information(server.build_information())


def test_push_commits_from_the_compare_api_newest_first(
    ci_env: CiEnv, httpserver: HTTPServer
) -> None:
    serve_compare(
        httpserver,
        BEFORE,
        SHA,
        [api_commit(sha(1), "Add the basket\n\nCloses #12"), api_commit(SHA, "Fix the total")],
    )
    server = make(ci_env, "push", httpserver)
    listed = server.commits(info_of(server))
    assert [(c.id, c.comment) for c in listed or []] == [
        (SHA, "Fix the total"),
        (sha(1), "Add the basket\n\nCloses #12"),  # the full message, not the title
    ]
    httpserver.check_assertions()


def test_merge_request_commits_all_pages(ci_env: CiEnv, httpserver: HTTPServer) -> None:
    commits = [api_commit(sha(i), f"Commit {i}\n\nBody {i}") for i in range(150, 0, -1)]
    for page, chunk in enumerate((commits[:100], commits[100:]), 1):
        httpserver.expect_request(
            "/api/v4/projects/4711/merge_requests/12/commits",
            headers=PRIVATE,
            query_string={"per_page": "100", "page": str(page)},
        ).respond_with_json(chunk)
    server = make(ci_env, "merge_request", httpserver)
    listed = server.commits(info_of(server))
    assert listed is not None
    assert len(listed) == 150
    assert (listed[0].id, listed[-1].comment) == (sha(150), "Commit 1\n\nBody 1")
    assert len(httpserver.log) == 2


def test_merge_request_of_a_fork_is_read_from_the_target_project(
    ci_env: CiEnv, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(
        "/api/v4/projects/4711/merge_requests/12/commits", headers=PRIVATE
    ).respond_with_json([api_commit(sha(9), "From a fork")])
    server = make(
        ci_env,
        "merge_request",
        httpserver,
        CI_PROJECT_ID="9999",
        CI_MERGE_REQUEST_PROJECT_ID="4711",
    )
    assert [c.id for c in server.commits(info_of(server)) or []] == [sha(9)]


def test_tag_commits_since_the_previous_version_tag(ci_env: CiEnv, httpserver: HTTPServer) -> None:
    tags = [{"name": n, "commit": {"id": sha(i)}} for i, n in enumerate(["v2.0.0-rc1", "v1.4.0"])]
    tags += [{"name": f"nightly-{i}", "commit": {"id": sha(i)}} for i in range(98)]
    second = [{"name": "web-v9.0", "commit": {"id": sha(5)}}, {"name": "v1.3.10", "commit": {}}]
    for page, chunk in enumerate((tags, second), 1):
        httpserver.expect_request(
            "/api/v4/projects/4711/repository/tags",
            headers=PRIVATE,
            query_string={
                "order_by": "version",
                "sort": "desc",
                "per_page": "100",
                "page": str(page),
            },
        ).respond_with_json(chunk)
    serve_compare(httpserver, "v1.3.10", TAG_SHA, [api_commit(TAG_SHA, "Release 1.4.0")])
    server = make(ci_env, "tag", httpserver)
    assert [c.id for c in server.commits(info_of(server)) or []] == [TAG_SHA]


def test_first_tag_falls_back_to_git(ci_env: CiEnv, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v4/projects/4711/repository/tags").respond_with_json(
        [{"name": "v1.4.0"}]
    )
    server = make(ci_env, "tag", httpserver)
    assert server.commits(info_of(server)) is None


@pytest.mark.parametrize(
    ("current", "tags", "expected"),
    [
        ("v1.10.0", ["v2.0.0", "v1.10.0", "v1.9.0"], "v1.9.0"),
        ("v1.0.0", ["v1.0.0"], None),
        ("web-v2.0", ["web-v2.0", "api-v3.1", "web-v1.9"], "web-v1.9"),
        ("v3.0.0", ["v2.0.0"], None),  # not listed (deleted meanwhile): no guess
    ],
)
def test_previous_tag_in_version_order(current: str, tags: list[str], expected: str | None) -> None:
    assert previous_tag_in_version_order(current, tags) == expected


def test_a_new_branch_uses_the_last_successful_pipeline(
    ci_env: CiEnv, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(
        "/api/v4/projects/4711/pipelines",
        headers=PRIVATE,
        query_string={
            "ref": "main",
            "status": "success",
            "order_by": "id",
            "sort": "desc",
            "per_page": "100",
        },
    ).respond_with_json(
        [
            {"id": 1873400123, "sha": SHA, "ref": "main", "status": "success"},  # this pipeline
            {"id": 1873300000, "sha": SHA, "ref": "main", "status": "success"},  # same commit
            {"id": 1873200000, "sha": sha(7), "ref": "main", "status": "success"},
        ]
    )
    serve_compare(httpserver, sha(7), SHA, [api_commit(SHA, "Scheduled")])
    server = make(ci_env, "push", httpserver, CI_COMMIT_BEFORE_SHA="0" * 40)
    assert [c.comment for c in server.commits(info_of(server)) or []] == ["Scheduled"]


def test_the_job_token_is_used_when_no_token_is_configured(
    ci_env: CiEnv, httpserver: HTTPServer
) -> None:
    serve_compare(httpserver, BEFORE, SHA, [api_commit(SHA, "Fix")], **{"JOB-TOKEN": JOB_TOKEN})
    server = make(ci_env, "push", httpserver, OCTOCI_GITLAB_TOKEN="")
    assert [c.id for c in server.commits(info_of(server)) or []] == [SHA]
    assert "PRIVATE-TOKEN" not in httpserver.log[0][0].headers


def test_a_refused_job_token_says_what_to_configure(ci_env: CiEnv, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v4/projects/4711/repository/compare").respond_with_json(
        {"message": "401 Unauthorized"}, status=401
    )
    server = make(ci_env, "push", httpserver, OCTOCI_GITLAB_TOKEN="")
    with pytest.raises(CommitSourceError) as caught:
        server.commits(info_of(server))
    message = str(caught.value)
    assert "HTTP 401" in message
    assert "OCTOCI_GITLAB_TOKEN" in message
    assert JOB_TOKEN not in message


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"commits": "nope"}, "no commit list"),
        ({"commits": [{"title": "no id"}]}, "a commit has no id"),
        ({"commits": [], "compare_timeout": True}, "timed out"),
    ],
)
def test_malformed_answers_are_commit_source_errors(
    ci_env: CiEnv, httpserver: HTTPServer, answer: dict[str, Any], problem: str
) -> None:
    httpserver.expect_request("/api/v4/projects/4711/repository/compare").respond_with_json(answer)
    server = make(ci_env, "push", httpserver)
    with pytest.raises(CommitSourceError, match=problem):
        server.commits(info_of(server))


def test_no_token_at_all_is_one_warning_and_git(
    ci_env: CiEnv, caplog: pytest.LogCaptureFixture
) -> None:
    server = GitLabCI(ci_env("gitlab_ci", "push", CI_JOB_TOKEN=""), io.StringIO())
    with caplog.at_level(logging.WARNING, logger="octoci"):
        assert server.commits(info_of(server)) is None
    assert len(caplog.records) == 1
    assert "OCTOCI_GITLAB_TOKEN" in caplog.text


@pytest.mark.parametrize(
    ("variant", "overrides", "expected"),
    [
        ("push", {}, f"{BEFORE}..{SHA}"),
        ("push", {"CI_COMMIT_BEFORE_SHA": "0" * 40}, None),
        ("tag", {}, None),
        (
            "merge_request",
            {},
            "a0b1c2d3e4f5061728394a5b6c7d8e9f00112233..c9d8e7f6a5b4c3d2e1f00918273645a6b7c8d9e0",
        ),
    ],
)
def test_commit_range_for_the_git_fallback(
    ci_env: CiEnv, variant: str, overrides: dict[str, str], expected: str | None
) -> None:
    server = GitLabCI(ci_env("gitlab_ci", variant, **overrides), io.StringIO())
    assert server.commit_range(info_of(server)) == expected


def test_a_malformed_merge_request_iid_is_an_input_error(
    ci_env: CiEnv, httpserver: HTTPServer
) -> None:
    from octoci.errors import InputError

    server = make(ci_env, "merge_request", httpserver, CI_MERGE_REQUEST_IID="12; rm")
    with pytest.raises(InputError, match="CI_MERGE_REQUEST_IID"):
        server.commits(info_of(server))


# ---------------------------------------------------------------------------- end to end
def test_info_json_has_the_commits_from_gitlab(
    ci_env: CiEnv, httpserver: HTTPServer, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    serve_compare(
        httpserver, BEFORE, SHA, [api_commit(sha(1), "Add the basket"), api_commit(SHA, "Fix")]
    )
    env = ci_env(
        "gitlab_ci",
        "push",
        CI_API_V4_URL=httpserver.url_for("/api/v4"),
        OCTOCI_GITLAB_TOKEN=API_TOKEN,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "gitlab_ci"
    build = data["BuildInformation"]
    assert (build["BuildEnvironment"], build["Branch"], build["BuildNumber"]) == (
        "GitLab CI",
        "main",
        "412",
    )
    assert build["Commits"] == [
        {"Id": SHA, "Comment": "Fix"},
        {"Id": sha(1), "Comment": "Add the basket"},
    ]
    assert API_TOKEN not in result.stdout + result.stderr
    assert JOB_TOKEN not in result.stdout + result.stderr


def test_info_falls_back_to_git_with_one_warning_and_strict_fails(
    ci_env: CiEnv,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
) -> None:
    repo = git_repo(["first", "second", "third"])
    revs = subprocess.run(
        ["git", "rev-list", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.split()
    httpserver.expect_request("/api/v4/projects/4711/repository/compare").respond_with_json(
        {"message": "403 Forbidden"}, status=403
    )
    env = ci_env(
        "gitlab_ci",
        "push",
        CI_API_V4_URL=httpserver.url_for("/api/v4"),
        CI_COMMIT_SHA=revs[0],
        CI_COMMIT_BEFORE_SHA=revs[2],
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "HTTP 403" in warnings[0]
    assert "OCTOCI_GITLAB_TOKEN" in warnings[0]
    commits = json.loads(result.stdout)["BuildInformation"]["Commits"]
    assert [c["Comment"] for c in commits] == ["third", "second"]  # BEFORE..SHA
    strict = run_cli("info", "--json", "--strict", env=env, cwd=repo)
    assert strict.exit_code == 1
    assert "HTTP 403" in strict.stderr
    assert JOB_TOKEN not in result.stdout + result.stderr + strict.stderr
