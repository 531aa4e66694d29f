"""Jenkins: build information, commits, outputs and OIDC for octoci.

Vendor documentation of what a build sees:

* environment variables (core, Git plugin, multibranch ``CHANGE_*``/``TAG_NAME``):
  https://www.jenkins.io/doc/book/pipeline/jenkinsfile/#using-environment-variables and
  ``${JENKINS_URL}/env-vars.html`` on your server
* the JSON API (``changeSets``, ``previousBuild``): https://www.jenkins.io/doc/book/using/remote-access-api/
* python-jenkins: https://python-jenkins.readthedocs.io/
* OIDC tokens: https://plugins.jenkins.io/oidc-provider/

Only the standard library and octoci are imported here, so detection never needs the
``jenkins`` extra (python-jenkins).
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.jenkins.adapter import JenkinsServer

__all__ = ["JenkinsServer", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Jenkins adapter."""
    return [JenkinsServer]
