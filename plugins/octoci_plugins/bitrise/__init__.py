"""Bitrise: build information from ``BITRISE_*``, commits from git, outputs through ``envman add``,
summaries in ``BITRISE_DEPLOY_DIR``.

Vendor documentation: https://devcenter.bitrise.io/en/references/available-environment-variables.html

Only the standard library and octoci are imported here; the ``bitrise`` extra adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.bitrise.adapter import Bitrise

__all__ = ["Bitrise", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Bitrise adapter."""
    return [Bitrise]
