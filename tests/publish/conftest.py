"""Fixtures for ``octoci publish``: a sample monorepo in git and an emulator seeded for it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.testing import CliResult, run_octoci
from octoci.testing import emulator as emulator_fixtures
from octoci_emulator import Emulator

octopus_emulator = emulator_fixtures.octopus_emulator
octopus_emulator_factory = emulator_fixtures.octopus_emulator_factory

CONFIG = """\
project = "Shop"
deploy_to = ["Dev"]
wait = true
poll_interval = 0.05
exclude = ["**/*.map"]

[[packages]]
id = "Acme.Web"
base_path = "web/dist"

[[packages]]
id = "Acme.Api"
base_path = "api/bin"
format = "tar.gz"
"""

#: Shop with both packages and Dev, Test and Production; Production deployments fail.
SEED: dict[str, Any] = {
    "tasks": {
        "queued_seconds": 0.0,
        "executing_seconds": 0.05,
        "outcomes": [
            {"environment": "Production", "state": "Failed", "error": "Step 'Deploy' failed"}
        ],
    },
    "environments": ["Dev", "Test", "Production"],
    # One phase: any environment in any order, so each test deploys where it needs to.
    "lifecycles": [
        {"name": "Flat", "phases": [{"name": "All", "optional": ["Dev", "Test", "Production"]}]}
    ],
    "projects": [{"name": "Shop", "lifecycle": "Flat", "packages": ["Acme.Web", "Acme.Api"]}],
}


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return SEED


@pytest.fixture
def sample_repo(git_repo: Callable[..., Path]) -> Path:
    """A monorepo: web/dist and api/bin to pack, octoci.toml, tag v1.3.0 and two commits after."""
    repo = git_repo(["Start the shop", "Add the basket (#12)", "Fix the total"], tags={0: "v1.3.0"})
    (repo / "web" / "dist").mkdir(parents=True)
    (repo / "web" / "dist" / "index.html").write_text("<h1>Shop</h1>\n", encoding="utf-8")
    (repo / "web" / "dist" / "app.js").write_text("console.log('shop')\n", encoding="utf-8")
    (repo / "web" / "dist" / "app.js.map").write_text("{}\n", encoding="utf-8")
    (repo / "api" / "bin").mkdir(parents=True)
    (repo / "api" / "bin" / "api.dll").write_bytes(b"MZ" + bytes(range(256)) * 8)
    (repo / "octoci.toml").write_text(CONFIG, encoding="utf-8")
    return repo


@pytest.fixture
def publish(octopus_emulator: Emulator, sample_repo: Path) -> Callable[..., CliResult]:
    """``publish("--deploy-to", "Test", env={...})``: ``octoci publish`` in the sample repo."""

    def run(*args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> CliResult:
        merged = {
            "OCTOPUS_URL": octopus_emulator.url,
            "OCTOPUS_API_KEY": octopus_emulator.api_key,
            "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
            "OCTOCI_RETRY_BUDGET": "5",
            **(env or {}),
        }
        return run_octoci("publish", *args, env=merged, cwd=cwd or sample_repo)

    return run
