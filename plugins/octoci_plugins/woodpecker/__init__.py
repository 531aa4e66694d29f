"""The WoodpeckerCI adapter (see :mod:`.adapter` for the vendor's documentation it follows).

Only the standard library and octoci are imported here.
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.woodpecker.adapter import WoodpeckerCI

__all__ = ["WoodpeckerCI", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The WoodpeckerCI adapter."""
    return [WoodpeckerCI]
