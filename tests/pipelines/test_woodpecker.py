"""``examples/pipelines/woodpecker.yml`` runs as Woodpecker's docker backend runs it: the
step's ``commands:`` in one ``/bin/sh -e`` script (dash in ``python:3.12``) in the shared
workspace, with the step's ``environment:`` (``from_secret:`` values from the repository's
secrets), under the recorded push environment, against the emulator; the build information
lists the pushed commits (git over ``CI_PREV_COMMIT_SHA..CI_COMMIT_SHA`` without a forge
token), and a later step reads ``octoci-outputs.json`` in the workspace every step mounts."""

from __future__ import annotations

import json

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import DASH

from .conftest import PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed, script_lines
from .stand_ins import PUSHED, build_information_commits, push_one_commit


def test_the_example_publishes_and_a_later_step_reads_the_outputs_file(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    pipeline = load_yaml(PIPELINES / "woodpecker.yml")
    assert pipeline["when"] == [{"event": "push", "branch": "main"}]
    (publish,) = pipeline["steps"]
    job = pipeline_job("woodpecker")
    job.env["CI_PREV_COMMIT_SHA"], _ = push_one_commit(job, commit_variables=("CI_COMMIT_SHA",))
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
    later = job.run("cat octoci-outputs.json", shell=DASH)
    outputs = json.loads(later.stdout)
    assert outputs["release_version"] == version
    assert outputs["deployment_states"] == "Dev=Success"
