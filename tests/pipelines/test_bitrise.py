"""``examples/pipelines/bitrise.yml`` runs as Bitrise runs a workflow: each ``script@1`` step's
``content`` in its own bash (the step's ``set -e`` stops it at the first failing command), the
App Env Var ``OCTOPUS_URL`` and the Secret ``OCTOPUS_API_KEY`` in every step's environment,
under the recorded push environment, against the emulator; what octoci hands on through
``envman add`` (the stand-in) is in the environment of the next step, which reports it."""

from __future__ import annotations

from typing import Any

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import Shell

from .conftest import PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed, script_lines
from .stand_ins import ENVMAN, install_stand_in, stand_in_state

#: The Script step runs its content with ``bash`` (no options: the content sets its own).
BITRISE_SCRIPT = Shell(("bash", "{script}"))


def script_contents(workflow: dict[str, Any]) -> list[str]:
    """The ``content`` input of each ``script@...`` step, in order."""
    contents = []
    for step in workflow["steps"]:
        ((name, spec),) = step.items()
        if name.startswith("script@"):
            (content,) = [i["content"] for i in spec["inputs"] if "content" in i]
            contents.append(content)
    return contents


def test_the_example_publishes_and_the_next_step_reads_the_outputs(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    workflow = load_yaml(PIPELINES / "bitrise.yml")["workflows"]["primary"]
    publish, report = script_contents(workflow)
    job = pipeline_job("bitrise")
    envman = install_stand_in(job, "envman", ENVMAN)
    configured = {k: job.variables[k] for k in ("OCTOPUS_URL", "OCTOPUS_API_KEY")}
    result = job.run(script_lines(publish.splitlines()), shell=BITRISE_SCRIPT, env=configured)
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    handed_on = stand_in_state(envman)
    assert handed_on["release_version"] == version
    reported = job.run(report, shell=BITRISE_SCRIPT, env={**configured, **handed_on})
    assert reported.exit_code == 0, reported.output
    assert reported.stdout.strip() == f"Released {version} (Dev=Success)"
