"""Build information: create (overwrite modes), list, get and delete, with the server-side mapping
(commit links, ``VcsCommitUrl``, work items) Octopus adds."""

from __future__ import annotations

from octoci.images import IMAGE_NAME
from octoci.package_names import validate_package_id, validate_version, version_key
from octoci_emulator.api_packages import overwrite_mode, package_key
from octoci_emulator.errors import BadRequest, Conflict
from octoci_emulator.jsonbody import CIDict
from octoci_emulator.resources import iso_time, public
from octoci_emulator.routes import Request, Response, Router
from octoci_emulator.store import Document
from octoci_emulator.vcs_links import commit_url, issue_tracker_name, work_items

__all__ = ["register"]

_EXISTS = (
    "Metadata for the specified Package ID and version already exists. To proceed anyway, "
    "specify an overwriteMode of OverwriteExisting or IgnoreIfExists."
)
_BAD_ID = (
    "The package ID contains invalid characters. Examples of valid package IDs include "
    "'MyPackage' and 'MyPackage.Sample'."
)
_BAD_VERSION = "The version is invalid. Please supply a valid semver version number."
_FIELDS = (
    "BuildEnvironment",
    "BuildNumber",
    "BuildUrl",
    "Branch",
    "VcsType",
    "VcsRoot",
    "VcsCommitNumber",
)


def _external_feed_id(package_id: str) -> bool:
    """``group:artifact`` or ``<folder>/<name>``: each part a package id of its own."""
    parts = package_id.split(":") if ":" in package_id else package_id.split("/")
    return len(parts) >= 2 and all(validate_package_id(part) is None for part in parts)


def _mapped(request: Request, doc_id: str, package_id: str, version: str, info: CIDict) -> Document:
    values = {name: info.text(name) or None for name in _FIELDS}
    vcs_root = values["VcsRoot"] or ""
    vcs_type = values["VcsType"] or "Git"
    commits = []
    raw_commits = info.get("Commits") or []
    if not isinstance(raw_commits, list):
        raise BadRequest("Invalid package metadata", "Commits must be a list.")
    for commit in raw_commits:
        if not isinstance(commit, CIDict):
            raise BadRequest("Invalid package metadata", "Each commit must be an object.")
        commit_id = commit.text("Id")
        commits.append(
            {
                "Id": commit_id,
                "LinkUrl": commit_url(vcs_root, vcs_type, commit_id),
                "Comment": commit.text("Comment"),
            }
        )
    items = work_items(
        vcs_root,
        vcs_type,
        [str(c["Comment"] or "") for c in commits],
        request.app.config.issue_trackers,
    )
    space_id = request.space_id
    return {
        "Id": doc_id,
        "SpaceId": space_id,
        "PackageId": package_id,
        "Version": version,
        **values,
        "VcsCommitUrl": commit_url(vcs_root, vcs_type, values["VcsCommitNumber"] or ""),
        "IssueTrackerName": issue_tracker_name(items),
        "IncompleteDataWarning": None,
        "Created": iso_time(),
        "Commits": commits,
        "WorkItems": items,
        "LastModifiedOn": None,
        "LastModifiedBy": None,
        "Links": {"Self": f"/api/{space_id}/build-information/{doc_id}"},
    }


def _create(request: Request) -> Response:
    request.require("BuildInformationPush")
    body = request.json()
    mode = overwrite_mode(request, body.text("OverwriteMode"))
    if "Replace" in body and not request.arg("overwriteMode") and not body.text("OverwriteMode"):
        mode = "OverwriteExisting" if body.flag("Replace") else "FailIfExists"
    package_id = body.text("PackageId").strip()
    version = body.text("Version").strip()
    info = body.obj("OctopusBuildInformation")
    # A container image's build information is keyed by its name (acme/shop-web), as the
    # Docker step names its package; an external feed's package by its id there (Maven's
    # groupId:artifactId, an S3 or Artifactory feed's <folder>/<name>).
    if not package_id or (
        validate_package_id(package_id) is not None
        and not IMAGE_NAME.fullmatch(package_id)
        and not _external_feed_id(package_id)
    ):
        raise BadRequest(_BAD_ID)
    if not version or validate_version(version) is not None:
        raise BadRequest(_BAD_VERSION)
    if info is None:
        raise BadRequest("Invalid package metadata")
    store = request.app.store
    key = package_key(package_id, version)
    with store.transaction():
        existing = store.by_key("buildinfo", request.space_id, key)
        if existing is not None:
            if mode == "FailIfExists":
                raise Conflict(_EXISTS)
            if mode == "IgnoreIfExists":
                return Response(body=public(existing))
            request.require("BuildInformationAdminister")
        doc_id = existing["Id"] if existing else store.next_id("BuildInformation")
        doc = _mapped(request, doc_id, package_id, version, info)
        store.put("buildinfo", doc, key=key)
    return Response(body=public(doc))


def _list(request: Request) -> Response:
    docs = request.app.store.list("buildinfo", request.space_id)
    package_id = request.arg("packageId").lower()
    partial = request.arg("partialPackageId").lower()
    version = request.arg("filter").lower()
    if package_id:
        docs = [d for d in docs if d["PackageId"].lower() == package_id]
    if partial:
        docs = [d for d in docs if partial in d["PackageId"].lower()]
    if version:
        docs = [d for d in docs if d["Version"].lower().startswith(version)]
    docs.sort(key=lambda d: (d["PackageId"].lower(), version_key(d["Version"])), reverse=True)
    if request.flag_arg("latest"):
        seen: set[str] = set()
        latest = []
        for doc in docs:
            if doc["PackageId"].lower() not in seen:
                seen.add(doc["PackageId"].lower())
                latest.append(doc)
        docs = latest
    return Response(
        body=request.page(
            docs,
            "OctopusPackageVersionBuildInformationMappedResource",
            f"/api/{request.space_id}/build-information",
        )
    )


def _find(request: Request) -> Document:
    return request.path_resource("buildinfo", "Build information")


def _get(request: Request) -> Response:
    return Response(body=public(_find(request)))


def _delete(request: Request) -> Response:
    request.require("BuildInformationAdminister")
    request.app.store.delete("buildinfo", _find(request)["Id"])
    return Response(status=204)


def register(router: Router) -> None:
    """Add the build-information routes."""
    router.add("POST", "/build-information", _create)
    router.add("GET", "/build-information", _list)
    router.add("GET", "/build-information/{id}", _get)
    router.add("DELETE", "/build-information/{id}", _delete)
