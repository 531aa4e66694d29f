"""Client tests: octoci.octopus and its commands against the emulator over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from octoci.octopus.connection import Connection
from octoci.octopus.settings import OctopusSettings
from octoci.testing import CliResult, run_octoci
from octoci.testing import emulator as emulator_fixtures
from octoci_emulator import Emulator

# Made visible here until the octoci.testing plugin provides them (re-binding is harmless).
octopus_emulator = emulator_fixtures.octopus_emulator
octopus_emulator_factory = emulator_fixtures.octopus_emulator_factory
octopus_emulator_seed = emulator_fixtures.octopus_emulator_seed

#: A model with a three-phase lifecycle, tenants and runbooks, for the execution commands.
PIPELINE_SEED: dict[str, Any] = {
    "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.05},
    "environments": ["Dev", "Test", "Production"],
    "lifecycles": [
        {
            "name": "Main",
            "phases": [
                {"name": "Dev", "optional": ["Dev"]},
                {"name": "Test", "optional": ["Test"]},
                {"name": "Production", "optional": ["Production"]},
            ],
        },
        {"name": "Flat", "phases": [{"name": "All", "optional": ["Dev", "Test", "Production"]}]},
    ],
    "projects": [
        {"name": "Flat Project", "lifecycle": "Flat", "packages": ["MyApp.Web"]},
        {
            "name": "My Project",
            "lifecycle": "Main",
            "packages": ["MyApp.Web"],
            "runbooks": ["Restart"],
        },
        {
            "name": "Tenanted Shop",
            "lifecycle": "Main",
            "packages": ["Shop.Web"],
            "tenanted": "Tenanted",
        },
    ],
    "tenants": [
        {
            "name": "Acme",
            "tags": ["Tier/Gold"],
            "projects": {"Tenanted Shop": ["Dev", "Test", "Production"]},
        },
        {
            "name": "Globex",
            "tags": ["Tier/Silver"],
            "projects": {"Tenanted Shop": ["Dev", "Test"]},
        },
    ],
}


@pytest.fixture
def octo_env(octopus_emulator: Emulator) -> dict[str, str]:
    """The environment a CI job would have: server URL and API key; fast retries."""
    return {
        "OCTOPUS_URL": octopus_emulator.url,
        "OCTOPUS_API_KEY": octopus_emulator.api_key,
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
        "OCTOCI_RETRY_BUDGET": "20",
    }


@pytest.fixture
def octoci(octo_env: dict[str, str], tmp_path: Path) -> Callable[..., CliResult]:
    """``octoci("push", "*.zip", env={...})``: the CLI in-process, in ``tmp_path``."""

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        plugins: tuple[object, ...] = (),
    ) -> CliResult:
        merged = {**octo_env, **(env or {})}
        for name in [k for k, v in merged.items() if v is None]:
            del merged[name]  # env={"OCTOPUS_API_KEY": None} removes a variable
        return run_octoci(*args, env=merged, cwd=cwd or tmp_path, plugins=plugins)

    return run


@pytest.fixture
def connect(octopus_emulator: Emulator) -> Iterator[Callable[..., Connection]]:
    """``connect(**settings)``: a connection to the emulator with quick backoff."""
    made: list[Connection] = []

    def make(**changes: Any) -> Connection:
        values: dict[str, Any] = {
            "url": octopus_emulator.url,
            "api_key": octopus_emulator.api_key,
            "backoff_base": 0.02,
            "backoff_max": 0.2,
            "retry_budget": 10.0,
        }
        values.update(changes)
        connection = Connection(OctopusSettings(**values))
        made.append(connection)
        return connection

    yield make
    for connection in made:
        connection.close()


@pytest.fixture
def make_package(tmp_path: Path) -> Callable[..., Path]:
    """``make_package("Acme.Web.1.0.0.zip", size=..., content=...)``: a package file."""

    def make(
        name: str, *, size: int = 4096, content: bytes | None = None, folder: str = ""
    ) -> Path:
        base = tmp_path / folder if folder else tmp_path
        base.mkdir(parents=True, exist_ok=True)
        path = base / name
        if content is None:
            seed = name.encode()
            content = (seed * (size // len(seed) + 1))[:size]
        path.write_bytes(content)
        return path

    return make


@pytest.fixture
def octoci_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Records octoci's log (the CLI detaches its logger from the root; library calls do not)."""
    caplog.set_level(logging.DEBUG, logger="octoci")
    return caplog
