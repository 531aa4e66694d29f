"""Check, after the push and before the release, that Octopus sees each version this run pushed
to a repository other than its built-in feed, in the feed each step takes it from.

Octopus asks an external feed's repository when it creates a release: a feed that reads another
folder, lacks the credentials, or lists versions from an index the repository has not updated
yet would make the release fail (or, without a version, select an older one). This step finds
that before anything is created, with the feed's own look-up
(:func:`octoci.octopus.feeds.feed_has_version`), asking again for a few seconds since some
repositories list a new version only a moment after they store it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

from octoci.errors import OctociError
from octoci.model import RunReport
from octoci.octopus.executions import find_project
from octoci.octopus.feeds import ExternalPackage, StepFeed, feed_has_version, step_feeds
from octoci.package_names import parse_package_filename
from octoci.steps.plan import StepContext, count

__all__ = ["CheckExternalFeeds", "FeedNotVisibleError"]

#: Seconds between look-ups of a version the feed does not list yet (then the step fails).
_WAITS = (0.5, 1.0, 2.0)


class FeedNotVisibleError(OctociError):
    """Octopus does not see a version this run pushed, in the feed a step takes it from."""


@dataclass(frozen=True)
class CheckExternalFeeds:
    """For each of ``external`` (at the version the report says was pushed), each step of
    ``project`` that takes it from an external feed must see that version there."""

    project: str
    external: tuple[ExternalPackage, ...]
    waits: tuple[float, ...] = _WAITS

    phase: ClassVar[str] = "feed-check"

    def title(self, report: RunReport) -> str:
        """``Checking that Octopus sees 1 package in its feeds``."""
        return f"Checking that Octopus sees {count(len(self.external), 'package')} in its feeds"

    def run(self, context: StepContext, report: RunReport) -> RunReport:
        """Ask each step's feed; raise :class:`FeedNotVisibleError` naming every version a feed
        does not list (nothing has been created in Octopus then)."""
        connection = context.connection
        project = find_project(connection, self.project)
        steps = [s for s in step_feeds(connection, project) if not s.built_in]
        pushed = _pushed_versions(report)
        missing = []
        for package in self.external:
            version = pushed.get(package.package_id.lower(), package.version)
            for step in steps:
                if not package.taken_by(step):
                    continue
                where = f"the feed {step.feed_name!r} (step {step.package.action!r})"
                if context.dry_run:
                    context.reporter.say(
                        f"{package.feed_package_id} {version}: would be looked up in {where}"
                    )
                    continue
                if self._sees(context, step, package.feed_package_id, version):
                    context.reporter.say(f"{package.feed_package_id} {version}: seen in {where}")
                else:
                    missing.append(
                        f"{where} does not list {package.feed_package_id} {version}, which was "
                        f"pushed to {package.repository.describe()}"
                    )
        if missing:
            raise FeedNotVisibleError(
                f"Octopus cannot see what this run pushed: {'; '.join(missing)}; no release was "
                "created: check that the feed reads that repository with credentials that may "
                "read it, then run again (the packages stay where they are)"
            )
        return report

    def _sees(self, context: StepContext, step: StepFeed, package_id: str, version: str) -> bool:
        connection = context.connection
        for wait in (*self.waits, None):
            if feed_has_version(connection, step.feed_id, package_id, version):
                return True
            if wait is not None:
                time.sleep(wait)
        return False


def _pushed_versions(report: RunReport) -> dict[str, str]:
    """octoci's package id (the file's), lower-cased -> the version pushed."""
    found = {}
    for package in report.packages:
        name = parse_package_filename(package.path.name)
        if name is not None:
            found[name.id.lower()] = package.version
    return found
