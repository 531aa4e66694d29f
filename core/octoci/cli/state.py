"""What every command of one ``octoci`` run shares: environment, streams, plugins, the server."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from octoci.redaction import Redactor

if TYPE_CHECKING:
    from octoci.plugins import OctociPluginManager
    from octoci.server import CIServer

__all__ = ["AppState", "get_state"]


@dataclass
class AppState:
    """The run's injected environment and streams, and what is built from them on first use."""

    env: Mapping[str, str]
    stdout: TextIO
    stderr: TextIO
    cwd: Path
    redactor: Redactor = field(default_factory=Redactor)
    no_plugins: bool = False
    disabled_plugins: tuple[str, ...] = ()
    server_name: str | None = None
    ci_streams: tuple[TextIO, TextIO] | None = None
    """The unredacted (stdout, stderr) the build-server adapter writes its protocol to: it masks
    secrets itself, and a masking command such as ``::add-mask::`` must carry the secret."""
    machine_output: bool = False
    """True when standard output is reserved for ``--json``: the adapter then writes to stderr,
    which the GitHub Actions and Azure Pipelines runners read for commands too."""
    extra_plugins: tuple[object, ...] = ()
    """Plugin objects registered after loading (tests and embedding)."""
    _plugin_manager: OctociPluginManager | None = None
    _server: CIServer | None = None
    plugin_commands: dict[str, click.Command] | None = None
    options_applied: bool = False

    @property
    def plugin_manager(self) -> OctociPluginManager:
        """The plugin manager, built once, with every plugin's secrets added to the redactor."""
        if self._plugin_manager is None:
            # Imported here: `octoci --version` must not pay for pluggy and the plugins.
            from octoci.plugins import create_plugin_manager

            self._plugin_manager = create_plugin_manager(
                env=self.env,
                load_entrypoints=not self.no_plugins,
                disabled=self.disabled_plugins,
                trace_stream=self.stderr,
            )
            for plugin in self.extra_plugins:
                self._plugin_manager.register(plugin)
            self._plugin_manager.verify()
            self.redactor.add(self._plugin_manager.secrets(self.env))
        return self._plugin_manager

    @property
    def server(self) -> CIServer:
        """The active build-server adapter (forced with ``--server``/``OCTOCI_SERVER``, or detected)."""
        if self._server is None:
            name = self.server_name or self.env.get("OCTOCI_SERVER") or None
            out, err = self.ci_streams or (self.stdout, self.stderr)
            self._server = self.plugin_manager.select_server(
                self.env, err if self.machine_output else out, name=name, cwd=self.cwd
            )
            # Whatever the adapter writes is masked too, and the CI is told to mask it.
            for secret in self.redactor.secrets:
                self._server.mask(secret)
        return self._server

    def echo(self, text: str = "") -> None:
        """Write a line to standard output, secrets masked."""
        self.stdout.write(self.redactor(text) + "\n")

    def echo_json(self, data: Any) -> None:
        """Write ``data`` as indented JSON to standard output, secrets masked."""
        self.echo(json.dumps(data, indent=2, ensure_ascii=False))


def get_state(ctx: click.Context) -> AppState:
    """The run's :class:`AppState`, with the root group's options applied once."""
    root = ctx.find_root()
    state = root.obj
    if not isinstance(state, AppState):
        raise RuntimeError("octoci commands must be run through octoci.cli.run()")
    if not state.options_applied:
        params = root.params
        state.no_plugins = bool(params.get("no_plugins")) or state.no_plugins
        state.disabled_plugins = tuple(params.get("disabled_plugins") or ())
        state.server_name = params.get("server") or state.server_name
        state.options_applied = True
    return state
