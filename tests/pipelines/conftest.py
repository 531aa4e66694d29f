"""Fixtures of the pipeline tests: an emulator seeded for the sample application (project Shop,
its two packages, Dev/Test/Production, a test OIDC issuer) and ``pipeline_job(server)``, a job
of that server (``octoci.testing.pipelines``) whose workspace is a git copy of
``examples/sample-app`` and whose configured variables point at the emulator."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from octoci.local_octopus import LocalOctopus
from octoci.testing.emulator import FAST_TASKS
from octoci.testing.pipelines import PipelineJob, start_job
from octoci_emulator import mint_id_token

ROOT = Path(__file__).resolve().parents[2]
PIPELINES = ROOT / "examples" / "pipelines"
SAMPLE_APP = ROOT / "examples" / "sample-app"
FORMS = ROOT / "forms"
#: The test OIDC issuer the emulator trusts, and the service account its tokens log in as.
ISSUER = "https://token.ci.example"
ISSUER_SECRET = "pipeline-tests-issuer-secret"
SERVICE_ACCOUNT = "5b5f3c4e-0000-4000-8000-000000000016"

PipelineJobFactory = Callable[..., PipelineJob]


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    """The Octopus the sample application deploys to."""
    return {
        "tasks": dict(FAST_TASKS),
        "projects": [{"name": "Shop", "packages": ["Acme.Shop.Web", "Acme.Shop.Api"]}],
        "oidc": [
            {
                "issuer": ISSUER,
                "secret": ISSUER_SECRET,
                "service_account_id": SERVICE_ACCOUNT,
                "subject": "*",
            }
        ],
    }


def id_token() -> str:
    """An ID token of the trusted test issuer, as a build server hands one to a job."""
    return mint_id_token(
        issuer=ISSUER, secret=ISSUER_SECRET, subject="repo:acme/shop", audience=SERVICE_ACCOUNT
    )


@pytest.fixture
def pipeline_job(
    octopus_emulator: LocalOctopus, tmp_path: Path, octoci_env_dirs: list[Path]
) -> PipelineJobFactory:
    """``pipeline_job("gitlab_ci", variant="push", **overrides)``: a job whose
    ``variables`` are what a user configures on the server: ``OCTOPUS_URL``,
    ``OCTOPUS_API_KEY`` and ``OCTOPUS_SERVICE_ACCOUNT_ID``."""

    def make(server: str, variant: str = "push", **overrides: str) -> PipelineJob:
        variables = {
            "OCTOPUS_URL": octopus_emulator.url,
            "OCTOPUS_API_KEY": octopus_emulator.api_key,
            "OCTOPUS_SERVICE_ACCOUNT_ID": SERVICE_ACCOUNT,
        }
        return start_job(
            server,
            source=SAMPLE_APP,
            root=tmp_path / server,
            env_dirs=octoci_env_dirs,
            variant=variant,
            variables=variables,
            # The emulator's tasks take 50 ms: poll them as often, not every 10 s.
            overrides={"OCTOCI_POLL_INTERVAL": "0.1", **overrides},
        )

    return make


def load_yaml(path: Path) -> Any:
    """A pipeline or form file, parsed."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def released_and_deployed(emulator: LocalOctopus) -> tuple[str, list[str]]:
    """The one release the emulator holds and the states of its deployments' tasks."""
    releases = emulator.documents("release")  # type: ignore[attr-defined]
    assert len(releases) == 1, releases
    deployments = emulator.documents("deployment")  # type: ignore[attr-defined]
    tasks = {t["Id"]: t for t in emulator.documents("task")}  # type: ignore[attr-defined]
    states = [tasks[d["TaskId"]]["State"] for d in deployments]
    return str(releases[0]["Version"]), states


def script_lines(lines: list[str]) -> str:
    """A ``script:`` list as the runner runs it, one line after another in one shell; the
    ``pip install`` line is left out (octoci is installed: the harness puts it on PATH)."""
    return "\n".join(line for line in lines if not installs_octoci(line))


def installs_octoci(command: str) -> bool:
    """Whether ``command`` is the ``pip install`` of octoci, which the tests skip: octoci is
    installed (this checkout) and first on PATH; test_forms.py checks what each one pins."""
    return "pip install" in command and "octoci" in command
