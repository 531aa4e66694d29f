"""Asking an external feed's repository which versions of a package it holds, as Octopus asks
it when it searches a feed or creates a release:

* ``Maven``: ``GET <FeedUri>/<group path>/<artifact>/maven-metadata.xml`` (the package id is
  ``group:artifact``, as Octopus writes Maven package ids), with the feed's credentials as basic
  authentication; no metadata (404) means no versions.
* ``ArtifactoryGeneric``: the package id is ``<folder>/<name>``; the folder of the feed's
  ``Repository`` is listed with Artifactory's storage API (``GET
  <FeedUri>/api/storage/<repository>/<folder>``), or - the stand-in for a plain WebDAV or nginx
  server - its ``autoindex_format json`` listing (``GET <FeedUri>/<repository>/<folder>/``).
  Files named ``<name>.<version>.<ext>`` (Octopus's package file names) are its versions; the
  feed's ``LayoutRegex`` is stored, not applied.
* ``S3``: the package id is ``<bucket>/<prefix>/<name>``; ListObjectsV2 over the prefix with
  boto3, which the emulator needs only for S3 feeds (without it an S3 feed answers a 400 saying
  so). boto3 reads ``AWS_ENDPOINT_URL`` for a local S3 server.
* ``Docker``: the package id is the image's repository name (``acme/shop-web``, no registry
  host: that is the feed's ``FeedUri``); its tags from the registry's HTTP API V2 (``GET
  <FeedUri>/v2/<name>/tags/list``, following ``Link: <...>; rel="next"`` pages), with the feed's
  credentials as basic authentication, or, when the registry answers 401 with a ``Bearer``
  challenge (Docker Hub, GHCR, Harbor), as the token service asked for. An unknown repository
  (404, ``NAME_UNKNOWN``) has no versions; tags that are not versions (``latest``) are not
  versions to Octopus either and are left out.
* ``NuGet``, ``GitHub``: not asked (the emulator does not speak their protocols): a 400 says so.

Every failure is one 400 line naming the feed; credentials never appear in it.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urljoin
from xml.etree import ElementTree

from octoci.images import IMAGE_NAME
from octoci.package_names import parse_package_filename, validate_version
from octoci_emulator.errors import BadRequest
from octoci_emulator.store import Document

__all__ = ["repository_versions"]

_TIMEOUT = 15.0
#: A repository's answer is small (metadata, a listing); more is refused rather than read.
_MAX_ANSWER = 8 * 1024 * 1024


class _Missing(Exception):
    """The repository has nothing at that path (404/410)."""


def _cannot(feed: Document, why: str) -> BadRequest:
    return BadRequest(
        f"The feed '{feed['Name']}' ({feed['FeedType']}) could not be searched: {why}."
    )


class _Challenge(Exception):
    """A registry answered 401 with a ``Bearer`` challenge: a token is needed."""

    def __init__(self, challenge: str) -> None:
        super().__init__(challenge)
        self.challenge = challenge


def _fetch(feed: Document, url: str, *, token: str = "", bearer: bool = False) -> tuple[bytes, str]:
    """The body at ``url`` and its ``Link`` header, with the bearer ``token`` or else the feed's
    credentials as basic authentication; :class:`_Missing` on 404, :class:`_Challenge` on a
    ``Bearer`` challenge when ``bearer`` (a registry), one 400 line on any other failure."""
    request = urllib.request.Request(url, headers={"Accept": "application/json, application/xml"})
    username, secret = feed.get("Username"), feed.get("_Secret")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    elif username or secret:
        basic = base64.b64encode(f"{username or ''}:{secret or ''}".encode()).decode()
        request.add_header("Authorization", f"Basic {basic}")
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            body: bytes = response.read(_MAX_ANSWER + 1)
            link = str(response.headers.get("Link", ""))
    except urllib.error.HTTPError as exc:
        challenge = str(exc.headers.get("WWW-Authenticate", "")) if exc.headers else ""
        if exc.code == 401 and bearer and not token and challenge.lower().startswith("bearer "):
            raise _Challenge(challenge[7:].strip()) from None
        if exc.code in {404, 410}:
            raise _Missing from None
        if exc.code in {401, 403}:
            raise _cannot(
                feed, f"the repository refused the feed's credentials (HTTP {exc.code})"
            ) from None
        raise _cannot(feed, f"the repository answered HTTP {exc.code} for {url}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _cannot(
            feed, f"the repository at {feed.get('FeedUri')} is unreachable ({reason})"
        ) from None
    if len(body) > _MAX_ANSWER:
        raise _cannot(feed, f"the answer from {url} is larger than {_MAX_ANSWER} bytes")
    return body, link


def _get(feed: Document, url: str) -> bytes:
    """The body at ``url`` with the feed's credentials; :class:`_Missing` on 404."""
    return _fetch(feed, url)[0]


def _maven(feed: Document, package_id: str) -> list[str]:
    parts = package_id.split(":")
    if len(parts) not in {2, 3} or not all(parts[:2]):
        raise BadRequest(
            f"'{package_id}' is not a Maven package id: write it group:artifact "
            "(for example com.acme:web)."
        )
    group, artifact = parts[0], parts[1]
    url = (
        f"{str(feed['FeedUri']).rstrip('/')}/{quote(group.replace('.', '/'))}/"
        f"{quote(artifact)}/maven-metadata.xml"
    )
    try:
        body = _get(feed, url)
    except _Missing:
        return []
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise _cannot(feed, f"{url} is not Maven metadata ({exc})") from None
    return [v.text.strip() for v in root.iterfind("./versioning/versions/version") if v.text]


def _named_versions(name: str, filenames: list[str]) -> list[str]:
    versions = []
    for filename in filenames:
        parsed = parse_package_filename(filename.rsplit("/", 1)[-1])
        if parsed is not None and parsed.id.lower() == name.lower():
            versions.append(parsed.version)
    return versions


def _split_path(package_id: str, what: str) -> tuple[str, str]:
    folder, _, name = package_id.strip("/").rpartition("/")
    if not name:
        raise BadRequest(f"'{package_id}' is not a package id of this feed: write it {what}.")
    return folder, name


def _listing_names(answer: Any) -> list[str] | None:
    """File names in an Artifactory storage answer (``children``) or an nginx autoindex JSON
    listing (a list of ``{"name", "type"}``); ``None`` for anything else."""
    if isinstance(answer, dict) and isinstance(answer.get("children"), list):
        return [
            str(c.get("uri", "")).lstrip("/")
            for c in answer["children"]
            if isinstance(c, dict) and not c.get("folder")
        ]
    if isinstance(answer, list):
        return [
            str(entry.get("name", ""))
            for entry in answer
            if isinstance(entry, dict) and entry.get("type") == "file"
        ]
    return None


def _artifactory(feed: Document, package_id: str) -> list[str]:
    folder, name = _split_path(package_id, "<folder>/<name> (for example apps/Acme.Web)")
    base = str(feed["FeedUri"]).rstrip("/")
    repository = quote(str(feed["Repository"]).strip("/"))
    path = "/".join(p for p in (repository, quote(folder)) if p)
    urls = (f"{base}/api/storage/{path}", f"{base}/{path}/")
    for url in urls:
        try:
            body = _get(feed, url)
        except _Missing:
            continue
        try:
            names = _listing_names(json.loads(body))
        except ValueError:
            names = None
        if names is not None:
            return _named_versions(name, names)
    return []


def _s3(feed: Document, package_id: str) -> list[str]:
    try:
        import boto3  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise _cannot(
            feed,
            "the emulator reads S3 feeds with boto3, which is not installed (pip install boto3)",
        ) from None
    folder, name = _split_path(
        package_id, "<bucket>/<prefix>/<name> (for example releases/apps/Acme.Web)"
    )
    bucket, _, prefix = folder.partition("/")
    options: dict[str, Any] = {"region_name": feed.get("Region") or None}
    if not feed.get("UseMachineCredentials"):
        options.update(
            aws_access_key_id=feed.get("AccessKey"), aws_secret_access_key=feed.get("_Secret")
        )
    try:
        client = boto3.client("s3", **options)
        keys: list[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{prefix}/" if prefix else ""
        ):
            keys += [str(item["Key"]) for item in page.get("Contents", [])]
    except Exception as exc:  # botocore's errors: one line, without the keys
        raise _cannot(
            feed, f"listing s3://{bucket}/{prefix} failed ({type(exc).__name__})"
        ) from None
    return _named_versions(name, keys)


#: How many pages of tags a Docker registry may answer with (100 tags a page by default).
_MAX_TAG_PAGES = 50


def _bearer_token(feed: Document, challenge: str) -> str:
    """The token a ``Bearer realm="...",service="...",scope="..."`` challenge asks for, from its
    token service with the feed's credentials (anonymous without them)."""
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    realm = fields.pop("realm", "")
    if not realm:
        raise _cannot(feed, "the registry asked for a token but named no token service")
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items())
    body = _get(feed, f"{realm}?{query}" if query else realm)
    try:
        answer = json.loads(body)
        token = answer.get("token") or answer.get("access_token")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        raise _cannot(feed, "the registry's token service answered without a token")
    return token


def _tags_page(feed: Document, url: str, token: str) -> tuple[list[str], str, str]:
    """One page of tags, the next page's URL (``""``: none) and the token it took."""
    try:
        body, link = _fetch(feed, url, token=token, bearer=True)
    except _Challenge as asked:
        return _tags_page(feed, url, _bearer_token(feed, asked.challenge))
    try:
        tags = json.loads(body).get("tags") or []
    except (ValueError, AttributeError):
        raise _cannot(feed, f"{url} is not a tag list") from None
    found = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', link)
    following = urljoin(url, found.group(1)) if found else ""
    return [str(t) for t in tags], following, token


def _docker(feed: Document, package_id: str) -> list[str]:
    name = package_id.strip().strip("/")
    if not IMAGE_NAME.fullmatch(name):
        raise BadRequest(
            f"'{package_id}' is not an image name of this feed: write the repository without "
            "the registry host or a tag (for example acme/shop-web)."
        )
    url = f"{str(feed['FeedUri']).rstrip('/')}/v2/{name}/tags/list"
    tags: list[str] = []
    token = ""
    for _ in range(_MAX_TAG_PAGES):
        try:
            page, url, token = _tags_page(feed, url, token)
        except _Missing:
            return []
        tags += page
        if not url:
            break
    return [t for t in tags if validate_version(t) is None]


_ASKERS = {
    "Maven": _maven,
    "ArtifactoryGeneric": _artifactory,
    "S3": _s3,
    "Docker": _docker,
}


def repository_versions(feed: Document, package_id: str) -> list[str]:
    """The versions of ``package_id`` the feed's repository holds (in no particular order)."""
    asker = _ASKERS.get(str(feed["FeedType"]))
    if asker is None:
        raise _cannot(
            feed,
            f"the emulator does not search {feed['FeedType']} feeds (it asks Maven, "
            "ArtifactoryGeneric and S3 repositories and Docker registries)",
        )
    return asker(feed, package_id)
