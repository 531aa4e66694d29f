"""The Travis CI adapter: build information from Travis's default variables, commits from git
over ``TRAVIS_COMMIT_RANGE``.

Source of every name: https://docs.travis-ci.com/user/environment-variables/#default-environment-variables
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from octoci.model import BuildInformation
from octoci.server import CIServer
from octoci_plugins._env import first_value, is_true

__all__ = ["TravisCI"]

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

    def commit_range(self, info: BuildInformation) -> str | None:
        """``TRAVIS_COMMIT_RANGE`` (``a...b``, as git's ``a..b``); ``None`` for tags and the
        first build of a branch, where Travis leaves it empty."""
        text = first_value(self.env, "TRAVIS_COMMIT_RANGE")
        if info.tag or not text:
            return None
        base, _, head = text.replace("...", "..").partition("..")
        return f"{base}..{head}" if base and head else None
