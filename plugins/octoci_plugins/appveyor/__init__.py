"""AppVeyor: build information, commits, build messages, variables and artifacts for octoci.

Vendor documentation of what a build sees:

* environment variables: https://www.appveyor.com/docs/environment-variables/
* the build worker API at ``APPVEYOR_API_URL`` (messages, variables, artifacts):
  https://www.appveyor.com/docs/build-worker-api/
* the REST API (project history, for the previous build's commit):
  https://www.appveyor.com/docs/api/projects-builds/

Unlike AppVeyor's own Octopus provider, nothing here needs Windows or the ``octo`` tool: the
plugin talks HTTP with ``requests`` (the core's), so it works on Linux and macOS images too.
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.appveyor.adapter import AppVeyor

__all__ = ["AppVeyor", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The AppVeyor adapter."""
    return [AppVeyor]
