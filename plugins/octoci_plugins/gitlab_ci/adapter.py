"""The GitLab CI adapter: build information from GitLab's predefined variables, commits from the
REST API (or git), a dotenv report for later jobs, collapsible sections and ``id_tokens``."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar, TextIO

from octoci.errors import InputError, OctociError
from octoci.model import BuildInformation, Commit
from octoci.normalize import strip_url_credentials
from octoci.server import CIServer
from octoci_plugins._env import first_value
from octoci_plugins._http import CommitSourceError
from octoci_plugins.gitlab_ci import outputs
from octoci_plugins.gitlab_ci.commits import GitLabApi, previous_tag_in_version_order
from octoci_plugins.gitlab_ci.oidc import id_token_variable, read_id_token

__all__ = ["GitLabCI"]

log = logging.getLogger("octoci")

#: A token with ``read_api`` for the commit list (a project, group or personal access token).
TOKEN_VARIABLES = ("OCTOCI_GITLAB_TOKEN", "GITLAB_TOKEN")
#: Where set_output writes the dotenv report (default: ``octoci.env`` in ``CI_PROJECT_DIR``).
DOTENV_VARIABLE = "OCTOCI_DOTENV_FILE"
#: GitLab's "no commit" value of ``CI_COMMIT_BEFORE_SHA`` (new branches, merge requests, schedules).
NULL_SHA = "0" * 40


class GitLabCI(CIServer):
    """GitLab CI/CD (gitlab.com, self-managed and Dedicated), any runner and executor.

    Example::

        server = GitLabCI(os.environ, sys.stdout)
        server.build_information().pull_request_number   # CI_MERGE_REQUEST_IID, e.g. '12'
    """

    name: ClassVar[str] = "gitlab_ci"
    display_name: ClassVar[str] = "GitLab CI"
    extra: ClassVar[str | None] = "gitlab"
    docs_url: ClassVar[str] = "https://docs.gitlab.com/ci/variables/predefined_variables/"

    def __init__(self, env: Mapping[str, str], stream: TextIO, *, cwd: Path | None = None) -> None:
        super().__init__(env, stream, cwd=cwd)
        self._sections: list[str] = []
        self._section_count = 0

    # ------------------------------------------------------------------ reading the build
    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``GITLAB_CI=true``, which the runner sets in every job."""
        return env.get("GITLAB_CI", "").strip().lower() == "true"

    def _get(self, *names: str) -> str:
        return first_value(self.env, *names)

    def build_information(self) -> BuildInformation:
        """Every field from the predefined variables (raw; the core normalises).

        Merge request pipelines use ``CI_MERGE_REQUEST_IID`` (the number people see, not the
        instance-wide ``CI_MERGE_REQUEST_ID``); pipelines for GitHub pull requests of a mirror use
        ``CI_EXTERNAL_PULL_REQUEST_IID``. VcsRoot is ``CI_PROJECT_URL``, never
        ``CI_REPOSITORY_URL``, which carries the job token.
        """
        mr = self._get("CI_MERGE_REQUEST_IID")
        external = "" if mr else self._get("CI_EXTERNAL_PULL_REQUEST_IID")
        if mr:
            source = self._get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
            target = self._get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
            # Set only in merged-results pipelines, where CI_COMMIT_SHA is the merge commit.
            head = self._get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", "CI_COMMIT_SHA")
        elif external:
            source = self._get("CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME")
            target = self._get("CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_NAME")
            head = self._get("CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_SHA", "CI_COMMIT_SHA")
        else:
            source = target = head = ""
        tag = self._get("CI_COMMIT_TAG")
        pipeline_id = self._get("CI_PIPELINE_ID")
        project_url = self._get("CI_PROJECT_URL")
        build_url = self._get("CI_PIPELINE_URL")
        if not build_url and project_url and pipeline_id:
            build_url = f"{project_url.rstrip('/')}/-/pipelines/{pipeline_id}"
        return BuildInformation(
            build_environment=self.display_name,
            build_number=self._get("CI_PIPELINE_IID", "CI_PIPELINE_ID"),
            build_url=build_url,
            branch=tag or self._get("CI_COMMIT_BRANCH", "CI_COMMIT_REF_NAME"),
            vcs_type="Git",
            vcs_root=project_url or strip_url_credentials(self._get("CI_REPOSITORY_URL")),
            vcs_commit_number=self._get("CI_COMMIT_SHA"),
            pull_request_number=mr or external,
            source_branch=source,
            target_branch=target,
            tag=tag,
            head_commit=head,
            job_name=" - ".join(
                part for part in (self._get("CI_PIPELINE_NAME"), self._get("CI_JOB_NAME")) if part
            ),
        )

    # ------------------------------------------------------------------ commits
    def _api(self) -> GitLabApi | None:
        api_url = self._get("CI_API_V4_URL")
        if not api_url and self._get("CI_SERVER_URL"):
            api_url = f"{self._get('CI_SERVER_URL').rstrip('/')}/api/v4"
        configured = self._get(*TOKEN_VARIABLES)
        token, header = (
            (configured, "PRIVATE-TOKEN")
            if configured
            else (
                self._get("CI_JOB_TOKEN"),
                "JOB-TOKEN",
            )
        )
        if not token or not api_url:
            log.warning(
                "GitLab CI: no token for GitLab's API, so the commits come from git; set "
                "OCTOCI_GITLAB_TOKEN to a project access token with the read_api scope (a masked "
                "CI/CD variable) and GIT_DEPTH: 0 for the full history"
            )
            return None
        project = self._get("CI_MERGE_REQUEST_PROJECT_ID", "CI_PROJECT_ID")
        if not project.isdigit():
            raise InputError(f"CI_PROJECT_ID={project!r} is not a GitLab project id")
        return GitLabApi(api_url=api_url, project_id=project, token=token, header=header)

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """The commits of this pipeline from GitLab's API (see :mod:`.commits` for the range of
        each kind of pipeline); ``None`` (git) without a token or a range."""
        api = self._api()
        if api is None:
            return None
        try:
            return self._commits_from(api, info)
        except CommitSourceError as exc:
            if api.header == "JOB-TOKEN":
                raise CommitSourceError(
                    f"{exc}; the job token cannot read this API on most GitLab versions: set "
                    "OCTOCI_GITLAB_TOKEN to a project access token with the read_api scope"
                ) from None
            raise
        finally:
            api.close()

    def _commits_from(self, api: GitLabApi, info: BuildInformation) -> list[Commit] | None:
        mr = self._get("CI_MERGE_REQUEST_IID")
        if mr:
            if not mr.isdigit():
                raise InputError(f"CI_MERGE_REQUEST_IID={mr!r} is not a merge request number")
            return api.merge_request_commits(mr)
        head = info.vcs_commit_number
        if not head:
            return None
        if self._get("CI_EXTERNAL_PULL_REQUEST_IID"):
            base = self._get("CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_SHA")
            source = self._get("CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_SHA") or head
            return api.compare(base, source) if base else None
        if info.tag:
            previous = previous_tag_in_version_order(info.tag, api.tag_names_by_version())
            return api.compare(previous, head) if previous else None
        before = self._get("CI_COMMIT_BEFORE_SHA")
        if before and before != NULL_SHA:
            return api.compare(before, head)
        ref = self._get("CI_COMMIT_REF_NAME", "CI_COMMIT_BRANCH")
        if not ref:
            return None
        previous = api.last_successful_pipeline_sha(ref, self._get("CI_PIPELINE_ID"), head)
        return api.compare(previous, head) if previous else None

    def commit_range(self, info: BuildInformation) -> str | None:
        """The git range of the same commits: the merge request's diff base to its head, the
        external pull request's target to its source, or ``CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA``."""
        head = info.vcs_commit_number
        if self._get("CI_MERGE_REQUEST_IID"):
            base = self._get("CI_MERGE_REQUEST_DIFF_BASE_SHA")
            return f"{base}..{info.head_commit or head}" if base else None
        if self._get("CI_EXTERNAL_PULL_REQUEST_IID"):
            base = self._get("CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_SHA")
            return f"{base}..{info.head_commit or head}" if base else None
        before = self._get("CI_COMMIT_BEFORE_SHA")
        if head and before and before != NULL_SHA and not info.tag:
            return f"{before}..{head}"
        return None

    def artifact_roots(self) -> list[Path]:
        """``CI_PROJECT_DIR``: ``artifacts: paths:`` are relative to it."""
        project_dir = self._get("CI_PROJECT_DIR")
        return [Path(project_dir)] if project_dir else []

    def id_token(self, audience: str) -> str | None:
        """The token of ``id_tokens: OCTOCI_ID_TOKEN`` (or ``OCTOCI_ID_TOKEN_VARIABLE``), masked."""
        token = read_id_token(self.env, audience)
        if token:
            self.mask(token)
        return token

    def secrets(self) -> list[str]:
        """The job token (also inside ``CI_REPOSITORY_URL``), the API token and the ID token:
        GitLab masks the job token in its log, and octoci must not print any of them."""
        try:
            id_token = id_token_variable(self.env)
            repository_url = self.env.get("CI_REPOSITORY_URL", "")
        except OctociError:  # a bad variable is reported, with its name, where it is read
            id_token, repository_url = "", ""
        names = ("CI_JOB_TOKEN", *TOKEN_VARIABLES, *filter(None, [id_token]))
        return self.secret_values(*names, urls=[repository_url])

    # ------------------------------------------------------------------ writing back
    @property
    def dotenv_path(self) -> Path:
        """``OCTOCI_DOTENV_FILE``, else ``octoci.env`` in ``CI_PROJECT_DIR`` (or the working
        directory); a relative path is relative to the project directory."""
        base = Path(self._get("CI_PROJECT_DIR")) if self._get("CI_PROJECT_DIR") else self.cwd
        chosen = self._get(DOTENV_VARIABLE)
        path = Path(chosen) if chosen else Path(outputs.DOTENV_NAME)
        return path if path.is_absolute() else base / path

    def set_output(self, name: str, value: str) -> None:
        """Add ``name=value`` to the dotenv report, for ``artifacts: reports: dotenv:``.

        A value the report cannot carry unchanged (several lines, outer blanks, over GitLab's
        size limit) is logged instead, with a warning. A value holding a secret (say, the access
        token of ``octoci login``) is left out with a warning: the report is a job artifact, and
        GitLab does not mask its variables in later jobs' logs.
        """
        if self.redact(value) != value:
            log.warning(
                "output %s holds a secret, which octoci keeps out of GitLab's dotenv report (a "
                "job artifact whose variables GitLab does not mask); run octoci in the job that "
                "needs it",
                name,
            )
            return
        report = outputs.DotenvReport(self.dotenv_path)
        try:
            report.set(name, value)
        except outputs.UnrepresentableValueError as exc:
            log.warning("%s; it is in the job log only", exc)
            super().set_output(name, value)

    def start_group(self, title: str) -> None:
        """A collapsible section (``section_start``)."""
        self._section_count += 1
        name = f"octoci_{self._section_count}"
        self._sections.append(name)
        self._emit(outputs.section_start(name, self.redact(title), int(time.time())))

    def end_group(self) -> None:
        """Close the innermost open section (``section_end``)."""
        if self._sections:
            self._emit(outputs.section_end(self._sections.pop(), int(time.time())))

    def add_summary(self, markdown: str) -> None:
        """GitLab has no job summary: the summary is a section of the job log."""
        with self.group("Octopus Deploy summary"):
            super().add_summary(markdown)

    def _emit(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()
