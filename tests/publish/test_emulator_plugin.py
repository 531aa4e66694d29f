"""``publish --emulator`` reaches the emulator only through the ``octoci_start_local_octopus``
hook: the built-in plugin ``emulator`` provides it, a plugin may provide another, and with none
the run stops with one line saying what to do, before anything is created."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci import hookimpl
from octoci.errors import InputError
from octoci.local_octopus import NO_LOCAL_OCTOPUS
from octoci.plugins import create_plugin_manager
from octoci.testing import run_octoci, start_emulator
from octoci_emulator import Emulator, parse_seed

QUIET = {"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--disable-plugin", "emulator"], {}),
        ([], {"OCTOCI_DISABLE_PLUGINS": "emulator"}),
    ],
    ids=["flag", "variable"],
)
def test_without_the_emulator_plugin_publish_emulator_is_one_line_exit_2_and_creates_nothing(
    sample_repo: Path, args: list[str], env: dict[str, str]
) -> None:
    result = run_octoci(*args, "publish", "--emulator", env={**QUIET, **env}, cwd=sample_repo)
    assert result.exit_code == 2
    assert result.stderr == f"octoci: error: {NO_LOCAL_OCTOPUS}\n"
    assert not (sample_repo / ".octoci").exists()  # nothing packed


def test_without_the_emulator_plugin_there_is_no_emulator_command() -> None:
    result = run_octoci("--disable-plugin", "emulator", "emulator", "--help", env=QUIET)
    assert result.exit_code == 2
    assert "No such command 'emulator'" in result.stderr
    listed = run_octoci("plugins", env=QUIET)
    assert listed.exit_code == 0, listed.stderr
    assert "emulator" in listed.stdout


class SharedOctopus:
    """A plugin that provides the local server itself (as one backed by a container would)."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.calls: list[tuple[Mapping[str, Any], Path | None, str]] = []
        self.server: Emulator | None = None
        self.url = ""
        self.packages_at_stop: list[tuple[str, str]] = []

    @hookimpl
    def octoci_start_local_octopus(
        self, seed: Mapping[str, Any], data_dir: Path | None, source: str
    ) -> Emulator:
        self.calls.append((seed, data_dir, source))
        self.server = Emulator(data_dir=self.tmp_path / "shared", seed=parse_seed(seed)).start()
        self.url = self.server.url
        original_stop = self.server.stop

        def stop() -> None:
            assert self.server is not None
            self.packages_at_stop = [(p["PackageId"], p["Version"]) for p in self.server.packages()]
            original_stop()

        self.server.stop = stop  # type: ignore[method-assign]
        return self.server


def test_a_plugin_can_provide_the_server_publish_emulator_uses(
    sample_repo: Path, tmp_path: Path
) -> None:
    shared = SharedOctopus(tmp_path)
    result = run_octoci("publish", "--emulator", env=QUIET, cwd=sample_repo, plugins=[shared])
    assert result.exit_code == 0, result.stderr
    ((seed, data_dir, source),) = shared.calls
    assert source == "octoci publish --emulator"
    assert data_dir is None
    (space,) = seed["spaces"]
    assert [(p["name"], p["packages"]) for p in space["projects"]] == [
        ("Shop", ["Acme.Web", "Acme.Api"])
    ]
    assert f"started an Octopus emulator at {shared.url} for this run" in result.stdout
    # The run went to that server, and stopped it at the end.
    assert sorted(shared.packages_at_stop) == [
        ("Acme.Api", "1.3.1-ci.2"),
        ("Acme.Web", "1.3.1-ci.2"),
    ]


def test_a_plugin_returning_no_server_is_named_and_nothing_keeps_running(
    sample_repo: Path,
) -> None:
    stopped: list[bool] = []

    class Broken:
        def stop(self) -> None:
            stopped.append(True)

    class Plugin:
        @hookimpl
        def octoci_start_local_octopus(self) -> Broken:
            return Broken()

    result = run_octoci("publish", "--emulator", env=QUIET, cwd=sample_repo, plugins=[Plugin()])
    assert result.exit_code == 1
    assert "octoci_start_local_octopus returned" in result.stderr
    assert "which is not a local Octopus server" in result.stderr
    assert stopped == [True]


def test_the_fixtures_start_the_server_through_the_hook_too() -> None:
    blocked = create_plugin_manager(load_entrypoints=False, disabled=["emulator"])
    with pytest.raises(InputError, match="no plugin provides a local Octopus server"):
        start_emulator(plugins=blocked)
    server = start_emulator({"environments": ["QA"]})
    try:
        assert isinstance(server, Emulator)
        assert [e["Name"] for e in server.documents("environment")] == ["QA"]
    finally:
        server.stop()
