"""The Drone adapter: build information from Drone's variables, commits from the forge's compare
API (the forge of ``DRONE_REPO_LINK``, with ``OCTOCI_FORGE_TOKEN``) or git over
``DRONE_COMMIT_BEFORE..DRONE_COMMIT_AFTER``, outputs in files of the shared workspace.

Source of every name: https://docs.drone.io/pipeline/environment/reference/
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar
from urllib.parse import urlsplit

from octoci.model import BuildInformation, Commit
from octoci_plugins._env import first_value, is_true
from octoci_plugins._forge import FORGE_TOKEN_VARIABLE, Forge, forge_commits, forge_kind
from octoci_plugins.woodpecker.adapter import WorkspaceOutputs

__all__ = ["Drone"]

NULL_SHA = "0" * 40


class Drone(WorkspaceOutputs):
    """Drone (Harness open source), docker, exec and kubernetes runners.

    Example::

        server = Drone(os.environ, sys.stdout)
        server.build_information().build_url   # DRONE_BUILD_LINK
    """

    name: ClassVar[str] = "drone"
    display_name: ClassVar[str] = "Drone"
    extra: ClassVar[str | None] = "drone"
    docs_url: ClassVar[str] = "https://docs.drone.io/pipeline/environment/reference/"
    workspace_variables: ClassVar[tuple[str, ...]] = ("DRONE_WORKSPACE",)

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``DRONE=true``; not Woodpecker, whose old versions set Drone's names too, nor Harness,
        whose open-source engine sets ``DRONE=true`` and whose CI sets Drone's ``DRONE_*``
        names (a step with ``HARNESS_BUILD_ID`` and ``HARNESS_ACCOUNT_ID`` is Harness's)."""
        woodpecker = "woodpecker" in (
            env.get("CI", "").lower(),
            env.get("CI_SYSTEM_NAME", "").lower(),
        )
        harness = bool(
            first_value(env, "HARNESS_BUILD_ID") and first_value(env, "HARNESS_ACCOUNT_ID")
        )
        return is_true(env, "DRONE") and not woodpecker and not harness

    def build_information(self) -> BuildInformation:
        """Every field from Drone's variables (``DRONE_BRANCH`` is the target of a PR)."""
        env = self.env
        pr = first_value(env, "DRONE_PULL_REQUEST")
        tag = first_value(env, "DRONE_TAG")
        commit = first_value(env, "DRONE_COMMIT_SHA", "DRONE_COMMIT")
        return BuildInformation(
            build_environment=self.display_name,
            build_number=first_value(env, "DRONE_BUILD_NUMBER"),
            build_url=first_value(env, "DRONE_BUILD_LINK"),
            branch=tag or first_value(env, "DRONE_SOURCE_BRANCH", "DRONE_BRANCH"),
            vcs_type="Git",
            vcs_root=first_value(env, "DRONE_REPO_LINK", "DRONE_GIT_HTTP_URL"),
            vcs_commit_number=commit,
            pull_request_number=pr,
            source_branch=first_value(env, "DRONE_SOURCE_BRANCH") if pr else "",
            target_branch=first_value(env, "DRONE_TARGET_BRANCH", "DRONE_BRANCH") if pr else "",
            tag=tag,
            head_commit=commit if pr else "",
            job_name=" - ".join(
                p
                for p in (first_value(env, "DRONE_STAGE_NAME"), first_value(env, "DRONE_STEP_NAME"))
                if p
            ),
        )

    def forge(self) -> Forge | None:
        """The repository on the forge: the origin of ``DRONE_REPO_LINK`` and ``DRONE_REPO``.
        Drone does not name the forge's kind: ``OCTOCI_FORGE_TYPE`` does, else a well-known host
        (github.com, gitlab.com, codeberg.org, gitea.com); ``None`` when neither tells."""
        link = first_value(self.env, "DRONE_REPO_LINK")
        parts = urlsplit(link)
        if not parts.scheme or not parts.netloc:
            return None
        kind = forge_kind(self.env, "", link)
        return Forge(kind, f"{parts.scheme}://{parts.netloc}", first_value(self.env, "DRONE_REPO"))

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """The forge's compare API over the push's ``before...after``, a pull request's target
        branch to its head, or a tag's previous tag to it; ``None`` (git) without
        ``OCTOCI_FORGE_TOKEN`` or a known forge, with one warning."""
        before = first_value(self.env, "DRONE_COMMIT_BEFORE")
        base = ""
        if info.pull_request_number:
            base = info.target_branch
        elif not info.tag and before != NULL_SHA:
            base = before
        head = first_value(self.env, "DRONE_COMMIT_AFTER") or info.vcs_commit_number
        return forge_commits(self.display_name, self.forge(), self.env, base, head, info.tag)

    def secrets(self) -> list[str]:
        """The forge token octoci reads commits with."""
        return self.secret_values(FORGE_TOKEN_VARIABLE)

    def commit_range(self, info: BuildInformation) -> str | None:
        """``DRONE_COMMIT_BEFORE..DRONE_COMMIT_AFTER`` of a push; ``None`` for tags, pull requests
        and new branches (before is all zeros)."""
        before = first_value(self.env, "DRONE_COMMIT_BEFORE")
        after = first_value(self.env, "DRONE_COMMIT_AFTER") or info.vcs_commit_number
        if info.tag or info.pull_request_number or not before or before == NULL_SHA:
            return None
        return f"{before}..{after}"
