"""The commits of a GoCD pipeline instance from GoCD's API: the ``modifications`` of each changed
material in ``GET /go/api/pipelines/<name>/<counter>`` (``build_cause.material_revisions``),
read with an access token through ``requests``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from octoci.model import Commit
from octoci_plugins._http import CommitSourceError, api_session, get_json

__all__ = ["pipeline_instance_commits"]

#: GoCD's versioned media type of the pipeline instance API.
ACCEPT = "application/vnd.go.cd.v1+json"
WHAT = "GoCD pipeline instance API"


def pipeline_instance_commits(
    server_url: str, pipeline: str, counter: str, token: str
) -> list[Commit]:
    """The modifications of the instance's changed Git materials, newest first (GoCD's order)."""
    url = f"{server_url.rstrip('/')}/api/pipelines/{quote(pipeline, safe='')}/{quote(counter)}"
    session = api_session(token=token, headers={"Accept": ACCEPT})
    try:
        data = get_json(session, url, what=WHAT)
    finally:
        session.close()
    cause = data.get("build_cause") if isinstance(data, Mapping) else None
    revisions = cause.get("material_revisions") if isinstance(cause, Mapping) else None
    if not isinstance(revisions, list):
        raise CommitSourceError(f"{WHAT}: the answer has no material revisions")
    commits: list[Commit] = []
    for revision in revisions:
        if not isinstance(revision, Mapping) or not _is_changed_git(revision):
            continue
        for item in revision.get("modifications") or []:
            commits.append(_commit(item))
    return commits


def _is_changed_git(revision: Mapping[str, Any]) -> bool:
    material = revision.get("material")
    kind = material.get("type", "") if isinstance(material, Mapping) else ""
    return revision.get("changed") is not False and str(kind).lower() == "git"


def _commit(item: Any) -> Commit:
    if not isinstance(item, Mapping) or not isinstance(item.get("revision"), str):
        raise CommitSourceError(f"{WHAT}: a modification has no revision")
    comment = item.get("comment")
    return Commit(item["revision"], comment.rstrip("\n") if isinstance(comment, str) else "")
