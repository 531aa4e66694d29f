"""GitHub Actions: detection, build information, commits through the REST API, workflow commands.

The variables read are GitHub's default environment variables
(https://docs.github.com/en/actions/reference/workflows-and-actions/variables) and the webhook
payload in ``$GITHUB_EVENT_PATH``; what is written back follows the workflow-commands reference
(https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands).

Only the standard library and octoci are imported here: detecting GitHub Actions never needs the
``github`` extra, and ``requests`` (for the REST API) is imported when commits are fetched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.github_actions.adapter import SECRET_VARIABLES, GitHubActions

__all__ = ["GitHubActions", "octoci_secrets", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """Register the GitHub Actions adapter."""
    return [GitHubActions]


@hookimpl
def octoci_secrets(env: Mapping[str, str]) -> Iterable[str]:
    """``GITHUB_TOKEN`` and the ID-token request token: masked in everything octoci writes."""
    return [value for name in SECRET_VARIABLES if (value := env.get(name))]
