"""Options several commands share, and every command's settings options, generated from the
one settings table (:class:`octoci.settings.Settings`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from octoci.model import CaptureOptions
from octoci.settings import Setting, settings_for

if TYPE_CHECKING:
    from octoci.cli.state import AppState
    from octoci.config import ResolvedConfig

__all__ = [
    "capture_options",
    "json_option",
    "make_capture_options",
    "resolve_settings",
    "settings_options",
]

F = TypeVar("F", bound=Callable[..., Any])


def _reserve_stdout(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        from octoci.cli.state import get_state

        # Build-server protocol lines (masks, groups) must not corrupt the JSON on stdout.
        get_state(ctx).machine_output = True
    return value


def json_option(function: F) -> F:
    """``--json``: machine-readable output on standard output; the build-server adapter's
    protocol lines go to standard error instead."""
    return click.option(
        "--json", "as_json", is_flag=True, callback=_reserve_stdout, help="Print JSON."
    )(function)


def capture_options(function: F) -> F:
    """The options that steer how build information and commits are captured."""
    for decorator in reversed(
        [
            click.option(
                "--commit-range",
                metavar="A..B",
                default="",
                help="Take the commits from git over this range instead of the server's list.",
            ),
            click.option("--no-commits", is_flag=True, help="Do not collect the list of commits."),
            click.option(
                "--strict",
                is_flag=True,
                help="Fail when the build server's commit API fails, instead of using git.",
            ),
            click.option(
                "--max-commits",
                type=click.IntRange(min=1),
                default=CaptureOptions.max_commits,
                show_default=True,
                help="The most commits the git fallback collects.",
            ),
        ]
    ):
        function = decorator(function)
    return function


def make_capture_options(
    commit_range: str, no_commits: bool, strict: bool, max_commits: int
) -> CaptureOptions:
    """The :class:`CaptureOptions` the :func:`capture_options` flags describe."""
    return CaptureOptions(
        commit_range=commit_range.strip(),
        strict=strict,
        max_commits=max_commits,
        fetch_commits=not no_commits,
    )


# ---------------------------------------------------------------------------------- settings
def _shown_default(value: Any) -> str:
    # Flags default to None (so that "not given" lets the variable and the file speak): the
    # command's real default is written into the help instead.
    if isinstance(value, bool) or value in ("", (), None):
        return ""
    return "; default: " + (", ".join(value) if isinstance(value, tuple) else str(value))


def _setting_option(setting: Setting, command: str) -> Callable[[F], F]:
    help_text = (
        f"{setting.help_in(command)} [env: {setting.env}; file: {setting.file_key}"
        f"{_shown_default(setting.default_in(command))}]"
    )
    # The Octopus CLI's spellings are accepted as they are (docs/reference/migrating.md).
    decls = (setting.flag, *setting.aliases, setting.name)
    if setting.kind == "bool":
        return click.option(*decls, default=None, help=help_text)
    if setting.kind == "list":
        return click.option(
            *decls,
            multiple=True,
            metavar=setting.metavar or None,
            help=help_text + " Repeatable.",
        )
    kinds: dict[str, Any] = {
        "float": click.FloatRange(min=0, min_open=True),
        "int": click.IntRange(1, 16),
        "choice": click.Choice(setting.choices, case_sensitive=False),
        "path": click.Path(path_type=str),
    }
    return click.option(
        *decls,
        type=kinds.get(setting.kind),
        default=None,
        metavar=setting.metavar or None,
        help=help_text,
    )


def _switch_values(setting: Setting) -> list[Any]:
    return list(dict.fromkeys(setting.switches.values()))


def _switch_dest(setting: Setting, index: int) -> str:
    return f"{setting.name}__switch{index}"


def _switch_options(setting: Setting) -> list[Callable[[F], F]]:
    """One value-less flag per value the setting's switches set (``--ignore-existing``)."""
    options = []
    for index, value in enumerate(_switch_values(setting)):
        flags = [flag for flag, to in setting.switches.items() if to == value]
        options.append(
            click.option(
                *flags,
                _switch_dest(setting, index),
                is_flag=True,
                default=False,
                help=f"The same as {setting.flag} {value}.",
            )
        )
    return options


def _flag_value(setting: Setting, options: Mapping[str, Any]) -> Any:
    """The setting's value from its flag or one of its switches (``None``: neither given)."""
    value = options.get(setting.name)
    for index, switched in enumerate(_switch_values(setting)):
        if not options.get(_switch_dest(setting, index)):
            continue
        if value is not None and value != switched:
            from octoci.errors import InputError

            names = "/".join(f for f, to in setting.switches.items() if to == switched)
            raise InputError(f"{setting.flag} {value} contradicts {names}; pass one of them")
        value = switched
    return value


def settings_options(command: str) -> Callable[[F], F]:
    """``--config`` and the flag of every setting ``command`` uses, from the settings table
    (the Octopus connection flags ``--octopus-url`` and ``--space`` come from
    :func:`~octoci.cli.octopus_options.octopus_options`). Read them with
    :func:`resolve_settings`.

    Example::

        @click.command()
        @settings_options("push")
        def push(**options): ...
    """

    def decorate(function: F) -> F:
        for setting in reversed(settings_for(command)):
            if setting.owned_flag:
                for switch in reversed(_switch_options(setting)):
                    function = switch(function)
                function = _setting_option(setting, command)(function)
        return click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="Configuration file (env: OCTOCI_CONFIG; default: ./octoci.toml, else "
            "[tool.octoci] in ./pyproject.toml).",
        )(function)

    return decorate


def resolve_settings(
    state: AppState,
    command: str,
    options: Mapping[str, Any],
    *,
    server_defaults: Mapping[str, Any] | None = None,
) -> ResolvedConfig:
    """The settings of ``command`` from its :func:`settings_options` flags, the ``OCTOCI_*``
    variables, the configuration file, ``server_defaults`` and the defaults, with the plugins'
    settings; plugins read theirs with ``plugin_manager.plugin_settings(TheirClass)``.

    A plugin command (``octoci_add_commands``) may call it with its own name: no core setting
    applies to it, but the plugins' tables are read and checked.
    """
    from octoci.config import resolve_config

    manager = state.plugin_manager
    config = resolve_config(
        flags={s.name: _flag_value(s, options) for s in settings_for(command)},
        env=state.env,
        cwd=state.cwd,
        config_file=options.get("config_file"),
        server_defaults=server_defaults,
        command=command,
        plugins=manager.settings_declarations(),
        # The file is shared: the table of an installed plugin switched off for this run
        # (--no-plugins, OCTOCI_PLUGINS, a blocked name) is skipped; any other is an error.
        ignore_table=manager.is_installed_but_not_loaded,
    )
    manager.use_settings(config)
    return config
