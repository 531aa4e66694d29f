"""The default package version, computed from git in the spirit of GitVersion.

* Building a tag that is a version (``v1.4.0`` or ``1.4.0``): that version.
* Otherwise: the last version tag with its patch number raised, and a pre-release label of the
  branch (``ci`` on ``main``/``master``/``trunk``/``develop``) and the number of commits since the
  tag: ``1.4.1-ci.7``, ``1.4.1-feature-login.3``. A pull-request build is labelled ``pr-<number>``.
* No version tag at all: ``0.1.0-<label>.<commits in history>``.

Every result is a valid Octopus version (checked with :func:`octoci.package_names.validate_version`).
"""

from __future__ import annotations

import re

from octoci.errors import OctociError
from octoci.git import Repository
from octoci.model import BuildInformation
from octoci.package_names import validate_version

__all__ = ["branch_label", "version_from_git", "version_from_tag"]

_MAINLINE = {"main", "master", "trunk", "develop", ""}
_LABEL_CHARS = re.compile(r"[^0-9A-Za-z]+")
_MAX_LABEL = 30


def version_from_tag(tag: str) -> str | None:
    """The version a tag names (``v1.2.3`` -> ``1.2.3``), or ``None`` when it names none."""
    candidate = tag[1:] if tag[:1] in ("v", "V") else tag
    return candidate if candidate and validate_version(candidate) is None else None


def branch_label(info: BuildInformation) -> str:
    """The pre-release label for a build: ``ci`` on a mainline branch, ``pr-N`` for a pull request,
    else the branch name made safe for SemVer (``feature/Login_page`` -> ``feature-login-page``)."""
    if info.pull_request_number:
        return f"pr-{_LABEL_CHARS.sub('-', info.pull_request_number).strip('-') or '0'}"
    if info.branch in _MAINLINE:
        return "ci"
    label = _LABEL_CHARS.sub("-", info.branch).strip("-").lower()[:_MAX_LABEL].strip("-")
    # A purely numeric identifier with a leading zero is not valid SemVer 2.
    if not label or label.isdigit():
        label = f"b{label}"
    return label


def _bump(version: str) -> str:
    core = version.partition("+")[0]
    numbers, dash, pre = core.partition("-")
    if dash:  # already a pre-release: the next build of it is a further pre-release
        return f"{numbers}-{pre}"
    parts = [int(p) for p in numbers.split(".")]
    while len(parts) < 3:
        parts.append(0)
    parts[2] += 1
    return ".".join(str(p) for p in parts[:3])


def version_from_git(repo: Repository, info: BuildInformation) -> str:
    """The version of the build checked out in ``repo``; see the module docstring for the rules.

    Raises :class:`OctociError` outside a git repository, saying to pass ``--version``.
    """
    if info.tag and (tagged := version_from_tag(info.tag)):
        return tagged
    if not repo.is_repository():
        raise OctociError(
            f"cannot compute a package version: {repo.path} is not a git repository; pass --version"
        )
    for tag in repo.tags_at_head():
        if tagged := version_from_tag(tag):
            return tagged
    # The highest version tag reachable from HEAD is "the last release" this build follows.
    merged = repo.run("tag", "--merged", "HEAD", "--sort=-version:refname").splitlines()
    described = next((t for t in merged if version_from_tag(t)), "")
    label = branch_label(info)
    base = version_from_tag(described) if described else None
    if base is None:
        return f"0.1.0-{label}.{repo.count('HEAD')}"
    since = repo.count(f"{described}..HEAD")
    bumped = _bump(base)
    if "-" in bumped:
        return f"{bumped}.{label}.{since}"
    return f"{bumped}-{label}.{since}"
