"""Bamboo: build information, commits, outputs and artifacts for octoci.

Vendor documentation of what a build sees:

* Bamboo variables (exported to scripts as ``bamboo_<name>``, dots as underscores):
  https://confluence.atlassian.com/bamboo/bamboo-variables-289277087.html
* the REST API (``result/{key}?expand=changes.change.files``):
  https://docs.atlassian.com/atlassian-bamboo/REST/latest/
* atlassian-python-api's ``Bamboo`` client: https://atlassian-python-api.readthedocs.io/bamboo.html
* "Inject Bamboo variables" task (reads the outputs file):
  https://confluence.atlassian.com/bamboo/inject-bamboo-variables-task-1022504735.html

Only the standard library and octoci are imported here, so detection never needs the
``bamboo`` extra (atlassian-python-api).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from octoci import hookimpl
from octoci.errors import OctociError
from octoci.server import CIServer
from octoci_plugins.bamboo.adapter import PASSWORD_VARIABLE, BambooServer, BambooVariables

__all__ = ["BambooServer", "octoci_secrets", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Bamboo adapter."""
    return [BambooServer]


@hookimpl
def octoci_secrets(env: Mapping[str, str]) -> Iterable[str]:
    """The Bamboo password or personal access token octoci reads the REST API with, and
    passwords in the plan repositories' URLs, so that no output, log line or error message of
    the run can show them."""
    from urllib.parse import unquote, urlsplit

    try:
        if not BambooServer.detect(env):
            return []
        variables = BambooVariables(env)
        values = [variables.setting(PASSWORD_VARIABLE)]
        urls = [variables.get("repository.git.repositoryUrl", "planRepository.repositoryUrl")]
        urls += [
            variables.get(f"planRepository.{n}.repositoryUrl")
            for n in variables.repository_numbers()
        ]
        for url in urls:
            try:
                password = urlsplit(url).password
            except ValueError:
                continue
            values.append(unquote(password) if password else "")
    except OctociError:
        # A non-UTF-8 value is reported, with its name, where the adapter reads it.
        return []
    return sorted({v for v in values if v})
