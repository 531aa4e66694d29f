"""TeamCity's REST changes API through requests, against a local server answering as TeamCity
does (``{count, href, nextHref, change:[{id, version, comment}]}``), and ``octoci info`` end to end."""

from __future__ import annotations

import base64
import json
import logging
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from octoci.testing import CliResult
from octoci_plugins._http import CommitSourceError
from octoci_plugins.teamcity.commits import TeamCityAuth, fetch_changes

PASSWORD = "Xq3vT9kLmP2wR7sZ"
BASIC = "Basic " + base64.b64encode(f"TeamCityBuildId=4242:{PASSWORD}".encode()).decode()
EnvFactory = Callable[..., dict[str, str]]


def change(n: int) -> dict[str, Any]:
    return {
        "id": 1000 + n,
        "version": f"{n:040x}",
        "username": "jdoe",
        "date": "20261127T050000+0000",
        "href": f"/app/rest/changes/id:{1000 + n}",
        "webUrl": f"https://teamcity.acme.example/viewModification.html?modId={1000 + n}",
        "comment": f"Change {n}\n\nBody of change {n}\n",
    }


class ChangesApi:
    """Answers ``/httpAuth/app/rest/changes`` like TeamCity: paged by ``count`` and ``start``
    in the locator, ``nextHref`` while more remain, newest first."""

    def __init__(self, total: int, *, fail_start: int | None = None, status: int = 500) -> None:
        self.changes = [change(n) for n in range(total, 0, -1)]
        self.fail_start = fail_start
        self.status = status
        self.starts: list[int] = []
        self.auth: list[str | None] = []

    def __call__(self, request: Request) -> Response:
        locator = request.args.get("locator", "")
        match = re.fullmatch(r"build:\(id:(\d+)\),count:(\d+),start:(\d+)", locator)
        assert match, locator
        count, start = int(match[2]), int(match[3])
        self.starts.append(start)
        self.auth.append(request.headers.get("Authorization"))
        assert request.args.get("fields") == "count,nextHref,change(id,version,comment)"
        if start == self.fail_start:
            return Response("error", status=self.status)
        page = self.changes[start : start + count]
        body: dict[str, Any] = {
            "count": len(page),
            "href": f"/httpAuth/app/rest/changes?locator={locator}",
            "change": page,
        }
        if start + count < len(self.changes):
            body["nextHref"] = (
                f"/httpAuth/app/rest/changes?locator=build:(id:{match[1]}),count:{count},"
                f"start:{start + count}"
            )
        return Response(json.dumps(body), content_type="application/json")


def serve(httpserver: HTTPServer, api: ChangesApi) -> str:
    httpserver.expect_request("/httpAuth/app/rest/changes").respond_with_handler(api)
    return httpserver.url_for("/").rstrip("/")


def test_pages_through_every_change_newest_first(httpserver: HTTPServer) -> None:
    api = ChangesApi(5)
    url = serve(httpserver, api)
    commits = fetch_changes(
        url, "4242", TeamCityAuth(basic=("TeamCityBuildId=4242", PASSWORD)), page_size=2
    )
    assert [c.id for c in commits] == [f"{n:040x}" for n in (5, 4, 3, 2, 1)]
    assert commits[0].comment == "Change 5\n\nBody of change 5"
    assert api.starts == [0, 2, 4]
    assert set(api.auth) == {BASIC}


def test_a_full_last_page_without_next_href_asks_once_more(httpserver: HTTPServer) -> None:
    api = ChangesApi(4)
    url = serve(httpserver, api)
    commits = fetch_changes(url, "1", TeamCityAuth(basic=("u", "p")), page_size=2)
    assert len(commits) == 4
    # No nextHref on the second page, but it was full: one more (empty) page makes sure.
    assert api.starts == [0, 2, 4]


def test_a_transient_error_is_retried(httpserver: HTTPServer) -> None:
    api = ChangesApi(3)
    httpserver.expect_oneshot_request("/httpAuth/app/rest/changes").respond_with_data(
        "busy", status=503
    )
    url = serve(httpserver, api)
    commits = fetch_changes(url, "4242", TeamCityAuth(basic=("u", "p")), page_size=10)
    assert len(commits) == 3
    assert len(httpserver.log) == 2


def test_a_later_page_failing_keeps_the_changes_read(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    api = ChangesApi(5, fail_start=2)
    url = serve(httpserver, api)
    with caplog.at_level(logging.WARNING, logger="octoci"):
        commits = fetch_changes(url, "4242", TeamCityAuth(basic=("u", "p")), page_size=2, retries=1)
    assert [c.id for c in commits] == [f"{n:040x}" for n in (5, 4)]
    assert api.starts == [0, 2, 2]  # the failing page was tried twice (one retry)
    (record,) = caplog.records
    assert "HTTP 500" in record.getMessage()
    assert "2 commits read before the failure" in record.getMessage()


def test_the_first_page_failing_is_an_error_without_the_password(httpserver: HTTPServer) -> None:
    api = ChangesApi(5, fail_start=0, status=401)
    url = serve(httpserver, api)
    with pytest.raises(CommitSourceError) as raised:
        fetch_changes(url, "4242", TeamCityAuth(basic=("TeamCityBuildId=4242", PASSWORD)))
    assert "refused the credential (HTTP 401)" in str(raised.value)
    assert PASSWORD not in str(raised.value)
    assert PASSWORD not in repr(TeamCityAuth(basic=("u", PASSWORD)))


def test_malformed_answer_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/httpAuth/app/rest/changes").respond_with_json(["not", "changes"])
    with pytest.raises(CommitSourceError, match="other than a changes object"):
        fetch_changes(httpserver.url_for("/"), "1", TeamCityAuth(basic=("u", "p")))


def test_the_list_is_capped_with_a_warning(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = serve(httpserver, ChangesApi(7))
    with caplog.at_level(logging.WARNING, logger="octoci"):
        commits = fetch_changes(url, "4242", TeamCityAuth(basic=("u", "p")), page_size=3, limit=5)
    assert len(commits) == 5
    assert "more than 5 changes" in caplog.text


def test_an_access_token_uses_bearer_and_the_plain_rest_root(httpserver: HTTPServer) -> None:
    seen: list[str | None] = []

    def handler(request: Request) -> Response:
        seen.append(request.headers.get("Authorization"))
        return Response(
            json.dumps({"count": 1, "change": [change(1)]}), content_type="application/json"
        )

    httpserver.expect_request("/app/rest/changes").respond_with_handler(handler)
    commits = fetch_changes(httpserver.url_for("/"), "9", TeamCityAuth(token="tc-token-abcdef"))
    assert len(commits) == 1
    assert seen == ["Bearer tc-token-abcdef"]


# ---------------------------------------------------------------------- octoci info end to end
def pointed_at(env: dict[str, str], url: str) -> dict[str, str]:
    """The recording with ``teamcity.serverUrl`` in its configuration file set to ``url``."""
    build_file = Path(env["TEAMCITY_BUILD_PROPERTIES_FILE"])
    config = build_file.parent / "teamcity.config4181624525744010935.properties"
    escaped = url.replace(":", "\\:")
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("https\\://teamcity.acme.example", escaped), encoding="utf-8")
    return {**env, "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}


def test_info_json_includes_the_commits_from_teamcity(
    httpserver: HTTPServer,
    ci_env: EnvFactory,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    api = ChangesApi(3)
    url = serve(httpserver, api)
    result = run_cli(
        "info", "--json", env=pointed_at(ci_env("teamcity", "push"), url), cwd=tmp_path
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "teamcity"
    build = data["BuildInformation"]
    assert build["BuildEnvironment"] == "TeamCity"
    assert build["Branch"] == "main"
    assert build["Commits"] == [
        {"Id": f"{n:040x}", "Comment": f"Change {n}\n\nBody of change {n}"} for n in (3, 2, 1)
    ]
    assert api.auth == [BASIC]
    assert PASSWORD not in result.stdout + result.stderr


def test_info_falls_back_to_git_with_one_warning_and_strict_fails(
    httpserver: HTTPServer,
    ci_env: EnvFactory,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
) -> None:
    repo = git_repo(["first", "second"])
    url = serve(httpserver, ChangesApi(3, fail_start=0, status=403))
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    env = pointed_at(ci_env("teamcity", "pull_request", BUILD_VCS_NUMBER=head), url)
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    # A WARNING message of TeamCity's (octoci's warnings go through the adapter).
    warnings = [line for line in result.stderr.splitlines() if "status='WARNING'" in line]
    assert len(warnings) == 1
    assert "HTTP 403" in warnings[0]
    assert [c["Comment"] for c in json.loads(result.stdout)["BuildInformation"]["Commits"]] == [
        "second",
        "first",
    ]
    strict = run_cli("info", "--json", "--strict", env=env, cwd=repo)
    assert strict.exit_code == 1
    assert "HTTP 403" in strict.stderr
    assert PASSWORD not in strict.stdout + strict.stderr + result.stderr


SHA = "9f1c2e0d7b4a5c6e8f9012a3b4c5d6e7f8091a2b"
NO_EXTRA = {
    "PullRequestNumber": "",
    "SourceBranch": "",
    "TargetBranch": "",
    "Tag": "",
    "HeadCommit": "",
    "JobName": "Shop / Build",
}
INFO_JSON = {
    "push": (
        "4242",
        {
            "BuildNumber": "128",
            "BuildUrl": "https://teamcity.acme.example/build/4242",
            "Branch": "main",
            "VcsCommitNumber": SHA,
        },
        NO_EXTRA,
    ),
    "pull_request": (
        "4250",
        {
            "BuildNumber": "131",
            # No BUILD_URL on this agent: built on the (local) server URL, with the build id.
            "BuildUrl": "{server}/viewLog.html?buildId=4250",
            "Branch": "feature/login",
            "VcsCommitNumber": "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f",
        },
        {
            **NO_EXTRA,
            "PullRequestNumber": "7",
            "SourceBranch": "feature/login",
            "TargetBranch": "main",
            "HeadCommit": "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f",
        },
    ),
    "tag": (
        "4261",
        {
            "BuildNumber": "135",
            "BuildUrl": "https://teamcity.acme.example/build/4261",
            "Branch": "v1.4.0",
            "VcsCommitNumber": "5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081",
        },
        {**NO_EXTRA, "Tag": "v1.4.0"},
    ),
    "credentials_in_url": (
        "4270",
        {
            "BuildNumber": "140",
            "BuildUrl": "{server}/viewLog.html?buildId=4270",
            "Branch": "main",
            "VcsCommitNumber": SHA,
        },
        NO_EXTRA,
    ),
}


@pytest.mark.parametrize("variant", sorted(INFO_JSON))
def test_info_json_of_every_recording(
    httpserver: HTTPServer,
    ci_env: EnvFactory,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    variant: str,
) -> None:
    build_id, fields, extra = INFO_JSON[variant]
    api = ChangesApi(2)
    url = serve(httpserver, api)
    result = run_cli(
        "info", "--json", env=pointed_at(ci_env("teamcity", variant), url), cwd=tmp_path
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    expected_build = {
        "BuildEnvironment": "TeamCity",
        "VcsType": "Git",
        "VcsRoot": "https://github.com/acme/shop",
        **{k: v.replace("{server}", url) for k, v in fields.items()},
        "Commits": [
            {"Id": f"{n:040x}", "Comment": f"Change {n}\n\nBody of change {n}"} for n in (2, 1)
        ],
    }
    assert json.loads(result.stdout) == {
        "Server": "teamcity",
        "BuildInformation": {
            k: expected_build[k]
            for k in (
                "BuildEnvironment",
                "BuildNumber",
                "BuildUrl",
                "Branch",
                "VcsType",
                "VcsRoot",
                "VcsCommitNumber",
                "Commits",
            )
        },
        "Extra": extra,
    }
    assert httpserver.log[0][0].args["locator"] == f"build:(id:{build_id}),count:1000,start:0"
    assert PASSWORD not in result.stdout
    assert "ghp_T0kenInUrl42" not in result.stdout  # the token in the remote URL
