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
    from octoci.config import PublishConfig
    from octoci.context import RunContext
    from octoci.model import RunReport
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
    _settings: PublishConfig | None = None
    _context: RunContext | None = None
    plugin_commands: dict[str, click.Command] | None = None
    options_applied: bool = False
    command: str | None = None
    """The command this run invoked (set by the root group), for ``octoci_run_finished``."""
    report: RunReport | None = None
    """What the command reported (set when it hands its report to the build server)."""

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
                self._plugin_manager.register(plugin, name=_unused_name(self._plugin_manager, plugin))
            self._plugin_manager.verify()
            self.redactor.add(self._plugin_manager.secrets(self.env))
        return self._plugin_manager

    @property
    def server(self) -> CIServer:
        """The active build-server adapter (forced with ``--server``/``OCTOCI_SERVER``, or detected)."""
        if self._server is None:
            name = self.server_name or self.env.get("OCTOCI_SERVER") or None
            out, err = self.ci_streams or (self.stdout, self.stderr)
            server = self.plugin_manager.select_server(
                self.env, err if self.machine_output else out, name=name, cwd=self.cwd
            )
            # The adapter's own secrets (only the active adapter's: see CIServer.secrets), then
            # everything the run masks: whatever the adapter writes is masked too, and the CI is
            # told to mask it.
            from octoci.contributions import server_secrets

            self.redactor.add(server_secrets(server))
            for secret in self.redactor.secrets:
                server.mask(secret)
            self._server = server
        return self._server

    @property
    def settings(self) -> PublishConfig:
        """The settings from ``OCTOCI_*`` variables, the configuration file and the defaults
        (no flags), resolved once."""
        if self._settings is None:
            from octoci.config import resolve_config

            self._settings = resolve_config(flags={}, env=self.env, cwd=self.cwd)
        return self._settings

    @property
    def context(self) -> RunContext:
        """The public :class:`~octoci.context.RunContext` over this state, for plugins."""
        if self._context is None:
            from octoci.context import RunContext

            self._context = RunContext(self)
        return self._context

    def mask(self, secret: str) -> None:
        """Mask ``secret`` for the rest of the run: in everything written and, once the adapter
        exists, with the build server's masking command."""
        # The adapter first: its masking command must carry the secret before the redactor
        # starts replacing it in what is written.
        if self._server is not None:
            self._server.mask(secret)
        self.redactor.add([secret])

    def echo(self, text: str = "") -> None:
        """Write a line to standard output, secrets masked."""
        self.stdout.write(self.redactor(text) + "\n")

    def echo_json(self, data: Any) -> None:
        """Write ``data`` as indented JSON to standard output, secrets masked."""
        self.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _unused_name(pm: OctociPluginManager, plugin: object) -> str | None:
    """A readable name for a plugin object registered by hand (errors name plugins by it): the
    module's or the class's name; ``None`` (pluggy's default) when that name is taken."""
    name = getattr(plugin, "__name__", None) or type(plugin).__name__
    return None if pm.has_plugin(name) or pm.is_blocked(name) else str(name)


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
