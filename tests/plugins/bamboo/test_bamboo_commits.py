"""Bamboo's results API through atlassian-python-api's ``Bamboo`` client, against a local server
answering as Bamboo does (``result/{plan}-{n}?expand=changes.change.files``), and ``octoci info``
end to end."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from atlassian import Bamboo
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from octoci.testing import CliResult
from octoci_plugins._http import CommitSourceError
from octoci_plugins.bamboo.commits import BambooAuth, changes_of_result, fetch_result_changes

EnvFactory = Callable[..., dict[str, str]]
TOKEN = "NjQ5MTc0ODk2NzQ2OkbambooPAT9xQ"
PASSWORD = "Zp8wQk3vN5tR2mXy-bamboo"
RESULT_PATH = "/rest/api/latest/result/SHOP-BUILD-28"
SHA = "9f1c2e0d7b4a5c6e8f9012a3b4c5d6e7f8091a2b"
CONFIG_SHA = "77aa88bb99cc00dd11ee22ff33aa44bb55cc66dd"


def change(changeset: str, comment: str, user: str = "jdoe") -> dict[str, Any]:
    return {
        "author": user,
        "userName": user,
        "fullName": user.title(),
        "changesetId": changeset,
        "comment": comment,
        "commitUrl": f"https://bitbucket.acme.example/projects/SHOP/repos/shop/commits/{changeset}",
        "date": "2026-11-27T05:01:02.000Z",
        "files": {"size": 1, "file": [{"name": "README.md", "revision": changeset}]},
    }


#: Changes of both plan repositories, newest first, as Bamboo lists them.
CHANGES = [
    change(SHA, "Add the basket page\n\nCloses SHOP-12\n"),
    change(CONFIG_SHA, "Raise the basket limit", "ops"),
    change("4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70", "Fix the header"),
]


def plan_result(changes: list[dict[str, Any]], *, size: int | None = None) -> dict[str, Any]:
    return {
        "expand": "changes,metadata,artifacts,comments,labels,jiraIssues,stages",
        "link": {"href": "http://bamboo/rest/api/latest/result/SHOP-BUILD-28", "rel": "self"},
        "planName": "Build",
        "projectName": "Shop",
        "buildResultKey": "SHOP-BUILD-28",
        "key": "SHOP-BUILD-28",
        "planResultKey": {"key": "SHOP-BUILD-28", "resultNumber": 28},
        "lifeCycleState": "InProgress",
        "buildNumber": 28,
        "vcsRevisionKey": SHA,
        "vcsRevisions": {
            "size": 2,
            "vcsRevision": [
                {"repositoryId": 1, "repositoryName": "shop", "vcsRevisionKey": SHA},
                {"repositoryId": 2, "repositoryName": "shop-config", "vcsRevisionKey": CONFIG_SHA},
            ],
        },
        "changes": {
            "size": len(changes) if size is None else size,
            "expand": "change",
            "change": changes,
            "start-index": 0,
            "max-result": len(changes),
        },
    }


class ResultsApi:
    """Answers ``result/SHOP-BUILD-28`` like Bamboo and records what it was asked."""

    def __init__(self, body: Any, status: int = 200) -> None:
        self.body = body
        self.status = status
        self.requests: list[tuple[dict[str, str], str | None, str | None]] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(
            (
                dict(request.args),
                request.headers.get("Authorization"),
                request.headers.get("User-Agent"),
            )
        )
        if self.status != 200:
            return Response(
                json.dumps({"message": "denied", "status-code": self.status}),
                status=self.status,
                content_type="application/json",
            )
        return Response(json.dumps(self.body), content_type="application/json")


def serve(httpserver: HTTPServer, api: ResultsApi) -> str:
    httpserver.expect_request(RESULT_PATH).respond_with_handler(api)
    return httpserver.url_for("/").rstrip("/")


def test_changes_of_every_repository_with_a_token(httpserver: HTTPServer) -> None:
    api = ResultsApi(plan_result(CHANGES))
    commits = fetch_result_changes(
        Bamboo, serve(httpserver, api), "SHOP-BUILD-28", BambooAuth(token=TOKEN)
    )
    assert [c.id for c in commits] == [SHA, CONFIG_SHA, "4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70"]
    assert commits[0].comment == "Add the basket page\n\nCloses SHOP-12"
    ((args, auth, agent),) = api.requests
    assert args["expand"] == "changes.change.files"
    assert auth == f"Bearer {TOKEN}"
    assert (agent or "").startswith("octoci/")


def test_a_user_and_password_use_basic_authentication(httpserver: HTTPServer) -> None:
    api = ResultsApi(plan_result(CHANGES[:1]))
    url = serve(httpserver, api)
    fetch_result_changes(Bamboo, url, "SHOP-BUILD-28", BambooAuth(user="ci", password=PASSWORD))
    expected = "Basic " + base64.b64encode(f"ci:{PASSWORD}".encode()).decode()
    assert api.requests[0][1] == expected


def test_a_rebuild_without_changes_has_an_empty_list(httpserver: HTTPServer) -> None:
    api = ResultsApi(plan_result([]))
    url = serve(httpserver, api)
    assert fetch_result_changes(Bamboo, url, "SHOP-BUILD-28", BambooAuth(token=TOKEN)) == []


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_credential_is_an_error_without_it(httpserver: HTTPServer, status: int) -> None:
    url = serve(httpserver, ResultsApi({}, status=status))
    with pytest.raises(CommitSourceError) as raised:
        fetch_result_changes(Bamboo, url, "SHOP-BUILD-28", BambooAuth(user="ci", password=PASSWORD))
    assert f"refused the credential (HTTP {status})" in str(raised.value)
    assert PASSWORD not in str(raised.value)
    assert PASSWORD not in repr(BambooAuth(user="ci", password=PASSWORD))


def test_an_unknown_result_and_a_server_error(httpserver: HTTPServer) -> None:
    url = serve(httpserver, ResultsApi({}, status=404))
    with pytest.raises(CommitSourceError, match=r"Bamboo answered HTTP 404"):
        fetch_result_changes(Bamboo, url, "SHOP-BUILD-28", BambooAuth(token=TOKEN))
    httpserver.clear()
    url = serve(httpserver, ResultsApi({}, status=500))
    with pytest.raises(CommitSourceError, match="HTTP 500"):
        fetch_result_changes(Bamboo, url, "SHOP-BUILD-28", BambooAuth(token=TOKEN), retries=1)


def test_a_transient_error_is_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(RESULT_PATH).respond_with_data("busy", status=503)
    url = serve(httpserver, ResultsApi(plan_result(CHANGES)))
    assert len(fetch_result_changes(Bamboo, url, "SHOP-BUILD-28", BambooAuth(token=TOKEN))) == 3
    assert len(httpserver.log) == 2


def test_an_html_error_page_gives_one_warning_line_and_nothing_else(
    ci_env: EnvFactory,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # atlassian-python-api logs its failure to parse an error page; that must not reach the log.
    httpserver.expect_request(RESULT_PATH).respond_with_data(
        "<html><body>Proxy error</body></html>", status=404, content_type="text/html"
    )
    env = ci_env(
        "bamboo", "push", OCTOCI_BAMBOO_URL=httpserver.url_for("/"), OCTOCI_BAMBOO_PASSWORD=TOKEN
    )
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert "HTTP 404" in lines[0]
    assert "Proxy error" not in result.stderr
    assert all(line.startswith("octoci: warning:") for line in lines)
    assert len(lines) == 2  # the API's, and git's "not a git repository"
    # Python would print the library's records unformatted on the real standard error.
    assert [r.getMessage() for r in caplog.records if r.name.startswith("atlassian")] == []


def test_not_a_plan_result_key() -> None:
    with pytest.raises(CommitSourceError, match="not a plan result key"):
        fetch_result_changes(Bamboo, "http://127.0.0.1:9", "SHOP-BUILD", BambooAuth(token=TOKEN))


def test_unreachable_bamboo() -> None:
    with pytest.raises(CommitSourceError, match="cannot reach Bamboo"):
        fetch_result_changes(
            Bamboo, "http://127.0.0.1:9", "SHOP-BUILD-28", BambooAuth(token=TOKEN), retries=0
        )


def test_a_cut_list_is_sent_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="octoci"):
        commits = changes_of_result(plan_result(CHANGES, size=40), key="SHOP-BUILD-28")
    assert len(commits) == 3
    assert "3 of the 40 changes" in caplog.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (["not", "a", "result"], "not a build result"),
        ({"key": "SHOP-BUILD-28"}, "has no 'changes'"),
        ({"changes": []}, "is not an object"),
        ({"changes": {"change": {"a": 1}}}, "is not a list"),
    ],
)
def test_answers_of_the_wrong_shape(body: Any, message: str) -> None:
    with pytest.raises(CommitSourceError, match=message):
        changes_of_result(body, key="SHOP-BUILD-28")


# ---------------------------------------------------------------------- end to end, via the CLI
def test_info_json_with_commits_from_the_api(
    ci_env: EnvFactory, httpserver: HTTPServer, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    api = ResultsApi(plan_result(CHANGES))
    env = ci_env(
        "bamboo",
        "push",
        OCTOCI_BAMBOO_URL=serve(httpserver, api),
        bamboo_OCTOCI_BAMBOO_PASSWORD=TOKEN,
    )
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "bamboo"
    assert data["BuildInformation"] == {
        "BuildEnvironment": "Bamboo",
        "BuildNumber": "28",
        "BuildUrl": "https://bamboo.acme.example/browse/SHOP-BUILD-28",
        "Branch": "main",
        "VcsType": "Git",
        "VcsRoot": "https://bitbucket.acme.example/scm/shop/shop",
        "VcsCommitNumber": SHA,
        "Commits": [
            {"Id": SHA, "Comment": "Add the basket page\n\nCloses SHOP-12"},
            {"Id": CONFIG_SHA, "Comment": "Raise the basket limit"},
            {"Id": "4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70", "Comment": "Fix the header"},
        ],
    }
    assert data["Extra"]["JobName"] == "Shop - Build"
    assert result.stderr == ""
    assert api.requests[0][1] == f"Bearer {TOKEN}"
    assert TOKEN not in result.stdout + result.stderr


def test_info_json_under_every_recording(
    ci_env: EnvFactory, httpserver: HTTPServer, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    keys = {"push": "SHOP-BUILD-28", "pull_request": "SHOP-BUILD7-3", "tag": "SHOP-BUILD-31"}
    for variant, key in keys.items():
        httpserver.clear()
        api = ResultsApi(plan_result(CHANGES[:1]))
        httpserver.expect_request(f"/rest/api/latest/result/{key}").respond_with_handler(api)
        env = ci_env(
            "bamboo",
            variant,
            OCTOCI_BAMBOO_URL=httpserver.url_for("/"),
            OCTOCI_BAMBOO_USER="ci",
            OCTOCI_BAMBOO_PASSWORD=PASSWORD,
        )
        result = run_cli("info", "--json", env=env, cwd=tmp_path)
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["BuildInformation"]["Commits"] == [
            {"Id": SHA, "Comment": "Add the basket page\n\nCloses SHOP-12"}
        ], variant
        assert len(api.requests) == 1, variant
        assert PASSWORD not in result.stdout + result.stderr


def test_info_json_falls_back_to_git_with_one_warning_when_bamboo_refuses(
    ci_env: EnvFactory,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["one", "two", "three"])
    first, head = (
        run_git(repo, "rev-list", "--max-parents=0", "HEAD"),
        run_git(repo, "rev-parse", "HEAD"),
    )
    env = ci_env(
        "bamboo",
        "push",
        OCTOCI_BAMBOO_URL=serve(httpserver, ResultsApi({}, status=401)),
        OCTOCI_BAMBOO_USER="ci",
        OCTOCI_BAMBOO_PASSWORD=PASSWORD,
        bamboo_planRepository_1_revision=head,
        bamboo_planRepository_1_previousRevision=first,
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    comments = [c["Comment"] for c in json.loads(result.stdout)["BuildInformation"]["Commits"]]
    assert comments == ["three", "two"]
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "refused the credential (HTTP 401)" in warnings[0]
    assert PASSWORD not in result.stdout + result.stderr

    strict = run_cli("info", "--json", "--strict", env=env, cwd=repo)
    assert strict.exit_code == 1
    assert "HTTP 401" in strict.stderr
    assert PASSWORD not in strict.stdout + strict.stderr


def test_info_json_without_a_credential_warns_what_to_configure(
    ci_env: EnvFactory,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["one", "two"])
    first, head = (
        run_git(repo, "rev-list", "--max-parents=0", "HEAD"),
        run_git(repo, "rev-parse", "HEAD"),
    )
    env = ci_env(
        "bamboo",
        "push",
        bamboo_planRepository_1_revision=head,
        bamboo_planRepository_1_previousRevision=first,
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert [c["Comment"] for c in json.loads(result.stdout)["BuildInformation"]["Commits"]] == [
        "two"
    ]
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "OCTOCI_BAMBOO_PASSWORD" in warnings[0]
