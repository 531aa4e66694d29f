"""Packages as build artifacts: ``octoci push`` under each server's recorded environment against
the emulator, on by default where the server's own Octopus integration does it (TeamCity,
AppVeyor), off elsewhere, switched with ``publish_artifacts``; read back through the parsers."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from octoci.testing import CliResult, parse_appveyor_calls, parse_ci_output, run_octoci
from octoci.testing import emulator as emulator_fixtures
from octoci_emulator import Emulator

octopus_emulator = emulator_fixtures.octopus_emulator

Push = Callable[..., CliResult]


@pytest.fixture
def push(octopus_emulator: Emulator, ci_env: Callable[..., dict[str, str]], tmp_path: Path) -> Push:
    """``push(server, *flags, **env)``: ``octoci push Acme.Web.1.2.3.zip`` under ``server``."""
    package = tmp_path / "Acme.Web.1.2.3.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("index.html", "<h1>Shop</h1>\n")

    def run(server: str, *flags: str, **overrides: str) -> CliResult:
        env = ci_env(server, "push", **overrides)
        env.update(
            OCTOPUS_URL=octopus_emulator.url,
            OCTOPUS_API_KEY=octopus_emulator.api_key,
            OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
        )
        return run_octoci("push", package.name, *flags, env=env, cwd=tmp_path)

    return run


def _artifacts(result: CliResult, name: str) -> list[Any]:
    return [m for m in parse_ci_output(result.stdout + result.stderr) if m.name == name]


def test_teamcity_publishes_the_pushed_package_by_default(push: Push, tmp_path: Path) -> None:
    result = push("teamcity")
    assert result.exit_code == 0, result.stderr
    (message,) = _artifacts(result, "publishArtifacts")
    assert message.value == str(tmp_path / "Acme.Web.1.2.3.zip")


def test_teamcity_publishes_none_with_the_switch_off(push: Push) -> None:
    result = push("teamcity", "--no-publish-artifacts")
    assert result.exit_code == 0, result.stderr
    assert _artifacts(result, "publishArtifacts") == []


def test_azure_devops_publishes_only_when_asked(push: Push, tmp_path: Path) -> None:
    default = push("azure_devops")
    assert default.exit_code == 0, default.stderr
    assert _artifacts(default, "artifact.upload") == []
    asked = push("azure_devops", OCTOCI_PUBLISH_ARTIFACTS="true")
    assert asked.exit_code == 0, asked.stderr
    (upload,) = _artifacts(asked, "artifact.upload")
    assert upload.value == str((tmp_path / "Acme.Web.1.2.3.zip").resolve())
    assert upload.properties == {"containerfolder": "packages", "artifactname": "packages"}


def test_appveyor_pushes_the_package_to_its_artifact_api(
    push: Push, httpserver: HTTPServer
) -> None:
    calls: list[tuple[str, Any]] = []

    def record(request: Request) -> Response:
        calls.append((request.path, request.get_json(silent=True)))
        if request.path == "/api/artifacts" and request.method == "POST":
            return Response(
                json.dumps(httpserver.url_for("/upload")), content_type="application/json"
            )
        return Response("", status=204)

    for path in ("/api/artifacts", "/upload", "/api/build/messages", "/api/build/variables"):
        httpserver.expect_request(path).respond_with_handler(record)
    result = push("appveyor", APPVEYOR_API_URL=httpserver.url_for("/"))
    assert result.exit_code == 0, result.stderr
    (artifact,) = [m for m in parse_appveyor_calls(calls) if m.name == "PushArtifact"]
    assert artifact.value == "Acme.Web.1.2.3.zip"
    assert artifact.properties["type"] == "OctopusPackage"


def test_a_server_without_a_way_says_so_once_and_succeeds(push: Push) -> None:
    result = push("gitlab_ci", "--publish-artifacts")
    assert result.exit_code == 0, result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if "build artifacts" in line]
    assert warning.startswith("octoci: warning: GitLab CI has no way for a step to publish")
    assert "declare the package folder" in warning
