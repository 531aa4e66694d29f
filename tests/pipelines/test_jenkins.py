"""``examples/pipelines/Jenkinsfile`` and the shared-library step ``vars/octociPublish.groovy``
run as Jenkins runs them: their ``sh`` steps (taken out by a strict parser: Groovy cannot run
here) under ``sh -xe`` (dash), the recorded push environment, the ``environment {}`` block and
the ``withCredentials`` bindings (the Octopus API key, and a Jenkins user and API token that
octoci uses to read the build's commits from a local server answering as Jenkins), against the
emulator; then what the next ``script`` block reads: ``octoci-outputs.json``."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import PipelineJob

from .conftest import PIPELINES, ROOT, PipelineJobFactory, released_and_deployed
from .native import (
    DASH_SH,
    FAST_POLL,
    PINNED,
    groovy_credentials,
    groovy_environment,
    groovy_steps,
    octoci_invocations,
    pins,
    pip_shim,
)

LIBRARY_STEP = ROOT / "vars" / "octociPublish.groovy"
JENKINS_USER = "ci-bot"
JENKINS_TOKEN = "11aa22bb33cc44dd55ee66ff77"
COMMIT = "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"


class JenkinsApi:
    """The build's JSON at ``/job/shop/57/api/json`` (one change) and the crumb issuer; records
    the Authorization header of each request."""

    def __init__(self, httpserver: HTTPServer) -> None:
        self.url = httpserver.url_for("/")
        self.auth: list[str | None] = []
        httpserver.expect_request("/crumbIssuer/api/json").respond_with_json(
            {"crumb": "0f3c9d", "crumbRequestField": "Jenkins-Crumb"}
        )
        httpserver.expect_request("/job/shop/57/api/json").respond_with_handler(self.build)

    def build(self, request: Request) -> Response:
        self.auth.append(request.headers.get("Authorization"))
        change = {
            "commitId": COMMIT,
            "timestamp": 1795000000000,
            "author": {"fullName": "Jane Doe"},
            "authorEmail": "jdoe@acme.example",
            "comment": "Add the basket page\n",
            "msg": "Add the basket page",
        }
        body = {
            "_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
            "number": 57,
            "result": None,
            "building": True,
            "changeSets": [{"kind": "git", "items": [change]}],
            "previousBuild": None,
        }
        return Response(json.dumps(body), content_type="application/json")


def _job(pipeline_job: PipelineJobFactory, api: JenkinsApi, tmp_path: Path) -> PipelineJob:
    job = pipeline_job(
        "jenkins",
        **FAST_POLL,
        JENKINS_URL=api.url,
        BUILD_URL=f"{api.url}job/shop/57/",
        JOB_URL=f"{api.url}job/shop/",
    )
    job.env["PATH"] = f"{pip_shim(tmp_path / 'pip')}:{job.env['PATH']}"
    return job


def _bound(names: list[str], job: PipelineJob) -> dict[str, str]:
    """What ``withCredentials`` puts in the steps' environment for each bound variable."""
    values = {
        "OCTOPUS_API_KEY": job.variables["OCTOPUS_API_KEY"],
        "JENKINS_USER_ID": JENKINS_USER,
        "JENKINS_API_TOKEN": JENKINS_TOKEN,
    }
    return {name: values[name] for name in names}


def _assert_released(emulator: LocalOctopus, api: JenkinsApi, outputs: dict[str, str]) -> None:
    version, states = released_and_deployed(emulator)
    assert states == ["Success"]
    assert outputs["release_version"] == version
    assert outputs["deployment_states"] == "Dev=Success"
    assert outputs["release_url"].startswith(emulator.url)
    # The bound Jenkins token read the build's commits, which reached Octopus.
    basic = base64.b64encode(f"{JENKINS_USER}:{JENKINS_TOKEN}".encode()).decode()
    assert api.auth == [f"Basic {basic}"]
    records = emulator.documents("buildinfo")  # type: ignore[attr-defined]
    assert [[c["Id"] for c in r["Commits"]] for r in records] == [[COMMIT]] * 2


def test_the_parser_finds_every_sh_step_and_refuses_an_interpolated_one() -> None:
    example = (PIPELINES / "Jenkinsfile").read_text(encoding="utf-8")
    assert [kind for kind, _ in groovy_steps(example)] == ["sh", "sh"]
    assert [kind for kind, _ in groovy_steps(LIBRARY_STEP.read_text(encoding="utf-8"))] == [
        "sh",
        "bat",
    ]
    with pytest.raises(ValueError, match="2 sh/bat steps, 1"):
        groovy_steps("sh 'octoci info'\nsh \"octoci publish --project ${name}\"\n")


@pytest.mark.slow
def test_the_jenkinsfile_publishes_with_its_credentials_bound(
    pipeline_job: PipelineJobFactory,
    octopus_emulator: LocalOctopus,
    httpserver: HTTPServer,
    tmp_path: Path,
) -> None:
    text = (PIPELINES / "Jenkinsfile").read_text(encoding="utf-8")
    api = JenkinsApi(httpserver)
    job = _job(pipeline_job, api, tmp_path)
    environment = groovy_environment(text)
    assert set(environment) == {"OCTOPUS_URL"}
    # The user's own Octopus, here the emulator, in place of the example's URL.
    env = {**environment, "OCTOPUS_URL": job.variables["OCTOPUS_URL"]}
    env.update(_bound(groovy_credentials(text), job))
    for _, script in groovy_steps(text):
        result = job.run(script, shell=DASH_SH, env=env)
        assert result.exit_code == 0, result.output
        assert job.variables["OCTOPUS_API_KEY"] not in result.output
        assert JENKINS_TOKEN not in result.output
    assert (tmp_path / "pip" / "pip.log").read_text() == f"install octoci[jenkins]=={PINNED}\n"
    # The next block: readJSON file: 'octoci-outputs.json' in the workspace.
    outputs = json.loads((job.workspace / "octoci-outputs.json").read_text(encoding="utf-8"))
    _assert_released(octopus_emulator, api, outputs)


@pytest.mark.slow
def test_the_shared_library_step_publishes_and_returns_the_outputs(
    pipeline_job: PipelineJobFactory,
    octopus_emulator: LocalOctopus,
    httpserver: HTTPServer,
    tmp_path: Path,
) -> None:
    # octociPublish(server: <emulator>, project: 'Shop', deployTo: ['Dev'], wait: true,
    #               jenkinsCredentialsId: 'jenkins-api-token'), as withEnv hands it on.
    text = LIBRARY_STEP.read_text(encoding="utf-8")
    api = JenkinsApi(httpserver)
    job = _job(pipeline_job, api, tmp_path)
    (_, unix), _ = groovy_steps(text)
    env = {
        "OCTOCI_OUTPUT_FILE": "octoci-outputs.json",
        "OCTOPUS_URL": job.variables["OCTOPUS_URL"],
        "OCTOCI_PROJECT": "Shop",
        "OCTOCI_DEPLOY_TO": "Dev",
        "OCTOCI_WAIT": "true",
        **_bound(groovy_credentials(text), job),
    }
    for argument, variable in {"server": "OCTOPUS_URL", "project": "OCTOCI_PROJECT",
                               "deployTo": "OCTOCI_DEPLOY_TO", "wait": "OCTOCI_WAIT"}.items():  # fmt: skip
        assert f"{argument}: '{variable}'" in text
    result = job.run(unix, shell=DASH_SH, env=env)
    assert result.exit_code == 0, result.output
    # octoci 0.1.0 is on PATH: the step installs nothing.
    assert ".octoci" not in {p.name for p in job.workspace.iterdir()}
    outputs = json.loads((job.workspace / "octoci-outputs.json").read_text(encoding="utf-8"))
    _assert_released(octopus_emulator, api, outputs)
    assert "currentBuild.description = " in text
    assert "${outputs.release_url}" in text


def test_the_shared_library_step_runs_the_same_octoci_on_windows() -> None:
    (unix_kind, unix), (windows_kind, windows) = groovy_steps(
        LIBRARY_STEP.read_text(encoding="utf-8")
    )
    assert (unix_kind, windows_kind) == ("sh", "bat")
    assert octoci_invocations(windows) == octoci_invocations(unix) == [["publish"]]
    assert pins(unix) == pins(windows) == {PINNED}
    assert f'"octoci[jenkins]=={PINNED}"' in windows
    assert ".octoci\\Scripts\\pip install" in windows
