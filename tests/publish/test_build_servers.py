"""``octoci publish`` under every recorded build server: each phase is a log group in that server's
protocol, and the outputs and the summary arrive where that server reads them - read back with
``parse_ci_output`` or from the files the server hands to later steps."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from octoci.testing import CIMessage, CliResult, parse_ci_output, run_octoci
from octoci_emulator import Emulator

CiEnv = Callable[..., dict[str, str]]
VERSION = "2.4.0"


def _messages(result: CliResult) -> list[CIMessage]:
    return parse_ci_output(result.stdout)


def _github_outputs(result: CliResult, env: dict[str, str]) -> dict[str, str]:
    # name<<delimiter / value / delimiter blocks, as the runner reads $GITHUB_OUTPUT.
    text = Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    blocks = re.findall(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", text, flags=re.MULTILINE | re.DOTALL)
    return {name: value for name, _, value in blocks}


def _github_summary(result: CliResult, env: dict[str, str]) -> str:
    return Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")


def _azure_outputs(result: CliResult, env: dict[str, str]) -> dict[str, str]:
    return {
        m.properties["variable"]: m.value
        for m in _messages(result)
        if m.name == "task.setvariable" and m.properties.get("isoutput") == "true"
    }


def _azure_summary(result: CliResult, env: dict[str, str]) -> str:
    (upload,) = [m for m in _messages(result) if m.name == "task.uploadsummary"]
    return Path(upload.value).read_text(encoding="utf-8")


def _named(
    command: str, key: str = "name"
) -> Callable[[CliResult, dict[str, str]], dict[str, str]]:
    def read(result: CliResult, env: dict[str, str]) -> dict[str, str]:
        return {
            m.properties[key]: m.properties["value"] for m in _messages(result) if m.name == command
        }

    return read


def _log_summary(result: CliResult, env: dict[str, str]) -> str:
    return "\n".join(m.value for m in _messages(result) if m.protocol == "text")


def _dotenv(result: CliResult, env: dict[str, str]) -> dict[str, str]:
    text = (Path(env["CI_PROJECT_DIR"]) / "octoci.env").read_text(encoding="utf-8")
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def _bash_env(result: CliResult, env: dict[str, str]) -> dict[str, str]:
    values = {}
    for line in Path(env["BASH_ENV"]).read_text(encoding="utf-8").splitlines():
        words = shlex.split(line)
        if words[:1] == ["export"] and "=" in words[1]:
            name, value = words[1].split("=", 1)
            values[name] = value
    return values


def _output_file(result: CliResult, env: dict[str, str]) -> dict[str, str]:
    data: dict[str, str] = json.loads(Path(env["OCTOCI_OUTPUT_FILE"]).read_text(encoding="utf-8"))
    return data


def _jenkins_summary(result: CliResult, env: dict[str, str]) -> str:
    return (
        Path(env["OCTOCI_OUTPUT_FILE"]).with_name("octoci-summary.md").read_text(encoding="utf-8")
    )


#: server -> (log-group command, read the outputs, read the summary)
SERVERS: dict[str, tuple[str, Callable[..., dict[str, str]], Callable[..., str]]] = {
    "github_actions": ("group", _github_outputs, _github_summary),
    "azure_devops": ("group", _azure_outputs, _azure_summary),
    "teamcity": ("blockOpened", _named("setParameter"), _log_summary),
    "gitlab_ci": ("section_start", _dotenv, _log_summary),
    "continua_ci": ("startGroup", _named("setBuildVariable"), _log_summary),
    "jenkins": ("text", _output_file, _jenkins_summary),
    "circleci": ("text", _bash_env, _log_summary),
    "bamboo": ("text", _output_file, _log_summary),
    "bitbucket_pipelines": ("text", _output_file, _log_summary),
}


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_publish_writes_groups_outputs_and_summary_the_servers_way(
    server: str, octopus_emulator: Emulator, ci_env: CiEnv, sample_repo: Path, tmp_path: Path
) -> None:
    group, read_outputs, read_summary = SERVERS[server]
    env = ci_env(
        server,
        "push",
        OCTOPUS_URL=octopus_emulator.url,
        OCTOPUS_API_KEY=octopus_emulator.api_key,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
        OCTOCI_OUTPUT_FILE=str(tmp_path / "outputs" / "octoci-outputs.json"),
    )
    result = run_octoci("publish", "--version", VERSION, "--no-commits", env=env, cwd=sample_repo)
    assert result.exit_code == 0, result.stderr
    messages = _messages(result)
    if group == "text":
        titles = [m.value for m in messages if m.protocol == "text" and "] " in m.value]
    else:
        titles = [m.value or m.properties.get("name", "") for m in messages if m.name == group]
    phases = [t for t in titles if re.search(r"\[\d/4\]", t)]
    assert len(phases) == 4, titles  # pack and push, build-info, release, deploy
    outputs = read_outputs(result, env)
    assert outputs["release_version"] == VERSION
    assert outputs["package_ids"] == "Acme.Web,Acme.Api"
    assert outputs["deployment_states"] == "Dev=Success"
    assert outputs["server_task_ids"].startswith("ServerTasks-")
    summary = read_summary(result, env)
    assert f"| Acme.Web | {VERSION} |" in summary
    assert "| Success |" in summary
    assert result.leaks(octopus_emulator.api_key) == []
    # The build server's own build information reached Octopus.
    (record, _) = octopus_emulator.documents("buildinfo")
    assert record["BuildEnvironment"] not in ("", "Local")


def test_publish_on_appveyor_sets_build_variables_through_the_worker_api(
    octopus_emulator: Emulator, ci_env: CiEnv, sample_repo: Path, httpserver: HTTPServer
) -> None:
    variables: dict[str, str] = {}
    messages: list[str] = []

    def variable(request: Request) -> Response:
        body = request.get_json()
        variables[body["name"]] = body["value"]
        return Response("", status=204)

    def message(request: Request) -> Response:
        messages.append(request.get_json()["message"])
        return Response("", status=204)

    httpserver.expect_request("/api/build/variables", method="POST").respond_with_handler(variable)
    httpserver.expect_request("/api/build/messages", method="POST").respond_with_handler(message)
    env = ci_env(
        "appveyor",
        "push",
        APPVEYOR_API_URL=httpserver.url_for("/"),
        OCTOPUS_URL=octopus_emulator.url,
        OCTOPUS_API_KEY=octopus_emulator.api_key,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_octoci("publish", "--version", VERSION, "--no-commits", env=env, cwd=sample_repo)
    assert result.exit_code == 0, result.stderr
    assert variables["release_version"] == VERSION
    assert variables["deployment_states"] == "Dev=Success"
    # The summary's headline becomes a build message; the whole summary is in the log.
    assert messages
    assert f"| Acme.Web | {VERSION} |" in result.stdout


def test_json_keeps_stdout_for_the_document_and_still_sets_outputs(
    octopus_emulator: Emulator, ci_env: CiEnv, sample_repo: Path
) -> None:
    env = ci_env(
        "github_actions",
        "push",
        OCTOPUS_URL=octopus_emulator.url,
        OCTOPUS_API_KEY=octopus_emulator.api_key,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_octoci(
        "publish", "--version", VERSION, "--no-commits", "--json", env=env, cwd=sample_repo
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["Release"]["Version"] == VERSION
    assert [d["State"] for d in document["Deployments"]] == ["Success"]
    assert "::group::[1/4] Packing and pushing 2 packages" in result.stderr
    assert _github_outputs(result, env)["release_version"] == VERSION
