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

from collections.abc import Iterable, Mapping, Sequence

from octoci import hookimpl
from octoci.errors import OctociError
from octoci.server import CIServer
from octoci_plugins.jenkins.adapter import ID_TOKEN_VARIABLE, TOKEN_VARIABLE, JenkinsServer

__all__ = ["JenkinsServer", "octoci_secrets", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Jenkins adapter."""
    return [JenkinsServer]


@hookimpl
def octoci_secrets(env: Mapping[str, str]) -> Iterable[str]:
    """The Jenkins API token, a password in ``JENKINS_URL`` and the ID token, so that no output,
    log line or error message of the run can show them."""
    try:
        if not JenkinsServer.detect(env):
            return []
        from urllib.parse import unquote, urlsplit

        password = urlsplit(env.get("JENKINS_URL", "")).password
        values = [env.get(TOKEN_VARIABLE, ""), env.get(ID_TOKEN_VARIABLE, "")]
        values.append(unquote(password) if password else "")
    except (OctociError, ValueError):
        # A non-UTF-8 variable or a malformed URL is reported, with its name, where it is used.
        return []
    return [v.strip() for v in values if v and v.strip()]
