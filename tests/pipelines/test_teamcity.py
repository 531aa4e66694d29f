"""``examples/pipelines/teamcity-settings.kts`` and the meta-runner ``forms/teamcity/`` run as a
TeamCity Linux agent runs a command-line step: the script (taken out of the Kotlin DSL or the
XML: neither runs here) with TeamCity's ``%name%`` references resolved, written to a file and
run by ``sh`` (dash), its ``env.*`` parameters in the environment, under the recorded push
environment and against the emulator; then the next step reads the parameters octoci set with
``##teamcity[setParameter]``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import PipelineJob, Shell, StepResult

from .conftest import FORMS, PIPELINES, PipelineJobFactory, released_and_deployed
from .native import (
    FAST_POLL,
    PINNED,
    kotlin_parameters,
    kotlin_scripts,
    octoci_invocations,
    pins,
    pip_shim,
    teamcity_references,
)

#: A command-line step's custom script on a Linux agent: a file run by sh, the last command's
#: exit code is the step's.
TEAMCITY_SH = Shell(("dash", "{script}"))
META_RUNNER = FORMS / "teamcity" / "octoci-publish.xml"


def _parameters_set(result: StepResult) -> dict[str, str]:
    """The parameters a step set for the later steps (``setParameter``)."""
    return {
        m.properties["name"]: m.properties["value"]
        for m in result.messages
        if m.protocol == "teamcity" and m.name == "setParameter"
    }


def _run_steps(
    job: PipelineJob, scripts: list[str], parameters: dict[str, str]
) -> list[StepResult]:
    """Each script in turn, with the build's ``env.*`` parameters as its environment and the
    parameters earlier steps set resolved in its ``%references%``."""
    results = []
    for script in scripts:
        env = {k.removeprefix("env."): v for k, v in parameters.items() if k.startswith("env.")}
        result = job.run(teamcity_references(script, parameters), shell=TEAMCITY_SH, env=env)
        assert result.exit_code == 0, result.output
        assert job.variables["OCTOPUS_API_KEY"] not in result.output
        parameters.update(_parameters_set(result))
        results.append(result)
    return results


@pytest.mark.slow
def test_the_settings_publish_and_the_next_step_reads_the_release(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus, tmp_path: Path
) -> None:
    text = (PIPELINES / "teamcity-settings.kts").read_text(encoding="utf-8")
    job = pipeline_job("teamcity", **FAST_POLL)
    job.env["PATH"] = f"{pip_shim(tmp_path / 'pip')}:{job.env['PATH']}"
    parameters = kotlin_parameters(text)
    assert parameters["env.OCTOPUS_API_KEY"] == "credentialsJSON:octopus-api-key"
    # The user's Octopus and the key TeamCity resolves from its credentials store.
    parameters["env.OCTOPUS_URL"] = job.variables["OCTOPUS_URL"]
    parameters["env.OCTOPUS_API_KEY"] = job.variables["OCTOPUS_API_KEY"]
    scripts = kotlin_scripts(text)
    assert len(scripts) == 2
    _, report = _run_steps(job, scripts, parameters)
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert report.stdout.strip() == f"Released {version} (Dev=Success)"
    assert (tmp_path / "pip" / "pip.log").read_text() == f"install octoci[teamcity]=={PINNED}\n"


def _meta_runner() -> tuple[dict[str, str], dict[str, str]]:
    """The meta-runner's parameters (name -> default) and its scripts by runner name."""
    root = ET.parse(META_RUNNER).getroot()
    parameters = {
        p.attrib["name"]: p.attrib.get("value", "")
        for p in root.iterfind("./settings/parameters/param")
    }
    scripts = {}
    for runner in root.iterfind("./settings/build-runners/runner"):
        (content,) = runner.iterfind("./parameters/param[@name='script.content']")
        scripts[runner.attrib["name"]] = content.text or ""
    return parameters, scripts


@pytest.mark.slow
def test_the_meta_runner_publishes_on_a_linux_agent(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    parameters, scripts = _meta_runner()
    assert parameters["env.OCTOCI_WAIT"] == "true"
    # What a user fills in on the step's form.
    parameters.update({
        "env.OCTOPUS_URL": octopus_emulator.url,
        "env.OCTOPUS_API_KEY": octopus_emulator.api_key,
        "env.OCTOCI_PROJECT": "Shop",
        "env.OCTOCI_DEPLOY_TO": "Dev",
    })  # fmt: skip
    job = pipeline_job("teamcity", **FAST_POLL)
    _run_steps(job, [scripts["octoci publish (Linux, macOS)"]], parameters)
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert parameters["release_version"] == version
    assert parameters["deployment_states"] == "Dev=Success"
    assert parameters["release_url"].startswith(octopus_emulator.url)


def test_the_meta_runner_runs_the_same_octoci_on_windows() -> None:
    _, scripts = _meta_runner()
    linux = scripts["octoci publish (Linux, macOS)"]
    windows = scripts["octoci publish (Windows)"]
    assert octoci_invocations(windows) == octoci_invocations(linux) == [["publish"]]
    assert pins(linux) == pins(windows) == {PINNED}
    # TeamCity would read cmd's %CD% and %PATH% as its own parameters: they are escaped.
    cmd = teamcity_references(windows, {})
    assert 'set "PATH=%CD%\\.octoci\\Scripts;%PATH%"' in cmd
