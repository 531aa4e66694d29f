"""TeamCity: build information, commits, outputs, artifacts and OIDC for octoci.

Vendor documentation of what a build sees:

* predefined build parameters and the properties files:
  https://www.jetbrains.com/help/teamcity/predefined-build-parameters.html
* service messages (escaping, ``setParameter``, ``publishArtifacts``, ``buildStatus``):
  https://www.jetbrains.com/help/teamcity/service-messages.html
* the REST changes API: https://www.jetbrains.com/help/teamcity/rest/get-change-details.html
* OIDC tokens (``jwt.token``): https://github.com/OctopusDeploy/teamcity-oidc-plugin

Only the standard library and octoci are imported here, so detection never needs the
``teamcity`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.teamcity.adapter import TeamCityServer

__all__ = ["TeamCityServer", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The TeamCity adapter."""
    return [TeamCityServer]
