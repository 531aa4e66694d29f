"""``examples/pipelines/buddy.yml`` runs as Buddy runs a pipeline: each action's
``execute_commands`` one after another in one bash that stops at the first failing command,
with the project variables ``OCTOPUS_URL`` and ``OCTOPUS_API_KEY`` in its environment, under
the recorded push environment (``BUDDY_*``), against the emulator. The pipeline's settable
variables pass on the Buddy way: the value an action leaves in its shell (``. ./octoci.env``
exports what octoci wrote) is what the next action gets; that action prints them. The build
information lists the pushed commit (git over
``BUDDY_EXECUTION_PREVIOUS_REVISION..BUDDY_EXECUTION_REVISION``)."""

from __future__ import annotations

from pathlib import Path

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import (
    BASH_SCRIPT,
    read_shell_variables,
    report_shell_variables,
)

from .conftest import PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed, script_lines
from .stand_ins import PUSHED, build_information_commits, push_one_commit


def test_the_example_publishes_and_the_next_action_gets_the_settable_variables(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus, tmp_path: Path
) -> None:
    pipeline = load_yaml(PIPELINES / "buddy.yml")
    publish, report = pipeline["actions"]
    settable = [v["key"] for v in pipeline["variables"] if v.get("settable")]
    job = pipeline_job("buddy")
    commits = ("BUDDY_EXECUTION_REVISION",)
    job.env["BUDDY_EXECUTION_PREVIOUS_REVISION"], _ = push_one_commit(job, commit_variables=commits)
    project = {k: job.variables[k] for k in ("OCTOPUS_URL", "OCTOPUS_API_KEY")}
    variables = {v["key"]: str(v["value"]) for v in pipeline["variables"]}
    commands = script_lines(publish["execute_commands"])
    shell_end = tmp_path / "settable"
    script = report_shell_variables(commands, settable, shell_end)
    result = job.run(script, shell=BASH_SCRIPT, env={**project, **variables})
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert build_information_commits(octopus_emulator) == [[PUSHED], [PUSHED]]
    variables.update(read_shell_variables(shell_end))
    assert variables == {"release_version": version, "deployment_states": "Dev=Success"}
    reported = job.run(
        script_lines(report["execute_commands"]), shell=BASH_SCRIPT, env={**project, **variables}
    )
    assert reported.exit_code == 0, reported.output
    assert reported.stdout.strip() == f"Released {version} (Dev=Success)"
