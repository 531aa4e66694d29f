"""The AppVeyor adapter: build information from ``APPVEYOR_*`` variables, the previous build's
commit from the REST API for the git range, and the build worker API for everything written back."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar, TextIO

from octoci.environment import is_truthy
from octoci.git import GitError, Repository
from octoci.model import BuildInformation, Commit
from octoci.server import AnnotationLevel, CIServer, ProblemLevel, RunOutcome
from octoci_plugins._env import first_value
from octoci_plugins.appveyor.commits import previous_successful_commit
from octoci_plugins.appveyor.worker_api import WorkerApi, WorkerApiError

__all__ = ["AppVeyor"]

log = logging.getLogger("octoci")

#: An AppVeyor API token (account settings > API keys), stored as a secure variable.
TOKEN_VARIABLE = "OCTOCI_APPVEYOR_TOKEN"
DEFAULT_URL = "https://ci.appveyor.com"
#: ``APPVEYOR_REPO_PROVIDER`` (compared in lower case) -> web host of ``APPVEYOR_REPO_NAME``.
PROVIDER_HOSTS = {
    "github": "https://github.com",
    "bitbucket": "https://bitbucket.org",
    "gitlab": "https://gitlab.com",
}
_CATEGORY = {"notice": "information", "warning": "warning", "error": "error"}


class AppVeyor(CIServer):
    """AppVeyor (ci.appveyor.com and AppVeyor Server), on Windows, Linux and macOS images.

    Detected by ``APPVEYOR=True`` (``true`` on Linux images). On a pull-request build
    ``APPVEYOR_REPO_BRANCH`` is the *base* branch, so the branch reported is the head's; on a tag
    build it is not a branch at all, so the tag is tested first. Messages, output variables and
    artifacts go through the build worker API at ``APPVEYOR_API_URL``.

    Example::

        server = AppVeyor(os.environ, sys.stdout)
        server.build_information().build_url
        # 'https://ci.appveyor.com/project/acme/shop/builds/51234567'
    """

    name: ClassVar[str] = "appveyor"
    display_name: ClassVar[str] = "AppVeyor"
    extra: ClassVar[str | None] = "appveyor"
    docs_url: ClassVar[str] = "https://www.appveyor.com/docs/environment-variables/"
    #: AppVeyor's Octopus integration deploys the build's artifacts of type OctopusPackage.
    publishes_artifacts_by_default: ClassVar[bool] = True

    def __init__(self, env: Mapping[str, str], stream: TextIO, *, cwd: Path | None = None) -> None:
        super().__init__(env, stream, cwd=cwd)
        api_url = self._get("APPVEYOR_API_URL")
        self.worker = WorkerApi(api_url) if api_url else None
        self._worker_warned = False
        self._previous_commit: str | None = None

    # ------------------------------------------------------------------ reading the build
    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``APPVEYOR`` is ``True`` (Windows) or ``true`` (Linux): compared in any case."""
        return is_truthy(env.get("APPVEYOR"))

    def _get(self, *names: str) -> str:
        return first_value(self.env, *names)

    @property
    def server_url(self) -> str:
        """``APPVEYOR_URL`` (AppVeyor Server has its own), without a trailing ``/``."""
        return (self._get("APPVEYOR_URL") or DEFAULT_URL).rstrip("/")

    @property
    def is_tag(self) -> bool:
        """``APPVEYOR_REPO_TAG=true``: a build started by a tag."""
        return is_truthy(self._get("APPVEYOR_REPO_TAG")) and bool(
            self._get("APPVEYOR_REPO_TAG_NAME")
        )

    def repository_url(self) -> str:
        """The repository's web address: composed from the provider and ``APPVEYOR_REPO_NAME``
        for GitHub, Bitbucket and GitLab; the clone's ``origin`` for self-hosted providers
        (GitHub Enterprise, GitLab self-managed, Bitbucket Server, Gitea, plain git), whose host
        AppVeyor does not give."""
        provider = self._get("APPVEYOR_REPO_PROVIDER").lower()
        name = self._get("APPVEYOR_REPO_NAME")
        if provider in PROVIDER_HOSTS and name:
            return f"{PROVIDER_HOSTS[provider]}/{name}"
        folder = self._get("APPVEYOR_BUILD_FOLDER")
        try:
            return Repository(Path(folder) if folder else self.cwd).remote_url()
        except GitError:
            return ""

    def build_information(self) -> BuildInformation:
        """Every field from AppVeyor's variables (raw; the core normalises)."""
        account = self._get("APPVEYOR_ACCOUNT_NAME")
        slug = self._get("APPVEYOR_PROJECT_SLUG")
        build_id = self._get("APPVEYOR_BUILD_ID")
        build_url = (
            f"{self.server_url}/project/{account}/{slug}/builds/{build_id}"
            if account and slug and build_id
            else ""
        )
        pr = self._get("APPVEYOR_PULL_REQUEST_NUMBER")
        tag = self._get("APPVEYOR_REPO_TAG_NAME") if self.is_tag else ""
        base_branch = "" if tag else self._get("APPVEYOR_REPO_BRANCH")
        source = self._get("APPVEYOR_PULL_REQUEST_HEAD_REPO_BRANCH") if pr else ""
        scm = self._get("APPVEYOR_REPO_SCM").lower()
        return BuildInformation(
            build_environment=self.display_name,
            # What AppVeyor's UI shows (and the build's URL by version takes): "1.0.45".
            build_number=self._get("APPVEYOR_BUILD_VERSION", "APPVEYOR_BUILD_NUMBER"),
            build_url=build_url,
            branch=tag or (source if pr else base_branch),
            vcs_type="Git" if scm in ("", "git") else scm.capitalize(),
            vcs_root=self.repository_url(),
            vcs_commit_number=self._get("APPVEYOR_REPO_COMMIT"),
            pull_request_number=pr,
            source_branch=source,
            target_branch=base_branch if pr else "",
            tag=tag,
            head_commit=self._get("APPVEYOR_PULL_REQUEST_HEAD_COMMIT") if pr else "",
            job_name=self._get("APPVEYOR_PROJECT_NAME", "APPVEYOR_PROJECT_SLUG"),
        )

    def _head_commit(self, info: BuildInformation) -> Commit:
        subject = self._get("APPVEYOR_REPO_COMMIT_MESSAGE")
        body = self._get("APPVEYOR_REPO_COMMIT_MESSAGE_EXTENDED")
        return Commit(info.vcs_commit_number, f"{subject}\n\n{body}" if body else subject)

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """``None`` (git over :meth:`commit_range`), after finding where a branch build's range
        starts: the previous successful build of the branch, from AppVeyor's history API with
        ``OCTOCI_APPVEYOR_TOKEN``.

        Without a git clone, the head commit AppVeyor describes is the whole list.
        """
        if not Repository(self.cwd).is_repository():
            if info.vcs_commit_number:
                log.warning(
                    "%s is not a git clone, so only the head commit is sent; run octoci in "
                    "APPVEYOR_BUILD_FOLDER for the build's commits",
                    self.cwd,
                )
                return [self._head_commit(info)]
            return None
        if info.is_pull_request or info.tag:
            return None
        token = self._get(TOKEN_VARIABLE)
        account = self._get("APPVEYOR_ACCOUNT_NAME")
        slug = self._get("APPVEYOR_PROJECT_SLUG")
        build_id = self._get("APPVEYOR_BUILD_ID")
        if not token:
            log.warning(
                "add a secure variable %s (an AppVeyor API token) to list the commits since the "
                "branch's last successful build; using the commits since the previous tag",
                TOKEN_VARIABLE,
            )
            return None
        self.mask(token)
        if not (account and slug and build_id.isdigit() and info.branch):
            return None
        self._previous_commit = previous_successful_commit(
            f"{self.server_url}/api",
            token,
            account,
            slug,
            build_id=int(build_id),
            branch=info.branch,
        )
        return None

    def commit_range(self, info: BuildInformation) -> str | None:
        """A pull request's ``<merge commit>^1..<head>`` (AppVeyor builds the merge with the
        base); a branch build's ``<previous successful build's commit>..<commit>``."""
        commit = info.vcs_commit_number
        if info.is_pull_request and commit:
            return f"{commit}^1..{info.head_commit or commit}"
        if self._previous_commit and commit:
            return f"{self._previous_commit}..{commit}"
        return None

    def artifact_roots(self) -> list[Path]:
        """The build folder: ``artifacts:`` paths are relative to it."""
        folder = self._get("APPVEYOR_BUILD_FOLDER")
        return [Path(folder)] if folder else []

    def publish_artifact(self, path: Path, name: str | None = None) -> bool:
        """``Push-AppveyorArtifact`` through the worker API; ``name`` is the deployment name."""
        if self.worker is None:
            return False
        self.worker.push_artifact(path, name, "OctopusPackage" if _is_package(path) else None)
        self.write(f"octoci: pushed {path.name} as a build artifact")
        return True

    def secrets(self) -> list[str]:
        """The AppVeyor API token: AppVeyor masks nothing in its log, so octoci must."""
        return self.secret_values(TOKEN_VARIABLE)

    # ------------------------------------------------------------------ writing back
    def _worker_call_failed(self, exc: WorkerApiError) -> None:
        if not self._worker_warned:
            self._worker_warned = True
            log.warning("%s; writing to the log only", exc)

    def set_output(self, name: str, value: str) -> None:
        """``Set-AppveyorBuildVariable``: ``name`` becomes an environment variable of the later
        steps of this job. A failure is an error: a later step would miss the value."""
        if self.worker is None:
            super().set_output(name, value)
            return
        self.worker.set_variable(name, self.redact(value))
        self.write(f"octoci: set the build variable {name}")

    def report_problem(self, level: ProblemLevel, title: str, message: str) -> bool:
        """A message on the build's Messages tab (``Add-AppveyorMessage`` with category
        ``Error`` or ``Warning``, the text as the message and the title as its details); a
        warning also as its log line (``True``), the error's plain line left to the core
        (``False``, as without the worker API)."""
        if self.worker is None:
            return False
        if level == "warning":
            self.annotate("warning", message)
            return True
        try:
            self.worker.add_message(self.redact(message), "error", self.redact(title))
        except WorkerApiError as exc:
            self._worker_call_failed(exc)
        # The console shows no message of the Messages tab: the plain error line still goes there.
        return False

    def set_status(self, text: str, outcome: RunOutcome) -> None:
        """The status line as a message on the Messages tab (``Error`` for a failed run)."""
        if self.worker is None:
            return
        category = {"failed": "error", "succeeded_with_issues": "warning"}.get(
            outcome, "information"
        )
        try:
            self.worker.add_message(self.redact(text), category)
        except WorkerApiError as exc:
            self._worker_call_failed(exc)

    def annotate(
        self,
        level: AnnotationLevel,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        """The log line, and a message on the build's Messages tab (a compilation message when
        a file is named)."""
        super().annotate(level, message, file=file, line=line)
        if self.worker is None:
            return
        text = self.redact(message)
        try:
            if file:
                self.worker.add_compilation_message(text, _CATEGORY[level], file=file, line=line)
            else:
                self.worker.add_message(text, _CATEGORY[level])
        except WorkerApiError as exc:
            self._worker_call_failed(exc)

    def add_summary(self, markdown: str) -> None:
        """The summary in the log, and as a message whose first line is the headline and whose
        details are the whole summary."""
        super().add_summary(markdown)
        if self.worker is None:
            return
        lines = [line.strip("#>*- ").strip() for line in markdown.splitlines()]
        headline = next((line for line in lines if line), "Octopus Deploy")
        try:
            self.worker.add_message(self.redact(headline), "information", self.redact(markdown))
        except WorkerApiError as exc:
            self._worker_call_failed(exc)


def _is_package(path: Path) -> bool:
    return path.name.lower().endswith((".nupkg", ".zip", ".tar.gz", ".tgz", ".tar"))
