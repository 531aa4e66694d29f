"""``octoci publish`` creates its release and deployments at most once: lost and 5xx answers are
looked up before anything is sent again, and a lifecycle that refuses an environment stops the
run before anything is pushed or created."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from octoci.testing import CliResult
from octoci_emulator import Emulator

from .conftest import SEED

Publish = Callable[..., CliResult]


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    """Shop on a lifecycle with Dev first, then Test, then Production."""
    seed = copy.deepcopy(SEED)
    seed["lifecycles"] = [
        {
            "name": "Main",
            "phases": [
                {"name": "Dev", "optional": ["Dev"]},
                {"name": "Test", "optional": ["Test"]},
                {"name": "Production", "optional": ["Production"]},
            ],
        }
    ]
    seed["projects"][0]["lifecycle"] = "Main"
    return seed


def _fired(emulator: Emulator) -> bool:
    return emulator.app.faults.rules() == []


@pytest.mark.parametrize(("fault", "status"), [("status", 500), ("lose_response", 0)])
def test_a_failed_or_lost_release_answer_makes_one_release(
    publish: Publish, octopus_emulator: Emulator, fault: str, status: int
) -> None:
    octopus_emulator.add_fault(
        action=fault, status=status or 500, path="releases/create", method="POST", times=1
    )
    result = publish()
    assert _fired(octopus_emulator)
    assert result.exit_code == 0, result.stderr
    (release,) = octopus_emulator.documents("release")
    assert f"release Shop 1.3.1-ci.2 created ({release['Id']})" in result.stdout
    assert len(octopus_emulator.documents("deployment")) == 1


def test_a_lost_deployment_answer_makes_one_deployment_and_a_rerun_none(
    publish: Publish, octopus_emulator: Emulator
) -> None:
    octopus_emulator.add_fault(
        action="lose_response", path="deployments/create", method="POST", times=1
    )
    result = publish()
    assert _fired(octopus_emulator)
    assert result.exit_code == 0, result.stderr
    (deployment,) = octopus_emulator.documents("deployment")
    assert f"{deployment['Id']} was created although the answer was lost" in result.stdout
    assert "octoci output deployment_states=Dev=Success" in result.stdout
    again = publish("--release-exists", "use")
    assert again.exit_code == 0, again.stderr
    assert len(octopus_emulator.documents("deployment")) == 1
    assert f"already deployed to Dev: {deployment['Id']}" in again.stdout


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
def test_a_lifecycle_refusal_stops_before_anything_is_created(
    publish: Publish, octopus_emulator: Emulator, dry_run: bool
) -> None:
    result = publish("--deploy-to", "Production", *(["--dry-run"] if dry_run else []))
    assert result.exit_code == 2, result.stderr
    assert (
        "the lifecycle 'Main' does not let a new release (1.3.1-ci.2) go to Production before "
        "the 'Dev' phase is complete" in result.stderr
    )
    for kind in ("package", "release", "deployment"):
        assert octopus_emulator.documents(kind) == []


def test_a_dry_run_promotion_on_a_phased_lifecycle_is_not_refused(
    publish: Publish, octopus_emulator: Emulator
) -> None:
    result = publish("--dry-run", "--promote-to", "Test")
    assert result.exit_code == 0, result.stderr
    assert octopus_emulator.documents("release") == []
