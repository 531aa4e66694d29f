"""The Jenkins adapter: build information from the Git plugin's and multibranch variables,
commits from the JSON API walking back to the last successful build, outputs in files."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TextIO
from urllib.parse import unquote, urlsplit

from octoci.errors import OctociError
from octoci.model import BuildInformation, Commit
from octoci.normalize import strip_url_credentials
from octoci.server import CIServer
from octoci_plugins._env import first_value
from octoci_plugins._http import CommitSourceError, url_origin
from octoci_plugins._jwt import id_token_from_env
from octoci_plugins._outputs import JSON_NAME, OutputFiles
from octoci_plugins.jenkins.commits import collect_commits

__all__ = ["JenkinsServer"]

log = logging.getLogger("octoci")

#: The Jenkins CLI's own names for a user and an API token; bind them with withCredentials.
USER_VARIABLE = "JENKINS_USER_ID"
TOKEN_VARIABLE = "JENKINS_API_TOKEN"
#: Where a build hands over a token from the OpenID Connect Provider plugin's credential.
ID_TOKEN_VARIABLE = "OCTOCI_ID_TOKEN"
#: Seconds python-jenkins waits for each request.
TIMEOUT = 30
ATTEMPTS = 3


#: Where the Git plugin puts a tag in ``GIT_BRANCH``: ``refs/tags/<name>`` when the job builds
#: that ref, ``<remote>/tags/<name>`` with the refspec ``+refs/tags/*:refs/remotes/origin/tags/*``.
_TAG_PREFIXES = ("refs/tags/", "refs/remotes/origin/tags/", "remotes/origin/tags/", "origin/tags/")


def freestyle_tag(git_branch: str) -> str:
    """The tag a freestyle job's ``GIT_BRANCH`` names, ``""`` for a branch.

    >>> freestyle_tag("origin/tags/1.2.0"), freestyle_tag("refs/tags/v2"), freestyle_tag("origin/main")
    ('1.2.0', 'v2', '')
    """
    for prefix in _TAG_PREFIXES:
        if git_branch.startswith(prefix) and len(git_branch) > len(prefix):
            return git_branch[len(prefix) :]
    return ""


class JenkinsServer(CIServer):
    """Jenkins (freestyle, Pipeline and multibranch; GitHub/GitLab pull-request plugins too).

    Detected by ``JENKINS_URL`` (or ``HUDSON_URL``) with ``BUILD_ID`` or ``BUILD_URL``, a
    ``BUILD_TAG`` of ``jenkins-<job>-<n>``, or ``JENKINS_HOME`` with ``BUILD_ID``; never by
    ``BUILD_NUMBER`` alone (TeamCity sets it too) nor ``JENKINS_URL`` alone (the Jenkins CLI's
    setting on developers' machines).
    Outputs go to ``octoci-outputs.json`` and ``octoci-outputs.properties`` in the workspace.

    Example::

        server = JenkinsServer(os.environ, sys.stdout)
        server.build_information().branch   # 'main' for GIT_BRANCH=origin/main
    """

    name = "jenkins"
    display_name = "Jenkins"
    extra: ClassVar[str | None] = "jenkins"
    docs_url = "https://www.jenkins.io/doc/book/pipeline/jenkinsfile/#using-environment-variables"

    def __init__(self, env: Mapping[str, str], stream: TextIO, *, cwd: Path | None = None) -> None:
        super().__init__(env, stream, cwd=cwd)
        self._announced_outputs = False

    # ------------------------------------------------------------------ reading the build
    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """True in a Jenkins build, also when Jenkins's root URL is not configured (then
        ``JENKINS_URL`` is unset, but ``BUILD_TAG`` and ``JENKINS_HOME`` are not).

        ``JENKINS_URL`` alone is not enough: the Jenkins CLI reads it too, so developers export
        it in their shells. A build also has ``BUILD_ID`` (or ``BUILD_URL``).
        """

        def has(name: str) -> bool:
            return bool(env.get(name, "").strip())

        in_build = has("BUILD_ID") or has("BUILD_URL")
        if (has("JENKINS_URL") or has("HUDSON_URL")) and in_build:
            return True
        if env.get("BUILD_TAG", "").startswith("jenkins-") and has("BUILD_NUMBER"):
            return True
        return has("JENKINS_HOME") and has("BUILD_ID")

    def _get(self, *names: str) -> str:
        return first_value(self.env, *names)

    def build_information(self) -> BuildInformation:
        """Every field from the environment (raw; the core normalises).

        Pull requests: multibranch ``CHANGE_*``, the GitHub Pull Request Builder's ``ghprb*`` and
        the GitLab plugin's ``gitlab*``. Tags: multibranch ``TAG_NAME``, or a freestyle job's
        ``GIT_BRANCH`` of ``origin/tags/<name>`` or ``refs/tags/<name>``. Branch otherwise:
        ``BRANCH_NAME``, ``GIT_LOCAL_BRANCH`` or ``GIT_BRANCH`` (``origin/`` is dropped by the
        core, unlike Octopus's plugin, which sends ``origin/main``).
        """
        pr = self._get("CHANGE_ID", "ghprbPullId", "gitlabMergeRequestIid", "gitlabMergeRequestId")
        source = self._get("CHANGE_BRANCH", "ghprbSourceBranch", "gitlabSourceBranch")
        target = self._get("CHANGE_TARGET", "ghprbTargetBranch", "gitlabTargetBranch")
        git_branch = self._get("GIT_BRANCH")
        if git_branch == "detached":
            git_branch = ""
        tag = self._get("TAG_NAME") or freestyle_tag(git_branch)
        branch = tag or self._get("BRANCH_NAME", "GIT_LOCAL_BRANCH") or git_branch
        commit = self._get("GIT_COMMIT")
        svn = not commit and bool(self._get("SVN_REVISION", "SVN_URL"))
        return BuildInformation(
            build_environment=self.display_name,
            build_number=self._get("BUILD_NUMBER"),
            build_url=self._get("BUILD_URL"),
            branch=branch,
            vcs_type="SVN" if svn else "Git",
            vcs_root=self._get("SVN_URL") if svn else self._get("GIT_URL", "GIT_URL_1"),
            vcs_commit_number=self._get("SVN_REVISION") if svn else commit,
            pull_request_number=pr,
            source_branch=source if pr else "",
            target_branch=target if pr else "",
            tag=tag,
            head_commit=self._get("ghprbActualCommit", "gitlabMergeRequestLastCommit")
            if pr
            else "",
            job_name=self._get("JOB_NAME"),
        )

    def _credentials(self) -> tuple[str, str, str] | None:
        """(Jenkins URL without credentials, user, API token), or None when one is missing."""
        raw_url = self._get("JENKINS_URL", "HUDSON_URL")
        if not raw_url:
            return None
        user = self._get(USER_VARIABLE)
        token = self._get(TOKEN_VARIABLE)
        parts = urlsplit(raw_url)
        if not token and parts.password:
            # A Jenkins URL with user:token@ works as credentials too; it is never printed.
            user, token = unquote(parts.username or ""), unquote(parts.password)
        if not (user and token):
            return None
        self.mask(token)
        return strip_url_credentials(raw_url), user, token

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """The change sets of this build and of the failed builds before it, newest first.

        ``None`` (git over ``GIT_PREVIOUS_SUCCESSFUL_COMMIT..GIT_COMMIT`` instead, with one
        warning saying what to set) without ``JENKINS_URL`` or an API token.
        """
        job = self._get("JOB_NAME")
        number = self._get("BUILD_NUMBER")
        if not (self._get("JENKINS_URL", "HUDSON_URL") and job and number.isdigit()):
            log.warning(
                "Jenkins's API needs JENKINS_URL, JOB_NAME and BUILD_NUMBER (set the Jenkins URL "
                "under Manage Jenkins > System); using git instead"
            )
            return None
        credentials = self._credentials()
        if credentials is None:
            log.warning(
                "set %s and %s (withCredentials with a Jenkins API token) to read the commits "
                "of this build and of the failed builds before it from Jenkins; using git instead",
                USER_VARIABLE,
                TOKEN_VARIABLE,
            )
            return None
        url, user, token = credentials
        jenkins = self.require("jenkins")
        server = jenkins.Jenkins(url, username=user, password=token, timeout=TIMEOUT)

        def get_build(build_number: int) -> dict[str, Any]:
            return _get_build(jenkins, server, url, job, build_number)

        return collect_commits(get_build, int(number))

    def commit_range(self, info: BuildInformation) -> str | None:
        """``GIT_PREVIOUS_SUCCESSFUL_COMMIT..GIT_COMMIT``: the same "since the last successful
        build" range as the API walk, for the git fallback."""
        previous = self._get("GIT_PREVIOUS_SUCCESSFUL_COMMIT")
        current = self._get("GIT_COMMIT")
        return f"{previous}..{current}" if previous and current else None

    def artifact_roots(self) -> list[Path]:
        """The workspace: ``archiveArtifacts`` patterns are relative to it."""
        workspace = self._get("WORKSPACE")
        return [Path(workspace)] if workspace else []

    def id_token(self, audience: str) -> str | None:
        """A token of the OpenID Connect Provider plugin (``oidc-provider``), bound by the
        pipeline as ``OCTOCI_ID_TOKEN`` with ``withCredentials``; its audience is set on the
        credential."""
        return id_token_from_env(
            self,
            [ID_TOKEN_VARIABLE],
            audience,
            hint="set the audience on the Jenkins 'OpenID Connect id token' credential",
        )

    def secrets(self) -> list[str]:
        """The Jenkins API token, the ID token and a password in ``JENKINS_URL``."""
        try:
            jenkins_url = self.env.get("JENKINS_URL", "")
        except OctociError:  # a bad variable is reported, with its name, where it is read
            jenkins_url = ""
        return self.secret_values(TOKEN_VARIABLE, ID_TOKEN_VARIABLE, urls=[jenkins_url])

    # ------------------------------------------------------------------ writing back
    @property
    def output_files(self) -> OutputFiles:
        """Where :meth:`set_output` writes (``OCTOCI_OUTPUT_FILE`` or the workspace)."""
        return jenkins_output_files(self.env, self.cwd)

    def set_output(self, name: str, value: str) -> None:
        """Add ``name`` to ``octoci-outputs.json`` and ``.properties`` for ``readJSON`` or
        ``readProperties``; Jenkins has no command to set a variable from a step."""
        files = self.output_files
        files.set(name, self.redact(value))
        if not self._announced_outputs:
            self._announced_outputs = True
            self.write(f"octoci: outputs are in {files.json_path} and {files.properties_path.name}")

    def add_summary(self, markdown: str) -> None:
        """The summary in the console between rules, and appended to ``octoci-summary.md`` beside
        the output files (for the HTML Publisher or ``rtp`` plugins)."""
        text = self.redact(markdown.rstrip("\n"))
        self.write("-" * 72)
        for text_line in text.splitlines():
            self.write(text_line)
        self.write("-" * 72)
        summary = self.output_files.json_path.with_name("octoci-summary.md")
        try:
            summary.parent.mkdir(parents=True, exist_ok=True)
            with summary.open("a", encoding="utf-8", newline="\n") as handle:
                handle.write(text + "\n\n")
        except OSError as exc:
            log.warning("cannot write the summary file %s: %s", summary, exc.strerror or exc)


def _get_build(
    jenkins: Any, server: Any, url: str, job: str, number: int, *, attempts: int = ATTEMPTS
) -> dict[str, Any]:
    """Build ``number`` of ``job`` through python-jenkins, retrying timeouts and HTTP 5xx.

    Every failure becomes a :class:`CommitSourceError` written here, never python-jenkins's text
    (which can carry a response body), so no credential can reach a log.
    """
    import requests

    origin = url_origin(url)
    what = f"Jenkins API ({origin}, build #{number} of {job})"
    for attempt in range(attempts):
        retry = attempt + 1 < attempts
        try:
            build = server.get_build_info(job, number)
        except jenkins.TimeoutException:
            problem = "timed out"
        except jenkins.JenkinsException as exc:
            status = _status_of(exc)
            if status is None and isinstance(exc.__context__, jenkins.NotFoundException):
                status = 404
            if status in (401, 403):
                raise CommitSourceError(
                    f"{what}: Jenkins refused the credential (HTTP {status}); check "
                    f"{USER_VARIABLE} and {TOKEN_VARIABLE}"
                ) from None
            if status is None:
                raise CommitSourceError(f"{what}: the answer could not be read") from None
            if status not in _TRANSIENT:
                problem = "no such build" if status == 404 else "failed"
                raise CommitSourceError(f"{what}: {problem} (HTTP {status})") from None
            problem = f"answered HTTP {status}"
        except requests.RequestException as exc:
            problem = f"cannot be reached ({type(exc).__name__})"
        else:
            if not isinstance(build, dict):
                raise CommitSourceError(f"{what}: the answer is not a build object")
            return build
        if retry:
            time.sleep(0.5 * 2**attempt)
    raise CommitSourceError(f"{what}: {problem} ({attempts} attempts)")


_TRANSIENT = frozenset({429, 500, 502, 503, 504})


def _status_of(exc: Exception) -> int | None:
    """The HTTP status behind a python-jenkins error.

    python-jenkins words 401/403/500 as "... [<status>] ..." and re-raises other HTTP errors as
    "does not exist" from inside the ``except`` that caught the ``requests`` error, which is
    therefore the exception's context.
    """
    response = getattr(exc.__context__, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int):
        return status
    text = str(exc)
    for code in (401, 403, 500):
        if f"[{code}]" in text:
            return code
    return None


def jenkins_output_files(env: Mapping[str, str], cwd: Path) -> OutputFiles:
    """``OCTOCI_OUTPUT_FILE`` (the JSON file; the properties file sits beside it), else
    ``octoci-outputs.json`` in ``WORKSPACE``, else in ``cwd``."""
    chosen = env.get("OCTOCI_OUTPUT_FILE", "").strip()
    if chosen:
        path = Path(chosen)
        return OutputFiles(path if path.is_absolute() else cwd / path)
    workspace = env.get("WORKSPACE", "").strip()
    return OutputFiles((Path(workspace) if workspace else cwd) / JSON_NAME)
