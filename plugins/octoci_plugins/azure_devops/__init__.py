"""Azure DevOps Services and Team Foundation Server / Azure DevOps Server (Git and TFVC).

The variables read are Azure Pipelines' predefined variables
(https://learn.microsoft.com/azure/devops/pipelines/build/variables); what is written back
follows the logging-commands reference
(https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands).

Only the standard library and octoci are imported here: detecting Azure Pipelines never needs the
``azure-devops`` extra, whose SDK is imported when the build's changes are fetched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.azure_devops.adapter import AzureDevOps

__all__ = ["AzureDevOps", "octoci_secrets", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """Register the Azure DevOps & TFS adapter."""
    return [AzureDevOps]


@hookimpl
def octoci_secrets(env: Mapping[str, str]) -> Iterable[str]:
    """``SYSTEM_ACCESSTOKEN``, when the pipeline maps it: masked in everything octoci writes."""
    token = env.get("SYSTEM_ACCESSTOKEN", "").strip()
    return [token] if token else []
