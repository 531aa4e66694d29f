"""The Woodpecker CI adapter: build information from Woodpecker's built-in variables, commits
from the forge's compare API (``CI_FORGE_TYPE``/``CI_FORGE_URL``, with ``OCTOCI_FORGE_TOKEN``) or
git over the previous pipeline's commit, outputs in files of the shared workspace.

Woodpecker names its variables ``CI_*`` like GitLab does, but sets ``CI=woodpecker`` and never
``GITLAB_CI``: each adapter keys on its own marker. Source of every name:
https://woodpecker-ci.org/docs/usage/environment (built-in environment variables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from octoci.model import BuildInformation, Commit
from octoci.server import CIServer
from octoci_plugins._env import first_value
from octoci_plugins._forge import FORGE_TOKEN_VARIABLE, Forge, forge_commits, forge_kind
from octoci_plugins._outputs import JSON_NAME, OutputFiles

__all__ = ["WoodpeckerCI", "WorkspaceOutputs"]


class WorkspaceOutputs(CIServer):
    """Outputs as ``octoci-outputs.json``/``.properties`` in the workspace, which every later
    step of the pipeline mounts (Woodpecker and Drone have no output variables)."""

    #: The variable naming the workspace (``CI_WORKSPACE``, ``DRONE_WORKSPACE``).
    workspace_variables: ClassVar[tuple[str, ...]] = ()

    @property
    def output_files(self) -> OutputFiles:
        """``OCTOCI_OUTPUT_FILE``, else ``octoci-outputs.json`` in the workspace."""
        workspace = first_value(self.env, *self.workspace_variables)
        base = Path(workspace) if workspace else self.cwd
        chosen = first_value(self.env, "OCTOCI_OUTPUT_FILE")
        path = Path(chosen) if chosen else Path(JSON_NAME)
        return OutputFiles(path if path.is_absolute() else base / path)

    def set_output(self, name: str, value: str) -> None:
        """Add ``name`` to the output files, for later steps (``jq -r .NAME octoci-outputs.json``)."""
        self.output_files.set(name, value)

    def artifact_roots(self) -> list[Path]:
        """The workspace."""
        workspace = first_value(self.env, *self.workspace_variables)
        return [Path(workspace)] if workspace else []


class WoodpeckerCI(WorkspaceOutputs):
    """Woodpecker CI 1.0+ (any forge: Gitea, Forgejo, GitHub, GitLab, Bitbucket).

    Example::

        server = WoodpeckerCI(os.environ, sys.stdout)
        server.build_information().build_number   # CI_PIPELINE_NUMBER, e.g. '118'
    """

    name: ClassVar[str] = "woodpecker"
    display_name: ClassVar[str] = "Woodpecker CI"
    extra: ClassVar[str | None] = "woodpecker"
    docs_url: ClassVar[str] = "https://woodpecker-ci.org/docs/usage/environment"
    workspace_variables: ClassVar[tuple[str, ...]] = ("CI_WORKSPACE",)

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``CI=woodpecker`` (or ``CI_SYSTEM_NAME=woodpecker``)."""
        return "woodpecker" in (
            env.get("CI", "").strip().lower(),
            env.get("CI_SYSTEM_NAME", "").strip().lower(),
        )

    def build_information(self) -> BuildInformation:
        """Every field from the variables; pull requests build the source branch's head."""
        env = self.env
        event = first_value(env, "CI_PIPELINE_EVENT")
        pr = first_value(env, "CI_COMMIT_PULL_REQUEST") if event.startswith("pull_request") else ""
        tag = first_value(env, "CI_COMMIT_TAG") if event in ("tag", "release", "") else ""
        commit = first_value(env, "CI_COMMIT_SHA")
        return BuildInformation(
            build_environment=self.display_name,
            build_number=first_value(env, "CI_PIPELINE_NUMBER", "CI_BUILD_NUMBER"),
            build_url=first_value(env, "CI_PIPELINE_URL", "CI_BUILD_LINK"),
            branch=tag or first_value(env, "CI_COMMIT_BRANCH", "CI_COMMIT_REF"),
            vcs_type="Git",
            vcs_root=first_value(env, "CI_REPO_URL", "CI_REPO_CLONE_URL"),
            vcs_commit_number=commit,
            pull_request_number=pr,
            source_branch=first_value(env, "CI_COMMIT_SOURCE_BRANCH") if pr else "",
            target_branch=first_value(env, "CI_COMMIT_TARGET_BRANCH") if pr else "",
            tag=tag,
            head_commit=commit if pr else "",
            job_name=" - ".join(
                p
                for p in (first_value(env, "CI_WORKFLOW_NAME"), first_value(env, "CI_STEP_NAME"))
                if p
            ),
        )

    def forge(self) -> Forge | None:
        """The repository on the forge (``CI_FORGE_TYPE``, ``CI_FORGE_URL``; GitLab projects by
        ``CI_REPO_REMOTE_ID``), or ``None`` when Woodpecker did not say."""
        env = self.env
        url = first_value(env, "CI_FORGE_URL")
        kind = forge_kind(env, first_value(env, "CI_FORGE_TYPE"), url)
        if not url or not kind:
            return None
        remote_id = first_value(env, "CI_REPO_REMOTE_ID")
        project = remote_id if kind == "gitlab" and remote_id.isdigit() else ""
        return Forge(kind, url, project or first_value(env, "CI_REPO"))

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """The forge's compare API over the range :meth:`commit_range` gives git (a pull
        request: its target branch to its head; a tag: since the previous tag); ``None`` (git)
        without ``OCTOCI_FORGE_TOKEN``, with one warning."""
        base = ""
        if info.pull_request_number:
            base = info.target_branch
        elif not info.tag:
            base = first_value(self.env, "CI_PREV_COMMIT_SHA")
        head = info.head_commit or info.vcs_commit_number
        return forge_commits(self.display_name, self.forge(), self.env, base, head, info.tag)

    def commit_range(self, info: BuildInformation) -> str | None:
        """``CI_PREV_COMMIT_SHA..CI_COMMIT_SHA`` (the previous pipeline of the repository) for a
        push; ``None`` (since the previous tag) for tags and pull requests."""
        previous = first_value(self.env, "CI_PREV_COMMIT_SHA")
        head = info.vcs_commit_number
        if info.tag or info.pull_request_number or not previous or previous == head:
            return None
        return f"{previous}..{head}"

    def secrets(self) -> list[str]:
        """The forge's netrc password Woodpecker hands the clone step, if a step sees it, and
        the forge token octoci reads commits with."""
        return self.secret_values("CI_NETRC_PASSWORD", FORGE_TOKEN_VARIABLE)
