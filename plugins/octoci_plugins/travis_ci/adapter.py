"""The Travis CI adapter: build information from Travis's default variables, commits from git
over ``TRAVIS_COMMIT_RANGE``, or since the previous passed build of the branch (found with
Travis's API v3, see :mod:`.commits`) where Travis gives no range.

Source of every name: https://docs.travis-ci.com/user/environment-variables/#default-environment-variables
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import ClassVar

from octoci.model import BuildInformation, Commit
from octoci.server import CIServer
from octoci_plugins._env import first_value, is_true
from octoci_plugins.travis_ci.commits import DEFAULT_API_URL, previous_passed_build_sha

__all__ = ["TravisCI"]

log = logging.getLogger("octoci")

#: A Travis API token (``travis token --com``, or the account's settings page).
TOKEN_VARIABLES = ("OCTOCI_TRAVIS_TOKEN", "TRAVIS_API_TOKEN")
#: Travis's API (Travis CI Enterprise: its own address; another one for tests and proxies).
API_URL_VARIABLE = "OCTOCI_TRAVIS_API_URL"

#: ``https://app.travis-ci.com/<provider>/<owner>/<repo>/builds/<id>``: the forge's slug.
_PROVIDER = re.compile(r"^https?://[^/]+/(github|gitlab|bitbucket|assembla)/")
FORGES = {
    "github": "https://github.com",
    "gitlab": "https://gitlab.com",
    "bitbucket": "https://bitbucket.org",
}


class TravisCI(CIServer):
    """Travis CI (travis-ci.com and Travis CI Enterprise), Linux, macOS and Windows builds.

    Example::

        server = TravisCI(os.environ, sys.stdout)
        server.build_information().pull_request_number   # TRAVIS_PULL_REQUEST, e.g. '31'
    """

    name: ClassVar[str] = "travis_ci"
    display_name: ClassVar[str] = "Travis CI"
    extra: ClassVar[str | None] = "travis"
    docs_url: ClassVar[str] = "https://docs.travis-ci.com/user/environment-variables/"
    #: The previous passed build's commit, once :meth:`commits` asked the API.
    _api_base: str | None = None

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``TRAVIS=true``, which Travis sets in every job."""
        return is_true(env, "TRAVIS")

    def build_information(self) -> BuildInformation:
        """Every field from the variables. ``TRAVIS_PULL_REQUEST`` is ``false`` outside pull
        requests; there ``TRAVIS_BRANCH`` is the *target* branch and the source is
        ``TRAVIS_PULL_REQUEST_BRANCH``; VcsRoot is the forge named in the build's URL."""
        env = self.env
        pr = first_value(env, "TRAVIS_PULL_REQUEST")
        pr = "" if pr == "false" else pr
        tag = first_value(env, "TRAVIS_TAG")
        build_url = first_value(env, "TRAVIS_BUILD_WEB_URL")
        provider = _PROVIDER.match(build_url)
        slug = first_value(env, "TRAVIS_REPO_SLUG")
        forge = FORGES.get(provider.group(1), "") if provider else FORGES["github"]
        return BuildInformation(
            build_environment=self.display_name,
            build_number=first_value(env, "TRAVIS_BUILD_NUMBER"),
            build_url=build_url,
            branch=tag or first_value(env, "TRAVIS_BRANCH"),
            vcs_type="Git",
            vcs_root=f"{forge}/{slug}" if forge and slug else "",
            vcs_commit_number=first_value(env, "TRAVIS_COMMIT"),
            pull_request_number=pr,
            source_branch=first_value(env, "TRAVIS_PULL_REQUEST_BRANCH") if pr else "",
            target_branch=first_value(env, "TRAVIS_BRANCH") if pr else "",
            tag=tag,
            head_commit=first_value(env, "TRAVIS_PULL_REQUEST_SHA") if pr else "",
            job_name=first_value(env, "TRAVIS_JOB_NAME"),
        )

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """Always ``None`` (git lists the commits). Where Travis gives no
        ``TRAVIS_COMMIT_RANGE`` (a branch's first build, API and cron builds), the base of
        :meth:`commit_range` is the commit of the branch's previous passed build, from Travis's
        API; without a token those commits are the ones since the previous tag, with one
        warning saying what to set. Tags and pull requests need no API."""
        head = info.vcs_commit_number
        if info.tag or info.pull_request_number or not head or self._env_range(info):
            return None
        token = first_value(self.env, *TOKEN_VARIABLES)
        if not token:
            log.warning(
                "Travis CI: no TRAVIS_COMMIT_RANGE, no OCTOCI_TRAVIS_TOKEN, so the commits "
                "come from git since the previous tag; set OCTOCI_TRAVIS_TOKEN (a secret "
                "repository setting) to a Travis API token for the commits since the previous "
                "passed build"
            )
            return None
        self._api_base = previous_passed_build_sha(
            first_value(self.env, API_URL_VARIABLE) or DEFAULT_API_URL,
            token,
            slug=first_value(self.env, "TRAVIS_REPO_SLUG"),
            branch=first_value(self.env, "TRAVIS_BRANCH"),
            build_id=first_value(self.env, "TRAVIS_BUILD_ID"),
            head=head,
        )
        return None

    def commit_range(self, info: BuildInformation) -> str | None:
        """``TRAVIS_COMMIT_RANGE`` (``a...b``, as git's ``a..b``), else the previous passed
        build's commit to ``TRAVIS_COMMIT`` (:meth:`commits`); ``None`` (commits since the
        previous tag) for tags and without either."""
        if info.tag:
            return None
        from_env = self._env_range(info)
        if from_env:
            return from_env
        head = info.vcs_commit_number
        base = self._api_base
        return f"{base}..{head}" if base and head and base != head else None

    def _env_range(self, info: BuildInformation) -> str | None:
        text = first_value(self.env, "TRAVIS_COMMIT_RANGE")
        base, _, head = text.replace("...", "..").partition("..")
        return f"{base}..{head}" if base and head else None

    def secrets(self) -> list[str]:
        """The API token, which octoci must not write."""
        return self.secret_values(*TOKEN_VARIABLES)
