"""``examples/pipelines/bitbucket-pipelines.yml`` runs as Bitbucket Pipelines runs it: the main
branch's first step's ``script:`` in one bash that stops at the first failing line, with the
repository variables and (``oidc: true``) the step's ID token in its environment, under the
recorded push environment, against the emulator; then the next step, which gets the first
step's ``artifacts:`` files in its clone and sources ``octoci-outputs.env``."""

from __future__ import annotations

import shutil
from pathlib import Path

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import BASH_SCRIPT, Shell

from .conftest import (
    FORMS,
    PIPELINES,
    PipelineJobFactory,
    id_token,
    load_yaml,
    released_and_deployed,
    script_lines,
)

#: The pipe's image runs pipe.sh with bash (its #! line).
BASH = Shell(("bash", "{script}"))


def test_the_example_publishes_and_the_next_step_sources_the_outputs(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus, tmp_path: Path
) -> None:
    pipeline = load_yaml(PIPELINES / "bitbucket-pipelines.yml")
    publish, announce = (entry["step"] for entry in pipeline["pipelines"]["branches"]["main"])
    job = pipeline_job("bitbucket_pipelines")
    assert publish["oidc"] is True
    env = {
        "OCTOPUS_URL": job.variables["OCTOPUS_URL"],
        "OCTOPUS_SERVICE_ACCOUNT_ID": job.variables["OCTOPUS_SERVICE_ACCOUNT_ID"],
        "BITBUCKET_STEP_OIDC_TOKEN": id_token(),
    }
    result = job.run(script_lines(publish["script"]), shell=BASH_SCRIPT, env=env)
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]

    # The next step runs in a fresh clone holding only the artifacts of the step before.
    clone = tmp_path / "next-step-clone"
    clone.mkdir()
    for pattern in publish["artifacts"]:
        for artifact in job.workspace.glob(pattern):
            shutil.copy2(artifact, clone / artifact.name)
    later = job.run(script_lines(announce["script"]), shell=BASH_SCRIPT, cwd=clone)
    assert later.exit_code == 0, later.output
    assert later.stdout.strip() == f"Released {version} (Dev=Success)"


def test_the_pipe_publishes_with_its_variables(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    """The pipe's entry point runs as its container would run it (no Docker here: pipe.sh
    directly, with the pipe's variables and the step's environment); the Dockerfile's pin is
    checked in test_forms.py."""
    pipe = load_yaml(FORMS / "bitbucket" / "pipe.yml")
    job = pipeline_job("bitbucket_pipelines")
    variables = {v["name"]: str(v.get("default", "")) for v in pipe["variables"]}
    given = {
        "OCTOPUS_URL": job.variables["OCTOPUS_URL"],
        "OCTOPUS_API_KEY": job.variables["OCTOPUS_API_KEY"],
        "DEPLOY_TO": "Dev",
    }
    assert set(given) <= set(variables)
    variables.update(given)
    result = job.run(
        (FORMS / "bitbucket" / "pipe.sh").read_text("utf-8"), shell=BASH, env=variables
    )
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    later = job.run('source octoci-outputs.env\necho "$release_version"', shell=BASH_SCRIPT)
    assert later.stdout.strip() == version
