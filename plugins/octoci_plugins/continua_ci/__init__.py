"""Continua CI: build information, changeset commits with git messages, build messages.

Vendor documentation of what a build sees and can do:

* expression objects (``$Build.LinkUrl$`` ...) and variables:
  https://docs.finalbuilder.com/ci/1.0/user-guide/expressions-and-patterns/expression-objects/expression-objects.html
* custom log messages (``@@continua[...]``):
  https://docs.finalbuilder.com/ci/1.0/extending-continua-ci/custom-log-messages.html

VSoft documents no list of the ``ContinuaCI.*`` process variables; the names read here are those
Cake's and GitVersion's Continua support read. Only the standard library and octoci are imported
here; the ``continua`` extra adds nothing, because the plugin needs no client library.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import unquote, urlsplit

from octoci import hookimpl
from octoci.errors import OctociError
from octoci.server import CIServer
from octoci_plugins.continua_ci.adapter import ContinuaCI

__all__ = ["ContinuaCI", "octoci_secrets", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Continua CI adapter."""
    return [ContinuaCI]


@hookimpl
def octoci_secrets(env: Mapping[str, str]) -> Iterable[str]:
    """A password inside the repository URL the configuration passes in, so that no output, log
    line or error message of the run can show it."""
    try:
        if not ContinuaCI.detect(env):
            return []
        url = ContinuaCI(env, io.StringIO()).repository_url_setting()
        password = urlsplit(url).password
    except (OctociError, ValueError):
        # A bad variable is reported, with its name, where the adapter reads it.
        return []
    return [unquote(password)] if password else []
