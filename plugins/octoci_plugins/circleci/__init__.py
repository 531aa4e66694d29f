"""CircleCI: build information, commits from git, outputs through ``$BASH_ENV``, OIDC.

Vendor documentation of what a job sees and can do:

* built-in environment variables: https://circleci.com/docs/reference/variables/
* ``BASH_ENV`` for later steps: https://circleci.com/docs/set-environment-variable/
* pipeline values (``pipeline.git.base_revision``): https://circleci.com/docs/pipeline-variables/
* OIDC tokens: https://circleci.com/docs/openid-connect-tokens/

Only the standard library and octoci are imported here; the ``circleci`` extra adds nothing,
because the plugin needs no client library.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from octoci import hookimpl
from octoci.errors import OctociError
from octoci.server import CIServer
from octoci_plugins.circleci.adapter import ID_TOKEN_VARIABLES, CircleCI

__all__ = ["CircleCI", "octoci_secrets", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The CircleCI adapter."""
    return [CircleCI]


@hookimpl
def octoci_secrets(env: Mapping[str, str]) -> Iterable[str]:
    """The OIDC tokens, which CircleCI does not mask, so that no output, log line or error
    message of the run can show them."""
    try:
        if not CircleCI.detect(env):
            return []
        values = [env.get(name, "") for name in ID_TOKEN_VARIABLES]
    except OctociError:
        # A non-UTF-8 variable is reported, with its name, where the adapter reads it.
        return []
    return [v.strip() for v in values if v and v.strip()]
