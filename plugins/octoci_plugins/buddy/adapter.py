"""The Buddy adapter: ``BUDDY_*`` variables, commits from git between the previous execution's
revision and this one, outputs as a sourced env file.

Buddy's API has no endpoint listing an execution's commits beyond the two revisions it names in
the environment, so commits come from git over ``BUDDY_EXECUTION_PREVIOUS_REVISION..``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from octoci.model import BuildInformation
from octoci_plugins._env_server import EnvServer

__all__ = ["Buddy"]

log = logging.getLogger("octoci")


class Buddy(EnvServer):
    """Buddy pipelines (buddy.works and Buddy On-Premises).

    Example::

        server = Buddy(os.environ, sys.stdout)
        server.build_information().build_number   # BUDDY_EXECUTION_ID, e.g. '57'
    """

    name: ClassVar[str] = "buddy"
    display_name: ClassVar[str] = "Buddy"
    extra: ClassVar[str | None] = "buddy"
    docs_url: ClassVar[str] = "https://buddy.works/docs/pipelines/environment-variables"

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``BUDDY=true`` with ``BUDDY_EXECUTION_ID``, which Buddy sets in every action."""
        return env.get("BUDDY", "").strip().lower() == "true" and bool(
            env.get("BUDDY_EXECUTION_ID", "").strip()
        )

    def _workspace(self) -> Path:
        workspace = self._get("BUDDY_PIPELINE_FILESYSTEM")
        return Path(workspace) if workspace else self.cwd

    def build_information(self) -> BuildInformation:
        """Pull requests name their number, head and base branch; tags ``BUDDY_EXECUTION_TAG``."""
        pr = self._get("BUDDY_EXECUTION_PULL_REQUEST_NO")
        tag = self._get("BUDDY_EXECUTION_TAG")
        commit = self._get("BUDDY_EXECUTION_REVISION")
        return BuildInformation(
            build_environment=self.display_name,
            build_number=self._get("BUDDY_EXECUTION_ID"),
            build_url=self._get("BUDDY_EXECUTION_URL"),
            branch=tag or self._get("BUDDY_EXECUTION_BRANCH"),
            vcs_type="Git",
            vcs_root=self._get("BUDDY_SCM_URL"),
            vcs_commit_number=commit,
            pull_request_number=pr,
            source_branch=self._get("BUDDY_EXECUTION_PULL_REQUEST_HEAD_BRANCH") if pr else "",
            target_branch=self._get("BUDDY_EXECUTION_PULL_REQUEST_BASE_BRANCH") if pr else "",
            tag=tag,
            head_commit=commit if pr else "",
            job_name=self._get("BUDDY_PIPELINE_NAME"),
        )

    def commit_range(self, info: BuildInformation) -> str | None:
        """``BUDDY_EXECUTION_PREVIOUS_REVISION..BUDDY_EXECUTION_REVISION`` (the revision of the
        pipeline's previous execution); ``None`` (since the previous tag) for the first run."""
        before = self._get("BUDDY_EXECUTION_PREVIOUS_REVISION")
        head = info.vcs_commit_number
        if head and before and before != head and not info.tag:
            return f"{before}..{head}"
        if not info.tag:
            log.warning(
                "Buddy names no previous revision for this execution, so the commits are those "
                "since the previous tag; set --commit-range to choose them"
            )
        return None

    def set_output(self, name: str, value: str) -> None:
        """``export name='value'`` into ``octoci.env`` in the pipeline filesystem, for later
        commands of the action to source (``. ./octoci.env``)."""
        self._source_outputs(name, value)
