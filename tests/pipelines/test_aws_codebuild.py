"""``examples/pipelines/aws-codebuild-buildspec.yml`` runs as CodeBuild runs a version 0.2
buildspec on its Ubuntu standard image: every command of every phase, in order, in one
``/bin/sh`` (dash) whose variables carry on from command to command and phase to phase, the
build stopping at the first failing command; with the build project's ``OCTOPUS_URL`` and the
``secrets-manager:`` values in its environment, under the recorded push environment, against
the emulator. The build information lists the pushed commits (git over
``CODEBUILD_WEBHOOK_PREV_COMMIT..``), and the ``exported-variables:`` have the values CodeBuild
exports when the build ends (read from the shell after the last command)."""

from __future__ import annotations

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import DASH

from .conftest import PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed, script_lines
from .stand_ins import PUSHED, build_information_commits, push_one_commit


def test_the_example_publishes_and_exports_the_release(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    buildspec = load_yaml(PIPELINES / "aws-codebuild-buildspec.yml")
    assert buildspec["version"] == 0.2
    job = pipeline_job("aws_codebuild")
    commits = ("CODEBUILD_RESOLVED_SOURCE_VERSION", "CODEBUILD_SOURCE_VERSION")
    job.env["CODEBUILD_WEBHOOK_PREV_COMMIT"], _ = push_one_commit(job, commit_variables=commits)
    secrets = {"octopus:api-key": job.variables["OCTOPUS_API_KEY"]}
    env = {k: secrets[v] for k, v in buildspec["env"]["secrets-manager"].items()}
    env["OCTOPUS_URL"] = job.variables["OCTOPUS_URL"]  # the build project's variable
    commands = [c for phase in buildspec["phases"].values() for c in phase["commands"]]
    exported = buildspec["env"]["exported-variables"]
    # CodeBuild reads the exported variables from the build's shell once the commands are done.
    show = "".join(f'\necho "{name}=${name}"' for name in exported)
    result = job.run(script_lines(commands) + show, shell=DASH, env=env)
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert build_information_commits(octopus_emulator) == [[PUSHED], [PUSHED]]
    values = dict(line.split("=", 1) for line in result.stdout.splitlines()[-len(exported) :])
    assert values == {"release_version": version, "deployment_states": "Dev=Success"}
