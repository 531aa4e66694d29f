"""A pipeline's commits through the Bitbucket Cloud REST API, with atlassian-python-api's
``Cloud`` client.

* Branch and tag pipelines: the commits between this pipeline's commit and the commit of the
  previous successful pipeline of the same branch (or of any tag, for a tag pipeline), found in
  ``GET /2.0/repositories/{ws}/{repo}/pipelines/?target.branch=…&sort=-created_on``
  (``state.result.name == "SUCCESSFUL"``).
* Pull-request pipelines: the commits of the source not in the destination branch.

Either way the list is ``GET /2.0/repositories/{ws}/{repo}/commits/?include=…&exclude=…``,
paged by ``next``, newest first. Every failure becomes a
:class:`~octoci_plugins._http.CommitSourceError` written here, never the library's text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from octoci.model import Commit
from octoci_plugins._atlassian import atlassian_errors
from octoci_plugins._http import CommitSourceError

__all__ = [
    "MAX_COMMITS",
    "MAX_PIPELINE_PAGES",
    "commits_between",
    "previous_successful_commit",
]

log = logging.getLogger("octoci")

#: The most commits read; a pipeline with more has a range that is not what the user meant.
MAX_COMMITS = 2000
#: Pages of 50 pipelines searched for the previous successful one.
MAX_PIPELINE_PAGES = 4
PIPELINES_PAGE_SIZE = 50
WHAT = "Bitbucket API"
TOKEN_VARIABLE = "OCTOCI_BITBUCKET_TOKEN"


def api_errors(what: str) -> AbstractContextManager[None]:
    """Client calls whose failures become one-line :class:`CommitSourceError`\\ s."""
    return atlassian_errors(
        what,
        server="Bitbucket",
        credential=f"{TOKEN_VARIABLE} (it needs the repository:read scope)",
    )


def _result_name(pipeline: dict[str, Any]) -> str:
    state = pipeline.get("state")
    result = state.get("result") if isinstance(state, dict) else None
    name = result.get("name") if isinstance(result, dict) else None
    return name if isinstance(name, str) else ""


def _target_commit(pipeline: dict[str, Any]) -> str:
    target = pipeline.get("target")
    commit = target.get("commit") if isinstance(target, dict) else None
    sha = commit.get("hash") if isinstance(commit, dict) else None
    return sha.strip() if isinstance(sha, str) else ""


def previous_successful_commit(
    get: Callable[..., Any],
    repository: str,
    *,
    build_number: int,
    branch: str = "",
    tag: bool = False,
) -> str | None:
    """The commit of the newest successful pipeline before ``build_number`` of ``branch`` (or of
    any tag when ``tag``), or ``None`` when there is none in the newest pages.

    ``get(path, params=..., trailing=True)`` is the client's GET relative to ``/2.0``; ``repository`` is
    ``workspace/slug``.
    """
    params: dict[str, Any] = {"sort": "-created_on", "pagelen": PIPELINES_PAGE_SIZE}
    if branch and not tag:
        params["target.branch"] = branch
    # Bitbucket serves the list at ``…/pipelines/``; the client drops a trailing ``/`` unless
    # asked to keep it (its own Pipelines class does the same).
    path = f"repositories/{repository}/pipelines"
    for page in range(1, MAX_PIPELINE_PAGES + 1):
        with api_errors(f"{WHAT} (pipelines of {repository})"):
            data = get(path, params={**params, "page": page}, trailing=True)
        if not isinstance(data, dict) or not isinstance(data.get("values"), list):
            raise CommitSourceError(f"{WHAT}: the pipelines of {repository} are not a page")
        values = [p for p in data["values"] if isinstance(p, dict)]
        for pipeline in values:
            number = pipeline.get("build_number")
            if not isinstance(number, int) or number >= build_number:
                continue
            target = pipeline.get("target")
            target = target if isinstance(target, dict) else {}
            ref_type = str(target.get("ref_type") or "").lower()
            if tag:
                if ref_type not in ("tag", "annotated_tag"):
                    continue
            elif target.get("ref_name") != branch or ref_type not in ("branch", "named_branch"):
                # The filter is applied here too: pull-request and custom pipelines of the same
                # branch do not count as its previous build.
                continue
            if _result_name(pipeline) == "SUCCESSFUL" and _target_commit(pipeline):
                return _target_commit(pipeline)
        if len(values) < PIPELINES_PAGE_SIZE and not data.get("next"):
            break
    return None


def commits_between(
    repository_commits: Any, include: str, exclude: str, *, limit: int = MAX_COMMITS
) -> list[Commit]:
    """``include``'s commits that are not in ``exclude`` (a commit or a branch), newest first.

    ``repository_commits`` is the client's ``Repository.commits``.
    """
    commits: list[Commit] = []
    with api_errors(f"{WHAT} (commits {exclude[:12]}..{include[:12]})"):
        for item in repository_commits.each(include=include, exclude=exclude):
            sha = str(item.hash or "").strip()
            if not sha:
                continue
            if len(commits) >= limit:
                log.warning(
                    "more than %d commits between %s and %s; sending the newest %d",
                    limit,
                    exclude,
                    include,
                    limit,
                )
                break
            commits.append(Commit(sha, str(item.message or "").rstrip()))
    return commits
