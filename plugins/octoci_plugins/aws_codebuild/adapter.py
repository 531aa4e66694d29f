"""The AWS CodeBuild adapter: ``CODEBUILD_*`` variables (webhook builds name the event, the ref
and the commit before the push), commits from git, outputs for ``env: exported-variables:``.

CodeBuild has no API listing a build's commits, so commits come from git over
``CODEBUILD_WEBHOOK_PREV_COMMIT..CODEBUILD_RESOLVED_SOURCE_VERSION``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

from octoci.model import BuildInformation
from octoci_plugins._env_server import EnvServer

__all__ = ["AwsCodeBuild"]

log = logging.getLogger("octoci")

_NULL_SHA = "0" * 40
_PR_TRIGGER = re.compile(r"^pr/(\d+)$")
# arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>
_ARN = re.compile(r"^arn:[^:]+:codebuild:(?P<region>[^:]+):(?P<account>\d+):build/(?P<id>.+)$")


class AwsCodeBuild(EnvServer):
    """AWS CodeBuild projects (GitHub, GitHub Enterprise, Bitbucket, GitLab, CodeCommit, S3).

    Example::

        server = AwsCodeBuild(os.environ, sys.stdout)
        server.build_information().pull_request_number   # '12' from CODEBUILD_WEBHOOK_TRIGGER=pr/12
    """

    name: ClassVar[str] = "aws_codebuild"
    display_name: ClassVar[str] = "AWS CodeBuild"
    extra: ClassVar[str | None] = "aws-codebuild"
    docs_url: ClassVar[str] = (
        "https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-env-vars.html"
    )

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``CODEBUILD_BUILD_ARN``, which CodeBuild sets in every build (a CodeBuild ARN)."""
        return env.get("CODEBUILD_BUILD_ARN", "").strip().startswith("arn:")

    def _workspace(self) -> Path:
        source = self._get("CODEBUILD_SRC_DIR")
        return Path(source) if source else self.cwd

    def build_url(self) -> str:
        """The build's page in the console, from the build ARN (region, account, project)."""
        match = _ARN.match(self._get("CODEBUILD_BUILD_ARN"))
        if not match:
            return self._get("CODEBUILD_PUBLIC_BUILD_URL")
        region = self._get("AWS_REGION", "AWS_DEFAULT_REGION") or match["region"]
        build_id = match["id"]
        project = build_id.split(":", 1)[0]
        return (
            f"https://{region}.console.aws.amazon.com/codesuite/codebuild/{match['account']}/"
            f"projects/{quote(project, safe='')}/build/{quote(build_id, safe='')}/?region={region}"
        )

    def build_information(self) -> BuildInformation:
        """Webhook builds give the ref (``CODEBUILD_WEBHOOK_HEAD_REF``: ``refs/heads/...`` or
        ``refs/tags/...``) and, for pull requests, ``pr/<n>`` and the base ref; a build started
        by hand names only ``CODEBUILD_SOURCE_VERSION`` (a branch, tag, ``pr/<n>`` or commit)."""
        trigger = self._get("CODEBUILD_WEBHOOK_TRIGGER")
        source_version = self._get("CODEBUILD_SOURCE_VERSION")
        pr_match = _PR_TRIGGER.match(trigger) or _PR_TRIGGER.match(source_version)
        pr = pr_match.group(1) if pr_match else ""
        head_ref = self._get("CODEBUILD_WEBHOOK_HEAD_REF")
        if not head_ref and not pr and not re.fullmatch(r"[0-9a-fA-F]{40}", source_version):
            head_ref = source_version
        tag = head_ref[len("refs/tags/") :] if head_ref.startswith("refs/tags/") else ""
        if trigger.startswith("tag/"):
            tag = trigger[len("tag/") :]
        commit = self._get("CODEBUILD_RESOLVED_SOURCE_VERSION")
        build_id = self._get("CODEBUILD_BUILD_ID")
        return BuildInformation(
            build_environment=self.display_name,
            build_number=self._get("CODEBUILD_BUILD_NUMBER"),
            build_url=self.build_url(),
            branch=tag or head_ref,
            vcs_type="Git",
            vcs_root=self._get("CODEBUILD_SOURCE_REPO_URL"),
            vcs_commit_number=commit,
            pull_request_number=pr,
            source_branch=head_ref if pr else "",
            target_branch=self._get("CODEBUILD_WEBHOOK_BASE_REF") if pr else "",
            tag=tag,
            # CodeBuild builds the pull request's head commit.
            head_commit=commit if pr else "",
            job_name=build_id.split(":", 1)[0],
        )

    def commit_range(self, info: BuildInformation) -> str | None:
        """``CODEBUILD_WEBHOOK_PREV_COMMIT..`` the built commit for a push; else ``None``
        (commits since the previous tag), with one warning outside tag builds."""
        before = self._get("CODEBUILD_WEBHOOK_PREV_COMMIT")
        head = info.vcs_commit_number
        if head and before and before != _NULL_SHA and before != head and not info.tag:
            return f"{before}..{head}"
        if not info.tag:
            log.warning(
                "AWS CodeBuild names no previous commit for this build (only webhook pushes "
                "do), so the commits are those since the previous tag; set --commit-range "
                "to choose them"
            )
        return None

    def artifact_roots(self) -> list[Path]:
        """``CODEBUILD_SRC_DIR``: ``artifacts: files:`` are relative to it."""
        source = self._get("CODEBUILD_SRC_DIR")
        return [Path(source)] if source else []

    def set_output(self, name: str, value: str) -> None:
        """``export name='value'`` into ``octoci.env`` in ``CODEBUILD_SRC_DIR``: source it in
        the same phase (``. ./octoci.env``) and list the name under ``exported-variables``.
        CodeBuild keeps a phase's variables for the next commands and phases of the build."""
        self._source_outputs(name, value)
