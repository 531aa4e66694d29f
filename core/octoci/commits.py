"""The commit list every adapter falls back on: git, over the server's range or since the last tag."""

from __future__ import annotations

import logging

from octoci.errors import OctociError
from octoci.git import GitError, Repository
from octoci.model import BuildInformation, CaptureOptions, Commit
from octoci.server import CIServer

__all__ = ["commits_for_build", "commits_from_git"]

log = logging.getLogger("octoci")


def commits_for_build(
    server: CIServer, info: BuildInformation, options: CaptureOptions
) -> list[Commit]:
    """The server's own commit list when it has one, else git; never fails unless ``strict``.

    An explicit ``--commit-range`` wins over the server's API: the user asked for exactly that.
    """
    if not options.fetch_commits:
        return []
    if not options.commit_range:
        try:
            listed = server.commits(info)
        except OctociError as exc:
            if options.strict:
                raise
            log.warning(
                "could not read the commit list from %s (%s); using git instead",
                server.display_name,
                exc,
            )
            listed = None
        if listed is not None:
            return list(listed)
    revision_range = options.commit_range or server.commit_range(info) or ""
    try:
        return commits_from_git(Repository(server.cwd), info, revision_range, options.max_commits)
    except GitError as exc:
        if options.strict:
            raise
        log.warning("no commit list: %s", exc)
        return []


def commits_from_git(
    repo: Repository, info: BuildInformation, revision_range: str, limit: int
) -> list[Commit]:
    """Commits of ``revision_range``; without one, those since the tag before the built commit.

    Warns when the clone is shallow (the list may be short) and when ``limit`` cut the list.
    """
    state = repo.head_state()
    if state is None:
        raise GitError(f"{repo.path} is not a git repository, so there is no history to read")
    head = info.vcs_commit_number or "HEAD"
    if not revision_range:
        try:
            # The tag *before* the built commit: on a tag build, HEAD's own tag is not the start.
            previous = repo.run("describe", "--tags", "--abbrev=0", f"{head}^")
        except GitError:
            previous = ""
        revision_range = f"{previous}..{head}" if previous else head
    if state.shallow:
        log.warning(
            "the clone is shallow, so the commit list may be incomplete; "
            "fetch the full history (e.g. fetch-depth: 0) for every commit"
        )
    commits = repo.commits(revision_range, limit=limit + 1)
    if len(commits) > limit:
        log.warning(
            "%s has more than %d commits; sending the newest %d (set --commit-range to choose)",
            revision_range,
            limit,
            limit,
        )
        commits = commits[:limit]
    return commits
