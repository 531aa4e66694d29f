"""The build's commits from GitHub: the push payload, else the REST compare API with ``GITHUB_TOKEN``.

Octopus's own action reads only ``commits[]`` of a push payload, so pull-request, tag,
``workflow_dispatch`` and ``schedule`` builds reach Octopus without commits. Here every event gets
a range and the compare API (``GET /repos/{owner}/{repo}/compare/{base}...{head}``, paged) lists it:

* ``push``: the payload's commits; the compare API over ``before...after`` when the payload is
  cut at GitHub's 2048-commit limit.
* pull requests: ``base.sha...head.sha`` of the pull request in the payload.
* tags: the previous tag (by version order) ``...`` the tag.
* anything else (``workflow_dispatch``, ``schedule``, ``workflow_run`` ...): the commit of the last
  successful run of the same workflow on the same branch ``...`` this run's commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from octoci.model import Commit
from octoci_plugins._http import CommitSourceError, api_session, get_json

if TYPE_CHECKING:
    import requests

__all__ = ["GitHubApi", "commits_from_push_payload"]

#: GitHub stops listing a push's commits at this many (the compare API has them all).
PUSH_PAYLOAD_LIMIT = 2048
PER_PAGE = 100
#: Pages the compare API is read for at most (10,000 commits): a larger range is a mistake.
MAX_PAGES = 100
NULL_SHA = "0" * 40


def commits_from_push_payload(payload: Mapping[str, Any]) -> list[Commit] | None:
    """The commits of a push payload, newest first; ``None`` when the payload has no usable list
    (a tag push, a deleted branch, or a list cut at GitHub's limit)."""
    raw = payload.get("commits")
    if not isinstance(raw, list) or not raw or len(raw) >= PUSH_PAYLOAD_LIMIT:
        return None
    commits = []
    for item in raw:
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            return None
        message = item.get("message")
        commits.append(Commit(item["id"], message if isinstance(message, str) else ""))
    # The payload lists commits oldest first; Octopus shows them as given, newest first.
    commits.reverse()
    return commits


@dataclass
class GitHubApi:
    """The few GitHub REST endpoints octoci reads, through one retrying ``requests`` session.

    Example::

        api = GitHubApi("https://api.github.com", "acme/shop", token)
        api.compare("1a2b...", "3c4d...")   # [Commit(...), ...], newest first
    """

    api_url: str
    repository: str
    token: str
    _session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        """The authenticated session, created on first use."""
        if self._session is None:
            self._session = api_session(
                token=self.token,
                headers={
                    "Accept": "application/vnd.github+json",
                    "X-GitHub-Api-Version": "2022-11-28",
                },
            )
        return self._session

    def _url(self, path: str) -> str:
        return f"{self.api_url.rstrip('/')}/repos/{self.repository}/{path}"

    def compare(self, base: str, head: str) -> list[Commit]:
        """Every commit reachable from ``head`` and not from ``base``, newest first, all pages."""
        url = self._url(f"compare/{quote(base, safe='')}...{quote(head, safe='')}")
        collected: list[Commit] = []
        for page in range(1, MAX_PAGES + 1):
            data = get_json(
                self.session,
                url,
                params={"per_page": PER_PAGE, "page": page},
                what="GitHub compare API",
            )
            if not isinstance(data, Mapping) or not isinstance(data.get("commits"), list):
                raise CommitSourceError("GitHub compare API: the answer has no commit list")
            batch = [_commit_from_api(item) for item in data["commits"]]
            collected.extend(batch)
            total = data.get("total_commits")
            if not batch or not isinstance(total, int) or len(collected) >= total:
                break
        else:
            raise CommitSourceError(
                f"GitHub compare API: {base}...{head} has more than "
                f"{MAX_PAGES * PER_PAGE} commits; set --commit-range to choose fewer"
            )
        # The compare API lists commits oldest first.
        collected.reverse()
        return collected

    def tag_names(self) -> list[str]:
        """Every tag of the repository."""
        return [str(item.get("name", "")) for item in self._paged("tags", "GitHub tags API")]

    def last_successful_run_sha(
        self, run_id: str, branch: str, event: str, exclude_sha: str
    ) -> str | None:
        """The commit of the newest successful run of this run's workflow on ``branch`` (and of
        the same event) other than this run and this commit, or ``None``."""
        run = get_json(self.session, self._url(f"actions/runs/{run_id}"), what="GitHub runs API")
        workflow_id = run.get("workflow_id") if isinstance(run, Mapping) else None
        if not isinstance(workflow_id, int | str):
            raise CommitSourceError("GitHub runs API: the run has no workflow_id")
        params = {"branch": branch, "status": "success", "event": event}
        for item in self._paged(
            f"actions/workflows/{workflow_id}/runs", "GitHub runs API", "workflow_runs", params
        ):
            sha = item.get("head_sha")
            if str(item.get("id")) != run_id and isinstance(sha, str) and sha != exclude_sha:
                return sha
        return None

    def _paged(
        self,
        path: str,
        what: str,
        key: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Iterator[Mapping[str, Any]]:
        for page in range(1, MAX_PAGES + 1):
            data = get_json(
                self.session,
                self._url(path),
                params={**(params or {}), "per_page": PER_PAGE, "page": page},
                what=what,
            )
            items = data.get(key) if key and isinstance(data, Mapping) else data
            if not isinstance(items, list):
                raise CommitSourceError(f"{what}: the answer is not a list")
            yield from (item for item in items if isinstance(item, Mapping))
            if len(items) < PER_PAGE:
                return


def _commit_from_api(item: Any) -> Commit:
    if not isinstance(item, Mapping) or not isinstance(item.get("sha"), str):
        raise CommitSourceError("GitHub compare API: a commit has no sha")
    detail = item.get("commit")
    message = detail.get("message") if isinstance(detail, Mapping) else None
    return Commit(item["sha"], message if isinstance(message, str) else "")
