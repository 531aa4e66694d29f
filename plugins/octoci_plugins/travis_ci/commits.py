"""The base commit of a Travis CI build from Travis's API v3, where its variables name none.

``TRAVIS_COMMIT_RANGE`` (the pushed range, from the forge's ``compare_url``) is empty for the
first build of a branch and for builds started by the API or cron. There the previous passed
build of the branch (``GET /repo/{slug}/builds?branch.name=&build.state=passed&sort_by=id:desc``,
headers ``Travis-API-Version: 3`` and ``Authorization: token <token>``) built the commit this
build's commits start after; git lists ``base..TRAVIS_COMMIT``.

Sources: https://developer.travis-ci.com/resource/builds (the list and its ``commit``),
https://developer.travis-ci.com/pagination (``limit``), the filter and sort names from
travis-api's ``Queries::Builds`` (``build.state``, ``branch.name``, ``sortable_by :id``),
https://docs.travis-ci.com/user/triggering-builds (the two headers).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from octoci_plugins._http import CommitSourceError, api_session, get_json

__all__ = ["DEFAULT_API_URL", "previous_passed_build_sha"]

DEFAULT_API_URL = "https://api.travis-ci.com"
#: Builds read at most: enough to step over this build's restarts.
LIMIT = 25
WHAT = "Travis CI builds API"


def previous_passed_build_sha(
    api_url: str, token: str, *, slug: str, branch: str, build_id: str, head: str
) -> str | None:
    """The commit of the newest passed build of ``branch`` other than build ``build_id`` and
    other than ``head``, or ``None`` when the branch has none."""
    url = f"{api_url.rstrip('/')}/repo/{quote(slug, safe='')}/builds"
    session = api_session(token=token, scheme="token", headers={"Travis-API-Version": "3"})
    try:
        data = get_json(
            session,
            url,
            params={
                "branch.name": branch,
                "build.state": "passed",
                "sort_by": "id:desc",
                "limit": LIMIT,
            },
            what=WHAT,
        )
    finally:
        session.close()
    builds = data.get("builds") if isinstance(data, Mapping) else None
    if not isinstance(builds, list):
        raise CommitSourceError(f"{WHAT}: the answer has no list of builds")
    for build in builds:
        if not isinstance(build, Mapping) or str(build.get("id")) == build_id:
            continue
        commit = build.get("commit")
        sha = commit.get("sha") if isinstance(commit, Mapping) else None
        if isinstance(sha, str) and sha and sha != head:
            return sha
    return None
