"""The build's commits from Jenkins's JSON API through ``python-jenkins``, the way Octopus's
Jenkins plugin collects them: the change sets of this build and of every earlier build back to
the last successful one, so the commits of failed or aborted builds in between are not lost.

Jenkins's build JSON lists ``changeSets`` (Pipeline runs, one per SCM) or ``changeSet``
(freestyle builds); each item has ``commitId`` (``id``/``revision`` for Subversion), ``msg``
(first line) and ``comment`` (the full message). Items are listed oldest first, so each build's
are reversed to give Octopus the newest first. "Successful" is Jenkins's own meaning
(``Run.getPreviousSuccessfulBuild``): ``SUCCESS`` or ``UNSTABLE``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from octoci.model import Commit
from octoci_plugins._http import CommitSourceError

__all__ = ["MAX_BUILDS", "SUCCESSFUL", "collect_commits", "commits_of_build"]

log = logging.getLogger("octoci")

#: Results that end the walk back: Jenkins's "successful" builds.
SUCCESSFUL = frozenset({"SUCCESS", "UNSTABLE"})
#: The most earlier builds read; a job that failed for longer has a bigger problem.
MAX_BUILDS = 50


def commits_of_build(build: dict[str, Any]) -> list[Commit]:
    """The commits of one build's JSON, newest first."""
    sets: list[Any] = []
    change_sets = build.get("changeSets")
    if isinstance(change_sets, list):
        sets.extend(change_sets)
    change_set = build.get("changeSet")
    if isinstance(change_set, dict):
        sets.append(change_set)
    commits: list[Commit] = []
    for change_set_item in sets:
        items = change_set_item.get("items") if isinstance(change_set_item, dict) else None
        if not isinstance(items, list):
            continue
        for item in reversed(items):
            if not isinstance(item, dict):
                continue
            commit_id = item.get("commitId") or item.get("id") or item.get("revision")
            if commit_id in (None, ""):
                continue
            message = item.get("comment") or item.get("msg") or ""
            commits.append(Commit(str(commit_id).strip(), str(message).rstrip()))
    return commits


def collect_commits(
    get_build: Callable[[int], dict[str, Any]], number: int, *, max_builds: int | None = None
) -> list[Commit]:
    """Commits of build ``number`` and of the unsuccessful builds before it, newest first.

    ``get_build(n)`` returns build ``n``'s JSON or raises :class:`CommitSourceError`. When the
    current build cannot be read the error propagates (the core falls back to git); when an
    earlier one cannot, the commits read so far are returned with a warning. At most
    ``max_builds`` (default :data:`MAX_BUILDS`) earlier builds are read.
    """
    if max_builds is None:
        max_builds = MAX_BUILDS
    build = get_build(number)
    commits = commits_of_build(build)
    previous = _previous_number(build)
    walked = 0
    while previous is not None:
        if walked >= max_builds:
            log.warning(
                "Jenkins: stopped after %d unsuccessful builds before #%d without reaching a "
                "successful one; commits of older builds are not included",
                max_builds,
                number,
            )
            break
        try:
            earlier = get_build(previous)
        except CommitSourceError as exc:
            log.warning(
                "%s; sending the commits of the %d builds read (the list may be incomplete)",
                exc,
                walked + 1,
            )
            break
        if earlier.get("result") in SUCCESSFUL:
            break
        commits.extend(commits_of_build(earlier))
        walked += 1
        previous = _previous_number(earlier)
    return commits


def _previous_number(build: dict[str, Any]) -> int | None:
    previous = build.get("previousBuild")
    if not isinstance(previous, dict):
        return None
    number = previous.get("number")
    return number if isinstance(number, int) and not isinstance(number, bool) else None
