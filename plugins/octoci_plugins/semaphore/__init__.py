"""Semaphore: build information from ``SEMAPHORE_*``, commits from git over
``SEMAPHORE_GIT_COMMIT_RANGE``, summaries as job artifacts, OIDC from ``SEMAPHORE_OIDC_TOKEN``.

Vendor documentation: https://docs.semaphoreci.com/reference/env-vars

Only the standard library and octoci are imported here; the ``semaphore`` extra adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.semaphore.adapter import Semaphore

__all__ = ["Semaphore", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Semaphore adapter."""
    return [Semaphore]
