"""octoci: connect any build server to Octopus Deploy.

The public API for plugin authors: :data:`hookimpl` to implement hooks, :data:`hookspec` to
declare hooks of your own (through ``octoci_addhooks``), :class:`CIServer` for build-server
adapters, and the data model. Everything else is internal and may change.

Example plugin module, registered through the ``octoci`` entry-point group::

    import octoci

    @octoci.hookimpl
    def octoci_servers():
        return [MyServer]
"""

from __future__ import annotations

import pluggy

from octoci.errors import InputError, MissingExtraError, OctociError
from octoci.model import (
    Artifact,
    BuildInformation,
    CaptureOptions,
    Commit,
    Deployment,
    Package,
    PackageEntry,
    PackageFormat,
    PackageSpec,
    Release,
    RunReport,
)
from octoci.server import CIServer

__version__ = "0.1.0"

#: Marks a function of a plugin as the implementation of an ``octoci_*`` hook.
hookimpl = pluggy.HookimplMarker("octoci")
#: Marks a function as a hook specification (for ``octoci_addhooks``).
hookspec = pluggy.HookspecMarker("octoci")

__all__ = [
    "Artifact",
    "BuildInformation",
    "CIServer",
    "CaptureOptions",
    "Commit",
    "Deployment",
    "InputError",
    "MissingExtraError",
    "OctociError",
    "Package",
    "PackageEntry",
    "PackageFormat",
    "PackageSpec",
    "Release",
    "RunReport",
    "__version__",
    "hookimpl",
    "hookspec",
]
