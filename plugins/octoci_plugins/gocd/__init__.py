"""GoCD: build information from ``GO_*``, commits from the pipeline instance's modifications
(GoCD's API) or git, outputs as files.

Vendor documentation: https://docs.gocd.org/current/faq/dev_use_current_revision_in_build.html

Only the standard library and octoci are imported here; the ``gocd`` extra adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.gocd.adapter import GoCD

__all__ = ["GoCD", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The GoCD adapter."""
    return [GoCD]
