"""A Bamboo build result's changes through atlassian-python-api's ``Bamboo`` client.

``GET {base}/rest/api/latest/result/{plan}-{n}?expand=changes.change.files`` answers the plan
result with ``changes: {size, max-result, start-index, change: [...]}``; each change has
``changesetId`` and ``comment`` (and ``author``, ``userName``, ``date``, ``files`` ...). The list
covers every repository of the plan, unlike Octopus's plugin, which reads only the first.
Bamboo lists changes newest first, the order Octopus shows. The client is given octoci's
session (User-Agent, retries on connection errors, 429 and 5xx); every failure becomes a
:class:`~octoci_plugins._http.CommitSourceError` written here, never the library's text.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from octoci.model import Commit
from octoci_plugins._atlassian import atlassian_errors
from octoci_plugins._http import TIMEOUT, CommitSourceError, api_session, url_origin

__all__ = ["MAX_CHANGES", "BambooAuth", "changes_of_result", "fetch_result_changes"]

log = logging.getLogger("octoci")

#: How many changes to ask for; Bamboo's default list size is 25.
MAX_CHANGES = 1000
WHAT = "Bamboo results API"
#: ``PROJ-PLAN-28`` or a plan branch's ``PROJ-PLAN7-3``: the last part is the build number.
_RESULT_KEY = re.compile(r"^[A-Z0-9_]+(?:-[A-Z0-9_]+)+-\d+$", re.IGNORECASE)


class BambooAuth:
    """A user and password (HTTP basic) or a Data Center personal access token (Bearer).

    The repr never shows the secret.
    """

    def __init__(
        self, *, user: str | None = None, password: str | None = None, token: str | None = None
    ) -> None:
        if (token is None) == (password is None) or (password is not None and not user):
            raise ValueError("give a user and password, or a token")
        self.user = user
        self.password = password
        self.token = token

    def __repr__(self) -> str:
        return f"BambooAuth({'basic' if self.password else 'token'})"


def changes_of_result(result: Any, *, key: str) -> list[Commit]:
    """The commits of a plan result's JSON, in Bamboo's order (newest first)."""
    if not isinstance(result, dict):
        raise CommitSourceError(f"{WHAT}: the answer for {key} is not a build result")
    changes = result.get("changes")
    if changes is None:
        raise CommitSourceError(f"{WHAT}: the answer for {key} has no 'changes' (expand ignored?)")
    if not isinstance(changes, dict):
        raise CommitSourceError(f"{WHAT}: 'changes' of {key} is not an object")
    items = changes.get("change") or []
    if not isinstance(items, list):
        raise CommitSourceError(f"{WHAT}: 'changes.change' of {key} is not a list")
    commits = []
    for item in items:
        if not isinstance(item, dict):
            continue
        changeset = str(item.get("changesetId") or "").strip()
        if changeset:
            commits.append(Commit(changeset, str(item.get("comment") or "").rstrip()))
    size = changes.get("size")
    if isinstance(size, int) and size > len(items):
        log.warning(
            "Bamboo listed %d of the %d changes of %s; sending those (the list is incomplete)",
            len(items),
            size,
            key,
        )
    return commits


def fetch_result_changes(
    bamboo_class: Any, url: str, key: str, auth: BambooAuth, *, retries: int = 3
) -> list[Commit]:
    """The changes of plan result ``key`` (``PROJ-PLAN-28``) on the Bamboo at ``url``.

    ``bamboo_class`` is ``atlassian.Bamboo``, passed in so this module imports without the
    extra. Raises :class:`CommitSourceError` when Bamboo cannot be read.
    """
    what = f"{WHAT} ({url_origin(url)}, {key})"
    if not _RESULT_KEY.match(key):
        raise CommitSourceError(f"{what}: {key} is not a plan result key")
    session = api_session(retries=retries)
    try:
        with atlassian_errors(
            what, server="Bamboo", credential="OCTOCI_BAMBOO_PASSWORD (and OCTOCI_BAMBOO_USER)"
        ):
            client = bamboo_class(
                url=url,
                username=auth.user if auth.password else None,
                password=auth.password,
                token=auth.token,
                session=session,
                timeout=TIMEOUT[1],
            )
            result = client.build_result(
                key, expand="changes.change.files", max_results=MAX_CHANGES
            )
    finally:
        session.close()
    return changes_of_result(result, key=key)
