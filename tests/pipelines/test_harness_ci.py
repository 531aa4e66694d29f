"""``examples/pipelines/harness-pipeline.yml`` runs as Harness CI runs a Build stage: each Run
step's ``command`` with Harness's ``<+...>`` expressions resolved first (the project variable
``octopus_url``, the secret ``octopus_api_key``, an earlier step's output variables), in its
shell as Harness starts it (``set -xe;`` before the command), with the step's ``envVariables``,
under the recorded push environment, against the emulator. The Publish step's
``outputVariables`` are read the way Harness's lite-engine reads them: from the step's shell
once its command has ended; the Report step gets them through
``<+steps.publish.output.outputVariables.NAME>`` and prints them. The build information lists
the pushed commit (git over ``DRONE_COMMIT_BEFORE..DRONE_COMMIT_SHA``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import (
    PipelineJob,
    Shell,
    StepResult,
    read_shell_variables,
    report_shell_variables,
    substitute,
)

from .conftest import PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed, script_lines
from .stand_ins import PUSHED, build_information_commits, push_one_commit

#: Harness's ``<+...>`` expression (``<+pipeline.sequenceId>``, ``<+secrets.getValue("x")>``).
HARNESS_EXPRESSION = re.compile(r"<\+(?P<name>[^>]+?)>")
_SECRET = re.compile(r"""secrets\.getValue\(["'](?P<id>[\w.-]+)["']\)""")
_STEP_OUTPUT = re.compile(r"steps\.(?P<step>\w+)\.output\.outputVariables\.(?P<name>\w+)")
#: Harness starts a Bash or Sh Run step as ``bash -c`` / ``sh -c`` with ``set -xe;`` first
#: (Harness's CI manager, ``getEarlyExitCommand``).
HARNESS_SHELLS = {
    "Bash": Shell(("bash", "{script}"), prologue="set -xe; "),
    "Sh": Shell(("sh", "{script}"), prologue="set -xe; "),
}


def resolver(
    job: PipelineJob,
    *,
    secrets: Mapping[str, str],
    project_variables: Mapping[str, str],
    outputs: Mapping[str, Mapping[str, str]],
) -> Callable[[str], str | None]:
    """What Harness resolves each expression the example uses to; ``None`` (the test fails,
    naming it) for any other."""

    def resolve(expression: str) -> str | None:
        if secret := _SECRET.fullmatch(expression):
            return secrets.get(secret["id"])
        if step := _STEP_OUTPUT.fullmatch(expression):
            return outputs.get(step["step"], {}).get(step["name"])
        if expression.startswith("variable."):
            return project_variables.get(expression.removeprefix("variable."))
        builtins = {
            "pipeline.sequenceId": job.env.get("HARNESS_BUILD_ID"),
            "pipeline.executionId": job.env.get("HARNESS_EXECUTION_ID"),
        }
        return builtins.get(expression)

    return resolve


def run_step(
    job: PipelineJob, step: Mapping[str, Any], resolve: Callable[[str], str | None], report: Path
) -> tuple[StepResult, dict[str, str]]:
    """One Run step: how it ended, and its output variables as Harness reads them."""
    spec = step["spec"]
    env = {
        name: substitute(str(value), HARNESS_EXPRESSION, resolve)
        for name, value in spec.get("envVariables", {}).items()
    }
    command = substitute(script_lines(spec["command"].splitlines()), HARNESS_EXPRESSION, resolve)
    names = [variable["name"] for variable in spec.get("outputVariables", [])]
    script = report_shell_variables(command, names, report) if names else command
    result = job.run(script, shell=HARNESS_SHELLS[spec["shell"]], env=env)
    return result, read_shell_variables(report)


def test_the_example_publishes_and_the_next_step_reads_the_output_variables(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus, tmp_path: Path
) -> None:
    pipeline = load_yaml(PIPELINES / "harness-pipeline.yml")["pipeline"]
    (stage,) = pipeline["stages"]
    publish, report = (s["step"] for s in stage["stage"]["spec"]["execution"]["steps"])
    job = pipeline_job("harness_ci")
    assert job.env["DRONE"] == "true"  # Harness sets Drone's marker too; the adapter is Harness's
    commits = ("DRONE_COMMIT_SHA", "DRONE_COMMIT")
    job.env["DRONE_COMMIT_BEFORE"], _ = push_one_commit(job, commit_variables=commits)
    outputs: dict[str, dict[str, str]] = {}
    resolve = resolver(
        job,
        secrets={"octopus_api_key": job.variables["OCTOPUS_API_KEY"]},
        project_variables={"octopus_url": job.variables["OCTOPUS_URL"]},
        outputs=outputs,
    )
    result, outputs[publish["identifier"]] = run_step(job, publish, resolve, tmp_path / "publish")
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert build_information_commits(octopus_emulator) == [[PUSHED], [PUSHED]]
    assert outputs["publish"] == {"release_version": version, "deployment_states": "Dev=Success"}
    reported, _ = run_step(job, report, resolve, tmp_path / "report")
    assert reported.exit_code == 0, reported.output
    assert reported.stdout.strip() == f"Released {version} (Dev=Success)"
