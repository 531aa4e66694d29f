"""The built-in plugin ``emulator``: the ``octoci emulator`` command and the local Octopus server
that ``publish --emulator`` and the ``octopus_emulator`` test fixtures start.

Registered like the other built-ins (``docs/plugins/load-order.md``), so every install of octoci
has it, with or without ``--no-plugins``; ``--disable-plugin emulator`` (or
``OCTOCI_DISABLE_PLUGINS=emulator``) blocks it, and then ``octoci emulator`` is an unknown command
and ``publish --emulator`` says what to do. Importing this module imports only ``octoci``'s
markers: the server (SQLite, HTTP) is imported when it is started.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from octoci import hookimpl

if TYPE_CHECKING:
    import click

    from octoci_emulator.runner import Emulator

__all__ = ["octoci_add_commands", "octoci_start_local_octopus"]


@hookimpl
def octoci_add_commands(cli: click.Group) -> None:
    """``octoci emulator``."""
    from octoci_emulator.command import emulator

    cli.add_command(emulator)


@hookimpl
def octoci_start_local_octopus(
    seed: Mapping[str, Any], data_dir: Path | None, source: str
) -> Emulator:
    """An :class:`~octoci_emulator.Emulator` on 127.0.0.1 and a free port, seeded with ``seed``."""
    from octoci_emulator import Emulator, parse_seed

    return Emulator(data_dir=data_dir, seed=parse_seed(seed, source=source)).start()
