"""Package feeds: the built-in feed (the same in every space, never stored) and external feeds
(``Maven``, ``S3``, ``ArtifactoryGeneric``, ``NuGet``, ``Docker``, ``GitHub``), stored as
Octopus stores them and answered in ``FeedResource``'s shapes.

A feed's secret (``Password``, an S3 feed's ``SecretKey``) is kept and never answered: clients
see Octopus's ``SensitiveValue`` (``{"HasValue": true, "NewValue": null}``), and sending that
back keeps the value.

Which versions a feed holds is asked of the feed: the built-in feed's from the store, an external
feed's from its repository (:mod:`octoci_emulator.feed_sources`), so a release that selects a
version of an external package is refused unless the repository holds it, as in Octopus.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from octoci.maven_versions import maven_is_prerelease, maven_version_key, same_maven_version
from octoci.package_names import canonical_version, version_key
from octoci_emulator.jsonbody import CIDict
from octoci_emulator.model_checks import Checks
from octoci_emulator.store import Document, Store

if TYPE_CHECKING:
    from octoci_emulator.model_writes import Built

__all__ = [
    "BUILT_IN_FEED",
    "EXTERNAL_FEED_TYPES",
    "build_feed",
    "built_in_feed",
    "feed_dependents",
    "feed_holds",
    "feed_versions",
    "find_feed",
    "matching",
    "space_feeds",
    "withhold_secret",
]

#: The id of the built-in package feed (the same in every space, as in Octopus).
BUILT_IN_FEED = "feeds-builtin"

#: Feed type -> the properties of its own (besides the ones every feed has), and its secret.
_TYPE_FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "Maven": (("FeedUri", "Username"), "Password"),
    "GitHub": (("FeedUri", "Username"), "Password"),
    "NuGet": (("FeedUri", "Username", "EnhancedMode"), "Password"),
    "Docker": (("FeedUri", "Username", "ApiVersion", "RegistryPath"), "Password"),
    "ArtifactoryGeneric": (("FeedUri", "Username", "Repository", "LayoutRegex"), "Password"),
    "S3": (("Region", "AccessKey", "UseMachineCredentials"), "SecretKey"),
}
EXTERNAL_FEED_TYPES = tuple(_TYPE_FIELDS)
_FLAGS = {"EnhancedMode", "UseMachineCredentials"}
_ACQUISITION = ("Server", "ExecutionTarget", "NotAcquired")
_VERSIONS_TEMPLATE = (
    "/packages/versions{?packageId,take,skip,includePreRelease,versionRange,preReleaseTag,"
    "filter,includeReleaseNotes}"
)


def _links(space_id: str, feed_id: str) -> dict[str, str]:
    base = f"/api/{space_id}/feeds/{feed_id}"
    return {
        "Self": base,
        "SearchPackageVersionsTemplate": base + _VERSIONS_TEMPLATE,
        "SearchPackagesTemplate": base + "/packages/search{?term,skip,take}",
    }


def built_in_feed(space_id: str) -> Document:
    """The built-in feed of ``space_id`` (api-client.ts's ``BuiltInFeed``)."""
    return {
        "Id": BUILT_IN_FEED,
        "SpaceId": space_id,
        "Name": "Octopus Server (built-in)",
        "Slug": "octopus-server-built-in",
        "FeedType": "BuiltIn",
        "IsBuiltInRepoSyncEnabled": False,
        "DeleteUnreleasedPackagesAfterDays": 30,
        "DownloadAttempts": 5,
        "DownloadRetryBackoffSeconds": 10,
        "PackageAcquisitionLocationOptions": ["Server", "ExecutionTarget"],
        "LastModifiedOn": None,
        "LastModifiedBy": None,
        "Links": _links(space_id, BUILT_IN_FEED),
    }


def space_feeds(store: Store, space_id: str) -> list[Document]:
    """Every feed of the space, the built-in one first."""
    return [built_in_feed(space_id), *store.list("feed", space_id)]


def find_feed(store: Store, space_id: str, feed_id: str) -> Document | None:
    """The feed ``feed_id`` (by id, or by name as Octopus's feed look-ups allow) in the space."""
    wanted = feed_id.strip().lower()
    return next(
        (f for f in space_feeds(store, space_id) if wanted in {f["Id"].lower(), f["Name"].lower()}),
        None,
    )


def withhold_secret(sent: Any, kept: str | None) -> tuple[Document, str | None]:
    """Octopus's ``SensitiveValue``: what clients are shown, and the value to keep - the one
    sent (a string, or ``{"NewValue": ...}``), else ``kept`` when the client sent back what it
    was shown (``{"HasValue": true, "NewValue": null}``) or nothing."""
    if isinstance(sent, (dict, CIDict)):
        sent = sent.get("NewValue")
    value = str(sent) if sent is not None else kept
    return {"HasValue": value is not None, "NewValue": None}, value


def _uri(checks: Checks, body: CIDict, feed_type: str) -> str:
    uri = checks.text(body, "FeedUri").strip()
    parts = urlsplit(uri)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        checks.fail(f"A {feed_type} feed needs a FeedUri: an http:// or https:// URL.")
    return uri


def build_feed(checks: Checks, body: CIDict, existing: Document | None) -> Built:
    """An external feed from a ``FeedResource`` body (``POST``/``PUT feeds``)."""
    from octoci_emulator.model_writes import Built, _fresh_id, _named, slug

    store = checks.store
    space_id = str(checks.space_id)
    name = _named(checks, body, existing, "feed", "feed")
    if name.lower() == built_in_feed(space_id)["Name"].lower():
        checks.fail(f"The name '{name}' is the built-in feed's.")
    feed_type = checks.text(body, "FeedType")
    if feed_type.lower() == "builtin":
        checks.fail("There is only one built-in feed: create an external feed instead.")
    spelled = {t.lower(): t for t in EXTERNAL_FEED_TYPES}
    if feed_type.lower() not in spelled:
        checks.fail(
            f"The FeedType '{feed_type}' is not one the emulator models "
            f"({', '.join(EXTERNAL_FEED_TYPES)})."
        )
        checks.done()
    feed_type = spelled[feed_type.lower()]
    if existing is not None and existing["FeedType"] != feed_type:
        checks.fail("The FeedType of an existing feed cannot be changed.")
    fields, secret_field = _TYPE_FIELDS[feed_type]
    options = checks.strings(body, "PackageAcquisitionLocationOptions") or [
        "Server",
        "ExecutionTarget",
    ]
    for option in options:
        if option not in _ACQUISITION:
            checks.fail(
                f"'{option}' is not a package acquisition location ({', '.join(_ACQUISITION)})."
            )
    doc: Document = {
        "Id": "",
        "SpaceId": space_id,
        "Name": name,
        "Slug": checks.text(body, "Slug") or slug(name),
        "FeedType": feed_type,
        "PackageAcquisitionLocationOptions": options,
        "DownloadAttempts": checks.integer(body, "DownloadAttempts", 5),
        "DownloadRetryBackoffSeconds": checks.integer(body, "DownloadRetryBackoffSeconds", 10),
    }
    for field in fields:
        if field == "FeedUri":
            doc[field] = _uri(checks, body, feed_type)
        elif field in _FLAGS:
            doc[field] = checks.flag(body, field)
        else:
            doc[field] = checks.text(body, field) or None
    shown, secret = withhold_secret(body.get(secret_field), (existing or {}).get("_Secret"))
    doc[secret_field] = shown
    if feed_type == "S3" and not doc["UseMachineCredentials"] and not (doc["AccessKey"] and secret):
        checks.fail("An S3 feed needs an AccessKey and a SecretKey, or UseMachineCredentials.")
    if feed_type == "ArtifactoryGeneric" and not doc["Repository"]:
        checks.fail("An ArtifactoryGeneric feed needs the Repository it reads.")
    checks.done()
    doc["Id"] = _fresh_id(store, _feed_spec(), existing)
    doc["Links"] = _links(space_id, doc["Id"])
    if secret is not None:
        doc["_Secret"] = secret
    return Built(doc, name.lower())


def _feed_spec() -> Any:
    from octoci_emulator.model_writes import KINDS

    return KINDS["feeds"]


def feed_dependents(store: Store, feed: Document) -> list[str]:
    """The projects whose deployment process takes a package from ``feed`` (Octopus refuses to
    delete a feed in use)."""
    users = []
    for project in store.list("project", feed["SpaceId"]):
        process = store.get("deploymentprocess", project["DeploymentProcessId"]) or {}
        if any(
            str(package.get("FeedId", "")).lower() == feed["Id"].lower()
            for step in process.get("Steps", [])
            for action in step.get("Actions", [])
            for package in action.get("Packages", [])
        ):
            users.append(f"It is used by project '{project['Name']}'.")
    return users


# -- versions -----------------------------------------------------------------------------------


def _ordering(feed: Document) -> tuple[Callable[[str], Any], Callable[[str], bool]]:
    """The feed's version order (sort key) and its pre-release test: Maven's for Maven feeds,
    SemVer for every other feed."""
    if feed["FeedType"] == "Maven":
        return maven_version_key, maven_is_prerelease
    return version_key, lambda v: "-" in v.partition("+")[0]


def _same(feed: Document, a: str, b: str) -> bool:
    if feed["FeedType"] == "Maven":
        return same_maven_version(a, b)
    try:
        return canonical_version(a).lower() == canonical_version(b).lower()
    except ValueError:
        return a.lower() == b.lower()


def _built_in_versions(store: Store, space_id: str, package_id: str) -> list[str]:
    return [
        str(p["Version"])
        for p in store.list(
            "package", space_id, lambda p: p["PackageId"].lower() == package_id.lower()
        )
    ]


def feed_versions(
    store: Store,
    feed: Document,
    package_id: str,
    *,
    include_prerelease: bool = True,
    accept: Callable[[str], bool] | None = None,
) -> list[str]:
    """Every version of ``package_id`` the feed holds, newest first in the feed's own order
    (an external feed's repository is asked now); 400 when it cannot be asked."""
    from octoci_emulator.feed_sources import repository_versions

    if feed["Id"] == BUILT_IN_FEED:
        held = _built_in_versions(store, feed["SpaceId"], package_id)
    else:
        held = repository_versions(feed, package_id)
    key, is_prerelease = _ordering(feed)
    kept = [
        v
        for v in held
        if (include_prerelease or not is_prerelease(v)) and (accept is None or accept(v))
    ]
    return sorted(set(kept), key=key, reverse=True)


def feed_holds(store: Store, feed: Document, package_id: str, version: str) -> bool:
    """True when the feed holds ``package_id`` ``version`` (versions compare as the feed's
    ordering compares them: ``1.0`` is ``1.0.0``)."""
    return any(_same(feed, held, version) for held in feed_versions(store, feed, package_id))


def matching(feed: Document, versions: Sequence[str], wanted: str) -> list[str]:
    """The versions among ``versions`` that are ``wanted`` (the versions route's ``filter``)."""
    return [v for v in versions if _same(feed, v, wanted)]
