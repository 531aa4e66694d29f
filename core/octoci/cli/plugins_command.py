"""``octoci plugins``: every plugin, where it comes from and which hooks it implements."""

from __future__ import annotations

import dataclasses

import click

from octoci.cli.options import json_option
from octoci.cli.state import get_state

__all__ = ["plugins"]


@click.command()
@json_option
def plugins(as_json: bool) -> None:
    """List the loaded plugins: name, kind, version, distribution and hooks.

    Blocked plugins (OCTOCI_DISABLE_PLUGINS, --disable-plugin) are listed as blocked.
    """
    state = get_state(click.get_current_context())
    pm = state.plugin_manager
    described = pm.describe()
    servers = pm.server_classes()
    if as_json:
        state.echo_json(
            {
                "plugins": [dataclasses.asdict(p) for p in described],
                "servers": {
                    name: {"display_name": cls.display_name, "module": cls.__module__}
                    for name, cls in sorted(servers.items())
                },
                "shadowed": pm.shadowed,
            }
        )
        return
    for plugin in described:
        where = f"{plugin.distribution} {plugin.version}".strip() or "-"
        status = "  [blocked]" if plugin.blocked else ""
        state.echo(f"{plugin.name}  ({plugin.kind}, {where}){status}")
        if plugin.hooks:
            state.echo(f"    hooks: {', '.join(plugin.hooks)}")
    state.echo(f"build servers: {', '.join(sorted(servers))}")
    for name, dist in sorted(pm.shadowed.items()):
        state.echo(f"ignored: the entry point {name!r} of {dist} has a built-in plugin's name")
