"""The base commit of a Buildkite build from Buildkite's REST API, read with an API token.

Buildkite's variables name only the built commit (``BUILDKITE_COMMIT``), never the one before it.
The previous *passed* build of the same pipeline and branch
(``GET /v2/organizations/{org}/pipelines/{pipeline}/builds?branch=&state=passed``, newest first,
``Authorization: Bearer <token>`` with the ``read_builds`` scope) built the commit this build's
commits start after; git lists ``base..BUILDKITE_COMMIT``.

Source: https://buildkite.com/docs/apis/rest-api/builds (list builds for a pipeline, the build
data model's ``number``, ``state``, ``commit`` and ``branch``).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from octoci_plugins._http import CommitSourceError, api_session, get_json

__all__ = ["DEFAULT_API_URL", "previous_passed_commit"]

DEFAULT_API_URL = "https://api.buildkite.com/v2"
#: Builds read at most: enough to step over this build's own retries and other builds of it.
PER_PAGE = 30
WHAT = "Buildkite builds API"


def previous_passed_commit(
    api_url: str,
    token: str,
    *,
    organization: str,
    pipeline: str,
    branch: str,
    build_number: str,
    head: str,
) -> str | None:
    """The commit of the newest passed build on ``branch`` other than build ``build_number``
    and other than ``head`` itself, or ``None`` when there is none (the branch's first build)."""
    url = (
        f"{api_url.rstrip('/')}/organizations/{quote(organization, safe='')}"
        f"/pipelines/{quote(pipeline, safe='')}/builds"
    )
    session = api_session(token=token)
    try:
        data = get_json(
            session,
            url,
            params={"branch": branch, "state": "passed", "per_page": PER_PAGE},
            what=WHAT,
        )
    finally:
        session.close()
    if not isinstance(data, list):
        raise CommitSourceError(f"{WHAT}: the answer is not a list of builds")
    for build in data:
        if not isinstance(build, Mapping):
            continue
        commit = build.get("commit")
        if (
            str(build.get("number")) != build_number
            and isinstance(commit, str)
            and commit
            and commit not in (head, "HEAD")
        ):
            return commit
    return None
