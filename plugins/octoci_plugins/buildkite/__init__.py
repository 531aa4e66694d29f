"""The Buildkite adapter (see :mod:`.adapter` for the vendor's documentation it follows).

Only the standard library and octoci are imported here.
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.buildkite.adapter import Buildkite

__all__ = ["Buildkite", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Buildkite adapter."""
    return [Buildkite]
