"""Emulator tests: real HTTP against an emulator on an ephemeral 127.0.0.1 port."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from octoci.testing import emulator as emulator_fixtures
from octoci_emulator import Emulator

# The lead wires octoci.testing.emulator into the octoci.testing plugin; until then the fixtures
# are made visible here (re-binding them is harmless once the plugin provides them too).
octopus_emulator = emulator_fixtures.octopus_emulator
octopus_emulator_factory = emulator_fixtures.octopus_emulator_factory
octopus_emulator_seed = emulator_fixtures.octopus_emulator_seed

PIPELINE_SEED: dict[str, Any] = {
    "api_keys": ["API-TESTKEY1", {"key": "API-READONLY", "permissions": []}],
    "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.05},
    "environments": ["Dev", "Test", "Production"],
    "lifecycles": [
        {
            "name": "Main",
            "phases": [
                {"name": "Dev", "automatic": ["Dev"]},
                {"name": "Test", "optional": ["Test"]},
                {"name": "Production", "optional": ["Production"]},
            ],
        }
    ],
    "projects": [
        {"name": "My Project", "lifecycle": "Main", "packages": ["MyApp.Web"]},
        {
            "name": "Auto",
            "lifecycle": "Main",
            "packages": ["Auto.Web", "Auto.Worker"],
            "auto_create_release": "Auto.Web",
        },
        {
            "name": "Tenanted",
            "packages": ["Tenant.App"],
            "tenanted": "Tenanted",
            "runbooks": ["Restart"],
        },
    ],
    "tenants": [
        {"name": "Acme", "tags": ["Tier/Gold"], "projects": {"Tenanted": ["Dev", "Production"]}},
        {"name": "Globex", "tags": ["Tier/Silver"], "projects": {"Tenanted": ["Dev"]}},
    ],
}


class Client:
    """A requests session aimed at one emulator, with the paths the tests use."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.session = requests.Session()
        self.session.headers["X-Octopus-ApiKey"] = emulator.api_key
        self.space = f"{emulator.url}/api/{emulator.space_id}"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.space + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.space + path, timeout=30, **kwargs)

    def push(
        self,
        filename: str,
        data: bytes = b"PK\x03\x04 package",
        mode: str = "",
        part: str = "file",
    ) -> requests.Response:
        query = f"?overwriteMode={mode}" if mode else ""
        return self.post(f"/packages/raw{query}", files={part: (filename, data)})

    def wait(self, task_id: str) -> dict[str, Any]:
        return self.emulator.wait_for_task(task_id)


@pytest.fixture
def pipeline_emulator(octopus_emulator_factory: Any) -> Emulator:
    """An emulator with the pipeline model: three environments, a lifecycle, tenants, runbooks."""
    emulator: Emulator = octopus_emulator_factory(PIPELINE_SEED)
    return emulator


@pytest.fixture
def client(pipeline_emulator: Emulator) -> Client:
    """A client of ``pipeline_emulator``."""
    return Client(pipeline_emulator)
