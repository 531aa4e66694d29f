"""``octoci publish --dry-run`` predicts what Octopus will refuse - a promotion the lifecycle does
not allow after the run's deployment, package versions the channel's rules reject - and a real
run refuses the same before anything is pushed or created (one check serves both)."""

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
    """Shop on Dev -> Test -> Production; its Default channel takes no pre-release Acme.Web."""
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
    seed["projects"][0]["channels"] = [
        {"name": "Default", "rules": [{"steps": ["Acme.Web"], "tag": "^$"}]}
    ]
    return seed


def _nothing_created(emulator: Emulator) -> None:
    for kind in ("package", "buildinfo", "release", "deployment"):
        assert emulator.documents(kind) == [], kind


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "run"])
def test_a_promotion_the_lifecycle_refuses_is_predicted(
    publish: Publish, octopus_emulator: Emulator, dry_run: bool
) -> None:
    result = publish("--version", "1.3.1", "--promote-to", "Production",
                     *(["--dry-run"] if dry_run else []))  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert (
        "the lifecycle 'Main' does not let a new release (1.3.1) deployed to Dev go to "
        "Production before the 'Test' phase is complete" in result.stderr
    )
    assert "would deploy to Production" not in result.stdout
    _nothing_created(octopus_emulator)


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "run"])
def test_versions_the_channel_rules_reject_are_predicted(
    publish: Publish, octopus_emulator: Emulator, dry_run: bool
) -> None:
    # The computed version, 1.3.1-ci.2, is a pre-release: the Default channel refuses it.
    result = publish(*(["--dry-run"] if dry_run else []))
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert (
        "the channel 'Default' does not accept Acme.Web 1.3.1-ci.2 (step 'Acme.Web'): its "
        "pre-release tag 'ci.2' does not match the pattern '^$'" in result.stderr
    )
    assert "would be created" not in result.stdout
    _nothing_created(octopus_emulator)


def test_the_versions_a_publish_pushes_count_as_in_the_feed(
    publish: Publish, octopus_emulator: Emulator
) -> None:
    dry = publish("--version", "1.3.1", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "release Shop 1.3.1 would be created" in dry.stdout
    _nothing_created(octopus_emulator)
    real = publish("--version", "1.3.1")
    assert real.exit_code == 0, real.stderr
    (release,) = octopus_emulator.documents("release")
    assert {p["Version"] for p in release["SelectedPackages"]} == {"1.3.1"}
