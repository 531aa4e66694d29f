"""Gitea Actions and Forgejo Actions: one plugin, two adapters (one ``BuildEnvironment`` each).

One plugin because Forgejo's runner is a fork of Gitea's and both forges speak the GitHub Actions
protocol: the same code serves both, and only detection, the run URL and the token's name
differ. Two adapters because Octopus should say which forge built the package, and because the
run URL is not the same on each.
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.gitea_actions.adapter import ForgejoActions, GiteaActions

__all__ = ["ForgejoActions", "GiteaActions", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Forgejo Actions and Gitea Actions adapters."""
    return [ForgejoActions, GiteaActions]
