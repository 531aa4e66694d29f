"""``examples/pipelines/drone.yml`` runs as Drone's docker runner runs it: each step's
``commands:`` in one ``/bin/sh -e`` script (dash in ``python:3.12``) in the shared workspace,
with the step's ``environment:`` (``from_secret:`` values from the repository's secrets), under
the recorded push environment, against the emulator (the build information: the pushed commits, from git over
``DRONE_COMMIT_BEFORE..DRONE_COMMIT_AFTER`` without a forge token); the ``report`` step reads
``octoci-outputs.json``, which publish left in the workspace every step mounts."""

from __future__ import annotations

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import DASH

from .conftest import PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed, script_lines
from .stand_ins import PUSHED, build_information_commits, push_one_commit


def test_the_example_publishes_and_the_report_step_reads_the_outputs_file(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    pipeline = load_yaml(PIPELINES / "drone.yml")
    publish, report = pipeline["steps"]
    job = pipeline_job("drone")
    commits = ("DRONE_COMMIT", "DRONE_COMMIT_SHA", "DRONE_COMMIT_AFTER")
    job.env["DRONE_COMMIT_BEFORE"], _ = push_one_commit(job, commit_variables=commits)
    secrets = {
        "octopus_url": job.variables["OCTOPUS_URL"],
        "octopus_api_key": job.variables["OCTOPUS_API_KEY"],
    }
    env = {k: secrets[v["from_secret"]] for k, v in publish["environment"].items()}
    result = job.run(script_lines(publish["commands"]), shell=DASH, env=env)
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert build_information_commits(octopus_emulator) == [[PUSHED], [PUSHED]]
    later = job.run(script_lines(report["commands"]), shell=DASH)
    assert later.exit_code == 0, later.output
    assert later.stdout.strip() == f"Released {version}"
