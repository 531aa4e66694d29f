"""The feeds routes: the built-in feed and external feeds (list with ``ids``/``partialName``/
``feedType``, ``all``, by id; ``POST``/``PUT``/``DELETE`` with ``FeedEdit``), and the package
look-ups Octopus's clients make through a feed (``packages/versions``, ``packages/search``),
which an external feed answers by asking its repository (:mod:`octoci_emulator.feed_sources`).
"""

from __future__ import annotations

from octoci_emulator import model_writes
from octoci_emulator.errors import BadRequest, NotFound
from octoci_emulator.feeds import (
    BUILT_IN_FEED,
    feed_versions,
    find_feed,
    matching,
    space_feeds,
)
from octoci_emulator.resources import public
from octoci_emulator.routes import Request, Response, Router
from octoci_emulator.store import Document

__all__ = ["register"]

_PERMISSION = "FeedEdit"


def _feeds(request: Request) -> Response:
    ids = {i.strip().lower() for i in request.arg("ids").split(",") if i.strip()}
    partial = request.arg("partialName").lower()
    name = request.arg("name").lower()
    feed_type = request.arg("feedType").lower()
    feeds = [
        f
        for f in space_feeds(request.app.store, request.space_id)
        if (not ids or f["Id"].lower() in ids)
        and (not partial or partial in f["Name"].lower())
        and (not name or name == f["Name"].lower())
        and (not feed_type or feed_type == f["FeedType"].lower())
    ]
    return Response(body=request.page(feeds, "Feed", f"/api/{request.space_id}/feeds"))


def _feeds_all(request: Request) -> Response:
    return Response(body=[public(f) for f in space_feeds(request.app.store, request.space_id)])


def _path_feed(request: Request) -> Document:
    feed = find_feed(request.app.store, request.space_id, request.params["id"])
    if feed is None or feed["Id"].lower() != request.params["id"].lower():
        raise NotFound(f"Feed '{request.params['id']}' was not found.")
    return feed


def _feed_by_id(request: Request) -> Response:
    return Response(body=public(_path_feed(request)))


def _create(request: Request) -> Response:
    request.require(_PERMISSION)
    doc = model_writes.create(request.app.store, "feeds", request.space_id, request.json())
    return Response(status=201, body=public(doc))


def _refuse_built_in(request: Request, what: str) -> None:
    if request.params["id"].lower() == BUILT_IN_FEED:
        raise BadRequest(f"The built-in feed cannot be {what} in the emulator.")


def _modify(request: Request) -> Response:
    request.require(_PERMISSION)
    _refuse_built_in(request, "changed")
    doc = model_writes.modify(
        request.app.store, "feeds", request.space_id, request.params["id"], request.json()
    )
    return Response(body=public(doc))


def _delete(request: Request) -> Response:
    request.require(_PERMISSION)
    _refuse_built_in(request, "deleted")
    model_writes.delete(request.app.store, "feeds", request.space_id, request.params["id"])
    return Response(status=200, body=b"")


def _version_resource(feed: Document, package_id: str, version: str) -> Document:
    """A ``PackageVersionResource`` (what a repository listing tells: no size, date or notes)."""
    return {
        "Id": f"{package_id}.{version}",
        "FeedId": feed["Id"],
        "PackageId": package_id,
        "Version": version,
        "Title": package_id,
        "Published": None,
        "ReleaseNotes": None,
        "SizeBytes": None,
        "Links": {},
    }


def _versions(request: Request) -> Response:
    """``packages/versions?packageId&take&skip&includePreRelease&filter``: newest first, in the
    feed's own version order; ``filter`` keeps only that version (``1.0`` finds ``1.0.0``)."""
    feed = _path_feed(request)
    package_id = request.arg("packageId").strip()
    if not package_id:
        raise BadRequest("Please specify the packageId to search for.")
    versions = feed_versions(
        request.app.store,
        feed,
        package_id,
        include_prerelease=request.flag_arg("includePreRelease"),
    )
    wanted = request.arg("filter").strip()
    if wanted:
        versions = matching(feed, versions, wanted)
    items = [_version_resource(feed, package_id, v) for v in versions]
    self_link = f"/api/{request.space_id}/feeds/{feed['Id']}/packages/versions"
    return Response(body=request.page(items, "PackageVersion", self_link))


def _search(request: Request) -> Response:
    """``packages/search?term``: the built-in feed's package ids containing ``term``; an
    external feed (which cannot list a whole repository) answers the package ``term`` names
    when its repository holds a version of it."""
    feed = _path_feed(request)
    store = request.app.store
    term = request.arg("term").strip()
    found: dict[str, str] = {}  # package id -> latest version
    if feed["Id"] == BUILT_IN_FEED:
        ids = {
            p["PackageId"]
            for p in store.list("package", request.space_id)
            if term.lower() in p["PackageId"].lower()
        }
        for package_id in sorted(ids, key=str.lower):
            found[package_id] = feed_versions(store, feed, package_id)[0]
    elif term:
        versions = feed_versions(store, feed, term)
        if versions:
            found[term] = versions[0]
    items: list[Document] = [
        {
            "Id": package_id,
            "Name": package_id,
            "Description": None,
            "LatestVersion": latest,
            "Links": {},
        }
        for package_id, latest in found.items()
    ]
    self_link = f"/api/{request.space_id}/feeds/{feed['Id']}/packages/search"
    return Response(body=request.page(items, "PackageDescription", self_link))


def register(router: Router) -> None:
    """Add the feeds routes (``feeds/all`` before ``feeds/{id}``)."""
    router.add("GET", "/feeds", _feeds)
    router.add("POST", "/feeds", _create)
    router.add("GET", "/feeds/all", _feeds_all)
    router.add("GET", "/feeds/{id}", _feed_by_id)
    router.add("PUT", "/feeds/{id}", _modify)
    router.add("DELETE", "/feeds/{id}", _delete)
    router.add("GET", "/feeds/{id}/packages/versions", _versions)
    router.add("GET", "/feeds/{id}/packages/search", _search)
