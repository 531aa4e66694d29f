"""The previous successful build's commit, from AppVeyor's REST API, for the git range.

AppVeyor gives a build only its head commit (``APPVEYOR_REPO_COMMIT``), and its REST API knows
no more per build. ``GET {APPVEYOR_URL}/api/projects/{account}/{slug}/history?recordsNumber=N
&branch=B[&startBuildId=…]`` (``Authorization: Bearer <API token>``) lists the project's builds
newest first with ``buildId``, ``status``, ``branch``, ``commitId``, ``isTag`` and
``pullRequestId``; the newest earlier ``success`` of the same branch, not a tag or pull-request
build, gives the start of ``git log <previous>..<commit>``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from octoci_plugins._http import CommitSourceError, api_session, get_json

__all__ = ["MAX_PAGES", "PAGE_SIZE", "previous_successful_commit"]

PAGE_SIZE = 50
MAX_PAGES = 4
WHAT = "AppVeyor history API"


def previous_successful_commit(
    api_url: str,
    token: str,
    account: str,
    slug: str,
    *,
    build_id: int,
    branch: str,
    retries: int = 3,
) -> str | None:
    """The commit of the newest successful branch build of ``branch`` older than ``build_id``,
    or ``None`` when the newest pages hold none. Raises :class:`CommitSourceError` on failure."""
    url = f"{api_url.rstrip('/')}/projects/{quote(account, safe='')}/{quote(slug, safe='')}/history"
    params: dict[str, Any] = {"recordsNumber": PAGE_SIZE, "branch": branch}
    session = api_session(token=token, retries=retries)
    try:
        for _ in range(MAX_PAGES):
            page = get_json(session, url, params=params, what=WHAT)
            builds = page.get("builds") if isinstance(page, dict) else None
            if not isinstance(builds, list):
                raise CommitSourceError(f"{WHAT}: the answer has no list of builds")
            ids: list[int] = []
            for build in builds:
                if not isinstance(build, dict) or not isinstance(build.get("buildId"), int):
                    continue
                ids.append(build["buildId"])
                if build["buildId"] >= build_id or build.get("isTag") or build.get("pullRequestId"):
                    continue
                if build.get("branch") != branch or build.get("status") != "success":
                    continue
                commit = build.get("commitId")
                if isinstance(commit, str) and commit.strip():
                    return commit.strip()
            if len(builds) < PAGE_SIZE or not ids:
                return None
            params["startBuildId"] = min(ids)
    finally:
        session.close()
    return None
