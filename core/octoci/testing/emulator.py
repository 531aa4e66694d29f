"""Pytest fixtures that run the Octopus emulator on an ephemeral port.

The server comes from the plugin that implements ``octoci_start_local_octopus``: the built-in
``emulator`` (an :class:`octoci_emulator.Emulator`, with its extra test helpers such as
``packages()`` and ``add_fault()``), unless a plugin registered on ``octoci_pm`` provides another.

* ``octopus_emulator`` - a running local Octopus server for one test, seeded with
  ``octopus_emulator_seed``; torn down (state removed) afterwards.
* ``octopus_emulator_seed`` - the seed (a mapping as in a JSON seed file); override it in a
  ``conftest.py`` or a test module to mirror your Octopus setup. Tasks run fast by default.
* ``octopus_emulator_factory`` - ``factory(seed=..., data_dir=...)`` starts more emulators in one
  test (e.g. to restart on the same ``data_dir``); all are stopped at teardown.

Example (a test that runs the command a user types, ``octoci.testing.run_octoci``)::

    def test_push(octopus_emulator, tmp_path):
        (tmp_path / "Web.1.0.0.zip").write_bytes(b"PK...")
        env = {"OCTOPUS_URL": octopus_emulator.url, "OCTOPUS_API_KEY": octopus_emulator.api_key}
        result = run_octoci("push", "Web.1.0.0.zip", env=env, cwd=tmp_path)
        assert result.exit_code == 0, result.stderr
        assert [p["PackageId"] for p in octopus_emulator.packages()] == ["Web"]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from octoci.local_octopus import LocalOctopus
from octoci.plugins import OctociPluginManager, create_plugin_manager

if TYPE_CHECKING:
    import requests

__all__ = [
    "FAST_TASKS",
    "exchange_id_token",
    "octopus_emulator",
    "octopus_emulator_factory",
    "octopus_emulator_seed",
    "start_emulator",
]

#: Task timing for tests: picked up at once, finished after 50 ms.
FAST_TASKS: Mapping[str, Any] = {"queued_seconds": 0.0, "executing_seconds": 0.05}


def start_emulator(
    seed: Mapping[str, Any] | None = None,
    *,
    data_dir: Path | None = None,
    plugins: OctociPluginManager | None = None,
) -> LocalOctopus:
    """Start an emulator on 127.0.0.1 and an ephemeral port (fast tasks unless ``seed`` says),
    through ``plugins`` (default: the core and built-in plugins)."""
    data = dict(seed or {})
    data.setdefault("tasks", dict(FAST_TASKS))
    manager = plugins if plugins is not None else create_plugin_manager(load_entrypoints=False)
    return manager.start_local_octopus(data, data_dir=data_dir, source="<test seed>")


def exchange_id_token(emulator: LocalOctopus, id_token: str, audience: str) -> requests.Response:
    """POST ``id_token`` to the emulator's RFC 8693 token exchange, as Octopus's login does, and
    return the response (200 with an ``access_token`` when the seed trusts the token's issuer).

    Example::

        response = exchange_id_token(octopus_emulator, server.id_token(account), account)
        assert response.status_code == 200
    """
    import requests

    return requests.post(
        f"{emulator.url}/token/v1",
        json={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "audience": audience,
            "subject_token": id_token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        },
        timeout=10,
    )


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    """The seed of ``octopus_emulator``: by default the stock model (space Default, environments
    Dev, Test and Production, Default Lifecycle) with fast tasks."""
    return {"tasks": dict(FAST_TASKS)}


@pytest.fixture
def octopus_emulator(
    octopus_emulator_seed: Mapping[str, Any], octoci_pm: OctociPluginManager
) -> Iterator[LocalOctopus]:
    """A running emulator for one test."""
    emulator = start_emulator(octopus_emulator_seed, plugins=octoci_pm)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def octopus_emulator_factory(
    octoci_pm: OctociPluginManager,
) -> Iterator[Callable[..., LocalOctopus]]:
    """Start emulators on demand; every one is stopped when the test ends."""
    started: list[LocalOctopus] = []

    def factory(
        seed: Mapping[str, Any] | None = None, *, data_dir: Path | None = None
    ) -> LocalOctopus:
        emulator = start_emulator(seed, data_dir=data_dir, plugins=octoci_pm)
        started.append(emulator)
        return emulator

    try:
        yield factory
    finally:
        for emulator in reversed(started):
            emulator.stop()
