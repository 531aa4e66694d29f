"""``examples/pipelines/gitlab-ci.yml`` runs as GitLab's shell executor runs it: the ``publish``
job's ``script:`` in one bash that stops at the first failing line, with the project's CI/CD
variables and the ``id_tokens:`` ID token in its environment, under the recorded push
environment, against the emulator; then the ``announce`` job with publish's dotenv report as
its variables, as GitLab hands it on through ``needs:``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import BASH_SCRIPT, GITLAB_INPUT, read_dotenv, substitute

from .conftest import (
    PIPELINES,
    ROOT,
    SERVICE_ACCOUNT,
    PipelineJobFactory,
    id_token,
    load_yaml,
    released_and_deployed,
    script_lines,
)


@pytest.mark.slow  # ~4 s
def test_the_example_publishes_and_the_next_job_reads_the_dotenv_report(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    pipeline = load_yaml(PIPELINES / "gitlab-ci.yml")
    publish, announce = pipeline["publish"], pipeline["announce"]
    job = pipeline_job("gitlab_ci")
    # The project's CI/CD variables, as the file's comment names them, and the job's own.
    variables = {k: job.variables[k] for k in ("OCTOPUS_URL", "OCTOPUS_SERVICE_ACCOUNT_ID")}
    env = {**variables, **publish["variables"], **dict.fromkeys(publish["id_tokens"], id_token())}
    result = job.run(script_lines(publish["script"]), shell=BASH_SCRIPT, env=env)
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]

    report = read_dotenv(
        Path(job.env["CI_PROJECT_DIR"]) / publish["artifacts"]["reports"]["dotenv"]
    )
    assert report["release_version"] == version
    assert announce["needs"] == ["publish"]
    later = job.run(script_lines(announce["script"]), shell=BASH_SCRIPT, env=report)
    assert later.exit_code == 0, later.output
    assert later.stdout.strip() == f"Released {version} (Dev=Success)"


@pytest.mark.slow  # ~4 s
def test_the_component_publishes_with_its_inputs(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    spec_text, job_text = (ROOT / "templates" / "publish.yml").read_text("utf-8").split("\n---\n")
    spec = yaml.safe_load(spec_text)["spec"]["inputs"]
    # `include: - component: ...publish@0.1.0` with `inputs:`; the rest are the defaults.
    inputs = {f"inputs.{k}": str(v.get("default", "")) for k, v in spec.items()}
    inputs.update({"inputs.deploy-to": "Dev", "inputs.id-token-audience": SERVICE_ACCOUNT})
    ((name, publish),) = yaml.safe_load(substitute(job_text, GITLAB_INPUT, inputs)).items()
    assert name == "octoci-publish"
    job = pipeline_job("gitlab_ci")
    variables = {k: job.variables[k] for k in ("OCTOPUS_URL", "OCTOPUS_SERVICE_ACCOUNT_ID")}
    assert publish["id_tokens"]["OCTOCI_ID_TOKEN"]["aud"] == SERVICE_ACCOUNT
    env = {**variables, **publish["variables"], "OCTOCI_ID_TOKEN": id_token()}
    result = job.run(script_lines(publish["script"]), shell=BASH_SCRIPT, env=env)
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    report = read_dotenv(
        Path(job.env["CI_PROJECT_DIR"]) / publish["artifacts"]["reports"]["dotenv"]
    )
    assert report["release_version"] == version
    assert report["deployment_states"] == "Dev=Success"
