"""octoci: connect any build server to Octopus Deploy.

The public API for plugin authors: :data:`hookimpl` to implement hooks, :data:`hookspec` to
declare hooks of your own (through ``octoci_addhooks``), :class:`CIServer` for build-server
adapters, :class:`RunContext` (with :func:`pass_run_context`) for plugin commands and
notification hooks, and the data model. Everything else (``octoci.cli`` included) is internal
and may change.

Example plugin module, registered through the ``octoci`` entry-point group::

    import octoci

    @octoci.hookimpl
    def octoci_servers():
        return [MyServer]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from octoci.lazy import lazy_exports

__version__ = "0.1.0"

if TYPE_CHECKING:
    import pluggy

    from octoci.context import RunContext, get_run_context, pass_run_context
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

    hookimpl: pluggy.HookimplMarker
    hookspec: pluggy.HookspecMarker

# The public names are loaded on first use (PEP 562), so `octoci --version` does not pay for
# pluggy, importlib.metadata and the data model.
_LAZY = {
    "InputError": "octoci.errors",
    "MissingExtraError": "octoci.errors",
    "OctociError": "octoci.errors",
    "Artifact": "octoci.model",
    "BuildInformation": "octoci.model",
    "CaptureOptions": "octoci.model",
    "Commit": "octoci.model",
    "Deployment": "octoci.model",
    "Package": "octoci.model",
    "PackageEntry": "octoci.model",
    "PackageFormat": "octoci.model",
    "PackageSpec": "octoci.model",
    "Release": "octoci.model",
    "RunReport": "octoci.model",
    "CIServer": "octoci.server",
    "RunContext": "octoci.context",
    "get_run_context": "octoci.context",
    "pass_run_context": "octoci.context",
    "hookimpl": "octoci.markers",
    "hookspec": "octoci.markers",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


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
    "RunContext",
    "RunReport",
    "__version__",
    "get_run_context",
    "hookimpl",
    "hookspec",
    "pass_run_context",
]
