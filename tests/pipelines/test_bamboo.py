"""``examples/pipelines/bamboo-specs.yml`` and the Specs tasks ``forms/bamboo/`` run as a Bamboo
Linux agent runs a script task: its ``scripts`` in one file run by ``/bin/sh`` (dash), with the
plan variables handed over Bamboo's way (``octopus.url`` arrives as ``bamboo_octopus_url``),
under the recorded push environment, against the emulator; then the ``inject-variables`` task
reads ``octoci-outputs.properties`` into ``${bamboo.octoci.<name>}``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.files import parse_properties
from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import PipelineJob, Shell

from .conftest import FORMS, PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed
from .native import FAST_POLL, PINNED, octoci_invocations, pins, pip_shim

#: A script task with the Shell interpreter on a Linux agent: the lines in one file, run by sh.
BAMBOO_SH = Shell(("dash", "{script}"))
FORM = FORMS / "bamboo" / "octoci-publish.yml"


def plan_variables(variables: Mapping[str, str]) -> dict[str, str]:
    """Plan variables as Bamboo hands them to a script: ``bamboo_`` first, dots as ``_``."""
    return {"bamboo_" + name.replace(".", "_"): value for name, value in variables.items()}


def _task(tasks: list[dict[str, Any]], kind: str) -> Any:
    (found,) = [task[kind] for task in tasks if kind in task]
    return found


def _run_tasks(job: PipelineJob, tasks: list[dict[str, Any]], variables: dict[str, str]) -> str:
    """The script task, then the inject-variables task: the outputs as later tasks see them
    (``bamboo.octoci.<name>``); the properties file must be where the task reads it."""
    script = _task(tasks, "script")
    assert script["interpreter"] == "SHELL"
    result = job.run("\n".join(script["scripts"]), shell=BAMBOO_SH, env=plan_variables(variables))
    assert result.exit_code == 0, result.output
    assert job.variables["OCTOPUS_API_KEY"] not in result.output
    inject = _task(tasks, "inject-variables")
    working_directory = Path(job.env["bamboo_build_working_directory"])
    text = (working_directory / inject["file"]).read_text(encoding="utf-8")
    injected = {f"bamboo.{inject['namespace']}.{k}": v for k, v in parse_properties(text).items()}
    return (
        injected["bamboo.octoci.release_version"]
        + " "
        + injected["bamboo.octoci.deployment_states"]
    )


@pytest.mark.slow
def test_the_plan_publishes_and_the_inject_task_reads_the_release(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus, tmp_path: Path
) -> None:
    specs = load_yaml(PIPELINES / "bamboo-specs.yml")
    job = pipeline_job("bamboo", **FAST_POLL)
    job.env["PATH"] = f"{pip_shim(tmp_path / 'pip')}:{job.env['PATH']}"
    variables = dict(specs["variables"])
    assert set(variables) == {"octopus.url"}
    # The user's Octopus, and the key defined in the UI as a password variable.
    variables["octopus.url"] = job.variables["OCTOPUS_URL"]
    variables["octopus.api.password"] = job.variables["OCTOPUS_API_KEY"]
    read_back = _run_tasks(job, specs["Publish"]["tasks"], variables)
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert read_back == f"{version} Dev=Success"
    assert (tmp_path / "pip" / "pip.log").read_text() == f"install octoci[bamboo]=={PINNED}\n"


@pytest.mark.slow
def test_the_specs_tasks_publish_on_a_linux_agent(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    form = load_yaml(FORM)
    job = pipeline_job("bamboo", **FAST_POLL)
    variables = {
        "octopus.url": octopus_emulator.url,
        "octopus.api.password": octopus_emulator.api_key,
        "octoci.project": "Shop",
        "octoci.deploy.to": "Dev",
        "octoci.wait": "true",
    }
    read_back = _run_tasks(job, form["linux"], variables)
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert read_back == f"{version} Dev=Success"


def test_the_windows_tasks_run_the_same_octoci() -> None:
    form = load_yaml(FORM)
    linux, windows = (_task(form[system], "script") for system in ("linux", "windows"))
    assert windows["interpreter"] == "WINDOWS_POWER_SHELL"
    linux_text, windows_text = ("\n".join(task["scripts"]) for task in (linux, windows))
    assert octoci_invocations(windows_text) == octoci_invocations(linux_text) == [["publish"]]
    assert pins(linux_text) == pins(windows_text) == {PINNED}
    # Every variable the Linux script maps is mapped on Windows too.
    for name in ("octopus_url", "octopus_api_password", "octopus_space", "octoci_project",
                 "octoci_deploy_to", "octoci_wait"):  # fmt: skip
        assert f"bamboo_{name}" in linux_text
        assert f"$env:bamboo_{name}" in windows_text
    assert _task(form["windows"], "inject-variables") == _task(form["linux"], "inject-variables")
