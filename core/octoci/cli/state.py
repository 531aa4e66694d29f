"""What every command of one ``octoci`` run shares: environment, streams, plugins, the server."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from octoci.errors import OctociError
from octoci.redaction import Redactor

if TYPE_CHECKING:
    from octoci.context import RunContext
    from octoci.model import RunReport
    from octoci.plugins import OctociPluginManager
    from octoci.server import CIServer

__all__ = ["AppState", "get_state"]

log = logging.getLogger("octoci")


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
    _command_plugin_manager: OctociPluginManager | None = None
    _server: CIServer | None = None
    _context: RunContext | None = None
    plugin_commands: dict[str, click.Command] | None = None
    options_applied: bool = False
    command_started: bool = False
    """True once a command's own code started (not for ``--help`` or a usage error click
    reports while parsing): then the run ends with ``octoci_run_finished``."""
    exit_code: int = 0
    """The code a command asked for with click's ``ctx.exit(code)``."""
    report: RunReport | None = None
    """What the command handed to the build server (:meth:`record_report`)."""
    quiet: bool = False
    """``--quiet``: errors and the final result line only."""
    verbose: bool = False
    """``--verbose``: debug logging, without the tracebacks ``--debug`` adds."""
    last_result: str | None = None
    """With ``--quiet``: the latest result line, shown when the command hands over its report."""

    @property
    def plugin_manager(self) -> OctociPluginManager:
        """The plugin manager, built once, with every plugin's secrets added to the redactor."""
        if self._plugin_manager is None:
            self._plugin_manager = self._load_plugins(commands_only=False)
        return self._plugin_manager

    @property
    def command_plugin_manager(self) -> OctociPluginManager:
        """The plugins that can add commands: the full :attr:`plugin_manager` once built, else
        one that loads only those (``octoci --help`` must not import every adapter)."""
        if self._plugin_manager is not None:
            return self._plugin_manager
        if self._command_plugin_manager is None:
            self._command_plugin_manager = self._load_plugins(commands_only=True)
        return self._command_plugin_manager

    def _load_plugins(self, *, commands_only: bool) -> OctociPluginManager:
        """A plugin manager for this run, with every plugin's secrets added to the redactor."""
        # Imported here: `octoci --version` must not pay for pluggy and the plugins.
        from octoci.plugins import create_plugin_manager

        manager = create_plugin_manager(
            env=self.env,
            load_entrypoints=not self.no_plugins,
            disabled=self.disabled_plugins,
            trace_stream=self.stderr,
            commands_only=commands_only,
        )
        for plugin in self.extra_plugins:
            manager.register(plugin, name=_unused_name(manager, plugin))
        manager.verify()
        self.redactor.add(manager.secrets(self.env))
        return manager

    @property
    def server(self) -> CIServer:
        """The active build-server adapter (forced with ``--server``/``OCTOCI_SERVER``, or detected)."""
        if self._server is None:
            out, err = self.ci_streams or (self.stdout, self.stderr)
            server = self.plugin_manager.select_server(
                self.env,
                err if self.machine_output else out,
                name=self._forced_server,
                cwd=self.cwd,
            )
            # The adapter masks its own secrets (CIServer.secrets) from the moment it exists:
            # octoci's output masks them too. Then the adapter masks every secret of the run,
            # since it writes its protocol unredacted, and the CI is told to mask them.
            self.redactor.add(server.redact.secrets)
            from octoci.local import LocalServer

            if isinstance(server, LocalServer):
                server.quiet = self.quiet
            for secret in self.redactor.secrets:
                server.mask(secret)
            self._server = server
        return self._server

    @property
    def existing_server(self) -> CIServer | None:
        """The active adapter if the run already created it; never creates one."""
        return self._server

    @property
    def _forced_server(self) -> str | None:
        """The adapter ``--server`` or ``OCTOCI_SERVER`` names, if any."""
        return self.server_name or self.env.get("OCTOCI_SERVER") or None

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

    def record_report(self, report: RunReport) -> None:
        """Keep ``report``, what the command hands to the build server, for
        ``octoci_run_finished`` (the last one wins when a command hands over several); with
        ``--quiet`` the final result line goes out now."""
        self.report = report
        if self.last_result is not None:
            self.echo(self.last_result)
            self.stdout.flush()
            self.last_result = None

    def finish(self, exit_code: int) -> None:
        """The run is over: call ``octoci_run_finished`` when a command ran, with its report (or
        one holding only the server and the exit code) and ``exit_code``, which nothing changes."""
        if not self.command_started:
            return
        from octoci.model import RunReport

        try:
            plugin_manager = self.plugin_manager
            if not plugin_manager.hook.octoci_run_finished.get_hookimpls():
                return
            # The adapter's name, without creating one the command did not need (it would write
            # its masking commands after the command's output, which may be --json).
            if self._server is not None:
                server_name = self._server.name
            else:
                server_name = plugin_manager.server_class(self.env, name=self._forced_server).name
        except OctociError as exc:
            # The run has already failed with this error (loading plugins, choosing the
            # adapter); a command that succeeded without them is told nothing went out.
            if exit_code == 0:
                log.warning("octoci_run_finished was not called: %s", exc)
            return
        report = (self.report or RunReport(server=server_name)).replace(exit_code=exit_code)
        plugin_manager.run_finished(report, exit_code, self.context)

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


def _apply_verbosity(state: AppState, root: click.Context) -> None:
    """``--quiet`` / ``--verbose`` (``--debug`` implies verbose): the state and the log level."""
    state.quiet = bool(root.params.get("quiet")) or state.quiet
    state.verbose = bool(root.params.get("verbose") or root.params.get("debug")) or state.verbose
    if state.quiet and state.verbose:
        raise click.UsageError("--quiet and --verbose (or --debug) cannot be used together")
    if state.quiet:
        log.setLevel(logging.ERROR)
    elif state.verbose:
        log.setLevel(logging.DEBUG)


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
        _apply_verbosity(state, root)
        state.options_applied = True
    return state
