"""``examples/pipelines/appveyor.yml`` and the steps ``forms/appveyor/`` run as an AppVeyor Linux
image runs them: each ``sh:`` command by bash, in order (``install`` then ``build_script``, or
``after_build``), the ``environment:`` section in the environment (the secure key decrypted),
under the recorded push environment with ``APPVEYOR_API_URL`` at a local build worker API,
against the emulator; the build variables octoci set through that API are in the environment
of the later commands, as AppVeyor hands them on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import PipelineJob, Shell, StepResult

from .conftest import FORMS, PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed
from .native import FAST_POLL, PINNED, octoci_invocations, pins, pip_shim

#: An ``sh:`` command on a Linux image.
APPVEYOR_BASH = Shell(("bash", "-e", "{script}"))
FORM = FORMS / "appveyor" / "octoci-publish.yml"


class BuildWorker:
    """The build worker API's ``api/build/variables`` and ``api/build/messages``."""

    def __init__(self, httpserver: HTTPServer) -> None:
        self.url = httpserver.url_for("/")
        self.variables: dict[str, str] = {}
        httpserver.expect_request("/api/build/variables", method="POST").respond_with_handler(
            self.variable
        )
        httpserver.expect_request("/api/build/messages", method="POST").respond_with_handler(
            lambda _: Response("", status=204)
        )

    def variable(self, request: Request) -> Response:
        body = request.get_json()
        self.variables[body["name"]] = body["value"]
        return Response("", status=204)


def _job(pipeline_job: PipelineJobFactory, worker: BuildWorker) -> PipelineJob:
    return pipeline_job(
        "appveyor",
        **FAST_POLL,
        APPVEYOR_API_URL=worker.url,
        APPVEYOR_BUILD_WORKER_IMAGE="Ubuntu2204",
    )


def _run_commands(
    job: PipelineJob, worker: BuildWorker, commands: list[dict[str, Any]], env: dict[str, str]
) -> list[StepResult]:
    """The ``sh:`` commands in order (``ps:``/``cmd:`` run on Windows images only), each with the
    build variables set so far."""
    results = []
    for command in commands:
        if "sh" not in command:
            continue
        result = job.run(command["sh"], shell=APPVEYOR_BASH, env={**env, **worker.variables})
        assert result.exit_code == 0, result.output
        assert job.variables["OCTOPUS_API_KEY"] not in result.output
        results.append(result)
    return results


@pytest.mark.slow
def test_the_appveyor_yml_publishes_and_the_next_command_reads_the_release(
    pipeline_job: PipelineJobFactory,
    octopus_emulator: LocalOctopus,
    httpserver: HTTPServer,
    tmp_path: Path,
) -> None:
    config = load_yaml(PIPELINES / "appveyor.yml")
    assert config["image"] == "Ubuntu2204"
    worker = BuildWorker(httpserver)
    job = _job(pipeline_job, worker)
    job.env["PATH"] = f"{pip_shim(tmp_path / 'pip')}:{job.env['PATH']}"
    environment = dict(config["environment"])
    assert environment["OCTOPUS_API_KEY"] == {"secure": "REPLACE-WITH-YOUR-ENCRYPTED-KEY"}
    # The user's Octopus, and the key AppVeyor decrypts into the environment.
    environment["OCTOPUS_URL"] = job.variables["OCTOPUS_URL"]
    environment["OCTOPUS_API_KEY"] = job.variables["OCTOPUS_API_KEY"]
    results = _run_commands(job, worker, config["install"] + config["build_script"], environment)
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert results[-1].stdout.strip() == f"Released {version} (Dev=Success)"
    assert (tmp_path / "pip" / "pip.log").read_text() == f"install octoci[appveyor]=={PINNED}\n"


@pytest.mark.slow
def test_the_steps_publish_on_a_linux_image(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus, httpserver: HTTPServer
) -> None:
    worker = BuildWorker(httpserver)
    job = _job(pipeline_job, worker)
    environment = {
        "OCTOPUS_URL": octopus_emulator.url,
        "OCTOPUS_API_KEY": octopus_emulator.api_key,
        "OCTOCI_DEPLOY_TO": "Dev",
    }
    _run_commands(job, worker, load_yaml(FORM)["after_build"], environment)
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert worker.variables["release_version"] == version
    assert worker.variables["release_url"].startswith(octopus_emulator.url)


def test_the_windows_commands_run_the_same_octoci() -> None:
    text = FORM.read_text(encoding="utf-8")
    commands = load_yaml(FORM)["after_build"]
    (powershell,) = [c["ps"] for c in commands if "ps" in c]
    (bash,) = [c["sh"] for c in commands if "sh" in c]
    # The cmd variant is given in the file's comments.
    cmd = "\n".join(line.split("- cmd: ", 1)[1] for line in text.splitlines() if "- cmd: " in line)
    for windows in (powershell, cmd):
        assert octoci_invocations(windows) == octoci_invocations(bash) == [["publish"]]
        assert pins(windows) == pins(bash) == {PINNED}
