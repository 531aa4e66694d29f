"""``octoci release create`` and ``release deploy`` refuse what Octopus would refuse - a version
the channel's rules reject, a version the feed does not hold, a step that does not exist, an
environment the lifecycle does not allow yet - before anything is created, end to end against
the emulator over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from tests.emulator.test_channel_rules import SHOP_SEED

from octoci.testing import CliResult
from octoci_emulator import Emulator

Octoci = Callable[..., CliResult]


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return SHOP_SEED


@pytest.fixture
def feed(octoci: Octoci, make_package: Callable[..., Path]) -> None:
    for name in ("Acme.Web.1.0.0.zip", "Acme.Web.1.1.0-beta.zip", "Acme.Web.2.1.0-beta.1.zip"):
        make_package(name)
    make_package("Acme.Api.1.0.0.zip")
    result = octoci("push", "*.zip")
    assert result.exit_code == 0, result.stderr


def _create(octoci: Octoci, *args: str) -> CliResult:
    return octoci("release", "create", "--project", "Shop", "--version", "1.0.0", *args)


def _refused(result: CliResult, emulator: Emulator, *parts: str) -> None:
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one line, no traceback
    for part in parts:
        assert part in result.stderr
    assert "nothing was created" in result.stderr
    assert emulator.documents("release") == []
    assert emulator.documents("deployment") == []


def test_a_version_the_channel_rules_reject_is_refused_before_anything_is_created(
    octoci: Octoci, octopus_emulator: Emulator, feed: None
) -> None:
    result = _create(octoci, "--package", "Acme.Web:1.1.0-beta", "--deploy-to", "Dev")
    _refused(
        result,
        octopus_emulator,
        "cannot create a release of Shop: the channel 'Default' does not accept Acme.Web "
        "1.1.0-beta (step 'Acme.Web'): its pre-release tag 'beta' does not match the pattern "
        "'^$' (the pre-release tag '^$'); pick a version its rules accept, or another channel",
    )
    beta = _create(octoci, "--channel", "Beta", "--package-version", "2.1.0-beta.1")
    # Acme.Api has no rule in Beta, but the feed has no Acme.Api 2.1.0-beta.1.
    assert beta.exit_code == 2
    assert "the built-in feed has no Acme.Api 2.1.0-beta.1 (step 'Acme.Api'; it holds 1.0.0)" in (
        beta.stderr
    )
    accepted = _create(octoci, "--channel", "Beta", "--package", "Acme.Web:2.1.0-beta.1")
    assert accepted.exit_code == 0, accepted.stderr
    (release,) = octopus_emulator.documents("release")
    assert {p["ActionName"]: p["Version"] for p in release["SelectedPackages"]} == {
        "Acme.Web": "2.1.0-beta.1",
        "Acme.Api": "1.0.0",
    }


def test_a_step_that_does_not_exist_is_refused_with_close_matches(
    octoci: Octoci, octopus_emulator: Emulator, feed: None
) -> None:
    result = _create(octoci, "--package", "Acme.Wbe:1.0.0")
    _refused(
        result,
        octopus_emulator,
        "--package 'Acme.Wbe:1.0.0': no step or package 'Acme.Wbe'; did you mean 'Acme.Web' or 'Acme.Api'?",
    )


def test_a_version_not_in_the_feed_is_refused(
    octoci: Octoci, octopus_emulator: Emulator, feed: None
) -> None:
    result = _create(octoci, "--package", "Acme.Web:9.9.9")
    _refused(
        result,
        octopus_emulator,
        "the built-in feed has no Acme.Web 9.9.9 (step 'Acme.Web'; it holds ",
        "push it first or pick a version it holds",
    )
    # The same version written differently is the same version (1.0 is 1.0.0).
    same = _create(octoci, "--package", "Acme.Web:1.0")
    assert same.exit_code == 0, same.stderr


def test_a_many_environment_deployment_leaves_nothing_behind(
    octoci: Octoci, octopus_emulator: Emulator, feed: None
) -> None:
    assert _create(octoci).exit_code == 0
    result = octoci("release", "deploy", "--project", "Shop", "--version", "1.0.0",
                    "--environment", "Dev", "--environment", "Production")  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert "does not let release 1.0.0 go to Production before the 'Dev' phase is complete" in (
        result.stderr
    )
    assert octopus_emulator.documents("deployment") == []
