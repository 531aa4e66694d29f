"""The ``http`` repository kind: a generic HTTP repository that stores a file per ``PUT``, as
Artifactory's Generic repositories and Nexus's raw (hosted) repositories expose them, or any
WebDAV server.

A push is: read what is stored at the package's path (``HEAD``, and its SHA-1); decide by the
overwrite mode (the same content check as the built-in feed: identical bytes are ``identical``);
with ``checksum_deploy`` (Artifactory) ask the server to deploy by checksum first (a ``PUT`` with
``X-Checksum-Deploy: true`` and no body; 404 means it does not know the content); else ``PUT`` the
file with ``X-Checksum-Sha1``/``-Sha256``/``-Md5`` (Artifactory refuses a body that does not match
them; Nexus ignores them); then read the stored bytes' SHA-1 back (the server's ``X-Checksum-Sha1``
where it gives one, else ``GET`` and hash). A server that stored other bytes gets its copy deleted
and the push fails.

Also :class:`RepositoryHttp`, the one HTTP client of the repository kinds that speak HTTP
(:mod:`octoci.repositories.maven` too): one ``requests`` session, credentials (basic or bearer),
retries, one-line errors without secrets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from octoci.errors import InputError, OctociError
from octoci.package_names import EXTENSIONS, PackageName, canonical_version, version_key
from octoci.redaction import Redactor
from octoci.repositories.base import (
    OverwriteMode,
    RepositoryConfig,
    RepositoryKind,
    StoredPackage,
)
from octoci.repositories.overwrite import settle_existing

__all__ = [
    "DEFAULT_LAYOUT",
    "KIND",
    "Digests",
    "HttpRepository",
    "RepositoryHttp",
    "client_from_config",
    "feed_type_problem",
    "normalized_url",
]

log = logging.getLogger("octoci")

#: Where a package goes below ``url`` unless ``layout`` says otherwise.
DEFAULT_LAYOUT = "{id}/{version}/{id}.{version}{extension}"
_PLACEHOLDERS = ("id", "version", "extension")
#: Seconds of retries per request (as ``OCTOCI_RETRY_BUDGET``'s default for Octopus).
RETRY_BUDGET = 120.0
_TIMEOUT = (10.0, 300.0)
_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class Digests:
    """A file's size and the hashes repositories check (one read of the file)."""

    size: int
    sha1: str
    sha256: str
    md5: str
    sha512: str

    @classmethod
    def of_file(cls, path: Path) -> Digests:
        """Hash ``path`` once for all four digests."""
        hashes = [hashlib.sha1(), hashlib.sha256(), hashlib.md5(), hashlib.sha512()]
        size = 0
        with path.open("rb") as handle:
            while block := handle.read(_BLOCK):
                size += len(block)
                for digest in hashes:
                    digest.update(block)
        return cls(size, *(digest.hexdigest() for digest in hashes))

    @classmethod
    def of_package(cls, path: Path, what: str) -> Digests:
        """:meth:`of_file` for a package being pushed: a file that cannot be read is bad input."""
        try:
            return cls.of_file(path)
        except OSError as exc:
            raise InputError(
                f"{what} failed: {path}: cannot be read ({exc.strerror or exc})"
            ) from None

    @classmethod
    def of_bytes(cls, data: bytes) -> Digests:
        """The digests of ``data``."""
        return cls(
            len(data),
            hashlib.sha1(data).hexdigest(),
            hashlib.sha256(data).hexdigest(),
            hashlib.md5(data).hexdigest(),
            hashlib.sha512(data).hexdigest(),
        )

    def headers(self) -> dict[str, str]:
        """Artifactory's checksum headers (``X-Checksum`` is its name for MD5)."""
        return {
            "X-Checksum-Sha1": self.sha1,
            "X-Checksum-Sha256": self.sha256,
            "X-Checksum-Md5": self.md5,
        }


class _HashingFile:
    """A file as a ``requests`` body: streamed with a ``Content-Length`` (Artifactory and Nexus
    want one; chunked bodies are refused by some proxies), hashing what is actually sent."""

    def __init__(self, path: Path, size: int) -> None:
        self._handle = path.open("rb")
        self._sha1 = hashlib.sha1()
        self.len = size
        self.sent = 0

    def read(self, amount: int = -1) -> bytes:
        block = self._handle.read(amount if amount and amount > 0 else _BLOCK)
        self._sha1.update(block)
        self.sent += len(block)
        return block

    @property
    def sha1(self) -> str:
        return self._sha1.hexdigest()

    def close(self) -> None:
        self._handle.close()


def normalized_url(url: str) -> str:
    """``url`` as two spellings of one repository compare: scheme and host lower-case, the
    default port dropped, no trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme.lower()}://{host}{port}{parts.path.rstrip('/')}"


class RepositoryHttp:
    """One ``requests`` session to a repository's base ``url``, with its credentials.

    Retries (within ``retry_budget`` seconds per request): every request a repository kind sends
    (``GET``, ``HEAD``, ``PUT`` of a whole file, ``DELETE``) is idempotent, so a connection that
    failed, a timeout, 429/503 (waiting ``Retry-After``) and 500/502/504 are sent again; a
    connection that cannot even be opened gives up after
    :data:`~octoci.net.UNREACHABLE_BUDGET` seconds until the server has answered once (a wrong
    URL, not a restart). Redirects are errors: credentials must not follow them elsewhere.

    Example::

        client = RepositoryHttp("https://repo.example/maven", label="maven repository 'r'",
                                username="ci", password="...", name="r")
        response = client.send("GET", "com/acme/web/maven-metadata.xml", what="reading metadata",
                               missing_ok=True)   # None on 404
    """

    def __init__(
        self,
        url: str,
        *,
        label: str,
        name: str,
        username: str = "",
        password: str = "",
        token: str = "",
        retry_budget: float = RETRY_BUDGET,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        from octoci.net import user_agent

        self.base = url.rstrip("/") + "/"
        self.label = label
        self.name = name
        self.redact = Redactor([s for s in (password, token) if s])
        self.has_credentials = bool(password or token)
        self.retry_budget = retry_budget
        self._sleep = sleep
        self._answered = False
        session = requests.Session()
        # Credentials come from the repository's settings only, never from ~/.netrc or a proxy
        # variable requests would read behind our back.
        session.trust_env = False
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=8, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = user_agent()
        if token:
            session.headers["Authorization"] = f"Bearer {token}"
        elif username or password:
            session.auth = (username, password)
        self.session = session

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (relative to the base; each segment percent-encoded)."""
        return urljoin(self.base, quote(path, safe="/"))

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        body: Callable[[], Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok: Iterable[int] = (200, 201, 204),
        missing_ok: bool = False,
        stream: bool = False,
    ) -> Any:
        """Send ``method`` to ``path`` with retries; the response when its status is in ``ok``,
        ``None`` for a 404 with ``missing_ok``. ``body`` makes each attempt's body anew (a file
        is read again from its start).

        :raises OctociError: refused credentials (401/403), a redirect, another error status,
            or no answer within the retry budget; one line, no secret.
        """
        import requests

        from octoci.net import UNREACHABLE_BUDGET, never_sent, reason, retry_after, unreachable

        calls: dict[str, Callable[..., Any]] = {
            "GET": self.session.get,
            "HEAD": self.session.head,
            "PUT": self.session.put,
            "DELETE": self.session.delete,
        }
        url = self.url(path)
        accepted = set(ok)
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            budget = self.retry_budget
            wait: float | None = None
            data = body() if body is not None else None
            try:
                response = calls[method](
                    url,
                    data=data,
                    headers=dict(headers or {}),
                    timeout=_TIMEOUT,
                    allow_redirects=False,
                    stream=stream,
                )
            except requests.exceptions.InvalidHeader:
                raise InputError(
                    f"{what} failed: the {self.label} token holds a line break or another "
                    "character that cannot be sent in an HTTP header; store it on one line"
                ) from None
            except requests.exceptions.InvalidURL as exc:
                raise InputError(
                    self.redact(f"{what} failed: invalid URL: {reason(exc)}")
                ) from None
            except requests.exceptions.RequestException as exc:
                problem = unreachable(exc) or reason(exc)
                if never_sent(exc) and not self._answered:
                    budget = min(budget, UNREACHABLE_BUDGET)
            else:
                self._answered = True
                status = response.status_code
                if status in accepted:
                    return response
                if status == 404 and missing_ok:
                    response.close()
                    return None
                if status not in (429, 500, 502, 503, 504):
                    raise self._error(response, what)
                wait = retry_after(response)
                problem = f"HTTP {status}"
                response.close()
            finally:
                close = getattr(data, "close", None)
                if callable(close):
                    close()
            from octoci.net import backoff_wait, retry_pause

            elapsed = time.monotonic() - started
            if wait is None:
                wait = backoff_wait(attempt, 1.0, 30.0)
            if elapsed + wait > budget:
                raise OctociError(
                    self.redact(
                        f"{what} failed: no answer from {self.label} ({problem}; gave up after "
                        f"{attempt} attempt{'s' if attempt != 1 else ''} in {elapsed:.0f} s); "
                        "check the url and the network"
                    )
                )
            retry_pause(what, self.redact(problem), wait, attempt, self._sleep)

    def _error(self, response: Any, what: str) -> OctociError:
        status = response.status_code
        response.close()
        secret = f"OCTOCI_REPOSITORY_{_env_name(self.name)}_PASSWORD (or _TOKEN)"
        if status == 401:
            hint = (
                f"check the username and {secret}"
                if self.has_credentials
                else f"it needs credentials: set username and {secret}"
            )
            return OctociError(
                f"{what} failed: {self.label} refused the credentials (HTTP 401); {hint}"
            )
        if status == 403:
            return OctociError(
                f"{what} failed: {self.label} refused it (HTTP 403): the user may read but not "
                "write there (deploy permission), or the repository is read-only"
            )
        if 300 <= status < 400:
            location = self.redact(response.headers.get("Location", "?"))
            return OctociError(
                f"{what} failed: {self.label} redirects (HTTP {status}) to {location}; set its url "
                "to the address it answers at"
            )
        return OctociError(self.redact(f"{what} failed: {self.label} answered HTTP {status}"))

    def stored_digest(self, path: str, *, what: str) -> tuple[str, int] | None:
        """``(SHA-1, size)`` of the bytes stored at ``path``, ``None`` when nothing is: the
        server's ``X-Checksum-Sha1`` when it sends one (Artifactory), else the body, hashed."""
        response = self.send("GET", path, what=what, missing_ok=True, stream=True)
        if response is None:
            return None
        with response:
            header = str(response.headers.get("X-Checksum-Sha1") or "").strip().lower()
            if re.fullmatch(r"[0-9a-f]{40}", header):
                length = response.headers.get("Content-Length", "")
                return header, int(length) if length.isdigit() else 0
            digest = hashlib.sha1()
            size = 0
            for block in response.iter_content(_BLOCK):
                digest.update(block)
                size += len(block)
            return digest.hexdigest(), size

    def read(self, path: str, *, what: str) -> bytes | None:
        """The bytes at ``path`` (a small file such as ``maven-metadata.xml``), ``None`` on 404."""
        response = self.send("GET", path, what=what, missing_ok=True)
        return None if response is None else bytes(response.content)

    def put_bytes(self, path: str, data: bytes, *, what: str) -> None:
        """Store ``data`` at ``path`` (with its checksum headers)."""
        self.send(
            "PUT",
            path,
            what=what,
            body=lambda: data,
            headers=Digests.of_bytes(data).headers(),
            ok=(200, 201, 204),
        )

    def put_file(self, path: str, file: Path, digests: Digests, *, what: str) -> int:
        """Store ``file`` at ``path``, streamed; the bytes of the last attempt sent.

        :raises OctociError: the file changed while it was sent (its SHA-1 is not the one
            hashed before: the server may now hold either version).
        """
        bodies: list[_HashingFile] = []

        def body() -> _HashingFile:
            bodies.append(_HashingFile(file, digests.size))
            return bodies[-1]

        self.send("PUT", path, what=what, body=body, headers=digests.headers(), ok=(200, 201, 204))
        last = bodies[-1]
        if last.sha1 != digests.sha1 or last.sent != digests.size:
            raise OctociError(
                f"{what} refused: {file} changed while it was being sent; push again once the "
                "file is complete"
            )
        return last.sent

    def delete(self, path: str, *, what: str) -> str:
        """Delete ``path``; ``""`` when done (or already gone), else why it could not be."""
        try:
            self.send("DELETE", path, what=what, ok=(200, 202, 204), missing_ok=True)
        except OctociError as exc:
            return str(exc)
        return ""

    def listing(self, folder: str, *, what: str) -> list[str]:
        """The names in ``folder`` (a JSON listing as nginx's ``autoindex_format json`` or
        Artifactory's storage API give, or an HTML index as Nexus raw and Apache give);
        ``[]`` when the folder does not exist."""
        response = self.send(
            "GET",
            folder.rstrip("/") + "/",
            what=what,
            missing_ok=True,
            headers={"Accept": "application/json, text/html;q=0.5"},
        )
        if response is None:
            return []
        text = response.text
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        names: list[str] = []
        if isinstance(document, dict):
            document = document.get("children") or []
        if isinstance(document, list):
            for entry in document:
                if isinstance(entry, dict):
                    name = entry.get("name") or entry.get("uri") or ""
                    names.append(str(name).strip("/"))
            return [n for n in names if n]
        from urllib.parse import unquote

        for href in re.findall(r'href="([^"?#]+)"', text):
            name = unquote(href.rstrip("/").rsplit("/", 1)[-1])
            if name and name not in ("..", "."):
                names.append(name)
        return list(dict.fromkeys(names))


def feed_type_problem(
    feed: Mapping[str, Any], feed_types: Sequence[str], reads: str
) -> tuple[str, str]:
    """``(feed name, "")`` when the feed's ``FeedType`` is one of ``feed_types``, else the
    feed's name and one line saying Octopus reads ``reads`` feed."""
    name = str(feed.get("Name") or feed.get("Id") or "?")
    feed_type = str(feed.get("FeedType") or "")
    if feed_type in feed_types:
        return name, ""
    return name, (
        f"the feed {name!r} is a {feed_type or 'feed of unknown type'} feed; Octopus reads "
        f"{reads} feed"
    )


def client_from_config(config: RepositoryConfig, kind: str, *, token: bool) -> RepositoryHttp:
    """The HTTP client of a repository of ``kind``: its checked ``url`` and credentials."""
    url = repository_url(config)
    return RepositoryHttp(
        url,
        label=f"{kind} repository {config.name!r} at {url}",
        name=config.name,
        username=_text(config.values, "username", config),
        password=_text(config.values, "password", config),
        token=_text(config.values, "token", config) if token else "",
    )


def _env_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _text(values: Mapping[str, Any], key: str, config: RepositoryConfig) -> str:
    value = values.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(
            f"repository {config.name!r} ({config.source or 'configuration'}): {key} must be a "
            f"string, not {type(value).__name__}"
        )
    return value.strip()


def repository_url(config: RepositoryConfig) -> str:
    """The ``url`` key, checked: http(s), no credentials in it (they would show in every
    location and message)."""
    url = _text(config.values, "url", config)
    where = f"repository {config.name!r} ({config.source or 'configuration'})"
    if not url:
        raise InputError(f'{where} has no url; set url = "https://..."')
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{where}: url must be an http:// or https:// address, not {url!r}")
    if parts.username or parts.password:
        raise InputError(
            f"{where}: the url holds a user name or password; set username and "
            f"OCTOCI_REPOSITORY_{_env_name(config.name)}_PASSWORD instead"
        )
    return url.rstrip("/")


def _check_layout(layout: str, where: str) -> None:
    names = re.findall(r"\{([^{}]*)\}", layout)
    unknown = sorted(set(names) - set(_PLACEHOLDERS))
    if unknown:
        raise InputError(
            f"{where}: layout names {', '.join('{' + n + '}' for n in unknown)}; it may use "
            "{id}, {version} and {extension}"
        )
    if "id" not in names or "version" not in names:
        raise InputError(f"{where}: layout must hold {{id}} and {{version}}, e.g. {DEFAULT_LAYOUT}")
    if layout.startswith("/") or ".." in layout.split("/") or layout.endswith("/"):
        raise InputError(
            f"{where}: layout is a relative file path below url, e.g. {DEFAULT_LAYOUT}"
        )


class HttpRepository:
    """A generic HTTP repository (Artifactory Generic, Nexus raw, a WebDAV server).

    Example::

        repository = HttpRepository.from_config(RepositoryConfig(
            "files", "http", {"url": "https://nexus.example/repository/raw", "username": "ci",
                              "password": "..."}))
        repository.push(Path("Acme.Web.1.2.3.zip"), name, mode="FailIfExists")
        # stored at https://nexus.example/repository/raw/Acme.Web/1.2.3/Acme.Web.1.2.3.zip
    """

    kind = "http"

    def __init__(
        self,
        name: str,
        client: RepositoryHttp,
        *,
        layout: str = DEFAULT_LAYOUT,
        checksum_deploy: bool = False,
    ) -> None:
        self.name = name
        self.client = client
        self.layout = layout
        self.checksum_deploy = checksum_deploy

    @classmethod
    def from_config(cls, config: RepositoryConfig) -> HttpRepository:
        """Build it from ``[repositories.<name>]`` (``kind = "http"``)."""
        where = f"repository {config.name!r} ({config.source or 'configuration'})"
        layout = _text(config.values, "layout", config) or DEFAULT_LAYOUT
        _check_layout(layout, where)
        checksum_deploy = config.values.get("checksum_deploy", False)
        if not isinstance(checksum_deploy, bool):
            raise InputError(f"{where}: checksum_deploy must be true or false")
        client = client_from_config(config, "http", token=True)
        return cls(config.name, client, layout=layout, checksum_deploy=checksum_deploy)

    def describe(self) -> str:
        """``http repository 'files' at https://...``."""
        return self.client.label

    def path_of(self, package_id: str, version: str, extension: str) -> str:
        """The package's path below the url, by the layout."""
        return self.layout.format(id=package_id, version=version, extension=extension)

    def octopus_package_id(self, package_id: str) -> str:
        """The package id a step on Octopus's Artifactory Generic feed names: the layout's folder
        and the id (``apps/Acme.Web`` for ``apps/{id}.{version}{extension}``), as the feed lists
        one folder; the id alone when the folder holds the version (the feed's ``LayoutRegex``
        then says where versions are)."""
        folder = self.layout.rpartition("/")[0]
        if not folder or "{version}" in folder:
            return package_id
        return f"{folder.format(id=package_id)}/{package_id}"

    def push(self, path: Path, name: PackageName, *, mode: OverwriteMode) -> StoredPackage:
        """Store the file at its layout path; verify the stored bytes' SHA-1 (see the module)."""
        what = f"pushing {path.name} to {self.client.label}"
        target = self.path_of(name.id, name.version, name.extension)
        location = self.client.url(target)
        local = Digests.of_package(path, what)
        stored = self.client.stored_digest(target, what=f"{what}: reading what is there")
        replacing = stored is not None
        if stored is not None:
            settled = settle_existing(
                what=what,
                package_id=name.id,
                version=name.version,
                place=f"in {self.client.label}",
                stored_sha1=stored[0],
                local_sha1=local.sha1,
                mode=mode,
            )
            if settled is not None:
                outcome, warning = settled
                return StoredPackage(
                    self.name,
                    name.id,
                    name.version,
                    location,
                    stored[0],
                    stored[1],
                    outcome,
                    warnings=(warning,) if warning else (),
                )
        sent = -1
        notes: list[str] = []
        if self.checksum_deploy:
            sent = self._deploy_by_checksum(target, local, what, notes)
        if sent < 0:
            sent = self.client.put_file(target, path, local, what=what)
        after = self.client.stored_digest(target, what=f"{what}: reading the stored file back")
        if after is None or after[0] != local.sha1:
            stored_text = "nothing" if after is None else f"bytes with SHA-1 {after[0]}"
            problem = self.client.delete(target, what=f"{what}: removing the bad copy")
            left = (
                "the bad copy was removed"
                if not problem
                else f"the bad copy at {location} could not be removed ({problem}); delete it"
            )
            previous = "; the version stored before is gone" if replacing else ""
            raise OctociError(
                f"{what} failed: the repository holds {stored_text}, but the bytes sent have "
                f"SHA-1 {local.sha1}: it answered but stored something else; {left}{previous}"
            )
        return StoredPackage(
            self.name,
            name.id,
            name.version,
            location,
            after[0],
            local.size,
            "created",
            bytes_sent=sent,
            warnings=tuple(notes),
        )

    def _deploy_by_checksum(self, target: str, local: Digests, what: str, notes: list[str]) -> int:
        """Artifactory's deploy by checksum: 0 when the server stored the content it already
        knows, -1 when the file must be sent (404: content unknown; or a server that ignored
        the header and stored the empty body)."""
        headers = {
            "X-Checksum-Deploy": "true",
            "X-Checksum-Sha1": local.sha1,
            "X-Checksum-Sha256": local.sha256,
        }
        response = self.client.send(
            "PUT",
            target,
            what=f"{what} (by checksum)",
            headers=headers,
            ok=(200, 201),
            missing_ok=True,
        )
        if response is None:
            log.info("%s: the repository does not hold that content yet; sending the file", what)
            return -1
        response.close()
        after = self.client.stored_digest(target, what=f"{what}: reading the stored file back")
        if after is not None and after[0] == local.sha1:
            return 0
        note = (
            f"{self.client.label} does not deploy by checksum (it stored the empty request); "
            "sent the file instead: set checksum_deploy = false for it"
        )
        log.warning("%s", note)
        notes.append(note)
        return -1

    def find(self, package_id: str, version: str) -> StoredPackage | None:
        """The stored version, trying each package extension at the layout path."""
        what = f"looking up {package_id} {version} in {self.client.label}"
        for extension in EXTENSIONS:
            target = self.path_of(package_id, version, extension)
            response = self.client.send("HEAD", target, what=what, missing_ok=True)
            if response is None:
                continue
            stored = self.client.stored_digest(target, what=what)
            if stored is not None:
                return StoredPackage(
                    self.name, package_id, version, self.client.url(target), stored[0], stored[1]
                )
        return None

    def versions(self, package_id: str) -> Sequence[str]:
        """The versions in the folder the layout puts versions in (its listing), sorted."""
        segments = self.layout.split("/")
        index = next(i for i, s in enumerate(segments) if "{version}" in s)
        folder = "/".join(s.format(id=package_id) for s in segments[:index])
        pattern = re.escape(segments[index])
        pattern = pattern.replace(re.escape("{id}"), re.escape(package_id))
        pattern = pattern.replace(re.escape("{version}"), r"(?P<version>\d[^/]*?)", 1)
        pattern = pattern.replace(re.escape("{version}"), r"(?P=version)")
        extensions = "|".join(re.escape(e) for e in EXTENSIONS)
        pattern = pattern.replace(re.escape("{extension}"), f"(?:{extensions})")
        found: dict[str, str] = {}
        what = f"listing the versions of {package_id} in {self.client.label}"
        for entry in self.client.listing(folder, what=what):
            match = re.fullmatch(pattern, entry)
            if match:
                version = match["version"]
                found.setdefault(
                    canonical_version(version) if _versionish(version) else version, version
                )
        return sorted(
            found.values(), key=lambda v: version_key(v) if _versionish(v) else ((0,), 0, ())
        )

    def feed_problem(self, feed: Mapping[str, Any]) -> str | None:
        """An Octopus ``ArtifactoryGeneric`` feed reads this repository when its ``FeedUri``
        and ``Repository`` name this url (``<FeedUri>/artifactory/<Repository>`` or
        ``<FeedUri>/<Repository>``). Octopus has no feed for Nexus raw repositories."""
        feed_name, wrong = feed_type_problem(
            feed, KIND.feed_types, "a generic HTTP repository only through an Artifactory Generic"
        )
        if wrong:
            return wrong
        base = normalized_url(str(feed.get("FeedUri") or ""))
        repository = str(feed.get("Repository") or "").strip("/")
        candidates = {
            normalized_url(f"{base}/artifactory/{repository}"),
            normalized_url(f"{base}/{repository}"),
        }
        ours = normalized_url(self.client.base)
        if ours in candidates:
            return None
        return (
            f"the feed {feed_name!r} reads {base}/artifactory/{repository}, but the package went "
            f"to {ours}"
        )


def _versionish(version: str) -> bool:
    try:
        version_key(version)
        canonical_version(version)
    except ValueError:
        return False
    return True


KIND = RepositoryKind(
    name="http",
    description=(
        "a generic HTTP repository that takes a PUT per file (Artifactory Generic, Nexus raw, "
        "WebDAV)"
    ),
    create=HttpRepository.from_config,
    keys=("url", "username", "password", "token", "layout", "checksum_deploy"),
    secret_keys=("password", "token"),
    feed_types=("ArtifactoryGeneric",),
)
