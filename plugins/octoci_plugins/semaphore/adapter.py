"""The Semaphore adapter: ``SEMAPHORE_*`` variables, commits from git over
``SEMAPHORE_GIT_COMMIT_RANGE``, outputs as a sourced env file, the summary as a job artifact
(``artifact push job``), OIDC from ``SEMAPHORE_OIDC_TOKEN``.

Semaphore's public API has no endpoint listing a workflow's commits; the commit range it puts in
the environment is what git reads.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, TextIO

from octoci.model import BuildInformation
from octoci_plugins._env_server import EnvServer
from octoci_plugins._jwt import id_token_from_env

__all__ = ["Semaphore"]

log = logging.getLogger("octoci")

ID_TOKEN_VARIABLE = "SEMAPHORE_OIDC_TOKEN"
SUMMARY_NAME = "octoci-summary.md"


class Semaphore(EnvServer):
    """Semaphore 2.0 (cloud and on-premise), GitHub and Bitbucket projects.

    Example::

        server = Semaphore(os.environ, sys.stdout)
        server.build_information().pull_request_number   # SEMAPHORE_GIT_PR_NUMBER
    """

    name: ClassVar[str] = "semaphore"
    display_name: ClassVar[str] = "Semaphore"
    extra: ClassVar[str | None] = "semaphore"
    docs_url: ClassVar[str] = "https://docs.semaphoreci.com/reference/env-vars"

    def __init__(self, env: Mapping[str, str], stream: TextIO, *, cwd: Path | None = None) -> None:
        super().__init__(env, stream, cwd=cwd)
        self._summary: list[str] = []

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``SEMAPHORE=true`` with ``SEMAPHORE_WORKFLOW_ID``, which every job has."""
        return env.get("SEMAPHORE", "").strip().lower() == "true" and bool(
            env.get("SEMAPHORE_WORKFLOW_ID", "").strip()
        )

    def build_information(self) -> BuildInformation:
        """``SEMAPHORE_GIT_REF_TYPE`` says branch, tag or pull-request; in a pull request
        ``SEMAPHORE_GIT_BRANCH`` is the *target* branch, ``SEMAPHORE_GIT_PR_BRANCH`` the source
        and ``SEMAPHORE_GIT_SHA`` the merge commit (``SEMAPHORE_GIT_PR_SHA`` the head)."""
        ref_type = self._get("SEMAPHORE_GIT_REF_TYPE")
        is_pr = ref_type == "pull-request"
        tag = self._get("SEMAPHORE_GIT_TAG_NAME") if ref_type == "tag" else ""
        branch = self._get("SEMAPHORE_GIT_BRANCH")
        org_url = self._get("SEMAPHORE_ORGANIZATION_URL").rstrip("/")
        workflow = self._get("SEMAPHORE_WORKFLOW_ID")
        pipeline = self._get("SEMAPHORE_PIPELINE_ID")
        build_url = ""
        if org_url and workflow:
            build_url = f"{org_url}/workflows/{workflow}"
            build_url += f"?pipeline_id={pipeline}" if pipeline else ""
        return BuildInformation(
            build_environment=self.display_name,
            build_number=self._get("SEMAPHORE_WORKFLOW_NUMBER", "SEMAPHORE_PIPELINE_ID"),
            build_url=build_url,
            branch=tag or (self._get("SEMAPHORE_GIT_PR_BRANCH") if is_pr else branch),
            vcs_type="Git",
            vcs_root=self._get("SEMAPHORE_GIT_URL"),
            vcs_commit_number=self._get("SEMAPHORE_GIT_SHA"),
            pull_request_number=self._get("SEMAPHORE_GIT_PR_NUMBER") if is_pr else "",
            source_branch=self._get("SEMAPHORE_GIT_PR_BRANCH") if is_pr else "",
            target_branch=branch if is_pr else "",
            tag=tag,
            head_commit=self._get("SEMAPHORE_GIT_PR_SHA") if is_pr else "",
            job_name=self._get("SEMAPHORE_JOB_NAME"),
        )

    def commit_range(self, info: BuildInformation) -> str | None:
        """``SEMAPHORE_GIT_COMMIT_RANGE`` (``<first>...<last>``, the push's or the pull
        request's commits) as a git range; ``None`` (since the previous tag) without it."""
        first, dots, last = self._get("SEMAPHORE_GIT_COMMIT_RANGE").partition("...")
        if dots and first and last and not info.tag:
            return f"{first}..{last}"
        if not info.tag:
            log.warning(
                "Semaphore gives no commit range for this workflow, so the commits are those "
                "since the previous tag; set --commit-range to choose them"
            )
        return None

    def id_token(self, audience: str) -> str | None:
        """``SEMAPHORE_OIDC_TOKEN``, whose audience is the organization URL."""
        return id_token_from_env(
            self,
            [ID_TOKEN_VARIABLE],
            audience,
            hint="set the Octopus identity's audience to your Semaphore organization URL",
        )

    def secrets(self) -> list[str]:
        """The OIDC token, which Semaphore does not mask."""
        return self.secret_values(ID_TOKEN_VARIABLE)

    def set_output(self, name: str, value: str) -> None:
        """``export name='value'`` into ``octoci.env``: a job's commands run in one shell, so
        ``. ./octoci.env`` gives the later commands the value."""
        self._source_outputs(name, value)

    def add_summary(self, markdown: str) -> None:
        """The summary in the log, and as the job artifact ``octoci/summary.md``
        (``artifact push job``) when the ``artifact`` CLI is there."""
        super().add_summary(markdown)
        self._summary.append(self.redact(markdown.rstrip("\n")) + "\n")
        artifact = shutil.which("artifact", path=self.env.get("PATH"))
        if artifact is None:
            return
        path = self.cwd / SUMMARY_NAME
        path.write_text("\n".join(self._summary), encoding="utf-8")
        done = subprocess.run(
            [artifact, "push", "job", str(path), "--destination", "octoci/summary.md", "--force"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            log.warning("artifact push of the summary failed: %s", self.redact(done.stderr.strip()))
