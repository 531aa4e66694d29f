"""The GitHub Actions adapter: build information from the environment and the event payload,
commits from the payload or the REST API, and workflow commands and environment files back."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TextIO

from octoci.errors import InputError
from octoci.files import read_json_file
from octoci.model import BuildInformation, Commit
from octoci.normalize import normalize_branch
from octoci.server import AnnotationLevel, CIServer, ProblemLevel
from octoci_plugins._tags import previous_version_tag
from octoci_plugins.github_actions import messages
from octoci_plugins.github_actions.commits import (
    NULL_SHA,
    GitHubApi,
    commits_from_push_payload,
)
from octoci_plugins.github_actions.oidc import request_id_token

__all__ = ["GitHubActions"]

log = logging.getLogger("octoci")

#: Events whose payload carries a ``pull_request`` object (``GITHUB_SHA`` is a merge commit for
#: ``pull_request``; ``pull_request_target`` builds the base branch).
PULL_REQUEST_EVENTS = frozenset(
    {"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment"}
)
#: ``gh-readonly-queue/<branch>/pr-<number>-<sha>``: the merge queue's temporary branch.
_QUEUE_PR = re.compile(r"/pr-(\d+)-[0-9a-f]+$")
#: GitHub caps a step's summary at 1 MiB; beyond it the runner drops the whole summary.
SUMMARY_LIMIT = 1024 * 1024
SUMMARY_CUT_NOTE = b"\n\n*(octoci: the summary was cut at GitHub's 1 MiB limit)*\n"
#: Variables holding credentials the adapter reads; never written anywhere.
SECRET_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
#: Set by Gitea's act_runner and the Forgejo runner beside ``GITHUB_ACTIONS=true``: not GitHub.
FORGE_RUNNER_MARKERS = ("GITEA_ACTIONS", "FORGEJO_ACTIONS")


class GitHubActions(CIServer):
    """GitHub Actions (github.com, GitHub Enterprise Server and compatible runners).

    Example::

        server = GitHubActions(os.environ, sys.stdout)
        server.build_information().build_url
        # 'https://github.com/acme/shop/actions/runs/7'
    """

    name: ClassVar[str] = "github_actions"
    display_name: ClassVar[str] = "GitHub Actions"
    extra: ClassVar[str | None] = "github"
    docs_url: ClassVar[str] = (
        "https://docs.github.com/en/actions/reference/workflows-and-actions/variables"
    )

    def __init__(self, env: Mapping[str, str], stream: TextIO, *, cwd: Path | None = None) -> None:
        super().__init__(env, stream, cwd=cwd)
        self._payload: Mapping[str, Any] | None = None
        self._summary_cut = False

    # ------------------------------------------------------------------ reading the build
    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``GITHUB_ACTIONS=true``, which GitHub sets in every step; compatible runners set it
        too, and Gitea's and Forgejo's (``GITEA_ACTIONS``/``FORGEJO_ACTIONS``) have their own
        adapter."""
        if any(env.get(name, "").strip().lower() == "true" for name in FORGE_RUNNER_MARKERS):
            return False
        return env.get("GITHUB_ACTIONS", "").strip().lower() == "true"

    @property
    def event_name(self) -> str:
        """``GITHUB_EVENT_NAME``: ``push``, ``pull_request``, ``workflow_dispatch`` ..."""
        return self.env.get("GITHUB_EVENT_NAME", "").strip()

    @property
    def payload(self) -> Mapping[str, Any]:
        """The webhook payload of ``$GITHUB_EVENT_PATH`` (empty when the variable is unset).

        A missing, unreadable or malformed file is a one-line :class:`InputError`.
        """
        if self._payload is None:
            path = self.env.get("GITHUB_EVENT_PATH", "").strip()
            data: Any = read_json_file(Path(path), "GitHub event file") if path else {}
            if not isinstance(data, Mapping):
                raise InputError(f"GitHub event file {path} does not hold a JSON object")
            self._payload = data
        return self._payload

    def _pull_request(self) -> Mapping[str, Any]:
        if self.event_name not in PULL_REQUEST_EVENTS:
            return {}
        pr = self.payload.get("pull_request")
        if pr is None:
            return {}
        if not isinstance(pr, Mapping):
            raise InputError("GitHub event file: 'pull_request' is not an object")
        return pr

    def _merge_group(self) -> Mapping[str, Any]:
        if self.event_name != "merge_group":
            return {}
        return _mapping(self.payload.get("merge_group"), "merge_group")

    @property
    def server_url(self) -> str:
        """``GITHUB_SERVER_URL`` (GitHub Enterprise Server has its own), without a trailing ``/``."""
        return (self.env.get("GITHUB_SERVER_URL") or "https://github.com").strip().rstrip("/")

    @property
    def repository(self) -> str:
        """``owner/repo``."""
        return self.env.get("GITHUB_REPOSITORY", "").strip()

    def build_information(self) -> BuildInformation:
        """Every field from GitHub's variables; pull-request details from the event payload."""
        env = self.env
        repo_url = f"{self.server_url}/{self.repository}" if self.repository else ""
        run_id = env.get("GITHUB_RUN_ID", "").strip()
        ref = env.get("GITHUB_REF", "").strip()
        ref_type = env.get("GITHUB_REF_TYPE", "").strip()
        tag = env.get("GITHUB_REF_NAME", "").strip() if ref_type == "tag" else ""
        pr = self._pull_request()
        pr_number = _text(pr.get("number"), "pull_request.number") if pr else ""
        source = target = head = ""
        if pr:
            head_info = _mapping(pr.get("head"), "pull_request.head")
            base_info = _mapping(pr.get("base"), "pull_request.base")
            source = env.get("GITHUB_HEAD_REF", "").strip() or _text(head_info.get("ref"), "ref")
            target = env.get("GITHUB_BASE_REF", "").strip() or _text(base_info.get("ref"), "ref")
            head = _text(head_info.get("sha"), "pull_request.head.sha")
        elif ref.startswith("refs/pull/"):
            # A pull-request ref without a payload (e.g. a job that dropped the event file).
            pr_number = ref.split("/")[2]
            source = env.get("GITHUB_HEAD_REF", "").strip()
            target = env.get("GITHUB_BASE_REF", "").strip()
        queue = self._merge_group()
        if queue:
            # A merge-queue build tests what will land on the base branch: report that branch
            # (not gh-readonly-queue/<branch>/pr-N-<sha>) and the pull request it came from.
            ref = _text(queue.get("base_ref"), "merge_group.base_ref") or ref
            target = ref
            head = _text(queue.get("head_sha"), "merge_group.head_sha")
            number = _QUEUE_PR.search(_text(queue.get("head_ref"), "merge_group.head_ref"))
            pr_number = number.group(1) if number else ""
        workflow = env.get("GITHUB_WORKFLOW", "").strip()
        job = env.get("GITHUB_JOB", "").strip()
        return BuildInformation(
            build_environment=self.display_name,
            build_number=env.get("GITHUB_RUN_NUMBER", "").strip(),
            build_url=f"{repo_url}/actions/runs/{run_id}" if repo_url and run_id else "",
            branch=ref,
            vcs_type="Git",
            vcs_root=repo_url,
            vcs_commit_number=env.get("GITHUB_SHA", "").strip(),
            pull_request_number=pr_number,
            source_branch=source,
            target_branch=target,
            tag=tag,
            head_commit=head,
            job_name=" - ".join(part for part in (workflow, job) if part),
        )

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """The push payload's commits, else the compare API over this build's range.

        ``None`` (git fallback) when the range needs the API and no token is configured, with
        one warning saying what to set.
        """
        if self.event_name == "push" and not info.tag:
            listed = commits_from_push_payload(self.payload)
            if listed is not None:
                return listed
            if self.payload.get("deleted") is True:
                return []
        token = (self.env.get("GITHUB_TOKEN") or self.env.get("GH_TOKEN") or "").strip()
        if not token:
            log.warning(
                "GitHub Actions: no GITHUB_TOKEN, so the commits of this %s build come from git; "
                "set 'env: GITHUB_TOKEN: ${{ github.token }}' on the step (with 'permissions: "
                "contents: read', 'actions: read') and check out with 'fetch-depth: 0'",
                self.event_name or "unknown",
            )
            return None
        api = GitHubApi(
            api_url=(self.env.get("GITHUB_API_URL") or "https://api.github.com").strip(),
            repository=self.repository,
            token=token,
        )
        base, head = self._api_range(api, info)
        if not base or not head:
            return None
        return api.compare(base, head)

    def _api_range(self, api: GitHubApi, info: BuildInformation) -> tuple[str, str]:
        head = info.vcs_commit_number
        if self.event_name == "push" and not info.tag:
            before = _text(self.payload.get("before"), "before")
            after = _text(self.payload.get("after"), "after") or head
            # A new branch has no "before"; its commits are those since the default branch.
            if before and before != NULL_SHA:
                return before, after
            repo = self.payload.get("repository")
            default = _mapping(repo, "repository").get("default_branch")
            return (default, after) if isinstance(default, str) and default else ("", "")
        pr = self._pull_request()
        if pr:
            base = _text(_mapping(pr.get("base"), "pull_request.base").get("sha"), "sha")
            return base, info.head_commit or head
        queue = self._merge_group()
        if queue:
            return _text(queue.get("base_sha"), "merge_group.base_sha"), info.head_commit or head
        if info.tag:
            previous = previous_version_tag(info.tag, api.tag_names())
            return (previous or ""), head
        run_id = self.env.get("GITHUB_RUN_ID", "").strip()
        branch = normalize_branch(self.env.get("GITHUB_REF_NAME", "") or info.branch)
        if not run_id or not branch:
            return "", ""
        previous_sha = api.last_successful_run_sha(run_id, branch, self.event_name, head)
        return (previous_sha or ""), head

    def commit_range(self, info: BuildInformation) -> str | None:
        """``before..after`` of a push, ``base..head`` of a pull request or merge-queue build,
        else ``None``."""
        if self.event_name == "push" and not info.tag:
            before = _text(self.payload.get("before"), "before")
            if before and before != NULL_SHA:
                return f"{before}..{info.vcs_commit_number}"
            return None
        pr = self._pull_request()
        queue = self._merge_group()
        if pr:
            base = _text(_mapping(pr.get("base"), "pull_request.base").get("sha"), "sha")
        else:
            base = _text(queue.get("base_sha"), "merge_group.base_sha") if queue else ""
        if base:
            return f"{base}..{info.head_commit or info.vcs_commit_number}"
        return None

    def id_token(self, audience: str) -> str | None:
        """An OIDC ID token from the runner (needs ``permissions: id-token: write``), masked."""
        token = request_id_token(self.env, audience)
        if token:
            self.mask(token)
        return token

    # ------------------------------------------------------------------ writing back
    def _emit(self, line: str) -> None:
        # Commands are written unredacted: ::add-mask:: must carry the secret itself.
        self.stream.write(line + "\n")
        self.stream.flush()

    def write(self, text: str) -> None:
        """One log line (or several); text that the runner would take for a command is fenced
        with ``::stop-commands::`` so that e.g. a commit message cannot set outputs."""
        text = self.redact(text)
        if any(messages.looks_like_command(line) for line in text.splitlines()):
            fence = secrets.token_hex(16)
            self._emit(messages.command("stop-commands", fence))
            self._emit(text)
            self._emit(f"::{fence}::")
        else:
            self._emit(text)

    def register_secret(self, secret: str) -> None:
        """``::add-mask::``: the runner masks exactly what it is given, line by line in the log."""
        self._emit(messages.command("add-mask", secret))

    def set_output(self, name: str, value: str) -> None:
        """A step output through ``$GITHUB_OUTPUT`` (a log line when the runner set none)."""
        path = self.env.get("GITHUB_OUTPUT", "").strip()
        if not path:
            super().set_output(name, value)
            return
        _append(Path(path), messages.key_value_block(name, value), "GITHUB_OUTPUT file")

    def export_variable(self, name: str, value: str, *, secret: bool) -> bool:
        """An environment variable of the later steps through ``$GITHUB_ENV``, as the login
        action's ``exportVariable`` does; a secret is masked (``::add-mask::``) first. ``False``
        when the runner set no ``GITHUB_ENV``."""
        path = self.env.get("GITHUB_ENV", "").strip()
        if not path:
            return False
        if secret:
            self.mask(value)
        _append(Path(path), messages.key_value_block(name, value), "GITHUB_ENV file")
        return True

    def start_group(self, title: str) -> None:
        """``::group::title``."""
        self._emit(messages.command("group", self.redact(title)))

    def end_group(self) -> None:
        """``::endgroup::``."""
        self._emit(messages.command("endgroup"))

    def report_problem(self, level: ProblemLevel, title: str, message: str) -> bool:
        """``::error title=T::message`` / ``::warning title=T::message``: an annotation on the
        run's summary page, and the line in the log."""
        self._emit(messages.command(level, self.redact(message), {"title": self.redact(title)}))
        return True

    def annotate(
        self,
        level: AnnotationLevel,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        """``::warning file=F,line=L::message`` (``notice`` and ``error`` alike)."""
        props = {"file": self.redact(file) if file else None, "line": str(line) if line else None}
        self._emit(messages.command(level, self.redact(message), props))

    def add_summary(self, markdown: str) -> None:
        """Append Markdown to ``$GITHUB_STEP_SUMMARY``, kept within GitHub's 1 MiB per step."""
        path_text = self.env.get("GITHUB_STEP_SUMMARY", "").strip()
        if not path_text:
            super().add_summary(markdown)
            return
        path = Path(path_text)
        if self._summary_cut:
            return
        data = (self.redact(markdown).rstrip("\n") + "\n\n").encode("utf-8")
        used = path.stat().st_size if path.is_file() else 0
        if used + len(data) + len(SUMMARY_CUT_NOTE) > SUMMARY_LIMIT:
            # Past the limit the runner drops the whole summary: keep what fits and say so.
            self._summary_cut = True
            log.warning("the job summary reached GitHub's 1 MiB limit and was cut")
            room = SUMMARY_LIMIT - used - len(SUMMARY_CUT_NOTE)
            if room < 0:
                return
            data = data[:room].decode("utf-8", "ignore").encode("utf-8") + SUMMARY_CUT_NOTE
        text = data.decode("utf-8")
        _append(path, text, "GITHUB_STEP_SUMMARY file")


def _append(path: Path, text: str, what: str) -> None:
    try:
        with path.open("a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise InputError(f"{what} {path} cannot be written: {exc.strerror or exc}") from None


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"GitHub event file: '{key}' is not an object")
    return value


def _text(value: Any, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f"GitHub event file: '{key}' is not a string or number")
    return str(value).strip()
