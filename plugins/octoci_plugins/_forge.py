"""The commit list from the forge a pipeline built (Woodpecker and Drone have no commit API of
their own, but the forge that triggered them has one).

The forge's compare API lists what a range holds, through the clients the GitHub Actions and
GitLab CI adapters already use:

* GitHub, Gitea and Forgejo: ``GET /repos/{owner}/{repo}/compare/{base}...{head}`` (Gitea and
  Forgejo implement GitHub's endpoint under ``/api/v1`` since Gitea 1.22, answering every commit
  on one page, newest first, where GitHub answers oldest first, paged);
* GitLab: ``GET /projects/{id}/repository/compare?from=&to=``.

The token is ``OCTOCI_FORGE_TOKEN`` (read-only access to the repository). Without it, or on a
forge octoci cannot tell or has no client for (Bitbucket), the adapter returns ``None`` after one
warning and the core reads git.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from octoci.model import Commit
from octoci_plugins._env import first_value
from octoci_plugins._tags import previous_version_tag
from octoci_plugins.github_actions.commits import GitHubApi
from octoci_plugins.gitlab_ci.commits import GitLabApi, previous_tag_in_version_order

__all__ = [
    "FORGE_KINDS",
    "FORGE_TOKEN_VARIABLE",
    "FORGE_TYPE_VARIABLE",
    "Forge",
    "forge_commits",
    "forge_kind",
]

log = logging.getLogger("octoci")

#: A read-only token of the forge, for its compare API (a secret of the pipeline).
FORGE_TOKEN_VARIABLE = "OCTOCI_FORGE_TOKEN"
#: Which forge it is, where the server does not say (Drone) or to override what it says.
FORGE_TYPE_VARIABLE = "OCTOCI_FORGE_TYPE"
#: The forges octoci reads commits from.
FORGE_KINDS = ("forgejo", "gitea", "github", "gitlab")
#: Hosts whose forge is known without being told.
_KNOWN_HOSTS = {
    "github.com": "github",
    "gitlab.com": "gitlab",
    "codeberg.org": "forgejo",
    "gitea.com": "gitea",
}


def forge_kind(env: Mapping[str, str], reported: str, web_url: str) -> str:
    """``OCTOCI_FORGE_TYPE``, else what the server ``reported`` (Woodpecker's ``CI_FORGE_TYPE``),
    else the kind of a well-known host of ``web_url``; lower case, ``""`` when unknown."""
    chosen = first_value(env, FORGE_TYPE_VARIABLE) or reported.strip()
    if chosen:
        return chosen.lower()
    return _KNOWN_HOSTS.get((urlsplit(web_url).hostname or "").lower(), "")


@dataclass(frozen=True)
class Forge:
    """A repository on a forge: its kind, the forge's web address and the repository's path.

    Example::

        forge = Forge("forgejo", "https://codeberg.org", "acme/shop")
        forge.api_url   # 'https://codeberg.org/api/v1'
    """

    kind: str
    url: str
    #: ``owner/name`` (GitLab: the project's full path, or its numeric id).
    repository: str

    @property
    def api_url(self) -> str:
        """The REST API's root on this forge."""
        url = self.url.rstrip("/")
        if self.kind == "github":
            return "https://api.github.com" if url == "https://github.com" else f"{url}/api/v3"
        if self.kind == "gitlab":
            return f"{url}/api/v4"
        return f"{url}/api/v1"

    def compare(self, token: str, base: str, head: str) -> list[Commit]:
        """The commits of ``base...head``, newest first (``head`` is a commit SHA)."""
        if self.kind == "gitlab":
            gitlab = GitLabApi(self.api_url, self.repository, token, "PRIVATE-TOKEN")
            try:
                return gitlab.compare(base, head)
            finally:
                gitlab.close()
        commits = GitHubApi(self.api_url, self.repository, token).compare(base, head)
        return _head_first(commits, head)

    def previous_tag(self, token: str, tag: str) -> str | None:
        """The tag before ``tag`` in version order, from the forge's tag list; ``None`` on Gitea
        and Forgejo, whose tag list pages differently (``limit``, at most 50): git finds it."""
        if self.kind == "gitlab":
            gitlab = GitLabApi(self.api_url, self.repository, token, "PRIVATE-TOKEN")
            try:
                return previous_tag_in_version_order(tag, gitlab.tag_names_by_version())
            finally:
                gitlab.close()
        if self.kind == "github":
            return previous_version_tag(
                tag, GitHubApi(self.api_url, self.repository, token).tag_names()
            )
        return None


def _head_first(commits: Sequence[Commit], head: str) -> list[Commit]:
    # GitHubApi turns GitHub's oldest-first list around; Gitea already answers newest first.
    listed = list(commits)
    if len(listed) > 1 and listed[-1].id == head:
        listed.reverse()
    return listed


def forge_commits(
    server: str, forge: Forge | None, env: Mapping[str, str], base: str, head: str, tag: str
) -> list[Commit] | None:
    """The build's commits from the forge's compare API over ``base...head`` (a tag build:
    since the previous tag), or ``None`` for git: no range, no token or an unknown forge, each
    with one warning saying what to set. API failures raise ``CommitSourceError``."""
    token = first_value(env, FORGE_TOKEN_VARIABLE)
    if forge is None or forge.kind not in FORGE_KINDS or not forge.repository:
        if token:
            log.warning(
                "%s: octoci cannot tell which forge built this (%s), so the commits come from "
                "git; set %s to one of %s",
                server,
                forge.kind if forge and forge.kind else "not given",
                FORGE_TYPE_VARIABLE,
                ", ".join(FORGE_KINDS),
            )
        else:
            _warn_no_token(server)
        return None
    if not token:
        _warn_no_token(server)
        return None
    if tag:
        base = forge.previous_tag(token, tag) or ""
    if not base or not head or base == head:
        return None
    return forge.compare(token, base, head)


def _warn_no_token(server: str) -> None:
    log.warning(
        "%s: no %s, so the commits come from git; set %s to a read-only token of the forge "
        "(a secret of the pipeline) and clone the full history",
        server,
        FORGE_TOKEN_VARIABLE,
        FORGE_TOKEN_VARIABLE,
    )
