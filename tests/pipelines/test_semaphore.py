"""``examples/pipelines/semaphore.yml`` runs as Semaphore runs a job: its ``commands:`` one
after another in one bash session that stops at the first failing command (``checkout`` is
Semaphore's: the workspace is the checkout), with the ``octopus`` secret's variables in its
environment, under the recorded push environment, against the emulator; the build information
lists the pushed commits (``SEMAPHORE_GIT_COMMIT_RANGE``), and the job's last command reads the
release from the sourced ``octoci.env``."""

from __future__ import annotations

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import BASH_SCRIPT

from .conftest import PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed, script_lines
from .stand_ins import PUSHED, build_information_commits, push_one_commit


def test_the_example_publishes_and_the_job_sources_the_outputs(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    pipeline = load_yaml(PIPELINES / "semaphore.yml")
    (block,) = pipeline["blocks"]
    assert block["task"]["secrets"] == [{"name": "octopus"}]
    (spec,) = block["task"]["jobs"]
    job = pipeline_job("semaphore")
    before, after = push_one_commit(job, commit_variables=("SEMAPHORE_GIT_SHA",))
    job.env["SEMAPHORE_GIT_COMMIT_RANGE"] = f"{before}...{after}"
    secret = {k: job.variables[k] for k in ("OCTOPUS_URL", "OCTOPUS_API_KEY")}
    checkout, *commands = spec["commands"]
    assert checkout.startswith("checkout")
    result = job.run(script_lines(commands), shell=BASH_SCRIPT, env=secret)
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert build_information_commits(octopus_emulator) == [[PUSHED], [PUSHED]]
    assert result.stdout.strip().splitlines()[-1] == f"Released {version} (Dev=Success)"
