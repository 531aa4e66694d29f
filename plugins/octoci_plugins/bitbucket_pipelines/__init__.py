"""Bitbucket Pipelines: build information, commits, outputs and OIDC for octoci.

Vendor documentation of what a step sees:

* default variables: https://support.atlassian.com/bitbucket-cloud/docs/variables-and-secrets/
* the REST API (commits, pipelines): https://developer.atlassian.com/cloud/bitbucket/rest/
* atlassian-python-api's ``Cloud`` client: https://atlassian-python-api.readthedocs.io/bitbucket.html
* artifacts between steps: https://support.atlassian.com/bitbucket-cloud/docs/use-artifacts-in-steps/
* OIDC (``oidc: true``, ``BITBUCKET_STEP_OIDC_TOKEN``):
  https://support.atlassian.com/bitbucket-cloud/docs/integrate-pipelines-with-resource-servers-using-oidc/

Only the standard library and octoci are imported here, so detection never needs the
``bitbucket`` extra (atlassian-python-api).
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.bitbucket_pipelines.adapter import BitbucketPipelines

__all__ = ["BitbucketPipelines", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Bitbucket Pipelines adapter."""
    return [BitbucketPipelines]
