"""Google Cloud Build: build information from substitutions mapped into the step's environment,
commits from git, outputs as files in ``/workspace``, identity tokens from the metadata server.

Vendor documentation: https://cloud.google.com/build/docs/configuring-builds/substitute-variable-values

Only the standard library and octoci are imported here; the ``google-cloud-build`` extra adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.google_cloud_build.adapter import GoogleCloudBuild

__all__ = ["GoogleCloudBuild", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Google Cloud Build adapter."""
    return [GoogleCloudBuild]
