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

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.circleci.adapter import CircleCI

__all__ = ["CircleCI", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The CircleCI adapter."""
    return [CircleCI]
