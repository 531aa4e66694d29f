"""What Octopus computes from pushed build information: commit links and work items.

Commit links follow the repository host's URL scheme, recognised from ``VcsRoot``:

==================  =============================================================
GitHub              ``{root}/commit/{sha}``
GitLab              ``{root}/-/commit/{sha}``
Bitbucket Cloud     ``{root}/commits/{sha}``
Bitbucket Server    ``https://host/projects/{KEY}/repos/{repo}/commits/{sha}``
Azure Repos (Git)   ``{root}/commit/{sha}``
TFVC                ``{collection/project}/_versionControl/changeset/{id}``
==================  =============================================================

Work items come from commit messages through the configured issue trackers: GitHub ``#123`` and
``owner/repo#123``, Jira ``KEY-12`` (with a Jira base URL) and Azure DevOps ``AB#45``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from octoci.normalize import normalize_vcs_root
from octoci_emulator.config import IssueTrackers

__all__ = ["commit_url", "issue_tracker_name", "work_items"]

_BITBUCKET_SERVER = re.compile(r"^/(?:[^/]+/)*?scm/(?P<key>[^/]+)/(?P<repo>[^/]+)$")
_GITHUB_REF = re.compile(r"(?<![\w/#])(?:(?P<repo>[\w.\-]+/[\w.\-]+))?(?<!AB)#(?P<number>\d+)\b")
_JIRA_KEY = re.compile(r"\b(?P<key>[A-Z][A-Z0-9_]+-\d+)\b")
_AZURE_REF = re.compile(r"\bAB#(?P<number>\d+)\b")


def _host_kind(root: str) -> str:
    parts = urlsplit(root)
    host = (parts.hostname or "").lower()
    if "github" in host:
        return "github"
    if "gitlab" in host:
        return "gitlab"
    if host == "bitbucket.org":
        return "bitbucket-cloud"
    if _BITBUCKET_SERVER.match(parts.path):
        return "bitbucket-server"
    if host == "dev.azure.com" or host.endswith(".visualstudio.com") or "/_git/" in parts.path:
        return "azure"
    return ""


def commit_url(vcs_root: str, vcs_type: str, commit: str) -> str | None:
    """The web link of ``commit`` in the repository ``vcs_root``, or ``None`` if unknown."""
    if not vcs_root or not commit:
        return None
    root = normalize_vcs_root(vcs_root)
    if vcs_type.upper() == "TFVC":
        return f"{root.rstrip('/')}/_versionControl/changeset/{commit}"
    if vcs_type.lower() not in {"git", ""}:
        return None  # Octopus renders commit links for Git and TFVC only
    kind = _host_kind(root)
    if kind in {"github", "azure"}:
        return f"{root}/commit/{commit}"
    if kind == "gitlab":
        return f"{root}/-/commit/{commit}"
    if kind == "bitbucket-cloud":
        return f"{root}/commits/{commit}"
    if kind == "bitbucket-server":
        parts = urlsplit(root)
        match = _BITBUCKET_SERVER.match(parts.path)
        assert match is not None  # _host_kind checked it
        prefix = parts.path[: parts.path.index("/scm/")]
        return (
            f"{parts.scheme}://{parts.netloc}{prefix}/projects/{match['key']}/repos/"
            f"{match['repo']}/commits/{commit}"
        )
    return None


def _github_base(root: str) -> str | None:
    parts = urlsplit(root)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _azure_project(root: str) -> str | None:
    parts = urlsplit(root)
    path = parts.path.split("/_git/")[0].rstrip("/")
    if not path:
        return None
    return f"{parts.scheme}://{parts.netloc}{path}"


def work_items(
    vcs_root: str, vcs_type: str, messages: list[str], trackers: IssueTrackers
) -> list[dict[str, str]]:
    """The work items Octopus's issue trackers derive from commit messages, first mention first."""
    root = normalize_vcs_root(vcs_root) if vcs_root else ""
    kind = _host_kind(root) if root else ""
    items: dict[tuple[str, str], dict[str, str]] = {}
    for message in messages:
        if trackers.github and kind == "github":
            base = _github_base(root)
            for match in _GITHUB_REF.finditer(message):
                number = match["number"]
                repo_url = f"{base}/{match['repo']}" if match["repo"] and base else root
                item_id = f"{match['repo']}#{number}" if match["repo"] else number
                items.setdefault(
                    ("GitHub", item_id),
                    {
                        "Id": item_id,
                        "LinkUrl": f"{repo_url}/issues/{number}",
                        "Description": item_id,
                        "Source": "GitHub",
                    },
                )
        if trackers.jira_base_url:
            for match in _JIRA_KEY.finditer(message):
                key = match["key"]
                items.setdefault(
                    ("Jira", key),
                    {
                        "Id": key,
                        "LinkUrl": f"{trackers.jira_base_url}/browse/{key}",
                        "Description": key,
                        "Source": "Jira",
                    },
                )
        azure_base = trackers.azure_devops_url or (
            _azure_project(root) if kind == "azure" or vcs_type.upper() == "TFVC" else None
        )
        if azure_base:
            for match in _AZURE_REF.finditer(message):
                number = match["number"]
                items.setdefault(
                    ("Azure DevOps", number),
                    {
                        "Id": number,
                        "LinkUrl": f"{azure_base}/_workitems/edit/{number}",
                        "Description": number,
                        "Source": "Azure DevOps",
                    },
                )
    return list(items.values())


def issue_tracker_name(items: list[dict[str, str]]) -> str | None:
    """The ``IssueTrackerName`` of a build-information record: the tracker of its work items."""
    sources = {i["Source"] for i in items}
    return sources.pop() if len(sources) == 1 else None
