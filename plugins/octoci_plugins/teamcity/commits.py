"""The build's changes from TeamCity's REST API, the way Octopus's TeamCity plugin reads them.

``GET {server}/httpAuth/app/rest/changes?locator=build:(id:N),count:1000,start:K`` with the build's
temporary credentials (HTTP basic), or ``/app/rest/...`` with an access token (Bearer). Each page
is retried on connection errors, 429 and 5xx (``api_session``); the list is capped at 10,000
changes. When a later page fails, the changes already read are kept and a warning says the list
is partial: a short list is better than none (Octopus-TeamCity 6.7.0 made the same choice).
TeamCity lists changes newest first, which is the order Octopus shows.
"""

from __future__ import annotations

import logging
from typing import Any

from octoci.model import Commit
from octoci_plugins._http import CommitSourceError, api_session, get_json

__all__ = ["MAX_CHANGES", "PAGE_SIZE", "TeamCityAuth", "fetch_changes"]

log = logging.getLogger("octoci")

PAGE_SIZE = 1000
MAX_CHANGES = 10_000
WHAT = "TeamCity changes API"


class TeamCityAuth:
    """How to authenticate: the build's temporary user and password, or an access token.

    The repr never shows the secret, so an accidental log of this object leaks nothing.
    """

    def __init__(self, *, basic: tuple[str, str] | None = None, token: str | None = None) -> None:
        if (basic is None) == (token is None):
            raise ValueError("give either basic credentials or a token")
        self.basic = basic
        self.token = token

    @property
    def path_prefix(self) -> str:
        """``/httpAuth`` forces basic authentication; tokens go to the plain REST root."""
        return "/httpAuth" if self.basic else ""

    def __repr__(self) -> str:
        return f"TeamCityAuth({'basic' if self.basic else 'token'})"


def fetch_changes(
    server_url: str,
    build_id: str,
    auth: TeamCityAuth,
    *,
    page_size: int = PAGE_SIZE,
    limit: int = MAX_CHANGES,
    retries: int = 3,
) -> list[Commit]:
    """Every change of build ``build_id``, newest first, at most ``limit``.

    Raises :class:`CommitSourceError` when the first page cannot be read; a failure on a later
    page returns what was read, with a warning.
    """
    session = api_session(token=auth.token, basic=auth.basic, retries=retries)
    url = f"{server_url.rstrip('/')}{auth.path_prefix}/app/rest/changes"
    commits: list[Commit] = []
    start = 0
    try:
        while True:
            params = {
                "locator": f"build:(id:{build_id}),count:{page_size},start:{start}",
                "fields": "count,nextHref,change(id,version,comment)",
            }
            try:
                page = get_json(session, url, params=params, what=WHAT)
                changes = _changes_of(page)
            except CommitSourceError as exc:
                if not commits:
                    raise
                log.warning(
                    "%s; sending the %d commits read before the failure (the list is incomplete)",
                    exc,
                    len(commits),
                )
                return commits
            commits.extend(changes)
            if len(commits) >= limit:
                if len(commits) > limit or _has_more(page, changes, page_size):
                    log.warning(
                        "build %s has more than %d changes; sending the newest %d",
                        build_id,
                        limit,
                        limit,
                    )
                return commits[:limit]
            if not _has_more(page, changes, page_size):
                return commits
            start += len(changes)
    finally:
        session.close()


def _has_more(page: dict[str, Any], changes: list[Commit], page_size: int) -> bool:
    # TeamCity sends nextHref while more pages exist; a full page without it may still be
    # followed by another, so ask once more rather than silently stop at a page boundary.
    return bool(changes) and (bool(page.get("nextHref")) or len(changes) >= page_size)


def _changes_of(page: Any) -> list[Commit]:
    if not isinstance(page, dict):
        raise CommitSourceError(f"{WHAT} answered with something other than a changes object")
    items = page.get("change") or []
    if not isinstance(items, list):
        raise CommitSourceError(f"{WHAT} answered with 'change' that is not a list")
    commits = []
    for item in items:
        if not isinstance(item, dict):
            continue
        version = str(item.get("version") or "").strip()
        if version:
            commits.append(Commit(version, str(item.get("comment") or "").rstrip()))
    return commits
