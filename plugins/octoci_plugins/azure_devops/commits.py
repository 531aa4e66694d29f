"""The build's changes from Azure DevOps / TFS through the ``azure-devops`` SDK.

What OctoTFS does, and what its users asked for: every change of the build (OctoTFS once listed
only 50, OctopusDeploy/Issues#6943), every page (the API pages with an ``x-ms-continuationtoken``
header), full messages where the list truncates them (Git commits re-read through the Git API,
TFVC changesets through the TFVC API), and TFVC changesets as commits.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from octoci.model import Commit
from octoci_plugins._http import USER_AGENT, CommitSourceError

__all__ = ["CHANGES_LOCATION", "fetch_build_changes"]

log = logging.getLogger("octoci")

#: The build ``changes`` resource (``{project}/_apis/build/builds/{buildId}/changes``).
CHANGES_LOCATION = "54572c7b-bbd3-45d4-80dc-28be08941620"
CHANGES_VERSION = "7.1-preview.2"
#: What OctoTFS asks for per call; pages beyond it are followed with the continuation token.
PAGE_SIZE = 100_000
#: A build with more pages than this is a misconfiguration (or a server that loops).
MAX_PAGES = 100
#: TFVC comments are cut at a server default unless a larger maximum is asked for.
MAX_COMMENT_LENGTH = 1_000_000

_GIT_REPOSITORY = re.compile(r"/repositories/(?P<id>[^/?#]+)/commits/", re.IGNORECASE)


def fetch_build_changes(
    require: Callable[[str], Any],
    collection_url: str,
    project: str,
    build_id: int,
    token: str,
) -> list[Commit]:
    """Every change of build ``build_id``, newest first, with full messages.

    ``require`` imports the SDK (``CIServer.require``, which names the pip extra when it is
    missing). Any failure is a :class:`CommitSourceError` whose message never holds the token.
    """
    connection_module = require("azure.devops.connection")
    auth = require("msrest.authentication")
    connection = connection_module.Connection(
        base_url=collection_url,
        # Basic auth with an empty user works for both the job's OAuth token and a PAT.
        creds=auth.BasicAuthentication("", token),
        user_agent=USER_AGENT,
    )
    try:
        changes = _all_changes(connection.clients_v7_1.get_build_client(), project, build_id)
        return _with_full_messages(connection, project, changes)
    except CommitSourceError:
        raise
    except Exception as exc:  # the SDK raises msrest, requests and its own errors alike
        raise CommitSourceError(
            f"Azure DevOps build changes API: {_describe(exc, token, collection_url)}"
        ) from None


def _all_changes(build_client: Any, project: str, build_id: int) -> list[Any]:
    # get_build_changes() drops the response headers, and with them the continuation token, so
    # the pages are requested through the client's own _send with the same location and version.
    route_values = {
        "project": build_client._serialize.url("project", project, "str"),
        "buildId": build_client._serialize.url("build_id", build_id, "int"),
    }
    changes: list[Any] = []
    continuation: str | None = None
    for _ in range(MAX_PAGES):
        query: dict[str, Any] = {"$top": build_client._serialize.query("top", PAGE_SIZE, "int")}
        if continuation:
            query["continuationToken"] = build_client._serialize.query(
                "continuation_token", continuation, "str"
            )
        response = build_client._send(
            http_method="GET",
            location_id=CHANGES_LOCATION,
            version=CHANGES_VERSION,
            route_values=route_values,
            query_parameters=query,
        )
        changes.extend(
            build_client._deserialize("[Change]", build_client._unwrap_collection(response)) or []
        )
        continuation = response.headers.get("x-ms-continuationtoken") or None
        if not continuation:
            return changes
    raise CommitSourceError(
        f"Azure DevOps build changes API: build {build_id} has more than {MAX_PAGES} pages of "
        "changes; set --commit-range to choose fewer"
    )


def _with_full_messages(connection: Any, project: str, changes: list[Any]) -> list[Commit]:
    commits: list[Commit] = []
    unreadable = 0
    git_client = tfvc_client = None
    for change in changes:
        change_id = str(change.id or "").strip()
        if not change_id:
            continue
        message = change.message or ""
        if change.message_truncated:
            kind = (change.type or "").lower()
            repository = _GIT_REPOSITORY.search(change.location or "")
            if kind == "tfsgit" and repository:
                git_client = git_client or connection.clients_v7_1.get_git_client()
                full = git_client.get_commit(change_id, repository["id"], project=project)
                message = full.comment or message
            elif kind == "tfsversioncontrol" and change_id.isdigit():
                tfvc_client = tfvc_client or connection.clients_v7_1.get_tfvc_client()
                changeset = tfvc_client.get_changeset(
                    int(change_id), project=project, max_comment_length=MAX_COMMENT_LENGTH
                )
                message = changeset.comment or message
            else:
                unreadable += 1
        commits.append(Commit(change_id, message))
    if unreadable:
        log.warning(
            "Azure DevOps: %d commit message(s) of this %s repository are truncated and cannot "
            "be re-read through Azure DevOps",
            unreadable,
            changes[0].type or "external",
        )
    return commits


def _describe(exc: Exception, token: str, collection_url: str) -> str:
    # msrest wraps connection failures in ClientRequestError with a long urllib3 message; the
    # address is what a person needs.
    if type(exc).__name__ == "ClientRequestError":
        parts = urlsplit(collection_url)
        return f"cannot reach {parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if token:
        text = text.replace(token, "***")
    text = text[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
