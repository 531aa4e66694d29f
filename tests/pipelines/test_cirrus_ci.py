"""``examples/pipelines/cirrus.yml`` runs as Cirrus CI runs a task: each script instruction's
lines in one bash that stops at the first failing line, the task's ``env:`` (the
``ENCRYPTED[...]`` key decrypted, ``OCTOPUS_URL`` the emulator's) in its environment, under the
recorded push environment, against the emulator; the ``NAME=value`` lines octoci writes to
``$CIRRUS_ENV`` are in the environment of the next instruction, which reports them."""

from __future__ import annotations

from pathlib import Path

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import Shell, read_key_value_file

from .conftest import PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed, script_lines

#: Cirrus runs a script instruction's lines in bash, failing the task at the first failing line.
CIRRUS_BASH = Shell(("bash", "-e", "{script}"))


def test_the_example_publishes_and_the_next_script_reads_cirrus_env(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    task = load_yaml(PIPELINES / "cirrus.yml")["publish_task"]
    job = pipeline_job("cirrus_ci")
    assert task["env"]["OCTOPUS_API_KEY"].startswith("ENCRYPTED[")
    env = {
        "OCTOPUS_API_KEY": job.variables["OCTOPUS_API_KEY"],
        "OCTOPUS_URL": job.variables["OCTOPUS_URL"],
    }
    result = job.run(script_lines(task["script"]), shell=CIRRUS_BASH, env=env)
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    handed_on = read_key_value_file(Path(job.env["CIRRUS_ENV"]))
    assert handed_on["release_version"] == version
    reported = job.run(
        script_lines(task["report_script"]), shell=CIRRUS_BASH, env={**env, **handed_on}
    )
    assert reported.exit_code == 0, reported.output
    assert reported.stdout.strip() == f"Released {version} (Dev=Success)"
