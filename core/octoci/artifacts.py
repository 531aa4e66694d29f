"""Packages as build artifacts: after a run hands its results over, each package it pushed (or
packed) is published through the adapter's :meth:`~octoci.server.CIServer.publish_artifact`,
when ``publish_artifacts`` (or the server's own default) says so."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from octoci.errors import OctociError
from octoci.model import RunReport
from octoci.server import CIServer
from octoci.settings.table import settings_for

if TYPE_CHECKING:
    from octoci.config import ResolvedConfig

__all__ = ["artifacts_wanted", "publish_package_artifacts"]

log = logging.getLogger("octoci")


def artifacts_wanted(config: ResolvedConfig | None, server: CIServer) -> bool:
    """``publish_artifacts`` as set (flag, variable, file), else the server's own default; never
    for a command that does not read the setting."""
    if config is None or "publish_artifacts" not in config.sources:
        return False
    source = config.sources["publish_artifacts"]
    if source != "default":
        return bool(config.settings.publish_artifacts)
    applies = any(s.name == "publish_artifacts" for s in settings_for(config.command))
    return applies and type(server).publishes_artifacts_by_default


def publish_package_artifacts(
    server: CIServer, report: RunReport, config: ResolvedConfig | None
) -> list[Path]:
    """Publish each package file of ``report`` (once, in order) as a build artifact; the files
    published. Nothing in a dry run. A server without a way (``publish_artifact`` is
    ``False``) publishes nothing, with one warning when the user asked for it."""
    if report.dry_run or not report.packages or not artifacts_wanted(config, server):
        return []
    published: list[Path] = []
    for path in dict.fromkeys(p.path for p in report.packages):
        try:
            done = server.publish_artifact(path)
        except OctociError as exc:
            # The packages are in Octopus already; a failed artifact upload fails nothing else.
            log.warning("could not publish %s as a build artifact: %s", path.name, exc)
            continue
        if not done:
            if config is not None and config.sources["publish_artifacts"] != "default":
                log.warning(
                    "%s has no way for a step to publish build artifacts; declare the package "
                    "folder as the job's artifacts instead",
                    server.display_name,
                )
            return published
        published.append(path)
    return published
