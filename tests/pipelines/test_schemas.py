"""Every pipeline file of ``examples/pipelines/`` and every native form validates against its
format's published JSON schema, as vendored by ``check-jsonschema`` (offline:
``--builtin-schema vendor.NAME``); the files whose format publishes none are listed, each with
the reason, and a file in neither list fails the inventory test."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from octoci.testing.pipelines import TEMPLATE_EXPRESSION, substitute

from .conftest import ROOT


def _azure(path: Path) -> list[Any]:
    """An Azure Pipelines file as Azure reads it: every scalar a string (its schema types
    ``fetchDepth: 0`` and a boolean parameter's ``default: true`` as strings), and in a template
    each ``${{ parameters.x }}`` expanded to the parameter's default, as Azure expands a template
    before it validates the result."""
    text = path.read_text(encoding="utf-8")
    parameters = yaml.load(text, Loader=yaml.BaseLoader).get("parameters", [])
    defaults = {f"parameters.{p['name']}": p.get("default", "") for p in parameters}
    return [yaml.load(substitute(text, TEMPLATE_EXPRESSION, defaults), Loader=yaml.BaseLoader)]


def _documents(path: Path) -> list[Any]:
    """Each YAML document of the file (a GitLab component: the ``spec:`` header, then the
    jobs)."""
    return list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Schema:
    """A file's vendored schema, and how the file is read into what that server validates
    (``None``: the file as it is)."""

    name: str
    read: Callable[[Path], list[Any]] | None = None

    @property
    def options(self) -> tuple[str, ...]:
        """Azure's schema has patterns that check-jsonschema's ECMAScript engine cannot parse
        (``Invalid character escape``); Python's reads them as Azure means them."""
        return ("--regex-variant", "python") if self.name == "azure-pipelines" else ()


#: File (relative to the repository) -> its schema.
SCHEMAS: Mapping[str, Schema] = {
    "examples/pipelines/azure-pipelines.yml": Schema("azure-pipelines", _azure),
    "examples/pipelines/bamboo-specs.yml": Schema("bamboo-spec"),
    "examples/pipelines/bitbucket-pipelines.yml": Schema("bitbucket-pipelines"),
    "examples/pipelines/buildkite-pipeline.yml": Schema("buildkite"),
    "examples/pipelines/circleci-config.yml": Schema("circle-ci"),
    "examples/pipelines/cloudbuild.yaml": Schema("cloudbuild"),
    "examples/pipelines/drone.yml": Schema("drone-ci"),
    # Gitea Actions runs GitHub's workflow syntax; Gitea publishes no schema of its own.
    "examples/pipelines/gitea-actions.yml": Schema("github-workflows"),
    "examples/pipelines/github-actions.yml": Schema("github-workflows"),
    "examples/pipelines/gitlab-ci.yml": Schema("gitlab-ci"),
    "examples/pipelines/gitlab-ci-repositories.yml": Schema("gitlab-ci"),
    "examples/pipelines/travis.yml": Schema("travis"),
    "examples/pipelines/woodpecker.yml": Schema("woodpecker-ci"),
    "action.yml": Schema("github-actions"),
    # The spec header validates against the same schema (its `spec:` definition).
    "templates/publish.yml": Schema("gitlab-ci", _documents),
    # No orb schema is published; an orb's commands, jobs and executors are the config
    # schema's own definitions, which is what this checks.
    "forms/circleci/orb.yml": Schema("circle-ci"),
    "forms/azure-devops/publish.yml": Schema("azure-pipelines", _azure),
}

#: Files whose format publishes no schema (none vendored by check-jsonschema, none by the
#: server's vendor), each with the reason; they run as tests in their server's own test file.
NO_SCHEMA: Mapping[str, str] = {
    "examples/pipelines/Jenkinsfile": "Groovy (a declarative Jenkinsfile), not YAML or JSON",
    "examples/pipelines/teamcity-settings.kts": "Kotlin DSL, compiled by TeamCity",
    "examples/pipelines/continua-ci.sh": "a shell script (Continua CI is configured in its UI)",
    "examples/pipelines/appveyor.yml": "AppVeyor publishes no schema (not vendored)",
    "examples/pipelines/aws-codebuild-buildspec.yml": "AWS publishes no buildspec schema",
    "examples/pipelines/bitrise.yml": "no schema vendored by check-jsonschema",
    "examples/pipelines/buddy.yml": "Buddy publishes no schema",
    "examples/pipelines/cirrus.yml": "no schema vendored by check-jsonschema",
    "examples/pipelines/codefresh.yml": "no schema vendored by check-jsonschema",
    "examples/pipelines/gocd.yaml": "no schema vendored by check-jsonschema",
    "examples/pipelines/harness-pipeline.yml": "no schema vendored by check-jsonschema",
    "examples/pipelines/semaphore.yml": "no schema vendored by check-jsonschema",
    "forms/bamboo/octoci-publish.yml": "task lists to paste into a job; the bamboo-spec schema "
    "checks no job's tasks (a misspelt task key passes), so it would check nothing here",
    "forms/appveyor/octoci-publish.yml": "AppVeyor publishes no schema (not vendored)",
    "forms/bitbucket/pipe.yml": "Atlassian publishes no pipe.yml schema",
    "forms/bitbucket/Dockerfile": "a Dockerfile",
    "forms/bitbucket/pipe.sh": "a shell script",
    "forms/continua-ci/octoci-publish.cmd": "a cmd script",
    "forms/continua-ci/octoci-publish.ps1": "a PowerShell script",
    "forms/continua-ci/octoci-publish.sh": "a shell script",
    "forms/teamcity/octoci-publish.xml": "a TeamCity meta-runner: XML, no JSON schema",
    "vars/octociPublish.groovy": "Groovy (a Jenkins shared-library step)",
}


def _shipped_files() -> set[str]:
    """Every pipeline file and native form in the repository."""
    found = {"action.yml", *(f"templates/{p.name}" for p in (ROOT / "templates").glob("*.yml"))}
    for folder in ("examples/pipelines", "forms", "vars"):
        found |= {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*") if p.is_file()}
    return found


def test_every_pipeline_file_and_native_form_is_checked_or_listed_with_a_reason() -> None:
    assert not set(SCHEMAS) & set(NO_SCHEMA)
    assert _shipped_files() == set(SCHEMAS) | set(NO_SCHEMA)


@pytest.mark.parametrize("relative", sorted(SCHEMAS))
def test_the_file_validates_against_its_published_schema(relative: str, tmp_path: Path) -> None:
    schema = SCHEMAS[relative]
    path = ROOT / relative
    if schema.read is None:
        instances = [path]
    else:
        instances = []
        for number, document in enumerate(schema.read(path), 1):
            instance = tmp_path / f"{path.stem}-{number}.json"
            instance.write_text(json.dumps(document), encoding="utf-8")
            instances.append(instance)
    argv = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", f"vendor.{schema.name}"]
    done = subprocess.run(
        [*argv, *schema.options, *map(str, instances)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"{relative}:\n{done.stdout}{done.stderr}"
