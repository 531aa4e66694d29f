"""Fixtures for the settings tests: commands run in-process against an emulator over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.testing import CliResult, run_octoci
from octoci.testing import emulator as emulator_fixtures
from octoci_emulator import Emulator

octopus_emulator = emulator_fixtures.octopus_emulator

#: One project with a one-phase lifecycle; tasks end at once.
SEED: dict[str, Any] = {
    "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.05},
    "environments": ["Dev"],
    "lifecycles": [{"name": "Flat", "phases": [{"name": "All", "optional": ["Dev"]}]}],
    "projects": [{"name": "Shop", "lifecycle": "Flat", "packages": ["Acme.Web"]}],
}


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return SEED


@pytest.fixture
def octoci(octopus_emulator: Emulator, tmp_path: Path) -> Callable[..., CliResult]:
    """``octoci("push", "x.zip", env={...}, plugins=[...])`` in ``tmp_path``, with the emulator's
    key; the server URL comes from ``OCTOPUS_URL`` unless ``env`` sets it to ``None``."""

    def run(
        *args: str, env: Mapping[str, str | None] | None = None, plugins: tuple[object, ...] = ()
    ) -> CliResult:
        merged: dict[str, str | None] = {
            "OCTOPUS_URL": octopus_emulator.url,
            "OCTOPUS_API_KEY": octopus_emulator.api_key,
            "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
            "OCTOCI_RETRY_BUDGET": "5",
            **(env or {}),
        }
        given = {k: v for k, v in merged.items() if v is not None}
        return run_octoci(*args, env=given, cwd=tmp_path, plugins=plugins)

    return run


@pytest.fixture
def package(tmp_path: Path) -> Callable[[bytes], Path]:
    """``package(b"content")``: Acme.Web.1.0.0.zip in ``tmp_path`` with that content."""

    def make(content: bytes) -> Path:
        path = tmp_path / "Acme.Web.1.0.0.zip"
        path.write_bytes(content)
        return path

    return make
