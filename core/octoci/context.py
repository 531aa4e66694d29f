"""The public face of one ``octoci`` run, for plugin commands and notification plugins.

A command a plugin adds through ``octoci_add_commands`` gets the run's :class:`RunContext` with
:func:`pass_run_context` (or :func:`get_run_context`) instead of reaching into
``octoci.cli.state``, which is internal and may change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TextIO, TypeVar

if TYPE_CHECKING:
    import click

    from octoci.cli.state import AppState
    from octoci.config import ResolvedConfig
    from octoci.plugins import OctociPluginManager
    from octoci.server import CIServer
    from octoci.settings import Settings

__all__ = ["RunContext", "get_run_context", "pass_run_context"]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")


class RunContext:
    """What one run offers a plugin: its environment and working folder, the active build-server
    adapter, the plugin manager, the settings (the core's and the plugin's own), and output that
    masks secrets.

    Everything is built on first use, once per run, and shared with the built-in commands: the
    adapter a plugin command gets is the one ``octoci push`` would use.

    Example::

        @octoci.hookimpl
        def octoci_add_commands(cli):
            @cli.command("acme-status")
            @octoci.pass_run_context
            def acme_status(context):
                context.echo(f"on {context.server.display_name} in {context.cwd}")
    """

    def __init__(self, state: AppState) -> None:
        self._state = state

    @property
    def env(self) -> Mapping[str, str]:
        """The run's environment variables (injected: never read ``os.environ``)."""
        return self._state.env

    @property
    def cwd(self) -> Path:
        """The run's working folder."""
        return self._state.cwd

    @property
    def plugin_manager(self) -> OctociPluginManager:
        """The run's plugin manager: call your own hooks with ``context.plugin_manager.hook``."""
        return self._state.plugin_manager

    @property
    def server(self) -> CIServer:
        """The active build-server adapter (``--server``, ``OCTOCI_SERVER`` or detected); its
        secrets are masked from the moment it exists."""
        return self._state.server

    @property
    def settings(self) -> Settings:
        """The running command's settings, typed (``context.settings.space``): flags, ``OCTOCI_*``
        variables, ``octoci.toml`` / ``[tool.octoci]``, then the defaults
        (``docs/reference/configuration.md``). In a plugin's own command no core setting applies,
        so each holds its default; the plugins' tables are read and checked all the same."""
        return self._resolved().settings

    def plugin_settings(self, settings_class: type[S]) -> S:
        """Your plugin's own settings (declared through ``octoci_add_settings``), as an instance of
        ``settings_class``: ``context.plugin_settings(AcmeSettings).webhook``."""
        self._resolved()
        return self.plugin_manager.plugin_settings(settings_class)

    def _resolved(self) -> ResolvedConfig:
        manager = self.plugin_manager
        if manager.resolved_settings is None:
            # A plugin command: resolve them now, under its own name.
            import click

            from octoci.cli.options import resolve_settings

            current = click.get_current_context(silent=True)
            name = current.command_path.partition(" ")[2] if current is not None else ""
            resolve_settings(self._state, name, {})
        assert manager.resolved_settings is not None
        return manager.resolved_settings

    @property
    def stdout(self) -> TextIO:
        """Standard output, secrets masked (``--json`` output goes here)."""
        return self._state.stdout

    @property
    def stderr(self) -> TextIO:
        """Standard error, secrets masked (progress and messages go here)."""
        return self._state.stderr

    def echo(self, text: str = "") -> None:
        """Write a line to standard output, secrets masked."""
        self._state.echo(text)

    def echo_json(self, data: Any) -> None:
        """Write ``data`` as indented JSON to standard output, secrets masked."""
        self._state.echo_json(data)

    def mask(self, secret: str) -> None:
        """Treat ``secret`` (a token your plugin obtained) as a secret for the rest of the run:
        masked in everything octoci writes and registered with the build server's masking."""
        self._state.mask(secret)

    def __repr__(self) -> str:
        return f"<RunContext cwd={str(self.cwd)!r}>"


def get_run_context(ctx: click.Context | None = None) -> RunContext:
    """The :class:`RunContext` of the ``octoci`` run the current click command belongs to.

    :param ctx: a click context of the run (default: click's current context).
    :raises RuntimeError: outside an ``octoci`` run.
    """
    import click

    from octoci.cli.state import get_state

    return get_state(ctx or click.get_current_context()).context


def pass_run_context(function: Callable[Concatenate[RunContext, P], R]) -> Callable[P, R]:
    """Decorate a click command of a plugin so that it receives the run's :class:`RunContext`
    as its first argument (put it below ``@cli.command()``).

    Example::

        @cli.command("acme-hello")
        @octoci.pass_run_context
        def acme_hello(context):
            context.echo(f"hello from {context.server.name}")
    """

    @functools.wraps(function)
    def with_context(*args: P.args, **kwargs: P.kwargs) -> R:
        return function(get_run_context(), *args, **kwargs)

    return with_context
