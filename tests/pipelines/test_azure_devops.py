"""``examples/pipelines/azure-pipelines.yml`` runs as Azure Pipelines runs it on a Linux agent:
each ``script:`` step under bash, its ``$(...)`` macros expanded from the pipeline's variables
(the API key a secret variable) and from what earlier steps set with ``task.setvariable``, the
step's ``env:`` mapped in, under the recorded push environment, against the emulator; the last
step reads ``$(octopus.release_version)``, the named step's output."""

from __future__ import annotations

import pytest

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import AZURE_BASH, AZURE_MACRO, azure_variables, substitute

from .conftest import (
    PIPELINES,
    PipelineJobFactory,
    installs_octoci,
    load_yaml,
    released_and_deployed,
)


@pytest.mark.slow  # ~6 s: the build-changes API's retries before the git fallback
def test_the_example_publishes_and_the_next_step_reads_the_output_variable(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    pipeline = load_yaml(PIPELINES / "azure-pipelines.yml")
    job = pipeline_job("azure_devops")
    macros = {
        "OctopusUrl": job.variables["OCTOPUS_URL"],
        "OctopusApiKey": job.variables["OCTOPUS_API_KEY"],
        "System.AccessToken": "azure-job-access-token",
    }
    results = []
    for step in pipeline["steps"]:
        if "script" not in step or installs_octoci(step["script"]):
            continue
        env = {k: substitute(str(v), AZURE_MACRO, macros) for k, v in step.get("env", {}).items()}
        result = job.run(substitute(step["script"], AZURE_MACRO, macros), shell=AZURE_BASH, env=env)
        assert result.exit_code == 0, result.output
        macros.update(azure_variables(result.messages, step.get("name", "")))
        results.append(result)
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert results[-1].stdout.strip() == f"Released {version} (Dev=Success)"
