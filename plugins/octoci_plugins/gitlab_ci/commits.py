"""The build's commits from GitLab's REST API (``/api/v4``), read with a token through ``requests``.

GitLab's predefined variables name only the built commit and, for pushes, the commit before it.
Each kind of pipeline gets the range that says what it built:

* merge request pipelines: the merge request's own commits
  (``GET /projects/:id/merge_requests/:iid/commits``, paged);
* branch pipelines of a push: ``CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA`` through the compare API
  (``GET /projects/:id/repository/compare?from=&to=``);
* branch pipelines without a "before" commit (a new branch, a schedule, a web or API trigger):
  since the commit of the last successful pipeline on the same ref (``GET /projects/:id/pipelines``);
* tag pipelines: since the previous tag in version order (``GET /projects/:id/repository/tags``).

Authentication is a token with ``read_api`` sent as ``PRIVATE-TOKEN``, or the job token sent as
``JOB-TOKEN`` (which many GitLab versions do not accept on these endpoints).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from octoci.model import Commit
from octoci_plugins._http import CommitSourceError, api_session, get_json
from octoci_plugins._tags import previous_version_tag

if TYPE_CHECKING:
    import requests

__all__ = ["GitLabApi", "previous_tag_in_version_order"]

PER_PAGE = 100
#: Pages read at most (10,000 commits or tags): a larger range is a misconfiguration.
MAX_PAGES = 100


def previous_tag_in_version_order(current: str, tags_newest_first: list[str]) -> str | None:
    """The tag after ``current`` in a list GitLab sorted by version, newest first, that belongs
    to the same family (the same text before the first digit: ``web-v2.0`` follows ``web-v1.9``,
    not ``api-v3.1``), or ``None`` when ``current`` is the first or is not listed.

    >>> previous_tag_in_version_order("v1.10.0", ["v2.0.0", "v1.10.0", "api-1.0", "v1.9.0"])
    'v1.9.0'
    """
    if current not in tags_newest_first:  # deleted meanwhile: no guess
        return None
    return previous_version_tag(current, tags_newest_first)


@dataclass
class GitLabApi:
    """The few GitLab REST endpoints octoci reads, through one retrying ``requests`` session.

    ``header`` is ``PRIVATE-TOKEN`` for a personal, project or group access token and
    ``JOB-TOKEN`` for ``CI_JOB_TOKEN``.

    Example::

        api = GitLabApi("https://gitlab.com/api/v4", "4711", token, "PRIVATE-TOKEN")
        api.compare("1a2b...", "3c4d...")   # [Commit(...), ...], newest first
    """

    api_url: str
    project_id: str
    token: str
    header: str = "PRIVATE-TOKEN"
    _session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        """The authenticated session, created on first use."""
        if self._session is None:
            self._session = api_session(headers={self.header: self.token})
        return self._session

    def _url(self, path: str) -> str:
        return f"{self.api_url.rstrip('/')}/projects/{quote(self.project_id, safe='')}/{path}"

    def compare(self, base: str, head: str) -> list[Commit]:
        """Every commit reachable from ``head`` and not from ``base``, newest first."""
        data = get_json(
            self.session,
            self._url("repository/compare"),
            params={"from": base, "to": head, "straight": "false"},
            what="GitLab compare API",
        )
        if not isinstance(data, Mapping) or not isinstance(data.get("commits"), list):
            raise CommitSourceError("GitLab compare API: the answer has no commit list")
        if data.get("compare_timeout") is True:
            raise CommitSourceError(
                f"GitLab compare API: comparing {base[:12]}..{head[:12]} timed out on the server"
            )
        commits = [_commit(item, "GitLab compare API") for item in data["commits"]]
        # The compare API lists commits oldest first; Octopus shows them as given, newest first.
        commits.reverse()
        return commits

    def merge_request_commits(self, iid: str) -> list[Commit]:
        """The commits of merge request ``iid``, newest first (GitLab's own order), all pages."""
        what = "GitLab merge request commits API"
        return [
            _commit(item, what)
            for item in self._paged(f"merge_requests/{quote(iid, safe='')}/commits", what)
        ]

    def tag_names_by_version(self) -> list[str]:
        """Every tag of the project, newest version first (GitLab sorts them)."""
        what = "GitLab tags API"
        params = {"order_by": "version", "sort": "desc"}
        return [str(item.get("name", "")) for item in self._paged("repository/tags", what, params)]

    def last_successful_pipeline_sha(
        self, ref: str, exclude_pipeline: str, exclude_sha: str
    ) -> str | None:
        """The commit of the newest successful pipeline on ``ref`` other than this pipeline and
        this commit, or ``None``."""
        data = get_json(
            self.session,
            self._url("pipelines"),
            params={
                "ref": ref,
                "status": "success",
                "order_by": "id",
                "sort": "desc",
                "per_page": PER_PAGE,
            },
            what="GitLab pipelines API",
        )
        if not isinstance(data, list):
            raise CommitSourceError("GitLab pipelines API: the answer is not a list")
        for item in data:
            if not isinstance(item, Mapping):
                continue
            sha = item.get("sha")
            if (
                str(item.get("id")) != exclude_pipeline
                and isinstance(sha, str)
                and sha
                and sha != exclude_sha
            ):
                return sha
        return None

    def _paged(
        self, path: str, what: str, params: Mapping[str, str] | None = None
    ) -> Iterator[Mapping[str, Any]]:
        for page in range(1, MAX_PAGES + 1):
            data = get_json(
                self.session,
                self._url(path),
                params={**(params or {}), "per_page": PER_PAGE, "page": page},
                what=what,
            )
            if not isinstance(data, list):
                raise CommitSourceError(f"{what}: the answer is not a list")
            yield from (item for item in data if isinstance(item, Mapping))
            if len(data) < PER_PAGE:
                return
        raise CommitSourceError(
            f"{what}: more than {MAX_PAGES * PER_PAGE} entries; set --commit-range to choose fewer"
        )

    def close(self) -> None:
        """Close the session (idempotent)."""
        if self._session is not None:
            self._session.close()
            self._session = None


def _commit(item: Any, what: str) -> Commit:
    if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
        raise CommitSourceError(f"{what}: a commit has no id")
    message = item.get("message")
    if not isinstance(message, str):
        # Older answers carry only the title (the first line).
        message = item.get("title")
    return Commit(item["id"], message.rstrip("\n") if isinstance(message, str) else "")
