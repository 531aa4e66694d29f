"""Under automatic release creation the head start may be the triggering package (the largest is
packed first): it is then written first, alone, and still pushed alone and last, so Octopus
creates one release holding both packages."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.testing import CliResult
from octoci_emulator import Emulator

from .test_automatic_release import SEED, VERSION


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return SEED


def test_a_triggering_head_start_is_packed_first_and_pushed_last(
    publish: Callable[..., CliResult], sample_repo: Path, octopus_emulator: Emulator
) -> None:
    # Acme.Web triggers the release; made the largest, it is the head start.
    rng = random.Random(18)
    (sample_repo / "web" / "dist" / "bundle.bin").write_bytes(rng.randbytes(8 << 20))
    result = publish("--no-commits")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    packed = [line.split()[1] for line in lines if line.startswith("packed ")]
    # Written first (it was being written already), not beside the other package.
    assert packed == ["Acme.Web.1.3.1-ci.2.zip:", "Acme.Api.1.3.1-ci.2.tar.gz:"]
    pushed = [line.split(":")[0] for line in lines if line.endswith(": pushed")]
    assert pushed == ["Acme.Api.1.3.1-ci.2.tar.gz", "Acme.Web.1.3.1-ci.2.zip"]  # trigger last
    (release,) = octopus_emulator.documents("release")
    selected = {p["ActionName"]: p["Version"] for p in release["SelectedPackages"]}
    assert selected == {"Acme.Web": VERSION, "Acme.Api": VERSION}
