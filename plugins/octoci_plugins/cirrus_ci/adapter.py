"""The Cirrus CI adapter: ``CIRRUS_*`` variables, commits from git since the last green change
(or the pull request's base), outputs through ``$CIRRUS_ENV``, OIDC from ``CIRRUS_OIDC_TOKEN``.

``$CIRRUS_ENV`` names a file of ``NAME=value`` lines that Cirrus reads into the environment of
the task's later instructions; a value must fit on one line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from octoci.errors import InputError, OctociError
from octoci.model import BuildInformation
from octoci_plugins._env_server import EnvServer
from octoci_plugins._jwt import id_token_from_env

__all__ = ["CirrusCI", "env_line"]

log = logging.getLogger("octoci")

ID_TOKEN_VARIABLE = "CIRRUS_OIDC_TOKEN"


def env_line(name: str, value: str) -> str:
    """``NAME=value`` for ``$CIRRUS_ENV``; :class:`InputError` for a name that is no variable
    name or a value that is not one line (the file has no quoting).

    >>> env_line("RELEASE", "1.2.3")
    'RELEASE=1.2.3\\n'
    """
    if not name.replace("_", "a").isalnum() or not name.isascii() or name[0].isdigit():
        raise InputError(f"output name {name!r} is not a variable name (letters, digits, _)")
    if any(ch in value for ch in "\r\n\x00"):
        raise InputError(f"output {name} is not one line of text, which $CIRRUS_ENV needs")
    return f"{name}={value}\n"


class CirrusCI(EnvServer):
    """Cirrus CI (cirrus-ci.com and Cirrus CLI), Linux, macOS, FreeBSD and Windows tasks.

    Example::

        server = CirrusCI(os.environ, sys.stdout)
        server.build_information().build_url   # https://cirrus-ci.com/build/<CIRRUS_BUILD_ID>
    """

    name: ClassVar[str] = "cirrus_ci"
    display_name: ClassVar[str] = "Cirrus CI"
    extra: ClassVar[str | None] = "cirrus"
    docs_url: ClassVar[str] = "https://cirrus-ci.org/guide/writing-tasks/#environment-variables"

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``CIRRUS_CI=true``, which Cirrus sets in every task."""
        return env.get("CIRRUS_CI", "").strip().lower() == "true"

    def build_information(self) -> BuildInformation:
        """A pull request runs on ``CIRRUS_BRANCH=pull/<n>`` with ``CIRRUS_PR`` and
        ``CIRRUS_BASE_BRANCH``; Cirrus does not name the pull request's own branch."""
        pr = self._get("CIRRUS_PR")
        tag = self._get("CIRRUS_TAG")
        branch = self._get("CIRRUS_BRANCH")
        commit = self._get("CIRRUS_CHANGE_IN_REPO")
        build_id = self._get("CIRRUS_BUILD_ID")
        return BuildInformation(
            build_environment=self.display_name,
            build_number=build_id,
            build_url=f"https://cirrus-ci.com/build/{build_id}" if build_id else "",
            branch=tag or branch,
            vcs_type="Git",
            vcs_root=self._get("CIRRUS_REPO_CLONE_URL"),
            vcs_commit_number=commit,
            pull_request_number=pr,
            source_branch=branch if pr and not branch.startswith("pull/") else "",
            target_branch=self._get("CIRRUS_BASE_BRANCH") if pr else "",
            tag=tag,
            head_commit=commit if pr else "",
            job_name=self._get("CIRRUS_TASK_NAME"),
        )

    def commit_range(self, info: BuildInformation) -> str | None:
        """The pull request's ``CIRRUS_BASE_SHA..``, else ``CIRRUS_LAST_GREEN_CHANGE..`` the
        built commit; ``None`` (since the previous tag) when neither is known."""
        head = info.vcs_commit_number
        base = self._get("CIRRUS_BASE_SHA") if info.pull_request_number else ""
        base = base or ("" if info.tag else self._get("CIRRUS_LAST_GREEN_CHANGE"))
        if head and base and base != head:
            return f"{base}..{head}"
        if not info.tag:
            log.warning(
                "Cirrus CI names no earlier green build of this branch, so the commits are "
                "those since the previous tag; set --commit-range to choose them"
            )
        return None

    def id_token(self, audience: str) -> str | None:
        """``CIRRUS_OIDC_TOKEN``: Cirrus issues it for ``https://cirrus-ci.com/github/<owner>``
        unless the task sets ``CIRRUS_OIDC_TOKEN_AUDIENCE`` (to the service account id)."""
        return id_token_from_env(
            self,
            [ID_TOKEN_VARIABLE],
            audience,
            hint="set CIRRUS_OIDC_TOKEN_AUDIENCE in the task's env",
        )

    def secrets(self) -> list[str]:
        """The OIDC token, which Cirrus does not mask."""
        return self.secret_values(ID_TOKEN_VARIABLE)

    def set_output(self, name: str, value: str) -> None:
        """``name=value`` appended to ``$CIRRUS_ENV``, for the task's later instructions; a
        value of several lines (or a secret: the file is no log, but nor is it masked) goes to
        the log instead, with a warning."""
        path = self._get("CIRRUS_ENV")
        if not path or self.redact(value) != value:
            if path:
                log.warning("output %s holds a secret, which octoci keeps out of $CIRRUS_ENV", name)
            super().set_output(name, value)
            return
        if "\n" in value or "\r" in value:
            log.warning(
                "output %s is several lines, which $CIRRUS_ENV cannot hold; it is in "
                "the task log only",
                name,
            )
            super().set_output(name, value)
            return
        line = env_line(name, value)
        try:
            with Path(path).open("a", encoding="utf-8", newline="\n") as handle:
                handle.write(line)
        except OSError as exc:
            raise OctociError(f"cannot write $CIRRUS_ENV {path}: {exc.strerror or exc}") from None
