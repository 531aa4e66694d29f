"""``examples/pipelines/buildkite-pipeline.yml`` runs as the Buildkite agent runs it: the step's
``command:`` in ``bash -e``, with the agent's secrets (``OCTOPUS_URL``, ``OCTOPUS_API_KEY``,
set by an environment hook) in its environment, under the recorded push environment, against
the emulator; the outputs go to build meta-data through ``buildkite-agent`` (a stand-in keeping
what it is told), which the step itself and a later step read back with ``meta-data get``."""

from __future__ import annotations

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import Shell

from .conftest import PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed, script_lines
from .stand_ins import BUILDKITE_AGENT, install_stand_in, stand_in_state

#: The agent's default shell: ``/bin/bash -e -c "<command>"``.
BUILDKITE_BASH = Shell(("bash", "-e", "{script}"))


def test_the_example_publishes_and_reads_the_release_from_meta_data(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    pipeline = load_yaml(PIPELINES / "buildkite-pipeline.yml")
    (step,) = pipeline["steps"]
    assert step["branches"] == "main"
    job = pipeline_job("buildkite")
    agent = install_stand_in(job, "buildkite-agent", BUILDKITE_AGENT)
    hook = {k: job.variables[k] for k in ("OCTOPUS_URL", "OCTOPUS_API_KEY")}
    result = job.run(script_lines(step["command"].splitlines()), shell=BUILDKITE_BASH, env=hook)
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert result.stdout.strip().splitlines()[-1] == f"Released {version}"
    assert stand_in_state(agent)["deployment_states"] == "Dev=Success"
    # A later step of the build (any agent) reads the same meta-data.
    later = job.run("buildkite-agent meta-data get release_version", shell=BUILDKITE_BASH)
    assert later.stdout == version
