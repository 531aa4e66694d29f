"""The CircleCI adapter: build information from CircleCI's built-in variables, commits from git,
outputs through ``$BASH_ENV`` and OIDC tokens from ``CIRCLE_OIDC_TOKEN_V2``."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from octoci.errors import InputError
from octoci.model import BuildInformation
from octoci.server import CIServer
from octoci_plugins._env import first_value
from octoci_plugins._jwt import id_token_from_env
from octoci_plugins.circleci.outputs import append_export

__all__ = ["CircleCI"]

log = logging.getLogger("octoci")

#: The ID tokens CircleCI gives every job (V2 has the VCS origin and ref in ``sub``), and the
#: variable for a token minted with a custom audience (``circleci run oidc get --claims``).
ID_TOKEN_VARIABLES = ("OCTOCI_ID_TOKEN", "CIRCLE_OIDC_TOKEN_V2", "CIRCLE_OIDC_TOKEN")
#: Set to ``<< pipeline.git.base_revision >>`` in the job's ``environment:``: the commit the
#: pipeline's push started from, which CircleCI does not export by itself.
BASE_REVISION_VARIABLE = "OCTOCI_BASE_REVISION"
# .../pull/12 (GitHub), .../pull-requests/12 (Bitbucket), .../-/merge_requests/12 (GitLab).
_PR_NUMBER = re.compile(r"/(?:pull|pull-requests|merge_requests)/(\d+)/?$")
_COMPARE = re.compile(r"/compare/([0-9a-fA-F]{7,40})\.\.\.?([0-9a-fA-F]{7,40})/?$")


def pull_request_number(url: str) -> str:
    """The number at the end of a pull-request URL, ``""`` when ``url`` is not one.

    >>> pull_request_number("https://github.com/acme/shop/pull/17")
    '17'
    """
    match = _PR_NUMBER.search(url.strip())
    return match.group(1) if match else ""


class CircleCI(CIServer):
    """CircleCI (cloud and server), GitHub, Bitbucket and GitLab projects.

    Example::

        server = CircleCI(os.environ, sys.stdout)
        server.build_information().pull_request_number   # '17' from CIRCLE_PULL_REQUEST
    """

    name: ClassVar[str] = "circleci"
    display_name: ClassVar[str] = "CircleCI"
    extra: ClassVar[str | None] = "circleci"
    docs_url: ClassVar[str] = "https://circleci.com/docs/reference/variables/"

    # ------------------------------------------------------------------ reading the build
    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``CIRCLECI=true``, which CircleCI sets in every job."""
        return env.get("CIRCLECI", "").strip().lower() == "true"

    def _get(self, *names: str) -> str:
        return first_value(self.env, *names)

    def build_information(self) -> BuildInformation:
        """Every field from CircleCI's variables (raw; the core normalises).

        The pull-request number comes from the URL in ``CIRCLE_PULL_REQUEST`` (``CIRCLE_PR_NUMBER``
        is set for pull requests from forks only); CircleCI names no target branch.
        """
        pr = pull_request_number(self._get("CIRCLE_PULL_REQUEST")) or self._get("CIRCLE_PR_NUMBER")
        if pr and not pr.isdigit():
            raise InputError(f"CIRCLE_PR_NUMBER={pr!r} is not a pull request number")
        branch = self._get("CIRCLE_BRANCH")
        tag = self._get("CIRCLE_TAG")
        commit = self._get("CIRCLE_SHA1")
        return BuildInformation(
            build_environment=self.display_name,
            build_number=self._get("CIRCLE_BUILD_NUM"),
            build_url=self._get("CIRCLE_BUILD_URL"),
            branch=tag or branch,
            vcs_type="Git",
            vcs_root=self._get("CIRCLE_REPOSITORY_URL"),
            vcs_commit_number=commit,
            pull_request_number=pr,
            # A fork's pull request runs on "pull/<n>", which is no branch of the repository.
            source_branch=branch if pr and not branch.startswith("pull/") else "",
            tag=tag,
            # CircleCI builds the pull request's head commit, not a merge commit.
            head_commit=commit if pr else "",
            job_name=self._get("CIRCLE_JOB"),
        )

    def commit_range(self, info: BuildInformation) -> str | None:
        """``OCTOCI_BASE_REVISION..CIRCLE_SHA1`` when the config passes the pipeline's base
        revision, else the legacy ``CIRCLE_COMPARE_URL``'s range, else ``None`` (commits since
        the previous tag), with one warning saying what to configure."""
        head = info.vcs_commit_number
        base = self._get(BASE_REVISION_VARIABLE)
        if base and head and base != head:
            return f"{base}..{head}"
        if compare := _COMPARE.search(self._get("CIRCLE_COMPARE_URL")):
            return f"{compare.group(1)}..{compare.group(2)}"
        if not info.tag:
            log.warning(
                "CircleCI does not say which commits this pipeline added, so the commits are "
                "those since the previous tag; set '%s: << pipeline.git.base_revision >>' in the "
                "job's environment for exactly this push's commits",
                BASE_REVISION_VARIABLE,
            )
        return None

    def id_token(self, audience: str) -> str | None:
        """``OCTOCI_ID_TOKEN`` (minted with a custom audience), else CircleCI's own
        ``CIRCLE_OIDC_TOKEN_V2``/``CIRCLE_OIDC_TOKEN``, whose audience is the organization ID."""
        return id_token_from_env(
            self,
            ID_TOKEN_VARIABLES,
            audience,
            hint="set the Octopus identity's custom audience to your CircleCI organization "
            "ID, or mint a token with 'circleci run oidc get --claims' into OCTOCI_ID_TOKEN",
        )

    def secrets(self) -> list[str]:
        """The OIDC tokens: CircleCI masks project and context variables, not the tokens it
        mints."""
        return self.secret_values(*ID_TOKEN_VARIABLES)

    # ------------------------------------------------------------------ writing back
    def set_output(self, name: str, value: str) -> None:
        """``export name='value'`` appended to ``$BASH_ENV``, which CircleCI sources before every
        later step of the job (a log line, secrets masked, when ``BASH_ENV`` is unset).

        The file is no log: it stays on the job's machine and hands later steps the real value,
        secrets too (``octoci login``'s access token), as ``$GITHUB_OUTPUT`` does on GitHub.
        """
        path = self._get("BASH_ENV")
        if not path:
            super().set_output(name, value)
            return
        append_export(Path(path), name, value)

    def export_variable(self, name: str, value: str, *, secret: bool) -> bool:
        """``export NAME='value'`` appended to ``$BASH_ENV``, which CircleCI sources before every
        later step of the job; the file stays on the job's machine, no log or artifact. CircleCI
        masks only project and context variables, so a later step must not print a secret.
        ``False`` when ``BASH_ENV`` is unset."""
        path = self._get("BASH_ENV")
        if not path:
            return False
        if secret:
            self.mask(value)
        append_export(Path(path), name, value)
        return True
