"""The build's commits from Continua CI: its changeset revisions, with messages from git.

Continua gives a build the revisions of its changesets (``ContinuaCI.Build.ChangesetRevisions``,
comma-separated) but not their messages, and no API a build could read them from. So the
revisions come from Continua, which knows exactly which changesets the build took, and each
message is read from the git repository in the working directory.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from octoci.git import GitError, Repository
from octoci.model import Commit

__all__ = ["commits_with_messages", "newest_first"]

log = logging.getLogger("octoci")

_FIELD = "\x1f"
_RECORD = "\x1e"


def newest_first(revisions: Sequence[str], latest: str) -> list[str]:
    """``revisions`` newest first: reversed when the latest changeset is listed last.

    >>> newest_first(["a1", "b2", "c3"], latest="c3")
    ['c3', 'b2', 'a1']
    """
    ordered = list(revisions)
    if len(ordered) > 1 and latest and ordered[-1] == latest and ordered[0] != latest:
        ordered.reverse()
    return ordered


def commits_with_messages(revisions: Sequence[str], cwd: Path) -> list[Commit]:
    """One commit per revision, in the order given, with its full id and message from git.

    Revisions git does not know (a shallow clone, a workspace without ``.git``, a non-git
    repository) keep the id Continua gave and an empty message, with one warning.
    """
    repo = Repository(cwd)
    if not repo.is_repository():
        log.warning(
            "Continua CI: %s is not a git repository, so the %d changesets of this build have "
            "no messages; make the repository's .git available in the workspace",
            cwd,
            len(revisions),
        )
        return [Commit(revision) for revision in revisions]
    found = _read_all(repo, revisions)
    missing = [revision for revision in revisions if revision not in found]
    if missing:
        log.warning(
            "Continua CI: %d of %d changesets are not in the git repository at %s (%s), so "
            "their messages are empty; fetch the full history",
            len(missing),
            len(revisions),
            cwd,
            ", ".join(m[:12] for m in missing[:3]) + (" ..." if len(missing) > 3 else ""),
        )
    return [found.get(revision, Commit(revision)) for revision in revisions]


def _read_all(repo: Repository, revisions: Sequence[str]) -> dict[str, Commit]:
    # One git call for every revision; when one is unknown git refuses them all, so fall back
    # to one call each.
    try:
        return dict(zip(revisions, _log(repo, revisions), strict=True))
    except (GitError, ValueError):
        pass
    found = {}
    for revision in revisions:
        try:
            (commit,) = _log(repo, [revision])
        except (GitError, ValueError):
            continue
        found[revision] = commit
    return found


def _log(repo: Repository, revisions: Sequence[str]) -> list[Commit]:
    # "--" would make git read the revisions as paths; "^{commit}" refuses tags and trees.
    out = repo.run(
        "log",
        "--no-walk=unsorted",
        f"--format=%H{_FIELD}%B{_RECORD}",
        *(f"{revision}^{{commit}}" for revision in revisions),
    )
    commits = []
    for record in out.split(_RECORD):
        record = record.strip("\n")
        if _FIELD in record:
            sha, message = record.split(_FIELD, 1)
            commits.append(Commit(sha.strip(), message.strip()))
    return commits
