"""Buddy: build information from ``BUDDY_*``, commits from git between the previous and this
execution's revision, outputs as a sourced env file.

Vendor documentation: https://buddy.works/docs/pipelines/environment-variables

Only the standard library and octoci are imported here; the ``buddy`` extra adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.buddy.adapter import Buddy

__all__ = ["Buddy", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Buddy adapter."""
    return [Buddy]
