"""The Bitrise adapter: ``BITRISE_*`` variables, commits from git, outputs through
``envman add`` (``--sensitive`` for secrets, which Bitrise redacts from the build log), the
summary as a file in ``BITRISE_DEPLOY_DIR`` (deployed with the build's artifacts).

Bitrise's API describes a build by its one commit (``commit_hash``), so the commit list comes
from git.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from octoci.errors import OctociError
from octoci.model import BuildInformation
from octoci_plugins._env_server import EnvServer

__all__ = ["Bitrise"]

log = logging.getLogger("octoci")

SUMMARY_NAME = "octoci-summary.md"


class Bitrise(EnvServer):
    """Bitrise workflows (bitrise.io), Linux and macOS stacks.

    Example::

        server = Bitrise(os.environ, sys.stdout)
        server.set_output("RELEASE", "1.2.0")   # envman add --key RELEASE --value 1.2.0
    """

    name: ClassVar[str] = "bitrise"
    display_name: ClassVar[str] = "Bitrise"
    extra: ClassVar[str | None] = "bitrise"
    docs_url: ClassVar[str] = (
        "https://devcenter.bitrise.io/en/references/available-environment-variables.html"
    )

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``BITRISE_IO=true``, which Bitrise sets in every build."""
        return env.get("BITRISE_IO", "").strip().lower() == "true"

    def build_information(self) -> BuildInformation:
        """In a pull request ``BITRISE_GIT_BRANCH`` is the source branch and
        ``BITRISEIO_GIT_BRANCH_DEST`` the target; tags come in ``BITRISE_GIT_TAG``."""
        pr = self._get("BITRISE_PULL_REQUEST")
        tag = self._get("BITRISE_GIT_TAG")
        branch = self._get("BITRISE_GIT_BRANCH")
        commit = self._get("BITRISE_GIT_COMMIT", "GIT_CLONE_COMMIT_HASH")
        return BuildInformation(
            build_environment=self.display_name,
            build_number=self._get("BITRISE_BUILD_NUMBER"),
            build_url=self._get("BITRISE_BUILD_URL"),
            branch=tag or branch,
            vcs_type="Git",
            vcs_root=self._get("GIT_REPOSITORY_URL"),
            vcs_commit_number=commit,
            pull_request_number=pr,
            source_branch=branch if pr else "",
            target_branch=self._get("BITRISEIO_GIT_BRANCH_DEST") if pr else "",
            tag=tag,
            head_commit=commit if pr else "",
            job_name=self._get("BITRISE_TRIGGERED_WORKFLOW_ID"),
        )

    def commit_range(self, info: BuildInformation) -> str | None:
        """``None``: Bitrise names no earlier commit, so git lists the commits since the
        previous tag (one warning outside tag builds)."""
        if not info.tag:
            log.warning(
                "Bitrise names no previous commit for this build, so the commits are those "
                "since the previous tag; set --commit-range to choose them"
            )
        return None

    def _envman(self, name: str, value: str, *, sensitive: bool) -> bool:
        envman = shutil.which("envman", path=self.env.get("PATH"))
        if envman is None:
            return False
        command = [envman, "add", "--key", name, "--value", value]
        done = subprocess.run(
            [*command, "--sensitive"] if sensitive else command,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise OctociError(f"envman add --key {name} failed: {self.redact(done.stderr.strip())}")
        return True

    def set_output(self, name: str, value: str) -> None:
        """``envman add --key name --value value``, which makes the value an environment
        variable of the workflow's later steps; a log line when ``envman`` is not there. A value
        holding a registered secret is added ``--sensitive``."""
        if not self._envman(name, value, sensitive=self.redact(value) != value):
            super().set_output(name, value)

    def export_variable(self, name: str, value: str, *, secret: bool) -> bool:
        """``envman add`` (``--sensitive`` for a secret, which Bitrise redacts from the build
        log); ``False`` without ``envman``."""
        if secret:
            self.mask(value)
        return self._envman(name, value, sensitive=secret)

    def add_summary(self, markdown: str) -> None:
        """The summary in the log, and appended to ``octoci-summary.md`` in
        ``BITRISE_DEPLOY_DIR``, which the Deploy to Bitrise.io step publishes."""
        super().add_summary(markdown)
        deploy_dir = self._get("BITRISE_DEPLOY_DIR")
        if not deploy_dir:
            return
        path = Path(deploy_dir) / SUMMARY_NAME
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8", newline="\n") as handle:
                handle.write(self.redact(markdown.rstrip("\n")) + "\n\n")
        except OSError as exc:
            raise OctociError(f"cannot write the summary {path}: {exc.strerror or exc}") from None
