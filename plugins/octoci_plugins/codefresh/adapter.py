"""The Codefresh adapter: build information from Codefresh's system variables, commits from
git (Codefresh's API names only the build's own revision, no list), outputs through
``cf_export``'s file, OIDC ID tokens from the step's token endpoint (see :mod:`.oidc`).

Sources: https://codefresh.io/docs/docs/pipelines/variables/ (system variables, ``cf_export``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from octoci.errors import InputError, OctociError
from octoci.model import BuildInformation
from octoci.server import CIServer
from octoci_plugins._env import first_value
from octoci_plugins.codefresh.oidc import REQUEST_TOKEN, request_id_token

__all__ = ["Codefresh"]

log = logging.getLogger("octoci")

#: The file ``cf_export`` appends to; Codefresh exports its lines to every later step.
EXPORT_FILE = "env_vars_to_export"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_COMMIT = re.compile(r"/commits?/[0-9a-fA-F]{7,40}/?$")


class Codefresh(CIServer):
    """Codefresh pipelines (SaaS and hybrid runners).

    Example::

        server = Codefresh(os.environ, sys.stdout)
        server.build_information().build_url   # CF_BUILD_URL
    """

    name: ClassVar[str] = "codefresh"
    display_name: ClassVar[str] = "Codefresh"
    extra: ClassVar[str | None] = "codefresh"
    docs_url: ClassVar[str] = "https://codefresh.io/docs/docs/pipelines/variables/"

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``CF_BUILD_ID`` with ``CF_BUILD_URL``, set in every step of a build."""
        return bool(env.get("CF_BUILD_ID", "").strip() and env.get("CF_BUILD_URL", "").strip())

    def build_information(self) -> BuildInformation:
        """Every field from the variables. Codefresh has no build number: ``CF_BUILD_ID`` is
        the build's id; VcsRoot is ``CF_COMMIT_URL`` without its ``/commit/<sha>``."""
        env = self.env
        pr = first_value(env, "CF_PULL_REQUEST_NUMBER")
        tag = first_value(env, "CF_RELEASE_TAG")
        branch = first_value(env, "CF_BRANCH")
        commit = first_value(env, "CF_REVISION")
        return BuildInformation(
            build_environment=self.display_name,
            build_number=first_value(env, "CF_BUILD_ID"),
            build_url=first_value(env, "CF_BUILD_URL"),
            branch=tag or branch,
            vcs_type="Git",
            vcs_root=_COMMIT.sub("", first_value(env, "CF_COMMIT_URL")),
            vcs_commit_number=commit,
            pull_request_number=pr,
            source_branch=branch if pr else "",
            target_branch=first_value(env, "CF_PULL_REQUEST_TARGET") if pr else "",
            tag=tag,
            head_commit=commit if pr else "",
            job_name=first_value(env, "CF_PIPELINE_NAME"),
        )

    def set_output(self, name: str, value: str) -> None:
        """``NAME=value`` appended to ``$CF_VOLUME_PATH/env_vars_to_export``, as ``cf_export``
        does: later steps see ``$NAME``. A value of several lines cannot go there and is logged,
        with a warning; a secret never is (it is left out, with a warning)."""
        if not _NAME.match(name):
            raise InputError(f"output name {name!r} is not a variable name (letters, digits, _)")
        volume = first_value(self.env, "CF_VOLUME_PATH")
        if self.redact(value) != value:
            log.warning(
                "output %s holds a secret, which octoci keeps out of cf_export's file", name
            )
            return
        if not volume or "\n" in value or "\r" in value or "\x00" in value:
            if volume:
                log.warning("output %s is several lines, which cf_export cannot pass on", name)
            super().set_output(name, value)
            return
        path = Path(volume) / EXPORT_FILE
        try:
            with path.open("a", encoding="utf-8", newline="\n") as handle:
                handle.write(f"{name}={value}\n")
        except OSError as exc:
            raise OctociError(f"cannot write {path}: {exc.strerror or exc}") from None

    def id_token(self, audience: str) -> str | None:
        """An ID token for ``audience`` from ``CF_OIDC_REQUEST_URL``, masked; ``None`` where
        Codefresh offers none."""
        token = request_id_token(self.env, audience)
        if token:
            self.mask(token)
        return token

    def secrets(self) -> list[str]:
        """The step's OIDC request token, which octoci must not write."""
        return self.secret_values(REQUEST_TOKEN)
