"""``examples/pipelines/azure-pipelines.yml`` runs as Azure Pipelines runs it on a Linux agent:
each ``script:`` step under bash, its ``$(...)`` macros expanded from the pipeline's variables
(the API key a secret variable) and from what earlier steps set with ``task.setvariable``, the
step's ``env:`` mapped in, under the recorded push environment, against the emulator; the last
step reads ``$(octopus.release_version)``, the named step's output."""

from __future__ import annotations

import pytest

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import (
    AZURE_BASH,
    AZURE_MACRO,
    TEMPLATE_EXPRESSION,
    azure_variables,
    substitute,
)

from .conftest import (
    FORMS,
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


@pytest.mark.slow  # ~6 s, as above
def test_the_template_publishes_and_the_next_step_reads_the_output_variable(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    template = load_yaml(FORMS / "azure-devops" / "publish.yml")
    job = pipeline_job("azure_devops")
    # `- template: forms/azure-devops/publish.yml@octoci` with `parameters:`.
    parameters = {
        p["name"]: str(p.get("default", "")).lower()
        if isinstance(p.get("default"), bool)
        else str(p.get("default", ""))
        for p in template["parameters"]
    }
    parameters.update(
        {"octopusUrl": "$(OctopusUrl)", "octopusApiKey": "$(OctopusApiKey)", "deployTo": "Dev"}
    )
    expanded = {f"parameters.{k}": v for k, v in parameters.items()}
    macros = {
        "OctopusUrl": job.variables["OCTOPUS_URL"],
        "OctopusApiKey": job.variables["OCTOPUS_API_KEY"],
        "System.AccessToken": "azure-job-access-token",
    }
    for step in template["steps"]:
        if installs_octoci(step["script"]):
            continue
        name = substitute(step.get("name", ""), TEMPLATE_EXPRESSION, expanded)
        env = {
            k: substitute(substitute(str(v), TEMPLATE_EXPRESSION, expanded), AZURE_MACRO, macros)
            for k, v in step.get("env", {}).items()
        }
        result = job.run(step["script"], shell=AZURE_BASH, env=env)
        assert result.exit_code == 0, result.output
        macros.update(azure_variables(result.messages, name))
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    later = job.run(
        substitute('echo "$(octopus.release_version)"', AZURE_MACRO, macros), shell=AZURE_BASH
    )
    assert later.stdout.strip() == version
