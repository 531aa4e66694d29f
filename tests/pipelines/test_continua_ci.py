"""``examples/pipelines/continua-ci.sh`` and the step ``forms/continua-ci/octoci-publish.sh`` run
as a Continua CI Shell action runs a script on a Linux agent: the file run by the interpreter
its ``#!`` line names (``/bin/sh`` would be dash, which drops every ``ContinuaCI.*`` variable),
with the configuration's variables in the environment, under the recorded push environment,
against the emulator; the later actions read the variables octoci set with
``@@continua[setBuildVariable]``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import PipelineJob, Shell

from .conftest import FORMS, PIPELINES, PipelineJobFactory, released_and_deployed
from .native import FAST_POLL, PINNED, octoci_invocations, pins, pip_shim

FORM = FORMS / "continua-ci"


def _shebang_shell(script: Path) -> Shell:
    """How the agent runs ``script``: with the interpreter of its ``#!`` line, resolved as on
    a Debian/Ubuntu agent (``/bin/sh`` is dash)."""
    first = script.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#!"), f"{script.name}: no #! line"
    interpreter, *args = first[2:].split()
    name = Path(interpreter).name
    found = shutil.which("dash" if name == "sh" else name)
    assert found is not None, interpreter
    return Shell((found, *args, "{script}"))


def _run(job: PipelineJob, script: Path, env: dict[str, str]) -> dict[str, str]:
    """Run ``script``; the build variables it set."""
    result = job.run(script.read_text(encoding="utf-8"), shell=_shebang_shell(script), env=env)
    assert result.exit_code == 0, result.output
    assert job.variables["OCTOPUS_API_KEY"] not in result.output
    return {
        m.properties["name"]: m.properties["value"]
        for m in result.messages
        if m.protocol == "continua" and m.name == "setBuildVariable"
    }


def _job(pipeline_job: PipelineJobFactory) -> PipelineJob:
    # Continua names no workspace variable: the action runs in the workspace.
    return pipeline_job("continua_ci", **FAST_POLL)


@pytest.mark.slow
def test_the_example_script_publishes_under_bash_and_sets_build_variables(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus, tmp_path: Path
) -> None:
    job = _job(pipeline_job)
    job.env["PATH"] = f"{pip_shim(tmp_path / 'pip')}:{job.env['PATH']}"
    variables = _run(
        job,
        PIPELINES / "continua-ci.sh",
        {"OCTOPUS_URL": octopus_emulator.url, "OCTOPUS_API_KEY": octopus_emulator.api_key},
    )
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert variables["release_version"] == version
    assert variables["deployment_states"] == "Dev=Success"
    # octoci saw the Continua build, not a local run.
    (record, _) = octopus_emulator.documents("buildinfo")  # type: ignore[attr-defined]
    assert record["BuildEnvironment"] == "Continua CI"
    assert (tmp_path / "pip" / "pip.log").read_text() == f"install octoci[continua]=={PINNED}\n"


@pytest.mark.slow
def test_the_linux_step_publishes(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    job = _job(pipeline_job)
    env = {
        "OCTOPUS_URL": octopus_emulator.url,
        "OCTOPUS_API_KEY": octopus_emulator.api_key,
        "OCTOCI_DEPLOY_TO": "Dev",
    }
    variables = _run(job, FORM / "octoci-publish.sh", env)
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert variables["release_version"] == version
    assert variables["release_url"].startswith(octopus_emulator.url)


def test_the_windows_steps_run_the_same_octoci() -> None:
    bash = (FORM / "octoci-publish.sh").read_text(encoding="utf-8")
    for name in ("octoci-publish.ps1", "octoci-publish.cmd"):
        windows = (FORM / name).read_text(encoding="utf-8")
        assert octoci_invocations(windows) == octoci_invocations(bash) == [["publish"]], name
        assert pins(windows) == pins(bash) == {PINNED}, name
    # cmd reads a batch file line by line with CRLF endings.
    assert (FORM / "octoci-publish.cmd").read_bytes().count(b"\r\n") == len(
        (FORM / "octoci-publish.cmd").read_bytes().splitlines()
    )
