"""State survives a restart on the same --data-dir; a temporary data dir is removed on stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from octoci_emulator import Emulator

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


def test_start_up_repairs_what_a_crash_left(tmp_path: Path, octopus_emulator_factory: Any) -> None:
    data_dir = tmp_path / "state"
    first: Emulator = octopus_emulator_factory(data_dir=data_dir)
    client = Client(first)
    for name in ("Good", "Changed", "Shrunk", "Gone"):
        assert client.push(f"{name}.1.0.0.zip", b"content of " + name.encode()).status_code == 201
    paths = {p["PackageId"]: first.package_path(p) for p in first.packages()}
    first.stop()
    # What a crash (or a hand in the data dir) can leave: same size but other bytes, another
    # size, a missing file, a file no row names, a partial upload.
    changed = paths["Changed"]
    changed.write_bytes(changed.read_bytes()[::-1])
    paths["Shrunk"].write_bytes(b"cut")
    paths["Gone"].unlink()
    (paths["Good"].parent / "Stray.1.0.0~0123456789ab.zip").write_bytes(b"orphan")
    (paths["Good"].parent / "0123abcd.part").write_bytes(b"half an upload")
    (data_dir / "incoming" / "4567cdef.part").write_bytes(b"half a delta")

    second: Emulator = octopus_emulator_factory(data_dir=data_dir)
    repairs = "\n".join(second.repairs)
    assert "removed package Changed 1.0.0 (Spaces-1) from the feed: its file's SHA-1" in repairs
    assert "removed package Shrunk 1.0.0 (Spaces-1) from the feed: its file has 3 bytes" in repairs
    assert "removed package Gone 1.0.0 (Spaces-1) from the feed: its file is missing" in repairs
    assert "Stray.1.0.0~0123456789ab.zip" in repairs
    assert "0123abcd.part" in repairs
    assert "4567cdef.part" in repairs
    assert len(second.repairs) == 8  # and the two files of the removed rows that were there
    client = Client(second)
    assert [p["PackageId"] for p in second.packages()] == ["Good"]
    assert second.stored_files() == [paths["Good"]]
    assert client.get("/packages/packages-Good.1.0.0/raw").content == b"content of Good"
    assert client.push("Changed.1.0.0.zip", b"pushed again").status_code == 201


def test_spaces_in_a_seed_add_to_default(octopus_emulator_factory: Any) -> None:
    emulator: Emulator = octopus_emulator_factory(
        {"spaces": [{"name": "Team B", "environments": ["Staging"]}]}
    )
    spaces = {s["Name"]: s["IsDefault"] for s in emulator.documents("space")}
    assert spaces == {"Default": True, "Team B": False}
    assert emulator.space_id == "Spaces-1"


def test_a_space_marked_default_replaces_default(octopus_emulator_factory: Any) -> None:
    emulator: Emulator = octopus_emulator_factory(
        {"spaces": [{"name": "Team B", "default": True}, {"name": "Team C"}]}
    )
    spaces = {s["Name"]: s["IsDefault"] for s in emulator.documents("space")}
    assert spaces == {"Team B": True, "Team C": False}
