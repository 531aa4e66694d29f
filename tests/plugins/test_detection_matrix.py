"""Every recorded CI environment is claimed by exactly its own server's adapter, and by no other.

This is the guard against false positives across plugins (``BUILD_NUMBER`` alone is not Jenkins,
``CI=true`` alone is nobody): it runs every registered adapter's ``detect`` over every recording.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from octoci.local import LocalServer
from octoci.plugins import OctociPluginManager
from octoci.testing import RecordedEnvironment, list_recordings

ENV_DIR = Path(__file__).resolve().parents[1] / "data" / "env"
RECORDINGS = list_recordings([ENV_DIR])


def test_there_are_recordings() -> None:
    assert RECORDINGS, f"no recorded environments under {ENV_DIR}"


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_exactly_one_adapter_claims_each_recording(
    recording: Path, octoci_pm: OctociPluginManager, tmp_path: Path
) -> None:
    recorded = RecordedEnvironment.load(recording)
    env = recorded.materialize(tmp_path)
    servers = octoci_pm.server_classes()
    claiming = sorted(name for name, server in servers.items() if server.detect(env))
    assert claiming == [recorded.server], f"{recorded.description}: claimed by {claiming}"
    selected = octoci_pm.select_server(env, io.StringIO(), cwd=tmp_path)
    assert selected.name == recorded.server


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"CI": "true"},
        {"BUILD_NUMBER": "12"},
        {"BUILD_NUMBER": "12", "BUILD_ID": "12"},
        {"CI": "1", "BUILD_URL": "https://example.com/build/1"},
    ],
    ids=["empty", "ci-only", "build-number-only", "build-number-and-id", "generic-ci"],
)
def test_generic_variables_are_nobodys(env: dict[str, str], octoci_pm: OctociPluginManager) -> None:
    claiming = [name for name, server in octoci_pm.server_classes().items() if server.detect(env)]
    assert claiming == []
    assert isinstance(octoci_pm.select_server(env, io.StringIO()), LocalServer)
