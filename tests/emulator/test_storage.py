"""State survives a restart on the same --data-dir; a temporary data dir is removed on stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from octoci.emulator import Emulator

from .conftest import Client

SEED = {"projects": [{"name": "Kept", "packages": ["Kept"]}]}


def test_state_survives_restart(tmp_path: Path, octopus_emulator_factory: Any) -> None:
    first: Emulator = octopus_emulator_factory(SEED, data_dir=tmp_path / "state")
    client = Client(first)
    assert client.push("Kept.1.0.0.zip", b"content").status_code == 201
    body = {"ProjectName": "Kept", "ReleaseVersion": "1.0.0"}
    assert client.post("/releases/create/v1", json=body).status_code == 201
    first.stop()

    # Seeding again is idempotent: the project is not duplicated.
    second: Emulator = octopus_emulator_factory(SEED, data_dir=tmp_path / "state")
    client = Client(second)
    assert client.get("/projects").json()["TotalResults"] == 1
    assert client.push("Kept.1.0.0.zip").status_code == 409
    package = client.get("/packages/packages-Kept.1.0.0/raw")
    assert package.content == b"content"
    release = client.post("/releases/create/v1", json={**body, "ReleaseVersion": "1.0.1"})
    assert release.json()["ReleaseId"] == "Releases-2"  # ids continue where they stopped
    assert client.get("/releases/Releases-1").status_code == 200


def test_temporary_state_is_removed(octopus_emulator_factory: Any) -> None:
    emulator: Emulator = octopus_emulator_factory()
    data_dir = emulator.data_dir
    assert (data_dir / "emulator.sqlite3").is_file()
    emulator.stop()
    assert not data_dir.exists()
