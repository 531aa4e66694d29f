"""``examples/pipelines/circleci-config.yml`` runs as CircleCI runs it: each ``run`` step under
``bash -eo pipefail`` with the job's ``environment:`` (``<< pipeline.git.base_revision >>``
substituted) and the ``octopus`` context's variables, under the recorded push environment,
against the emulator; the next ``run`` step reads the outputs because bash sources
``$BASH_ENV``, as on CircleCI. The base-revision wiring sends exactly the pushed commits."""

from __future__ import annotations

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import CIRCLECI_BASH, CIRCLECI_PARAMETER, substitute

from ..conftest import git
from .conftest import (
    FORMS,
    PIPELINES,
    PipelineJobFactory,
    installs_octoci,
    load_yaml,
    released_and_deployed,
)


def test_the_example_publishes_the_pushed_commits_and_the_next_step_reads_bash_env(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    config = load_yaml(PIPELINES / "circleci-config.yml")
    spec = config["jobs"]["publish"]
    job = pipeline_job("circleci")
    base = git(job.workspace, "rev-parse", "HEAD")
    git(job.workspace, "commit", "-q", "--allow-empty", "-m", "Pushed: fix the basket total")
    job.env["CIRCLE_SHA1"] = git(job.workspace, "rev-parse", "HEAD")
    pipeline_values = {"pipeline.git.base_revision": base}
    environment = {
        k: substitute(v, CIRCLECI_PARAMETER, pipeline_values)
        for k, v in spec["environment"].items()
    }
    context = {k: job.variables[k] for k in ("OCTOPUS_URL", "OCTOPUS_API_KEY")}
    results = []
    for step in spec["steps"]:
        if not isinstance(step, dict) or "run" not in step:
            continue  # checkout: the workspace is the checkout
        run = step["run"]
        command = run if isinstance(run, str) else run["command"]
        if installs_octoci(command):
            continue
        result = job.run(command, shell=CIRCLECI_BASH, env={**environment, **context})
        assert result.exit_code == 0, result.output
        results.append(result)
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    assert results[-1].stdout.strip() == f"Released {version} (Dev=Success)"
    records = octopus_emulator.documents("buildinfo")  # type: ignore[attr-defined]
    assert len(records) == 2  # one per package
    for record in records:
        assert [c["Comment"] for c in record["Commits"]] == ["Pushed: fix the basket total"]


def test_the_orb_job_publishes_the_pushed_commits(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    orb = load_yaml(FORMS / "circleci" / "orb.yml")
    job = pipeline_job("circleci")
    base = git(job.workspace, "rev-parse", "HEAD")
    git(job.workspace, "commit", "-q", "--allow-empty", "-m", "Pushed: fix the basket total")
    job.env["CIRCLE_SHA1"] = git(job.workspace, "rev-parse", "HEAD")
    # `- octoci/publish: {context: octopus, deploy-to: Dev}` in a workflow.
    job_parameters = {
        k: str(v.get("default", "")).lower()
        for k, v in orb["jobs"]["publish"]["parameters"].items()
    }
    job_parameters["deploy-to"] = "Dev"
    context = {k: job.variables[k] for k in ("OCTOPUS_URL", "OCTOPUS_API_KEY")}
    ran = []
    for step in orb["jobs"]["publish"]["steps"]:
        name, given = (step, {}) if isinstance(step, str) else next(iter(step.items()))
        if name == "checkout":
            continue  # the workspace is the checkout
        command = orb["commands"][name]
        parameters = {
            k: str(v.get("default", "")).lower() for k, v in command.get("parameters", {}).items()
        }
        parameters.update(
            {
                k: substitute(
                    str(v),
                    CIRCLECI_PARAMETER,
                    {f"parameters.{p}": x for p, x in job_parameters.items()},
                )
                for k, v in given.items()
            }
        )
        values = {
            "pipeline.git.base_revision": base,
            **{f"parameters.{k}": v for k, v in parameters.items()},
        }
        for inner in command["steps"]:
            run = inner["run"]
            if installs_octoci(run["command"]):
                continue
            environment = {
                k: substitute(str(v), CIRCLECI_PARAMETER, values)
                for k, v in run.get("environment", {}).items()
            }
            result = job.run(
                substitute(run["command"], CIRCLECI_PARAMETER, values),
                shell=CIRCLECI_BASH,
                env={**environment, **context},
            )
            assert result.exit_code == 0, result.output
            ran.append(name)
    assert ran == ["publish"]
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    records = octopus_emulator.documents("buildinfo")  # type: ignore[attr-defined]
    for record in records:
        assert [c["Comment"] for c in record["Commits"]] == ["Pushed: fix the basket total"]
    # The next run step of the job sources $BASH_ENV.
    later = job.run('echo "$release_version"', shell=CIRCLECI_BASH)
    assert later.stdout.strip() == version
