"""``examples/pipelines/travis.yml`` runs as Travis CI runs it: the ``install:`` and then the
``script:`` commands one after another in the job's one bash (Travis goes on to the next
``script:`` command after a failure but fails the job: each command's exit code is checked),
with the repository settings' variables (``OCTOPUS_URL``, ``OCTOPUS_API_KEY``) in its
environment, under the recorded push environment, against the emulator; the build information
lists the pushed commits (git over ``TRAVIS_COMMIT_RANGE``). Travis has no way to hand a value
to a later job; the release is read back from the emulator."""

from __future__ import annotations

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import Shell

from .conftest import (
    PIPELINES,
    PipelineJobFactory,
    installs_octoci,
    load_yaml,
    released_and_deployed,
)
from .stand_ins import PUSHED, build_information_commits, push_one_commit

#: Travis writes the whole job as one bash script; each command is run and its exit code kept.
TRAVIS_BASH = Shell(("bash", "{script}"))


def _commands(value: str | list[str]) -> list[str]:
    """A phase's commands: one string or a list of them."""
    return [value] if isinstance(value, str) else list(value)


def test_the_example_publishes_on_main(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    config = load_yaml(PIPELINES / "travis.yml")
    assert config["branches"]["only"] == ["main"]
    job = pipeline_job("travis_ci")
    before, after = push_one_commit(job, commit_variables=("TRAVIS_COMMIT",))
    job.env["TRAVIS_COMMIT_RANGE"] = f"{before}...{after}"
    settings = {k: job.variables[k] for k in ("OCTOPUS_URL", "OCTOPUS_API_KEY")}
    commands = _commands(config["install"]) + _commands(config["script"])
    ran = 0
    for command in commands:
        if installs_octoci(command):
            continue
        result = job.run(command, shell=TRAVIS_BASH, env=settings)
        assert result.exit_code == 0, f"{command}:\n{result.output}"
        ran += 1
    assert ran == 1
    version, states = released_and_deployed(octopus_emulator)
    assert version
    assert states == ["Success"]
    assert build_information_commits(octopus_emulator) == [[PUSHED], [PUSHED]]
