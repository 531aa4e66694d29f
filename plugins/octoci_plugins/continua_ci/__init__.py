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

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.continua_ci.adapter import ContinuaCI

__all__ = ["ContinuaCI", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Continua CI adapter."""
    return [ContinuaCI]
