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

from collections.abc import Iterable, Mapping, Sequence

from octoci import hookimpl
from octoci.errors import OctociError
from octoci.server import CIServer
from octoci_plugins.teamcity.adapter import TOKEN_VARIABLE, TeamCityServer
from octoci_plugins.teamcity.properties import TeamCityProperties

__all__ = ["TeamCityServer", "octoci_secrets", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The TeamCity adapter."""
    return [TeamCityServer]


@hookimpl
def octoci_secrets(env: Mapping[str, str]) -> Iterable[str]:
    """The build's temporary REST password, ``jwt.token`` and ``OCTOCI_TEAMCITY_TOKEN``, so that
    no output, log line or error message of the run can show them."""
    try:
        if not TeamCityServer.detect(env):
            return []
        props = TeamCityProperties.load(env, quiet=True)  # the adapter warns
        values = [
            props.build.get("teamcity.auth.password", ""),
            props.get("jwt.token"),
            env.get(TOKEN_VARIABLE, ""),
        ]
    except OctociError:
        # A malformed file or variable is reported, with its name, where the adapter reads it.
        return []
    return [v.strip() for v in values if v and v.strip()]
