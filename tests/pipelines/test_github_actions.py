"""``examples/pipelines/github-actions.yml`` runs as GitHub Actions runs it: each ``run:`` step
of the job under bash with ``-eo pipefail``, its ``${{ }}`` expressions substituted from the
repository's variables, the runner's token and the earlier steps' outputs, under the recorded
push environment, with keyless (OIDC) login through a local token service answering as the
runner's, against the emulator; the next step reads ``$GITHUB_OUTPUT`` as the runner hands it on."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import (
    GITHUB_BASH,
    GITHUB_EXPRESSION,
    PipelineJob,
    StepResult,
    read_key_value_file,
    substitute,
)

from .conftest import (
    PIPELINES,
    ROOT,
    PipelineJobFactory,
    id_token,
    installs_octoci,
    load_yaml,
    released_and_deployed,
)

RUNNER_REQUEST_TOKEN = "runner-request-token-for-tests"


def _oidc_runner(httpserver: HTTPServer) -> dict[str, str]:
    """What the runner sets with ``permissions: id-token: write``, served locally."""
    httpserver.expect_request("/_apis/idtoken").respond_with_json({"value": id_token()})
    return {
        "ACTIONS_ID_TOKEN_REQUEST_URL": httpserver.url_for("/_apis/idtoken") + "?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": RUNNER_REQUEST_TOKEN,
    }


def run_github_steps(
    job: PipelineJob, steps: list[dict[str, Any]], context: dict[str, str] | None = None
) -> tuple[dict[str, dict[str, str]], list[StepResult]]:
    """Run the ``run:`` steps in order (``uses:`` steps are the runner's: checkout is the
    workspace, setup-python this interpreter; ``pip install`` is skipped, octoci is installed);
    return each step's outputs by id, and what each step printed. A failing step fails the
    test, with its output."""
    outputs: dict[str, dict[str, str]] = {}
    results: list[StepResult] = []
    context = {
        **(context or {}),
        **{f"vars.{k}": v for k, v in job.variables.items()},
        **{f"secrets.{k}": v for k, v in job.variables.items()},
        "github.token": "ghs_test-token-of-the-job",
    }
    output_file = Path(job.env["GITHUB_OUTPUT"])
    for step in steps:
        if "run" not in step or installs_octoci(step["run"]):
            continue
        if "if" in step and not _condition(step["if"], context):
            continue
        for step_id, values in outputs.items():
            context.update({f"steps.{step_id}.outputs.{k}": v for k, v in values.items()})
        env = {
            k: substitute(str(v), GITHUB_EXPRESSION, context)
            for k, v in step.get("env", {}).items()
        }
        output_file.write_text("", encoding="utf-8")  # the runner gives every step a fresh file
        result = job.run(
            substitute(step["run"], GITHUB_EXPRESSION, context), shell=GITHUB_BASH, env=env
        )
        assert result.exit_code == 0, f"step {step.get('name', step['run'])!r}:\n{result.output}"
        results.append(result)
        if "id" in step:
            outputs[step["id"]] = read_key_value_file(output_file)
    return outputs, results


def _condition(expression: str, context: dict[str, str]) -> bool:
    """The one form of ``if:`` the action uses: ``inputs.x == 'value'``."""
    match = re.fullmatch(r"\s*([\w.-]+)\s*==\s*'([^']*)'\s*", expression)
    assert match, f"if: {expression!r} is not a form this test evaluates"
    return context[match[1]] == match[2]


def test_the_example_workflow_publishes_and_the_next_step_reads_the_release(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus, httpserver: HTTPServer
) -> None:
    workflow = load_yaml(PIPELINES / "github-actions.yml")
    (job_spec,) = workflow["jobs"].values()
    job = pipeline_job("github_actions", **_oidc_runner(httpserver))
    outputs, results = run_github_steps(job, job_spec["steps"])
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert outputs["octopus"]["release_version"] == version
    assert outputs["octopus"]["deployment_states"] == "Dev=Success"
    assert results[-1].stdout.strip() == f"Released {version} (Dev=Success)"


def test_the_action_publishes_and_re_exports_the_outputs(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus, httpserver: HTTPServer
) -> None:
    action = load_yaml(ROOT / "action.yml")
    assert action["runs"]["using"] == "composite"
    job = pipeline_job("github_actions", **_oidc_runner(httpserver))
    # `with:` of a workflow step that uses the action; the rest are the inputs' defaults.
    given = {
        "server": job.variables["OCTOPUS_URL"],
        "service-account-id": job.variables["OCTOPUS_SERVICE_ACCOUNT_ID"],
        "deploy-to": "Dev",
        "wait": "true",
        "install": "false",  # octoci is installed; the pin is checked in test_forms.py
    }
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    assert set(given) <= set(inputs)
    inputs.update(given)
    steps_outputs, _ = run_github_steps(
        job, action["runs"]["steps"], {f"inputs.{k}": v for k, v in inputs.items()}
    )
    context = {
        f"steps.{step}.outputs.{name}": value
        for step, values in steps_outputs.items()
        for name, value in values.items()
    }
    outputs = {
        name: substitute(spec["value"], GITHUB_EXPRESSION, lambda key: context.get(key, ""))
        for name, spec in action["outputs"].items()
    }
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert outputs["release_version"] == version
    assert outputs["deployment_states"] == "Dev=Success"
    assert outputs["package_ids"] == "Acme.Shop.Web,Acme.Shop.Api"
    assert outputs["release_url"].startswith(octopus_emulator.url)
