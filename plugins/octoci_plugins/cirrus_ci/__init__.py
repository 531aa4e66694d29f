"""Cirrus CI: build information from ``CIRRUS_*``, commits from git since the last green change,
outputs through ``$CIRRUS_ENV``, OIDC from ``CIRRUS_OIDC_TOKEN``.

Vendor documentation: https://cirrus-ci.org/guide/writing-tasks/#environment-variables

Only the standard library and octoci are imported here; the ``cirrus`` extra adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.cirrus_ci.adapter import CirrusCI

__all__ = ["CirrusCI", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Cirrus CI adapter."""
    return [CirrusCI]
