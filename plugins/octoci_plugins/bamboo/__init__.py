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

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.bamboo.adapter import BambooServer

__all__ = ["BambooServer", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The Bamboo adapter."""
    return [BambooServer]
