"""``examples/pipelines/gocd.yaml`` runs as a GoCD agent runs a job: each ``exec`` task's
``command`` started with its ``arguments`` (no shell of the agent's own) in the job's working
directory, with the job's ``environment_variables`` and ``secure_variables`` (``OCTOPUS_URL``
the emulator's), under the recorded environment of a run the pushed commit triggered
(``GO_*``: ``GO_FROM_REVISION`` and ``GO_TO_REVISION`` its first and last modification),
against the emulator. The build information lists exactly the pushed commit, and the last
task reads the release from ``octoci-outputs.json``, which publish left in the working
directory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import PipelineJob, Shell, StepResult

from .conftest import (
    PIPELINES,
    PipelineJobFactory,
    installs_octoci,
    load_yaml,
    released_and_deployed,
)
from .stand_ins import PUSHED, build_information_commits, push_one_commit


def run_exec(job: PipelineJob, task: Mapping[str, Any], env: Mapping[str, str]) -> StepResult:
    """One ``exec`` task: the agent starts ``command`` with ``arguments`` as they are (the
    harness's script file goes unused: no ``{script}`` in the argument list)."""
    argv = (str(task["command"]), *(str(a) for a in task.get("arguments", [])))
    return job.run("", shell=Shell(argv), env=env)


def test_the_example_publishes_and_the_next_task_reads_the_outputs_file(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    pipeline = load_yaml(PIPELINES / "gocd.yaml")["pipelines"]["shop"]
    (stage,) = pipeline["stages"]
    spec = stage["build"]["jobs"]["publish"]
    job = pipeline_job("gocd")
    # The run the pushed commit triggered: its one modification is the first and the last.
    _, after = push_one_commit(job, commit_variables=("GO_REVISION", "GO_TO_REVISION"))
    job.env["GO_FROM_REVISION"] = after
    env = {**spec["environment_variables"], "OCTOPUS_URL": job.variables["OCTOPUS_URL"]}
    # The API token is left out: the test has no GoCD server, so the commits come from git
    # over GO_FROM_REVISION^..GO_TO_REVISION (the adapter warns), which this test checks.
    env["OCTOPUS_API_KEY"] = job.variables["OCTOPUS_API_KEY"]
    assert set(spec["secure_variables"]) == {"OCTOPUS_API_KEY", "OCTOCI_GOCD_TOKEN"}
    install, publish, report = (t["exec"] for t in spec["tasks"])
    assert installs_octoci(" ".join([install["command"], *install["arguments"]]))
    result = run_exec(job, publish, env)
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert build_information_commits(octopus_emulator) == [[PUSHED], [PUSHED]]
    reported = run_exec(job, report, env)
    assert reported.exit_code == 0, reported.output
    assert reported.stdout.strip() == f"Released {version} (Dev=Success)"
