"""The shared Octopus client: the only code in octoci that talks to Octopus Deploy.

:class:`OctopusClient` bundles every operation a CI job needs; the modules hold the parts:

* :mod:`~octoci.octopus.settings` - server URL, credentials, space, timeouts, proxy, TLS;
* :mod:`~octoci.octopus.connection` - HTTP with retries in a time budget, discovery, spaces;
* :mod:`~octoci.octopus.errors` - one-line errors and the exit codes 3 and 4;
* :mod:`~octoci.octopus.packages` and :mod:`~octoci.octopus.multipart` - streamed, re-run-safe
  package pushes;
* :mod:`~octoci.octopus.buildinfo` - build information;
* :mod:`~octoci.octopus.executions` - releases, deployments, promotion, runbook runs;
* :mod:`~octoci.octopus.tasks` - waiting for tasks, their logs, cancelling;
* :mod:`~octoci.octopus.oidc` - the OIDC token exchange;
* :mod:`~octoci.octopus.progress` - upload progress.

Names are loaded on first use: importing :mod:`octoci.octopus` does not import ``requests``.

Example::

    from octoci.octopus import OctopusClient

    with OctopusClient.from_env(os.environ) as octopus:
        octopus.push_packages([Path("dist/Acme.Web.1.2.3.zip")])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from octoci.octopus.client import OctopusClient
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
    "OctopusClient": "octoci.octopus.client",
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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'octoci.octopus' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "Connection",
    "DeployRequest",
    "OctopusApiError",
    "OctopusAuthError",
    "OctopusClient",
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
