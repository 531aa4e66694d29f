"""``examples/pipelines/cloudbuild.yaml`` runs as Cloud Build runs it: each step's ``script:``
with ``#!/bin/sh`` (dash in ``python:3.12``; no ``-e``, so the script sets it), its ``env:``
with the trigger's ``${_OCTOPUS_URL}`` substituted, and its ``secretEnv:`` from Secret Manager,
under the recorded push environment, against the emulator; the next step reads
``octoci-outputs.json`` in ``/workspace``, which every step of the build shares."""

from __future__ import annotations

import re

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import Shell, substitute

from .conftest import PIPELINES, PipelineJobFactory, load_yaml, released_and_deployed, script_lines

#: A script without a shebang: ``/bin/sh``, not bash, and without ``-e``.
CLOUD_BUILD_SH = Shell(("dash", "{script}"))
#: Cloud Build's substitutions in ``env:``: ``${_NAME}`` or ``$_NAME``.
SUBSTITUTION = re.compile(r"\$\{?(?P<name>_[A-Z0-9_]+)\}?")


def test_the_example_publishes_and_the_next_step_reads_the_outputs_file(
    pipeline_job: PipelineJobFactory, octopus_emulator: LocalOctopus
) -> None:
    build = load_yaml(PIPELINES / "cloudbuild.yaml")
    publish, report = build["steps"]
    job = pipeline_job("google_cloud_build")
    substitutions = {"_OCTOPUS_URL": job.variables["OCTOPUS_URL"]}
    env = dict(substitute(e, SUBSTITUTION, substitutions).split("=", 1) for e in publish["env"])
    env.update(dict.fromkeys(publish["secretEnv"], job.variables["OCTOPUS_API_KEY"]))
    result = job.run(script_lines(publish["script"].splitlines()), shell=CLOUD_BUILD_SH, env=env)
    assert result.exit_code == 0, result.output
    version, states = released_and_deployed(octopus_emulator)
    assert states == ["Success"]
    later = job.run(report["script"], shell=CLOUD_BUILD_SH)
    assert later.exit_code == 0, later.output
    assert later.stdout.strip() == f"Released {version}"
