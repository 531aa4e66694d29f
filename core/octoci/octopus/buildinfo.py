"""Pushing build information for one or many package ids at one version.

Checks before anything is sent (every id and the version must be valid), warnings for what
would make the build information useless in Octopus (a VcsType it cannot link, a file path
given as package id, 200 or more commits), and re-run safety: a 409 is fine when the stored
record says the same (same build, same commits).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from octoci.errors import InputError, OctociError
from octoci.images import IMAGE_NAME
from octoci.model import BuildInformation, BuildInformationRecord
from octoci.octopus.connection import Connection
from octoci.octopus.errors import OctopusApiError, ServerTooOldError
from octoci.octopus.packages import OverwriteMode
from octoci.package_names import (
    canonical_version,
    parse_package_filename,
    split_extension,
    validate_package_id,
    validate_version,
)

__all__ = [
    "COMMIT_WARNING_THRESHOLD",
    "build_information_warnings",
    "push_build_information",
    "read_build_information_file",
    "validate_build_information_target",
    "with_branch",
]

log = logging.getLogger("octoci")

#: Octopus's own tools warn at this many commits: release pages get slow and notes get long.
COMMIT_WARNING_THRESHOLD = 200


#: A Maven groupId or artifactId (as the maven repository kind accepts them).
_MAVEN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


def _looks_like_path(package_id: str) -> bool:
    return (
        "/" in package_id
        or "\\" in package_id
        or split_extension(package_id) is not None
        or parse_package_filename(package_id) is not None
    )


def _is_feed_id(package_id: str) -> bool:
    """An external feed's package id: Maven's ``groupId:artifactId``, or ``<folder>/<id>`` (an
    S3 or Artifactory Generic feed's), whose last part is a package id and not a file name."""
    group, colon, artifact = package_id.partition(":")
    if colon:
        return all(_MAVEN_NAME.fullmatch(part) for part in (group, artifact))
    folder, slash, last = package_id.rpartition("/")
    return (
        bool(slash and folder.strip("/"))
        and validate_package_id(last) is None
        and parse_package_filename(last) is None
        and split_extension(last) is None
    )


def _is_image(package_id: str) -> bool:
    """An image name (``acme/shop-web``), not a package file's path (``out/acme.web.1.0.zip``)."""
    last = package_id.rsplit("/", 1)[-1]
    return (
        IMAGE_NAME.fullmatch(package_id) is not None
        and parse_package_filename(last) is None
        and split_extension(last) is None
    )


def validate_build_information_target(package_ids: Sequence[str], version: str) -> None:
    """Fail (exit 2) before anything is sent when an id or the version is not valid."""
    if not package_ids:
        raise InputError("name at least one package id (--package-id)")
    problems = []
    for package_id in package_ids:
        problem = validate_package_id(package_id)
        if problem is not None and (_is_image(package_id) or _is_feed_id(package_id)):
            # A container image (acme/shop-web), a Maven package (com.acme:web), a package in
            # a bucket or folder (acme/web/Acme.Web): Octopus keys their build information by
            # the id its step on an external feed names the package by.
            continue
        if problem is not None:
            hint = ""
            if _looks_like_path(package_id):
                name = parse_package_filename(Path(package_id.replace("\\", "/")).name)
                hint = (
                    f"; it looks like a file path: pass the package id"
                    f"{f' ({name.id!r})' if name else ''}, not the file"
                )
            problems.append(f"package id {package_id!r}: {problem}{hint}")
    version_problem = validate_version(version)
    if version_problem is not None:
        problems.append(f"version {version!r}: {version_problem}")
    if problems:
        raise InputError("; ".join(problems))


def with_branch(info: BuildInformation, branch: str) -> BuildInformation:
    """``info`` naming ``branch`` instead of the build server's (``--branch``), written as the
    adapters write it (no ``refs/heads/`` or ``origin/``); an empty ``branch`` changes nothing."""
    from dataclasses import replace

    from octoci.normalize import normalize_branch

    return replace(info, branch=normalize_branch(branch.strip())) if branch.strip() else info


def build_information_warnings(package_ids: Sequence[str], info: BuildInformation) -> list[str]:
    """What would make the pushed build information misleading or useless in Octopus."""
    warnings = []
    if info.vcs_type not in ("Git", "TFVC"):
        warnings.append(
            f"VcsType is {info.vcs_type or 'empty'!r}: Octopus links and shows commits only for "
            "Git and TFVC, so this build's commits will be hidden in the release"
        )
    for package_id in package_ids:
        if _looks_like_path(package_id) and not _is_image(package_id):
            warnings.append(
                f"package id {package_id!r} looks like a file name: build information attaches to "
                "a package id (Acme.Web), so it will not appear on the package Acme.Web"
            )
    if len(info.commits) >= COMMIT_WARNING_THRESHOLD:
        warnings.append(
            f"{len(info.commits)} commits: at {COMMIT_WARNING_THRESHOLD} or more, release notes "
            "get long and Octopus's release page slow; narrow it with --commit-range"
        )
    return warnings


def read_build_information_file(path: Path) -> BuildInformation:
    """Read the JSON file ``octo build-information --file`` uploads (an
    ``OctopusBuildInformation`` object, optionally wrapped as ``{"OctopusBuildInformation": ...}``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"build information file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read build information file {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"build information file {path} is not valid JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("OctopusBuildInformation"), dict):
        data = data["OctopusBuildInformation"]
    if not isinstance(data, dict):
        raise InputError(f"build information file {path}: the top level must be a JSON object")
    try:
        return BuildInformation.from_octopus(data)
    except TypeError as exc:
        raise InputError(f"build information file {path}: {exc}") from None


def _same(stored: dict[str, Any], sent: dict[str, Any]) -> bool:
    keys = ("BuildNumber", "BuildUrl", "Branch", "VcsRoot", "VcsCommitNumber", "VcsType")
    for key in keys:
        if (stored.get(key) or "") != (sent.get(key) or ""):
            return False
    stored_commits = [str(c.get("Id")) for c in stored.get("Commits") or [] if isinstance(c, dict)]
    return stored_commits == [c["Id"] for c in sent["Commits"]]


def _find(connection: Connection, package_id: str, version: str) -> dict[str, Any] | None:
    found = connection.get_json(
        connection.space_path("/build-information"),
        what=f"looking up build information of {package_id} {version}",
        params={"packageId": package_id, "filter": version, "take": 100},
    )
    wanted = canonical_version(version)
    for item in found.get("Items") or []:
        if (
            isinstance(item, dict)
            and str(item.get("PackageId", "")).lower() == package_id.lower()
            and canonical_version(str(item.get("Version") or "0")) == wanted
        ):
            return item
    return None


def push_build_information(
    connection: Connection,
    package_ids: Sequence[str],
    version: str,
    info: BuildInformation,
    *,
    mode: OverwriteMode = "FailIfExists",
) -> list[BuildInformationRecord]:
    """Push ``info`` for every package id at ``version`` (validated first; nothing is sent if
    one is bad). Octopus takes one record per package id, so one POST each.

    :raises OctopusApiError: Octopus refused a record (the ones before it were stored).
    """
    validate_build_information_target(package_ids, version)
    if not connection.link("BuildInformation"):
        raise ServerTooOldError(
            f"{connection.settings.url} does not offer build information (Octopus Server "
            "2019.10 or later)"
        )
    payload_info = info.to_octopus()
    commits = len(info.commits)
    results = []
    for package_id in package_ids:
        what = f"pushing build information for {package_id} {version}"
        body = {
            "SpaceId": connection.space_id(),
            "PackageId": package_id,
            "Version": version,
            "OctopusBuildInformation": payload_info,
        }
        try:
            # Safe to retry after a lost answer: a second POST either stores the same record or
            # meets the first one (409), which is compared below.
            stored = connection.post_json(
                connection.space_path("/build-information"),
                body,
                what=what,
                params={"overwriteMode": mode},
                permission="BuildInformationPush",
                idempotent=True,
            )
        except OctopusApiError as exc:
            if exc.status != 409:
                raise
            existing = _find(connection, package_id, version)
            if existing is not None and _same(existing, payload_info):
                results.append(
                    BuildInformationRecord(
                        package_id, version, "identical", str(existing.get("Id", "")), commits
                    )
                )
                continue
            raise OctociError(
                f"{what} failed: Octopus already has different build information for "
                f"{package_id} {version}; pass --overwrite-mode OverwriteExisting to replace it, "
                "or IgnoreIfExists to keep it"
            ) from None
        record_id = str(stored.get("Id", "")) if isinstance(stored, dict) else ""
        outcome: Literal["created", "identical", "ignored"] = "created"
        if (
            mode == "IgnoreIfExists"
            and isinstance(stored, dict)
            and not _same(stored, payload_info)
        ):
            outcome = "ignored"
            log.warning(
                "Octopus already had different build information for %s %s; IgnoreIfExists kept it",
                package_id,
                version,
            )
        results.append(BuildInformationRecord(package_id, version, outcome, record_id, commits))
    return results
