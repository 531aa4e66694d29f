"""The shared Octopus client: the only code in octoci that talks to Octopus Deploy (a test
keeps every request and every API path inside this package).

Its functions take a :class:`Connection` and return the types of :mod:`octoci.model`
(``Package``, ``Release``, ``Deployment``); the commands reach them through :mod:`octoci.steps`.
The modules:

* :mod:`~octoci.octopus.settings` - server URL, credentials, space, timeouts, proxy, TLS;
* :mod:`~octoci.octopus.connection` - HTTP with retries in a time budget, discovery, spaces;
* :mod:`~octoci.octopus.errors` - one-line errors and the exit codes 3 and 4;
* :mod:`~octoci.octopus.packages` and :mod:`~octoci.octopus.multipart` - streamed, re-run-safe
  package pushes;
* :mod:`~octoci.octopus.buildinfo` - build information;
* :mod:`~octoci.octopus.executions` - releases, deployments, promotion, runbook runs;
* :mod:`~octoci.octopus.tasks` - waiting for tasks, their logs, cancelling;
* :mod:`~octoci.octopus.preflight` - the read-only pre-flight: who am I, permissions, names;
* :mod:`~octoci.octopus.dryrun` - the connection of a dry run: reads pass, writes are recorded;
* :mod:`~octoci.octopus.links` - the portal's task and release links;
* :mod:`~octoci.octopus.oidc` - the OIDC token exchange;
* upload progress is shown by :mod:`octoci.progress` (packing shares it).

Names are loaded on first use: importing :mod:`octoci.octopus` does not import ``requests``.

Example::

    from octoci.octopus import Connection, OctopusSettings
    from octoci.octopus.packages import push_packages, validate_package_files

    connection = Connection(OctopusSettings.from_env(os.environ))
    pushed, failed = push_packages(connection, validate_package_files([Path("dist/a.1.0.0.zip")]))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from octoci.lazy import lazy_exports

if TYPE_CHECKING:
    from octoci.octopus.connection import Connection
    from octoci.octopus.errors import (
        OctopusApiError,
        OctopusAuthError,
        OctopusConnectionError,
        OctopusNotFoundError,
        PackageConflictError,
        ServerTooOldError,
        TaskFailedError,
        TaskTimeoutError,
        UnknownNameError,
    )
    from octoci.octopus.executions import DeployRequest, ReleaseRequest
    from octoci.octopus.settings import OctopusSettings

_LAZY = {
    "Connection": "octoci.octopus.connection",
    "OctopusSettings": "octoci.octopus.settings",
    "DeployRequest": "octoci.octopus.executions",
    "ReleaseRequest": "octoci.octopus.executions",
    "OctopusApiError": "octoci.octopus.errors",
    "OctopusAuthError": "octoci.octopus.errors",
    "OctopusConnectionError": "octoci.octopus.errors",
    "OctopusNotFoundError": "octoci.octopus.errors",
    "PackageConflictError": "octoci.octopus.errors",
    "ServerTooOldError": "octoci.octopus.errors",
    "TaskFailedError": "octoci.octopus.errors",
    "TaskTimeoutError": "octoci.octopus.errors",
    "UnknownNameError": "octoci.octopus.errors",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


__all__ = [
    "Connection",
    "DeployRequest",
    "OctopusApiError",
    "OctopusAuthError",
    "OctopusConnectionError",
    "OctopusNotFoundError",
    "OctopusSettings",
    "PackageConflictError",
    "ReleaseRequest",
    "ServerTooOldError",
    "TaskFailedError",
    "TaskTimeoutError",
    "UnknownNameError",
]
