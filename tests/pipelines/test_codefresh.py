"""``examples/pipelines/codefresh.yml`` runs as Codefresh runs a pipeline: the ``git-clone``
step's ``${{...}}`` resolve to the build's repository and revision (the workspace is its
clone), each freestyle step's ``commands`` run one after another in the image's ``sh`` that
stops at the first failing one, with the encrypted pipeline variables in their environment,
under the recorded push environment, against the emulator. What octoci exports the way
``cf_export`` does (``NAME=value`` lines in ``$CF_VOLUME_PATH/env_vars_to_export``) is in the
next step's environment and its ``${{NAME}}``; the report step prints them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import DASH, read_dotenv, substitute

from .conftest import PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed, script_lines

#: Codefresh's variable reference ``${{CF_BRANCH}}`` (no spaces inside the braces).
CODEFRESH_VARIABLE = re.compile(r"\$\{\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}\}")


def resolved(text: str, variables: Mapping[str, str]) -> str:
    """``text`` with its ``${{NAME}}`` replaced as Codefresh does; one it has no value for
    fails the test."""
    return substitute(text, CODEFRESH_VARIABLE, variables)


def test_the_example_publishes_and_the_next_step_reads_cf_export(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    steps = load_yaml(PIPELINES / "codefresh.yml")["steps"]
    job = pipeline_job("codefresh")
    variables = {**job.env, "clone": str(job.workspace)}
    clone = steps["clone"]
    assert clone["type"] == "git-clone"
    assert resolved(clone["repo"], variables) == "acme/shop"
    assert resolved(clone["revision"], variables) == job.env["CF_REVISION"]
    encrypted = {k: job.variables[k] for k in ("OCTOPUS_URL", "OCTOPUS_API_KEY")}
    publish = steps["publish"]
    workspace = Path(resolved(publish["working_directory"], variables))
    commands = resolved(script_lines(publish["commands"]), variables)
    result = job.run(commands, shell=DASH, env=encrypted, cwd=workspace)
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    exported = read_dotenv(Path(job.env["CF_VOLUME_PATH"]) / "env_vars_to_export")
    assert (exported["release_version"], exported["deployment_states"]) == (version, "Dev=Success")
    report = resolved(script_lines(steps["report"]["commands"]), {**variables, **exported})
    reported = job.run(report, shell=DASH, env={**encrypted, **exported})
    assert reported.exit_code == 0, reported.output
    assert reported.stdout.strip() == f"Released {version} (Dev=Success)"
