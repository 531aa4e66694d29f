"""A failing deployment on each of the ten build servers shows up in that server's failure form:
``octoci publish`` under the server's recorded environment, against the emulator over real HTTP,
with the deployment to Test seeded to fail, read back through ``octoci.testing``'s parsers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from octoci.testing import CIMessage, CliResult, parse_appveyor_calls, parse_ci_output, run_octoci
from octoci.testing import emulator as emulator_fixtures
from octoci_emulator import Emulator

octopus_emulator = emulator_fixtures.octopus_emulator

SERVERS = [
    "github_actions",
    "azure_devops",
    "teamcity",
    "appveyor",
    "continua_ci",
    "gitlab_ci",
    "jenkins",
    "bamboo",
    "bitbucket_pipelines",
    "circleci",
]
#: The servers without a failure form of their own: the plain error line (spec: exit code only).
PLAIN = {"gitlab_ci", "jenkins", "bamboo", "bitbucket_pipelines", "circleci"}

STATUS = "Released Shop 1.2.3; Dev: Success, Test: Failed"
ERROR_TITLE = "octoci: a deployment or runbook run failed"


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return {
        "tasks": {
            "queued_seconds": 0.0,
            "executing_seconds": 0.02,
            "outcomes": [
                {"environment": "Test", "state": "Failed", "error": "Step 'Deploy' failed"}
            ],
        },
        "environments": ["Dev", "Test"],
        "lifecycles": [{"name": "Flat", "phases": [{"name": "All", "optional": ["Dev", "Test"]}]}],
        "projects": [{"name": "Shop", "lifecycle": "Flat", "packages": ["Acme.Web"]}],
    }


class WorkerApi:
    """AppVeyor's build worker API, recording each call (messages, variables, artifacts)."""

    def __init__(self, httpserver: HTTPServer) -> None:
        self.url = httpserver.url_for("/")
        self.calls: list[tuple[str, Any]] = []
        httpserver.expect_request("/upload").respond_with_data("")
        httpserver.expect_request("/api/artifacts", method="PUT").respond_with_data("")
        httpserver.expect_request("/api/artifacts").respond_with_handler(self.artifact)
        for path in ("messages", "compilationmessages", "variables"):
            httpserver.expect_request(f"/api/build/{path}").respond_with_handler(self.record)

    def record(self, request: Request) -> Response:
        self.calls.append((request.path, request.get_json()))
        return Response("", status=204)

    def artifact(self, request: Request) -> Response:
        self.calls.append((request.path, request.get_json()))
        return Response(json.dumps(self.url + "upload"), content_type="application/json")

    def messages(self) -> list[CIMessage]:
        return parse_appveyor_calls(self.calls)


@pytest.fixture
def failing_publish(
    octopus_emulator: Emulator,
    ci_env: Callable[..., dict[str, str]],
    tmp_path: Path,
    httpserver: HTTPServer,
) -> Callable[[str], tuple[CliResult, WorkerApi]]:
    """``octoci publish`` of Acme.Web 1.2.3 to Dev and Test (which fails) under ``server``."""

    def run(server: str) -> tuple[CliResult, WorkerApi]:
        worker = WorkerApi(httpserver)
        work = tmp_path / "work"
        (work / "dist").mkdir(parents=True)
        (work / "dist" / "index.html").write_text("<h1>Shop</h1>\n", encoding="utf-8")
        env = ci_env(server, "push")
        env.update(
            OCTOPUS_URL=octopus_emulator.url,
            OCTOPUS_API_KEY=octopus_emulator.api_key,
            OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
            OCTOCI_RETRY_BUDGET="5",
        )
        if server == "appveyor":
            env["APPVEYOR_API_URL"] = worker.url
        result = run_octoci(
            "publish", "--project", "Shop", "--package-id", "Acme.Web", "--version", "1.2.3",
            "--base-path", "dist", "--deploy-to", "Dev", "--deploy-to", "Test", "--wait",
            "--poll-interval", "0.05", "--no-commits", "--out-folder", "out",
            env=env, cwd=work,
        )  # fmt: skip
        return result, worker

    return run


def _protocol(messages: list[CIMessage], *names: str) -> list[CIMessage]:
    return [m for m in messages if m.protocol != "text" and m.name in names]


@pytest.mark.parametrize("server", SERVERS)
def test_a_failed_deployment_speaks_the_servers_failure_language(
    server: str, failing_publish: Callable[[str], tuple[CliResult, WorkerApi]]
) -> None:
    result, worker = failing_publish(server)
    assert result.exit_code == 3, result.stderr
    log = parse_ci_output(result.stdout + result.stderr)
    plain = [m.value for m in log if m.protocol == "text" and m.value.startswith("octoci: error:")]
    if server == "github_actions":
        (error,) = _protocol(log, "error")
        assert error.properties == {"title": ERROR_TITLE}
        assert "ended Failed: Step 'Deploy' failed" in error.value
        assert plain == []  # the annotation is the one line
    elif server == "azure_devops":
        (issue,) = _protocol(log, "task.logissue")
        assert issue.properties == {"type": "error"}
        assert "ended Failed" in issue.value
        (complete,) = _protocol(log, "task.complete")
        assert (complete.properties, complete.value) == ({"result": "Failed"}, STATUS)
        assert plain == []
    elif server == "teamcity":
        (problem,) = _protocol(log, "buildProblem")
        assert problem.properties["description"].startswith(f"{ERROR_TITLE}: ")
        assert "ended Failed" in problem.properties["description"]
        assert problem.properties["identity"] == "octoci-a-deployment-or-runbook-run-failed"
        (status,) = _protocol(log, "buildStatus")
        assert status.properties == {"text": f"{{build.status.text}}; {STATUS}"}
        assert plain == []
    elif server == "appveyor":
        errors = [m for m in worker.messages() if m.properties.get("category") == "error"]
        assert [m.value for m in errors][-1] == STATUS
        assert "ended Failed" in errors[0].value
        assert errors[0].properties["details"] == ERROR_TITLE
        assert len(plain) == 1  # AppVeyor's console shows no message: the plain line too
    elif server == "continua_ci":
        (error,) = [m for m in _protocol(log, "message") if m.properties["status"] == "error"]
        assert "ended Failed" in error.properties["value"]
        (status,) = _protocol(log, "setBuildStatus")
        assert status.properties == {"value": STATUS}
        assert plain == []
    else:
        assert server in PLAIN
        (line,) = plain
        assert "ended Failed: Step 'Deploy' failed" in line
        # No protocol line claims anything: the exit code fails the job.
        assert [m for m in log if m.protocol not in ("text", "gitlab")] == []
