"""``examples/pipelines/gitea-actions.yml`` runs as Gitea's act_runner and the Forgejo runner
run it: each ``run:`` step under bash with ``-eo pipefail`` (the GitHub-compatible default), its
``${{ }}`` expressions substituted from the repository's variables and secrets and the earlier
steps' outputs, under each forge's recorded push environment, against the emulator; the last
step reads the release from ``$GITHUB_OUTPUT`` as the runner hands it on. The steps run through
the GitHub Actions test's runner (:func:`run_github_steps`): the forges' runners read the same
workflow syntax and files."""

from __future__ import annotations

import pytest

from octoci.local_octopus import LocalOctopus

from .conftest import PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed
from .test_github_actions import run_github_steps


@pytest.mark.parametrize("server", ["gitea_actions", "forgejo_actions"])
def test_the_example_publishes_and_the_next_step_reads_the_release(
    server: str, pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    workflow = load_yaml(PIPELINES / "gitea-actions.yml")
    (job_spec,) = workflow["jobs"].values()
    job = pipeline_job(server)
    outputs, results = run_github_steps(job, job_spec["steps"])
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert outputs["octoci"]["release_version"] == version
    assert outputs["octoci"]["deployment_states"] == "Dev=Success"
    assert results[-1].stdout.strip() == f"Released {version}"
