"""The Harness CI adapter: ``HARNESS_*`` for the build and the execution page, the Drone-style
``DRONE_*`` codebase variables Harness sets for the ref and commits, commits from git over
``DRONE_COMMIT_BEFORE..DRONE_COMMIT_SHA``, outputs for a Run step's ``outputVariables``.

Harness reads a Run step's output variables from the step's shell when its script ends, so
``set_output`` writes ``export`` lines the script sources (``. ./octoci.env``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

from octoci.model import BuildInformation
from octoci_plugins._env_server import EnvServer

__all__ = ["HarnessCI"]

log = logging.getLogger("octoci")

_NULL_SHA = "0" * 40
DEFAULT_APP_URL = "https://app.harness.io"


class HarnessCI(EnvServer):
    """Harness CI (SaaS and self-managed), Build stages on any infrastructure.

    Example::

        server = HarnessCI(os.environ, sys.stdout)
        server.build_information().build_number   # HARNESS_BUILD_ID (<+pipeline.sequenceId>)
    """

    name: ClassVar[str] = "harness_ci"
    display_name: ClassVar[str] = "Harness CI"
    extra: ClassVar[str | None] = "harness"
    docs_url: ClassVar[str] = (
        "https://developer.harness.io/docs/continuous-integration/use-ci/optimize-and-more/ci-env-var/"
    )

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``HARNESS_BUILD_ID`` with ``HARNESS_ACCOUNT_ID``, which every CI step has."""
        return bool(env.get("HARNESS_BUILD_ID", "").strip()) and bool(
            env.get("HARNESS_ACCOUNT_ID", "").strip()
        )

    def _workspace(self) -> Path:
        workspace = self._get("HARNESS_WORKSPACE")
        return Path(workspace) if workspace else self.cwd

    def build_url(self) -> str:
        """``CI_BUILD_LINK`` when Harness sets it, else the execution page built from the
        account, org, project, pipeline and execution IDs (``OCTOCI_HARNESS_URL`` for a
        self-managed platform)."""
        link = self._get("CI_BUILD_LINK", "DRONE_BUILD_LINK")
        if link:
            return link
        ids = [
            self._get(name)
            for name in (
                "HARNESS_ACCOUNT_ID",
                "HARNESS_ORG_ID",
                "HARNESS_PROJECT_ID",
                "HARNESS_PIPELINE_ID",
                "HARNESS_EXECUTION_ID",
            )
        ]
        if not all(ids):
            return ""
        account, org, project, pipeline, execution = (quote(i, safe="") for i in ids)
        base = (self._get("OCTOCI_HARNESS_URL") or DEFAULT_APP_URL).rstrip("/")
        return (
            f"{base}/ng/account/{account}/module/ci/orgs/{org}/projects/{project}/pipelines/"
            f"{pipeline}/executions/{execution}/pipeline"
        )

    def build_information(self) -> BuildInformation:
        """Pull requests: ``DRONE_PULL_REQUEST``, ``DRONE_SOURCE_BRANCH`` and
        ``DRONE_TARGET_BRANCH``; tags: ``DRONE_TAG``."""
        pr = self._get("DRONE_PULL_REQUEST")
        tag = self._get("DRONE_TAG")
        commit = self._get("DRONE_COMMIT_SHA", "DRONE_COMMIT")
        return BuildInformation(
            build_environment=self.display_name,
            build_number=self._get("HARNESS_BUILD_ID"),
            build_url=self.build_url(),
            branch=tag or self._get("DRONE_COMMIT_BRANCH", "DRONE_BRANCH"),
            vcs_type="Git",
            vcs_root=self._get("DRONE_REPO_LINK", "DRONE_GIT_HTTP_URL"),
            vcs_commit_number=commit,
            pull_request_number=pr,
            source_branch=self._get("DRONE_SOURCE_BRANCH") if pr else "",
            target_branch=self._get("DRONE_TARGET_BRANCH") if pr else "",
            tag=tag,
            head_commit=commit if pr else "",
            job_name=" - ".join(
                p for p in (self._get("HARNESS_PIPELINE_ID"), self._get("HARNESS_STAGE_ID")) if p
            ),
        )

    def commit_range(self, info: BuildInformation) -> str | None:
        """``DRONE_COMMIT_BEFORE..DRONE_COMMIT_SHA`` for a push; else ``None`` (since the
        previous tag), with one warning outside tag builds."""
        before = self._get("DRONE_COMMIT_BEFORE")
        head = info.vcs_commit_number
        if head and before and before not in (_NULL_SHA, head) and not info.tag:
            return f"{before}..{head}"
        if not info.tag:
            log.warning(
                "Harness CI names no previous commit for this build, so the commits are those "
                "since the previous tag; set --commit-range to choose them"
            )
        return None

    def set_output(self, name: str, value: str) -> None:
        """``export name='value'`` into ``octoci.env`` in the workspace: source it in the Run
        step (``. ./octoci.env``) and list the name under the step's ``outputVariables``."""
        self._source_outputs(name, value)
