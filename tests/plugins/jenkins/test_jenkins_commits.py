"""Jenkins commits through python-jenkins against a local server answering as Jenkins does
(crumb issuer, build JSON with ``changeSets``/``changeSet`` and ``previousBuild``), walking back
to the last successful build; and ``octoci info`` end to end."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from octoci.testing import CliResult
from octoci_plugins._http import CommitSourceError
from octoci_plugins.jenkins import JenkinsServer

pytest.importorskip("jenkins")

TOKEN = "11aa22bb33cc44dd55ee66ff77"
BASIC = "Basic " + base64.b64encode(f"ci-bot:{TOKEN}".encode()).decode()
EnvFactory = Callable[..., dict[str, str]]


def item(sha: str, message: str) -> dict[str, Any]:
    return {
        "_class": "hudson.plugins.git.GitChangeSet",
        "affectedPaths": ["src/app.py"],
        "commitId": sha,
        "timestamp": 1795000000000,
        "author": {"absoluteUrl": "https://j.example/user/jdoe", "fullName": "Jane Doe"},
        "authorEmail": "jdoe@acme.example",
        "comment": message + "\n",
        "date": "2026-11-26 10:00:00 +0000",
        "id": sha,
        "msg": message.splitlines()[0],
        "paths": [{"editType": "edit", "file": "src/app.py"}],
    }


def build(
    number: int, result: str | None, items: list[dict[str, Any]], *, freestyle: bool = False
) -> dict[str, Any]:
    changes = {"_class": "hudson.plugins.git.GitChangeSetList", "items": items, "kind": "git"}
    body: dict[str, Any] = {
        "_class": "hudson.model.FreeStyleBuild"
        if freestyle
        else "org.jenkinsci.plugins.workflow.job.WorkflowRun",
        "actions": [{"_class": "hudson.model.CauseAction"}],
        "artifacts": [],
        "building": result is None,
        "displayName": f"#{number}",
        "id": str(number),
        "number": number,
        "result": result,
        "changeSets": [changes],
        "nextBuild": None,
        "previousBuild": {"number": number - 1, "url": f"https://j.example/{number - 1}/"}
        if number > 1
        else None,
    }
    if freestyle:
        body["changeSet"] = changes  # freestyle builds export both; commits appear once
    return body


def sha(n: int) -> str:
    return f"{n:040x}"


class JenkinsApi:
    """Build JSON of one job at ``/job/.../<n>/api/json``, plus the crumb issuer."""

    def __init__(self, httpserver: HTTPServer, job_path: str, builds: dict[int, Any]) -> None:
        self.auth: list[str | None] = []
        self.requested: list[int] = []
        httpserver.expect_request("/crumbIssuer/api/json").respond_with_json(
            {
                "_class": "hudson.security.csrf.DefaultCrumbIssuer",
                "crumb": "0f3c9d",
                "crumbRequestField": "Jenkins-Crumb",
            }
        )
        for number, body in builds.items():
            httpserver.expect_request(
                f"{job_path}{number}/api/json", query_string="depth=0"
            ).respond_with_handler(self.handler(number, body))

    def handler(self, number: int, body: Any) -> Callable[[Request], Response]:
        def respond(request: Request) -> Response:
            self.auth.append(request.headers.get("Authorization"))
            self.requested.append(number)
            if isinstance(body, int):
                return Response("<html>Error</html>", status=body)
            return Response(json.dumps(body), content_type="application/json")

        return respond


def server_for(env: dict[str, str]) -> JenkinsServer:
    return JenkinsServer(env, __import__("io").StringIO())


def jenkins_env(ci_env: EnvFactory, variant: str, url: str, **extra: str) -> dict[str, str]:
    return ci_env(
        "jenkins",
        variant,
        JENKINS_URL=url,
        JENKINS_USER_ID="ci-bot",
        JENKINS_API_TOKEN=TOKEN,
        **extra,
    )


def test_walks_back_to_the_last_successful_build(
    httpserver: HTTPServer, ci_env: EnvFactory
) -> None:
    api = JenkinsApi(
        httpserver,
        "/job/shop/",
        {
            57: build(
                57, None, [item(sha(6), "Six"), item(sha(7), "Seven\n\nbody")], freestyle=True
            ),
            56: build(56, "FAILURE", [item(sha(5), "Five")], freestyle=True),
            55: build(55, "ABORTED", [item(sha(3), "Three"), item(sha(4), "Four")], freestyle=True),
            54: build(54, "SUCCESS", [item(sha(2), "Two")], freestyle=True),
        },
    )
    env = jenkins_env(ci_env, "push", httpserver.url_for("/"))
    server = server_for(env)
    commits = server.commits(server.build_information())
    assert commits is not None
    # Newest first; duplicates from changeSet + changeSets are removed by the core's normaliser.
    ids = list(dict.fromkeys(c.id for c in commits))
    assert ids == [sha(7), sha(6), sha(5), sha(4), sha(3)]
    assert commits[0].comment == "Seven\n\nbody"  # the full message, not msg's first line
    assert api.requested == [57, 56, 55, 54]
    assert set(api.auth) == {BASIC}


def test_unstable_counts_as_successful(httpserver: HTTPServer, ci_env: EnvFactory) -> None:
    JenkinsApi(
        httpserver,
        "/job/acme/job/shop/job/PR-7/",
        {3: build(3, None, [item(sha(9), "Nine")]), 2: build(2, "UNSTABLE", [item(sha(8), "E")])},
    )
    server = server_for(jenkins_env(ci_env, "pull_request", httpserver.url_for("/")))
    assert [c.id for c in server.commits(server.build_information()) or []] == [sha(9)]


def test_folder_job_with_an_encoded_branch_name(httpserver: HTTPServer, ci_env: EnvFactory) -> None:
    # JOB_NAME "acme/shop/feature%2Flogin" lives at /job/acme/job/shop/job/feature%252Flogin/.
    api = JenkinsApi(
        httpserver,
        "/job/acme/job/shop/job/feature%2Flogin/",
        {12: build(12, None, [item(sha(1), "One")]), 11: build(11, "SUCCESS", [])},
    )
    server = server_for(jenkins_env(ci_env, "credentials_in_url", httpserver.url_for("/")))
    assert [c.id for c in server.commits(server.build_information()) or []] == [sha(1)]
    assert api.requested == [12, 11]


def test_first_build_of_a_job_has_no_previous(httpserver: HTTPServer, ci_env: EnvFactory) -> None:
    JenkinsApi(
        httpserver, "/job/acme/job/shop/job/v1.4.0/", {1: build(1, None, [item(sha(4), "F")])}
    )
    server = server_for(jenkins_env(ci_env, "tag", httpserver.url_for("/")))
    assert [c.id for c in server.commits(server.build_information()) or []] == [sha(4)]


def test_a_refused_token_is_an_error_without_the_token(
    httpserver: HTTPServer, ci_env: EnvFactory
) -> None:
    JenkinsApi(httpserver, "/job/shop/", {57: 401})
    server = server_for(jenkins_env(ci_env, "push", httpserver.url_for("/")))
    with pytest.raises(CommitSourceError) as raised:
        server.commits(server.build_information())
    message = str(raised.value)
    assert "refused the credential (HTTP 401)" in message
    assert "JENKINS_API_TOKEN" in message
    assert TOKEN not in message
    assert "\n" not in message


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_retried(httpserver: HTTPServer, ci_env: EnvFactory, status: int) -> None:
    api = JenkinsApi(httpserver, "/job/shop/", {})
    httpserver.expect_oneshot_request("/job/shop/57/api/json").respond_with_data(
        "<html>oops</html>", status=status
    )
    httpserver.expect_request("/job/shop/57/api/json").respond_with_handler(
        api.handler(57, build(57, None, [item(sha(1), "One")]) | {"previousBuild": None})
    )
    server = server_for(jenkins_env(ci_env, "push", httpserver.url_for("/")))
    assert [c.id for c in server.commits(server.build_information()) or []] == [sha(1)]


def test_an_earlier_build_failing_keeps_what_was_read(
    httpserver: HTTPServer, ci_env: EnvFactory, caplog: pytest.LogCaptureFixture
) -> None:
    JenkinsApi(
        httpserver,
        "/job/shop/",
        {57: build(57, None, [item(sha(2), "Two")]), 56: 404},
    )
    server = server_for(jenkins_env(ci_env, "push", httpserver.url_for("/")))
    with caplog.at_level(logging.WARNING, logger="octoci"):
        commits = server.commits(server.build_information())
    assert [c.id for c in commits or []] == [sha(2)]
    assert "build #56" in caplog.text
    assert "no such build (HTTP 404)" in caplog.text
    assert "incomplete" in caplog.text


def test_the_walk_back_is_bounded(
    httpserver: HTTPServer,
    ci_env: EnvFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from octoci_plugins.jenkins import commits as commits_module

    monkeypatch.setattr(commits_module, "MAX_BUILDS", 2)
    builds = {
        n: build(n, None if n == 57 else "FAILURE", [item(sha(n), str(n))]) for n in range(50, 58)
    }
    api = JenkinsApi(httpserver, "/job/shop/", builds)
    server = server_for(jenkins_env(ci_env, "push", httpserver.url_for("/")))
    with caplog.at_level(logging.WARNING, logger="octoci"):
        commits = server.commits(server.build_information())
    assert [c.comment for c in commits or []] == ["57", "56", "55"]
    assert api.requested == [57, 56, 55]
    assert "stopped after 2 unsuccessful builds" in caplog.text


def test_credentials_in_the_jenkins_url_are_used_and_hidden(
    httpserver: HTTPServer, ci_env: EnvFactory
) -> None:
    api = JenkinsApi(
        httpserver,
        "/job/shop/",
        {57: build(57, None, [item(sha(1), "One")]) | {"previousBuild": None}},
    )
    url = httpserver.url_for("/").replace("://", f"://ci-bot:{TOKEN}@")
    server = server_for(ci_env("jenkins", "push", JENKINS_URL=url))
    assert [c.id for c in server.commits(server.build_information()) or []] == [sha(1)]
    assert set(api.auth) == {BASIC}


def test_without_a_token_git_is_used_with_one_warning(
    ci_env: EnvFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server = server_for(ci_env("jenkins", "push"))
    with caplog.at_level(logging.WARNING, logger="octoci"):
        assert server.commits(server.build_information()) is None
    (record,) = caplog.records
    assert "JENKINS_USER_ID and JENKINS_API_TOKEN" in record.getMessage()


# ---------------------------------------------------------------------- octoci info end to end
def head_of(repo: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_info_json_includes_the_commits_from_jenkins(
    httpserver: HTTPServer,
    ci_env: EnvFactory,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    JenkinsApi(
        httpserver,
        "/job/acme/job/shop/job/PR-7/",
        {
            3: build(3, None, [item(sha(3), "Three")]),
            2: build(2, "FAILURE", [item(sha(2), "Two\n\nWhy")]),
            1: build(1, "SUCCESS", [item(sha(1), "One")]),
        },
    )
    env = jenkins_env(
        ci_env, "pull_request", httpserver.url_for("/"), OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1"
    )
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "jenkins"
    assert data["BuildInformation"]["Branch"] == "feature/login"
    assert data["BuildInformation"]["Commits"] == [
        {"Id": sha(3), "Comment": "Three"},
        {"Id": sha(2), "Comment": "Two\n\nWhy"},
    ]
    assert data["Extra"]["PullRequestNumber"] == "7"
    assert TOKEN not in result.stdout + result.stderr


@pytest.mark.slow
def test_info_falls_back_to_git_over_the_previous_successful_commit(
    httpserver: HTTPServer,
    ci_env: EnvFactory,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
) -> None:
    repo = git_repo(["first", "second", "third"])
    previous = subprocess.run(
        ["git", "rev-parse", "HEAD~2"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    JenkinsApi(httpserver, "/job/shop/", {57: 503})
    env = jenkins_env(
        ci_env,
        "push",
        httpserver.url_for("/"),
        GIT_COMMIT=head_of(repo),
        GIT_PREVIOUS_SUCCESSFUL_COMMIT=previous,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1, warnings
    assert "Jenkins" in warnings[0]
    commits = json.loads(result.stdout)["BuildInformation"]["Commits"]
    assert [c["Comment"] for c in commits] == ["third", "second"]
    strict = run_cli("info", "--json", "--strict", env=env, cwd=repo)
    assert strict.exit_code == 1
    assert TOKEN not in strict.stderr + result.stderr


JOBS = {
    "push": ("/job/shop/", 57),
    "pull_request": ("/job/acme/job/shop/job/PR-7/", 3),
    "tag": ("/job/acme/job/shop/job/v1.4.0/", 1),
    "credentials_in_url": ("/job/acme/job/shop/job/feature%2Flogin/", 12),
}
EXPECTED_JSON = {
    "push": (
        {
            "BuildNumber": "57",
            "Branch": "main",
            "BuildUrl": "https://jenkins.acme.example/job/shop/57/",
        },
        {"JobName": "shop"},
    ),
    "pull_request": (
        {
            "BuildNumber": "3",
            "Branch": "feature/login",
            "VcsCommitNumber": "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b",
        },
        {
            "PullRequestNumber": "7",
            "SourceBranch": "feature/login",
            "TargetBranch": "main",
            "JobName": "acme/shop/PR-7",
        },
    ),
    "tag": (
        {
            "BuildNumber": "1",
            "Branch": "v1.4.0",
            "VcsCommitNumber": "5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081",
        },
        {"Tag": "v1.4.0", "JobName": "acme/shop/v1.4.0"},
    ),
    "credentials_in_url": (
        {
            "BuildNumber": "12",
            "Branch": "feature/login",
            "BuildUrl": "https://jenkins.acme.example/job/acme/job/shop/job/feature%252Flogin/12/",
        },
        {"JobName": "acme/shop/feature%2Flogin"},
    ),
}


@pytest.mark.parametrize("variant", sorted(JOBS))
def test_info_json_of_every_recording(
    httpserver: HTTPServer,
    ci_env: EnvFactory,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    variant: str,
) -> None:
    path, number = JOBS[variant]
    builds = {number: build(number, None, [item(sha(2), "Two"), item(sha(3), "Three")])}
    if number > 1:
        builds[number - 1] = build(number - 1, "SUCCESS", [item(sha(1), "One")])
    JenkinsApi(httpserver, path, builds)
    env = jenkins_env(ci_env, variant, httpserver.url_for("/"), OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1")
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data["Server"] == "jenkins"
    fields, extra = EXPECTED_JSON[variant]
    build_info = data["BuildInformation"]
    assert build_info["BuildEnvironment"] == "Jenkins"
    assert build_info["VcsType"] == "Git"
    assert build_info["VcsRoot"] == "https://github.com/acme/shop"
    for key, value in fields.items():
        assert build_info[key] == value, key
    for key, value in extra.items():
        assert data["Extra"][key] == value, key
    assert build_info["Commits"] == [
        {"Id": sha(3), "Comment": "Three"},
        {"Id": sha(2), "Comment": "Two"},
    ]
    assert TOKEN not in result.stdout
    assert "ghp_T0kenInUrl42" not in result.stdout  # the token in the remote URL
