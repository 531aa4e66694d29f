"""The GoCD adapter: ``GO_*`` variables, commits from the pipeline instance's modifications
(GoCD's API, with ``OCTOCI_GOCD_TOKEN``) or git over ``GO_FROM_REVISION..GO_TO_REVISION``,
outputs as ``octoci-outputs.json``/``.properties`` (GoCD has no way for a task to set a
variable; publish them as artifacts).

GoCD names neither the branch nor the repository URL of a material in the environment, so both
come from the git checkout.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import ClassVar
from urllib.parse import quote

from octoci.git import GitError, Repository
from octoci.model import BuildInformation, Commit
from octoci_plugins._env_server import EnvServer
from octoci_plugins.gocd.commits import pipeline_instance_commits
from octoci_plugins.jenkins.adapter import jenkins_output_files

__all__ = ["GoCD"]

log = logging.getLogger("octoci")

TOKEN_VARIABLE = "OCTOCI_GOCD_TOKEN"


class GoCD(EnvServer):
    """GoCD pipelines with a Git material.

    Example::

        server = GoCD(os.environ, sys.stdout)
        server.build_information().build_number   # GO_PIPELINE_LABEL, e.g. '142'
    """

    name: ClassVar[str] = "gocd"
    display_name: ClassVar[str] = "GoCD"
    extra: ClassVar[str | None] = "gocd"
    docs_url: ClassVar[str] = (
        "https://docs.gocd.org/current/faq/dev_use_current_revision_in_build.html"
    )

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``GO_SERVER_URL`` with ``GO_PIPELINE_NAME``, which the agent sets in every job."""
        return bool(env.get("GO_SERVER_URL", "").strip()) and bool(
            env.get("GO_PIPELINE_NAME", "").strip()
        )

    def _revision(self) -> str:
        """``GO_REVISION`` (one material), else the only ``GO_REVISION_<MATERIAL>``."""
        single = self._get("GO_REVISION")
        if single:
            return single
        named = sorted(k for k in self.env if k.startswith("GO_REVISION_") and self.env[k].strip())
        return self.env[named[0]].strip() if len(named) == 1 else ""

    def build_information(self) -> BuildInformation:
        """The stage page as the build URL; branch and repository from the checkout."""
        pipeline = self._get("GO_PIPELINE_NAME")
        counter = self._get("GO_PIPELINE_COUNTER")
        stage = self._get("GO_STAGE_NAME")
        stage_counter = self._get("GO_STAGE_COUNTER")
        server = self._get("GO_SERVER_URL").rstrip("/")
        build_url = ""
        if server and pipeline and counter and stage and stage_counter:
            build_url = (
                f"{server}/pipelines/{quote(pipeline, safe='')}/{counter}/"
                f"{quote(stage, safe='')}/{stage_counter}"
            )
        repo = Repository(self.cwd)
        try:
            state = repo.head_state()
            root = repo.remote_url() if state else ""
        except GitError:
            state, root = None, ""
        return BuildInformation(
            build_environment=self.display_name,
            build_number=self._get("GO_PIPELINE_LABEL", "GO_PIPELINE_COUNTER"),
            build_url=build_url,
            branch=state.branch if state else "",
            vcs_type="Git",
            vcs_root=root,
            vcs_commit_number=self._revision() or (state.commit if state else ""),
            job_name="/".join(p for p in (pipeline, stage, self._get("GO_JOB_NAME")) if p),
        )

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """The instance's modifications from GoCD's API when ``OCTOCI_GOCD_TOKEN`` is set
        (a token of a user who can view the pipeline); else ``None`` (git)."""
        token = self._get(TOKEN_VARIABLE)
        if not token:
            log.warning(
                "GoCD: no %s, so the commits come from git; set it to an access token that can "
                "view the pipeline for the modifications GoCD recorded",
                TOKEN_VARIABLE,
            )
            return None
        return pipeline_instance_commits(
            self._get("GO_SERVER_URL"),
            self._get("GO_PIPELINE_NAME"),
            self._get("GO_PIPELINE_COUNTER"),
            token,
        )

    def commit_range(self, info: BuildInformation) -> str | None:
        """``GO_FROM_REVISION^..GO_TO_REVISION``: the first and last modification of this run
        (both included); ``None`` (since the previous tag) without them."""
        first = self._get("GO_FROM_REVISION")
        last = self._get("GO_TO_REVISION") or info.vcs_commit_number
        return f"{first}^..{last}" if first and last else None

    def secrets(self) -> list[str]:
        """The API token."""
        return self.secret_values(TOKEN_VARIABLE)

    def set_output(self, name: str, value: str) -> None:
        """Add ``name`` to ``octoci-outputs.json`` and ``.properties`` in the working directory
        (or ``OCTOCI_OUTPUT_FILE``), for a later job to fetch as an artifact."""
        jenkins_output_files(self.env, self.cwd).set(name, self.redact(value))
