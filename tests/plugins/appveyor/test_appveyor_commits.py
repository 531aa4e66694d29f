"""AppVeyor's commits: the previous successful build's commit from the REST history API (against
a local server answering as AppVeyor documents), then git; pull requests from the merge commit;
the head commit alone without a clone; and ``octoci info`` end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from octoci.testing import CliResult
from octoci_plugins._http import CommitSourceError
from octoci_plugins.appveyor.commits import PAGE_SIZE, previous_successful_commit

EnvFactory = Callable[..., dict[str, str]]
TOKEN = "v2.appveyor-api-token-k2f7q9x1m3n5"
HISTORY = "/api/projects/acme/shop/history"


def build(build_id: int, commit: str, status: str = "success", **extra: Any) -> dict[str, Any]:
    return {
        "buildId": build_id,
        "jobs": [],
        "buildNumber": build_id - 51234500,
        "version": f"1.0.{build_id - 51234500}",
        "message": "a commit",
        "branch": extra.pop("branch", "main"),
        "isTag": extra.pop("isTag", False),
        "commitId": commit,
        "authorName": "Jane Doe",
        "committed": "2026-11-27T05:00:00+00:00",
        "messages": [],
        "status": status,
        "created": "2026-11-27T05:00:01+00:00",
        **extra,
    }


class HistoryApi:
    """``GET /api/projects/{account}/{slug}/history``: newest first, ``recordsNumber`` per page,
    older pages from ``startBuildId``; ``branch`` filters."""

    def __init__(self, builds: list[dict[str, Any]], status: int = 200) -> None:
        self.builds = sorted(builds, key=lambda b: -b["buildId"])
        self.status = status
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        if self.status != 200:
            return Response(json.dumps({"message": "Unauthorized"}), status=self.status)
        size = int(request.args["recordsNumber"])
        chosen = [b for b in self.builds if b["branch"] == request.args.get("branch", b["branch"])]
        if "startBuildId" in request.args:
            chosen = [b for b in chosen if b["buildId"] < int(request.args["startBuildId"])]
        body = {"project": {"accountName": "acme", "slug": "shop"}, "builds": chosen[:size]}
        return Response(json.dumps(body), content_type="application/json")


def serve(httpserver: HTTPServer, api: HistoryApi) -> str:
    httpserver.expect_request(HISTORY).respond_with_handler(api)
    return httpserver.url_for("/api")


def test_the_newest_earlier_successful_build_of_the_branch(httpserver: HTTPServer) -> None:
    api = HistoryApi(
        [
            build(51234570, "c" * 40, "running"),
            build(51234566, "b" * 40, "failed"),
            build(51234565, "d" * 40, pullRequestId="7"),
            build(51234564, "e" * 40, isTag=True, tag="v1.3.0"),
            build(51234563, "f" * 40, branch="develop"),
            build(51234562, "a" * 40),
        ]
    )
    url = serve(httpserver, api)
    found = previous_successful_commit(url, TOKEN, "acme", "shop", build_id=51234567, branch="main")
    assert found == "a" * 40
    assert api.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert api.requests[0].args["branch"] == "main"


def test_older_pages_start_below_the_oldest_build_seen(httpserver: HTTPServer) -> None:
    failed = [build(51234600 - n, "b" * 40, "failed") for n in range(PAGE_SIZE + 5)]
    api = HistoryApi([*failed, build(51234500, "a" * 40)])
    url = serve(httpserver, api)
    assert (
        previous_successful_commit(url, TOKEN, "acme", "shop", build_id=51234700, branch="main")
        == "a" * 40
    )
    assert [r.args.get("startBuildId") for r in api.requests] == [
        None,
        str(51234600 - PAGE_SIZE + 1),
    ]


def test_no_earlier_success(httpserver: HTTPServer) -> None:
    url = serve(httpserver, HistoryApi([build(51234566, "b" * 40, "failed")]))
    assert (
        previous_successful_commit(url, TOKEN, "acme", "shop", build_id=51234567, branch="main")
        is None
    )


def test_a_refused_token_is_an_error_without_it(httpserver: HTTPServer) -> None:
    url = serve(httpserver, HistoryApi([], status=401))
    with pytest.raises(CommitSourceError, match="refused the credential") as raised:
        previous_successful_commit(url, TOKEN, "acme", "shop", build_id=1, branch="main")
    assert TOKEN not in str(raised.value)


def test_an_answer_without_builds(httpserver: HTTPServer) -> None:
    httpserver.expect_request(HISTORY).respond_with_json({"project": {}})
    with pytest.raises(CommitSourceError, match="no list of builds"):
        previous_successful_commit(
            httpserver.url_for("/api"), TOKEN, "acme", "shop", build_id=1, branch="main"
        )


# ---------------------------------------------------------------------- end to end, via the CLI
def comments(result: CliResult) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return [c["Comment"] for c in json.loads(result.stdout)["BuildInformation"]["Commits"]]


def test_info_json_for_a_push_since_the_last_successful_build(
    ci_env: EnvFactory,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["one", "two", "three", "four"], tags={0: "v1.0.0"})
    previous = run_git(repo, "rev-parse", "HEAD~2")
    api = HistoryApi(
        [build(51234566, run_git(repo, "rev-parse", "HEAD~1"), "failed"), build(51234560, previous)]
    )
    serve(httpserver, api)
    server_url = httpserver.url_for("/").rstrip("/")
    env = ci_env(
        "appveyor",
        "push",
        APPVEYOR_URL=server_url,
        OCTOCI_APPVEYOR_TOKEN=TOKEN,
        APPVEYOR_REPO_COMMIT=run_git(repo, "rev-parse", "HEAD"),
        APPVEYOR_BUILD_FOLDER=str(repo),
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert comments(result) == ["four", "three"]
    data = json.loads(result.stdout)
    assert data["Server"] == "appveyor"
    assert data["BuildInformation"]["BuildUrl"] == f"{server_url}/project/acme/shop/builds/51234567"
    assert data["BuildInformation"]["Branch"] == "main"
    assert result.stderr == ""
    assert TOKEN not in result.stdout + result.stderr


def test_info_json_falls_back_to_the_previous_tag_when_the_api_refuses(
    ci_env: EnvFactory,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["one", "two", "three"], tags={0: "v1.0.0"})
    serve(httpserver, HistoryApi([], status=403))
    env = ci_env(
        "appveyor",
        "push",
        APPVEYOR_URL=httpserver.url_for("/").rstrip("/"),
        OCTOCI_APPVEYOR_TOKEN=TOKEN,
        APPVEYOR_REPO_COMMIT=run_git(repo, "rev-parse", "HEAD"),
        # No build worker API here: the warning is the plain line (not a Messages tab entry).
        APPVEYOR_API_URL="",
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert comments(result) == ["three", "two"]
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "HTTP 403" in warnings[0]
    assert TOKEN not in result.stdout + result.stderr
    strict = run_cli("info", "--json", "--strict", env=env, cwd=repo)
    assert strict.exit_code == 1
    assert TOKEN not in strict.stdout + strict.stderr


def test_info_json_without_a_token_warns_what_to_configure(
    ci_env: EnvFactory,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["one", "two", "three"], tags={1: "v1.0.0"})
    env = ci_env(
        "appveyor",
        "push",
        APPVEYOR_REPO_COMMIT=run_git(repo, "rev-parse", "HEAD"),
        APPVEYOR_API_URL="",  # no build worker API here: warnings are plain lines
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert comments(result) == ["three"]
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "OCTOCI_APPVEYOR_TOKEN" in warnings[0]


def test_info_json_for_a_pull_request_on_linux_from_the_merge_commit(
    ci_env: EnvFactory,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["base"])
    run_git(repo, "checkout", "-q", "-b", "feature/login")
    run_git(repo, "commit", "-q", "--allow-empty", "-m", "Log in with SSO")
    run_git(repo, "commit", "-q", "--allow-empty", "-m", "Remember the user")
    head = run_git(repo, "rev-parse", "HEAD")
    run_git(repo, "checkout", "-q", "main")
    run_git(repo, "commit", "-q", "--allow-empty", "-m", "Meanwhile on main")
    # AppVeyor builds the pull request's merge into the base.
    run_git(repo, "merge", "-q", "--no-ff", "-m", "Merge pull request", head)
    env = ci_env(
        "appveyor",
        "pull_request",
        APPVEYOR_REPO_COMMIT=run_git(repo, "rev-parse", "HEAD"),
        APPVEYOR_PULL_REQUEST_HEAD_COMMIT=head,
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert comments(result) == ["Remember the user", "Log in with SSO"]
    assert json.loads(result.stdout)["Extra"]["PullRequestNumber"] == "7"
    assert result.stderr == ""


def test_info_json_under_every_recording_without_a_clone(
    ci_env: EnvFactory, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    expected = {
        "push": ("9f1c2e0d7b4a5c6e8f9012a3b4c5d6e7f8091a2b", "Add the basket page\n\nCloses #12"),
        "pull_request": (
            "e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4",
            "Merge 3c4d5e6f into 9f1c2e0d",
        ),
        "tag": ("5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081", "Release 1.4.0"),
    }
    for variant, (sha, comment) in expected.items():
        result = run_cli("info", "--json", env=ci_env("appveyor", variant), cwd=tmp_path)
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["BuildInformation"]["Commits"] == [
            {"Id": sha, "Comment": comment}
        ], variant
        assert "not a git clone" in result.stderr
