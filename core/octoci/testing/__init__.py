"""octoci's opt-in pytest plugin, for octoci's own tests and for third-party plugin authors.

Enable it in your ``conftest.py`` (or with ``-p octoci.testing``)::

    pytest_plugins = ["octoci.testing"]

Fixtures:

* ``octoci_pm`` - a fresh plugin manager: core and built-in plugins, no entry points.
* ``register_plugin`` - ``register_plugin(obj)`` registers a plugin object on ``octoci_pm`` for one test.
* ``ci_env`` - ``ci_env("github_actions", "push", GITHUB_REF="refs/heads/x")`` returns a recorded
  CI environment as a dict, with its files written to a temporary folder.
* ``octoci_env_dirs`` - where recordings are looked up; override it to add your own.
* ``run_cli`` - ``run_cli("info", "--json", env=..., plugins=[...])`` runs the CLI in-process and
  returns a :class:`CliResult` (exit code, stdout, stderr, parsed CI messages).
* ``octopus_emulator`` - a running local Octopus emulator (``.url``, ``.api_key``, ``.space_id``),
  seeded from ``octopus_emulator_seed``; ``octopus_emulator_factory`` starts more
  (``docs/emulator.md``).

Helpers: :func:`parse_ci_output`, :class:`CIServerContract`, :class:`RecordedEnvironment`;
ready-made adapter tests a module declares with its data: :func:`fields_per_variant_test`,
:func:`not_detected_test` (and :func:`info_json`, the ``octoci info --json`` they read).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from octoci.plugins import OctociPluginManager, create_plugin_manager
from octoci.testing.adapter_checks import fields_per_variant_test, info_json, not_detected_test
from octoci.testing.ci_output import CIMessage, parse_appveyor_calls, parse_ci_output
from octoci.testing.contract import CIServerContract
from octoci.testing.emulator import (
    octopus_emulator,
    octopus_emulator_factory,
    octopus_emulator_seed,
    start_emulator,
)
from octoci.testing.recorded_env import RecordedEnvironment, find_recording, list_recordings

__all__ = [
    "CIMessage",
    "CIServerContract",
    "CliResult",
    "RecordedEnvironment",
    "fields_per_variant_test",
    "find_recording",
    "info_json",
    "list_recordings",
    "not_detected_test",
    "octopus_emulator",
    "octopus_emulator_factory",
    "octopus_emulator_seed",
    "parse_appveyor_calls",
    "parse_ci_output",
    "run_octoci",
    "start_emulator",
]


@dataclass(frozen=True)
class CliResult:
    """What one in-process ``octoci`` run returned and wrote."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def messages(self) -> list[CIMessage]:
        """Standard output parsed as CI messages."""
        return parse_ci_output(self.stdout)

    def leaks(self, secret: str) -> list[str]:
        """Lines of stdout or stderr that show ``secret`` (or, for a multi-line secret, any of its
        lines of four characters or more), except the commands that register it with the CI's
        masking (``::add-mask::``, ``##vso[task.setsecret]``), which must carry it.

        Example::

            assert result.leaks(token) == []
        """
        # An output line can never hold a whole multi-line value: look for each of its lines.
        parts = {secret, *(p.strip() for p in secret.splitlines() if len(p.strip()) >= 4)}
        return [
            line
            for line in (self.stdout + "\n" + self.stderr).splitlines()
            if any(part in line for part in parts) and not _is_mask_command(line)
        ]


_MASK_COMMANDS = frozenset({"add-mask", "task.setsecret"})


def _is_mask_command(line: str) -> bool:
    parsed = parse_ci_output(line)
    return bool(parsed) and parsed[0].name in _MASK_COMMANDS


def run_octoci(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    plugins: Sequence[object] = (),
) -> CliResult:
    """Run the CLI in-process with an isolated environment (``PATH`` and ``HOME`` kept for git).

    Entry-point plugins still load (that is how an installed plugin is found) unless ``env`` sets
    ``OCTOCI_DISABLE_PLUGIN_AUTOLOAD=1``.
    """
    from octoci.cli import run

    base = {k: os.environ[k] for k in ("PATH", "HOME", "SYSTEMROOT") if k in os.environ}
    base.update(env or {})
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), env=base, stdout=out, stderr=err, cwd=cwd, plugins=plugins)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def octoci_pm() -> OctociPluginManager:
    """A fresh plugin manager with the core and built-in plugins, and no entry points."""
    return create_plugin_manager(load_entrypoints=False)


@pytest.fixture
def register_plugin(octoci_pm: OctociPluginManager) -> Iterator[Callable[..., object]]:
    """Register plugin objects on ``octoci_pm`` for the duration of one test."""
    registered: list[object] = []

    def register(plugin: object, name: str | None = None) -> object:
        octoci_pm.register(plugin, name=name)
        octoci_pm.verify()
        registered.append(plugin)
        return plugin

    yield register
    for plugin in registered:
        if octoci_pm.is_registered(plugin):
            octoci_pm.unregister(plugin)


@pytest.fixture
def octoci_env_dirs(request: pytest.FixtureRequest) -> list[Path]:
    """Folders holding recorded environments: ``tests/data/env`` under the test root."""
    return [Path(request.config.rootpath) / "tests" / "data" / "env"]


@pytest.fixture
def ci_env(octoci_env_dirs: list[Path], tmp_path: Path) -> Callable[..., dict[str, str]]:
    """``ci_env(server, variant="push", **overrides)``: a recorded environment as a dict."""

    def load(server: str, variant: str = "push", **overrides: str) -> dict[str, str]:
        recording = RecordedEnvironment.load(find_recording(octoci_env_dirs, server, variant))
        return recording.materialize(tmp_path / "ci-files" / server / variant, **overrides)

    return load


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run ``octoci`` in-process: ``run_cli("info", "--json", env={...}, cwd=path, plugins=[p])``."""

    def invoke(*args: str, **kwargs: Any) -> CliResult:
        return run_octoci(*args, **kwargs)

    return invoke
