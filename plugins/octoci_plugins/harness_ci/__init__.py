"""Harness CI: build information from ``HARNESS_*`` and the Drone-style ``DRONE_*`` variables,
commits from git, outputs for a Run step's ``outputVariables``.

Vendor documentation: https://developer.harness.io/docs/continuous-integration/use-ci/optimize-and-more/ci-env-var/

Only the standard library and octoci are imported here; the ``harness`` extra adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.harness_ci.adapter import HarnessCI

__all__ = ["HarnessCI", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Harness CI adapter."""
    return [HarnessCI]
