"""The Buildkite adapter: build information from the agent's variables, commits from git since
the previous passed build (found with Buildkite's REST API, see :mod:`.commits`), outputs as
build meta-data, annotations and the summary through ``buildkite-agent``, secrets added to the
agent's redactor, and OIDC tokens from ``buildkite-agent oidc request-token``.

Sources: https://buildkite.com/docs/pipelines/configure/environment-variables,
https://buildkite.com/docs/agent/v3/cli-meta-data, .../cli-annotate, .../cli-oidc,
.../cli-redactor, https://buildkite.com/docs/pipelines/configure/managing-log-output.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import ClassVar

from octoci.errors import OctociError
from octoci.model import BuildInformation, Commit
from octoci.server import AnnotationLevel, CIServer
from octoci_plugins._env import first_value, is_true
from octoci_plugins.buildkite.commits import DEFAULT_API_URL, previous_passed_commit

__all__ = ["Buildkite"]

log = logging.getLogger("octoci")

AGENT = "buildkite-agent"
STYLES = {"notice": "info", "warning": "warning", "error": "error"}
#: Seconds an agent command may take (it calls Buildkite's agent API).
TIMEOUT = 60
#: An API access token with the ``read_builds`` scope, for the previous passed build.
TOKEN_VARIABLES = ("OCTOCI_BUILDKITE_TOKEN", "BUILDKITE_API_TOKEN")
#: Buildkite's REST API (another address for tests and proxies).
API_URL_VARIABLE = "OCTOCI_BUILDKITE_API_URL"


class Buildkite(CIServer):
    """Buildkite Pipelines, any agent (Linux, macOS, Windows).

    Example::

        server = Buildkite(os.environ, sys.stdout)
        server.build_information().build_url   # BUILDKITE_BUILD_URL
    """

    name: ClassVar[str] = "buildkite"
    display_name: ClassVar[str] = "Buildkite"
    extra: ClassVar[str | None] = "buildkite"
    docs_url: ClassVar[str] = "https://buildkite.com/docs/pipelines/configure/environment-variables"
    #: The previous passed build's commit, once :meth:`commits` asked the API.
    _api_base: str | None = None

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``BUILDKITE=true``, which the agent sets in every job."""
        return is_true(env, "BUILDKITE")

    def build_information(self) -> BuildInformation:
        """Every field from the variables. ``BUILDKITE_PULL_REQUEST`` is ``false`` outside pull
        requests; there ``BUILDKITE_BRANCH`` is the source branch (``owner:branch`` for forks)."""
        env = self.env
        pr = first_value(env, "BUILDKITE_PULL_REQUEST")
        pr = "" if pr == "false" else pr
        tag = first_value(env, "BUILDKITE_TAG")
        branch = first_value(env, "BUILDKITE_BRANCH")
        commit = first_value(env, "BUILDKITE_COMMIT")
        return BuildInformation(
            build_environment=self.display_name,
            build_number=first_value(env, "BUILDKITE_BUILD_NUMBER"),
            build_url=first_value(env, "BUILDKITE_BUILD_URL"),
            branch=tag or branch,
            vcs_type="Git",
            vcs_root=first_value(env, "BUILDKITE_REPO"),
            # "HEAD" when a build was started by hand without a commit: git resolves it.
            vcs_commit_number="" if commit == "HEAD" else commit,
            pull_request_number=pr,
            source_branch=branch if pr and ":" not in branch else "",
            target_branch=first_value(env, "BUILDKITE_PULL_REQUEST_BASE_BRANCH") if pr else "",
            tag=tag,
            head_commit=commit if pr else "",
            job_name=first_value(env, "BUILDKITE_LABEL", "BUILDKITE_STEP_KEY"),
        )

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """Always ``None`` (git lists the commits); on the way, the base of :meth:`commit_range`:
        the commit of the previous passed build on this branch, from Buildkite's REST API.

        Without a token the commits are those since the previous tag, with one warning saying
        what to set. Tag builds and a pipeline's ``OCTOCI_BASE_REVISION`` need no API."""
        head = info.vcs_commit_number
        if info.tag or not head or first_value(self.env, "OCTOCI_BASE_REVISION"):
            return None
        token = first_value(self.env, *TOKEN_VARIABLES)
        if not token:
            log.warning(
                "Buildkite: no OCTOCI_BUILDKITE_TOKEN, so the commits come from git since the "
                "previous tag; set it (a secret) to an API access token with the read_builds "
                "scope for the commits since the previous passed build"
            )
            return None
        self._api_base = previous_passed_commit(
            first_value(self.env, API_URL_VARIABLE) or DEFAULT_API_URL,
            token,
            organization=first_value(self.env, "BUILDKITE_ORGANIZATION_SLUG"),
            pipeline=first_value(self.env, "BUILDKITE_PIPELINE_SLUG"),
            branch=first_value(self.env, "BUILDKITE_BRANCH"),
            build_number=first_value(self.env, "BUILDKITE_BUILD_NUMBER"),
            head=head,
        )
        return None

    def commit_range(self, info: BuildInformation) -> str | None:
        """``BASE..BUILDKITE_COMMIT``: BASE is ``OCTOCI_BASE_REVISION`` when the pipeline passes
        one, else the previous passed build's commit (:meth:`commits`); ``None`` (commits since
        the previous tag) without either (documented in docs/servers/buildkite.md)."""
        base = first_value(self.env, "OCTOCI_BASE_REVISION") or self._api_base
        head = info.vcs_commit_number
        return f"{base}..{head}" if base and head and base != head else None

    # ------------------------------------------------------------------ the agent
    def _agent(self, args: Sequence[str], stdin: str = "") -> str | None:
        """Run ``buildkite-agent args`` (``stdin`` as its input); its output, or ``None`` when
        the agent is not on PATH. A failing command is an :class:`OctociError` naming it."""
        agent = shutil.which(AGENT, path=self.env.get("PATH"))
        if agent is None:
            return None
        try:
            done = subprocess.run(
                [agent, *args],
                input=stdin,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                env=dict(self.env),
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OctociError(f"{AGENT} {args[0]} did not run: {type(exc).__name__}") from None
        if done.returncode != 0:
            reason = self.redact(
                done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
            )
            raise OctociError(f"{AGENT} {' '.join(args[:2])} failed ({done.returncode}): {reason}")
        return done.stdout

    def set_output(self, name: str, value: str) -> None:
        """``buildkite-agent meta-data set NAME`` (value on stdin): later steps read it with
        ``buildkite-agent meta-data get NAME``. A secret is never stored there (meta-data is
        shown in the build's API), nor written anywhere: a warning says so."""
        if self.redact(value) != value:
            log.warning(
                "output %s holds a secret, which octoci keeps out of Buildkite's build meta-data",
                name,
            )
            return
        if self._agent(["meta-data", "set", name], value) is None:
            super().set_output(name, value)

    def register_secret(self, secret: str) -> None:
        """``buildkite-agent redactor add`` (agent 3.67+): the agent redacts it in the log."""
        try:
            self._agent(["redactor", "add"], secret)
        except OctociError:
            log.debug("this agent cannot add secrets to its redactor")

    def start_group(self, title: str) -> None:
        """``--- title``: a collapsed section of Buildkite's log."""
        self.write(f"--- {title}")

    def annotate(
        self,
        level: AnnotationLevel,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        """An annotation on the build page (``buildkite-agent annotate --style``)."""
        where = f" ({file}{f':{line}' if line else ''})" if file else ""
        body = self.redact(f"{message}{where}")
        args = ["annotate", "--style", STYLES[level], "--context", f"octoci-{level}", "--append"]
        if self._agent(args, body + "\n") is None:
            super().annotate(level, message, file=file, line=line)

    def add_summary(self, markdown: str) -> None:
        """The summary as an ``info`` annotation (Markdown) on the build page."""
        args = ["annotate", "--style", "info", "--context", "octoci-summary", "--append"]
        if self._agent(args, self.redact(markdown)) is None:
            super().add_summary(markdown)

    def id_token(self, audience: str) -> str | None:
        """``buildkite-agent oidc request-token --audience AUDIENCE``, masked; ``None`` without
        the agent."""
        out = self._agent(["oidc", "request-token", "--audience", audience])
        token = (out or "").strip()
        if token:
            self.mask(token)
        return token or None

    def secrets(self) -> list[str]:
        """The agent's job token, which the agent redacts, and the API token: octoci must not
        write either."""
        return self.secret_values("BUILDKITE_AGENT_ACCESS_TOKEN", *TOKEN_VARIABLES)
