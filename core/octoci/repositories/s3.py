"""The kind ``s3``: an Amazon S3 bucket (or an S3-compatible server), laid out as Octopus's S3
feed reads it.

Octopus's S3 feed (``FeedType`` ``S3``) holds no bucket: a package step names the package
``<bucket>/<folder>/<PackageId>`` and Octopus looks for the object
``<folder>/<PackageId>.<version><extension>`` in that bucket (Calamari's ``S3PackageDownloader``
lists the bucket with the prefix ``<folder>/<PackageId>.<version>``). So a push stores
``Acme.Web.1.2.3.zip`` under ``<prefix>/Acme.Web.1.2.3.zip``, and :meth:`S3Repository.versions`
lists the keys under ``<prefix>/Acme.Web.`` and parses each name with
:mod:`octoci.package_names`, as the feed does.

Every push is verified by reading the object back (GET, hashing SHA-1 and SHA-256 while
reading) rather than trusting ``HeadObject``'s checksum: S3 computes that from the stored bytes,
but S3-compatible servers may only echo the checksum the client sent (moto does, and accepts a
wrong one), and the stored package's SHA-1 must come from what the repository holds. The upload
still sends SHA-256 checksums (per part for multipart uploads), so S3 itself refuses damaged
parts before storing anything. Bytes that do not read back as sent are deleted: a damaged file
is never left under a version Octopus would deploy.

boto3 (``pip install "octoci[s3]"``) is imported only when a repository of this kind is used.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from octoci.errors import InputError, MissingExtraError, OctociError
from octoci.octopus.multipart import FileState
from octoci.package_names import (
    PackageName,
    canonical_version,
    parse_package_filename,
    version_key,
)
from octoci.redaction import Redactor
from octoci.repositories.base import (
    OverwriteMode,
    RepositoryConfig,
    RepositoryKind,
    StoredPackage,
)
from octoci.repositories.overwrite import settle_existing

__all__ = ["KIND", "OCTOPUS_READS", "S3Repository"]

_BLOCK = 1024 * 1024
#: Files from this size on go as a multipart upload, in parts of :data:`PART_SIZE` (S3's
#: smallest part is 5 MiB; boto3 raises smaller values to it).
MULTIPART_THRESHOLD = 64 * 1024 * 1024
PART_SIZE = 16 * 1024 * 1024
#: The extensions Octopus's S3 feed looks for (Calamari's ``S3PackageDownloader``); a package
#: stored with another one is kept, with a warning that the feed will not find it.
OCTOPUS_READS = (".zip", ".tar.gz", ".tar.bz2", ".tgz", ".tar.bz")
#: Metadata a push stores with the object, so later look-ups know its hashes without a GET.
_SHA1_METADATA = "octoci-sha1"
_SHA256_METADATA = "octoci-sha256"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
#: Error codes by which S3 says the credentials themselves were refused (not a missing grant).
_REFUSED = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
}


class _ReadError(Exception):
    """A failed S3 call, carried to the one place that words it for people."""


@dataclass(frozen=True)
class _Digests:
    sha1: str
    sha256: str
    size: int


def _digests(chunks: Iterator[bytes]) -> _Digests:
    sha1, sha256, size = hashlib.sha1(), hashlib.sha256(), 0
    for chunk in chunks:
        sha1.update(chunk)
        sha256.update(chunk)
        size += len(chunk)
    return _Digests(sha1.hexdigest(), sha256.hexdigest(), size)


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            yield block


def _text(config: RepositoryConfig, key: str) -> str:
    value = config.values.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{_where(config)}: {key} must be a string (got {type(value).__name__})")
    return value.strip()


def _where(config: RepositoryConfig) -> str:
    return f"repository {config.name!r}" + (f" ({config.source})" if config.source else "")


# Not frozen: PackageRepository declares name and kind as plain (settable) attributes.
@dataclass
class S3Repository:
    """An S3 bucket and folder holding packages by their Octopus names, as a
    :class:`~octoci.repositories.PackageRepository`.

    Example::

        repo = S3Repository("releases", bucket="acme-packages", prefix="web", region="eu-west-1")
        repo.push(Path("Acme.Web.1.2.3.zip"), name, mode="FailIfExists").location
        # 's3://acme-packages/web/Acme.Web.1.2.3.zip'
    """

    name: str
    bucket: str
    prefix: str = ""
    region: str = ""
    endpoint_url: str = ""
    access_key_id: str = ""
    secret_access_key: str = field(default="", repr=False)
    session_token: str = field(default="", repr=False)
    multipart_threshold: int = MULTIPART_THRESHOLD
    part_size: int = PART_SIZE
    kind: str = "s3"
    _client_cache: Any = field(default=None, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )
    _redact: Redactor = field(default_factory=Redactor, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._redact.add([self.secret_access_key, self.session_token])

    @classmethod
    def from_config(cls, config: RepositoryConfig) -> S3Repository:
        """From ``[repositories.<name>] kind = "s3", bucket = "...", prefix = "..."`` (and
        ``region``, ``endpoint_url``, the credentials; without credentials, boto3's own chain:
        ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, an instance role).

        :raises InputError: a missing or malformed bucket, prefix, region or endpoint, or half
            a key pair.
        """
        bucket = _text(config, "bucket")
        if not bucket:
            raise InputError(f'{_where(config)}: bucket is required (bucket = "acme-packages")')
        if not _BUCKET.match(bucket) or ".." in bucket:
            raise InputError(
                f"{_where(config)}: {bucket!r} is not an S3 bucket name (3 to 63 lower-case "
                "letters, digits, '.' and '-'); give the bare name, without s3:// or a folder"
            )
        prefix = _text(config, "prefix").strip("/")
        if "//" in prefix or any(part in {".", ".."} for part in prefix.split("/")):
            raise InputError(
                f"{_where(config)}: prefix {prefix!r} has an empty, '.' or '..' folder; "
                'give folders joined by "/", e.g. prefix = "packages/web"'
            )
        region = _text(config, "region")
        if region and not _REGION.match(region):
            raise InputError(
                f"{_where(config)}: region {region!r} is not an AWS region name (eu-west-1)"
            )
        endpoint = _text(config, "endpoint_url").rstrip("/")
        if endpoint:
            parts = urlsplit(endpoint)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise InputError(
                    f"{_where(config)}: endpoint_url {endpoint!r} is not an http(s) URL "
                    '(endpoint_url = "https://s3.example.com")'
                )
            if parts.username or parts.password:
                raise InputError(
                    f"{_where(config)}: endpoint_url holds a user name or password; give the "
                    "credentials as access_key_id and secret_access_key"
                )
        key_id = _text(config, "access_key_id")
        secret = _text(config, "secret_access_key")
        token = _text(config, "session_token")
        if bool(key_id) != bool(secret):
            missing = "secret_access_key" if key_id else "access_key_id"
            raise InputError(
                f"{_where(config)}: {missing} is missing (give both access_key_id and "
                "secret_access_key, or neither to use the AWS credential chain)"
            )
        if token and not key_id:
            raise InputError(
                f"{_where(config)}: session_token needs access_key_id and secret_access_key"
            )
        return cls(
            config.name,
            bucket=bucket,
            prefix=prefix,
            region=region,
            endpoint_url=endpoint,
            access_key_id=key_id,
            secret_access_key=secret,
            session_token=token,
        )

    # -- where things are -------------------------------------------------------------------

    def key_for(self, filename: str) -> str:
        """The object key of a package file: ``<prefix>/<filename>``."""
        return f"{self.prefix}/{filename}" if self.prefix else filename

    def location(self, key: str) -> str:
        """``s3://<bucket>/<key>``: never a credential."""
        return f"s3://{self.bucket}/{key}"

    def octopus_package_id(self, package_id: str) -> str:
        """The package id a step on Octopus's S3 feed names: ``<bucket>/<prefix>/<id>``.

        >>> S3Repository("r", bucket="acme", prefix="web").octopus_package_id("Acme.Web")
        'acme/web/Acme.Web'
        """
        return f"{self.bucket}/{self.key_for(package_id)}"

    def describe(self) -> str:
        """``s3 repository 'releases' at s3://acme-packages/web`` (and the endpoint, if any)."""
        place = f"s3://{self.bucket}" + (f"/{self.prefix}" if self.prefix else "")
        server = f" on {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3 repository {self.name!r} at {place}{server}"

    def secrets(self) -> tuple[str, ...]:
        """The secret values in use, also those boto3's credential chain found (to be masked
        in everything octoci writes, like the Octopus key)."""
        self._client()
        return self._redact.secrets

    # -- the client -------------------------------------------------------------------------

    def _client(self) -> Any:
        with self._lock:
            if self._client_cache is None:
                self._client_cache = self._new_client()
            return self._client_cache

    def _new_client(self) -> Any:
        try:
            import boto3  # type: ignore[import-untyped,unused-ignore]
            from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            raise MissingExtraError("boto3", "s3", what="the s3 repository kind") from None
        session = boto3.session.Session(
            aws_access_key_id=self.access_key_id or None,
            aws_secret_access_key=self.secret_access_key or None,
            aws_session_token=self.session_token or None,
        )
        credentials = session.get_credentials()
        if credentials is not None:
            # Keys from the environment or a profile are as secret as configured ones.
            frozen = credentials.get_frozen_credentials()
            self._redact.add([frozen.secret_key or "", frozen.token or ""])
        region = self.region or session.region_name or ("us-east-1" if self.endpoint_url else None)
        if not region:
            raise InputError(
                f"{self.describe()}: no region: set region in [repositories.{self.name}] or "
                "AWS_REGION"
            )
        config = Config(
            retries={"max_attempts": 5, "mode": "standard"},
            connect_timeout=20,
            read_timeout=120,
            # Checksums only where S3 requires them; the upload asks for SHA-256 itself.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return session.client(
            "s3", region_name=region, endpoint_url=self.endpoint_url or None, config=config
        )

    def _error(self, doing: str, exc: BaseException) -> OctociError:
        """One line for a failed S3 call: what, why and what to do, with no secret in it."""
        if isinstance(exc, OctociError):  # already one line (no region, boto3 missing)
            return exc
        from botocore import exceptions as boto_errors  # type: ignore[import-untyped,unused-ignore]

        cause: BaseException | None = exc
        while cause is not None and not isinstance(
            cause, (boto_errors.ClientError, boto_errors.BotoCoreError)
        ):
            cause = cause.__cause__ or cause.__context__
        where = self.describe()
        if isinstance(cause, boto_errors.ClientError):
            error = cause.response.get("Error", {})
            code = str(error.get("Code", "")) or "error"
            status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in _REFUSED:
                return OctociError(
                    f"{doing} failed: S3 refused the credentials ({code}); check access_key_id "
                    f"and secret_access_key of [repositories.{self.name}] (or the AWS_* "
                    "variables / profile the AWS credential chain uses)"
                )
            if code == "AccessDenied" or status == 403:
                return OctociError(
                    f"{doing} failed: S3 denied access to {self.location(self.prefix)} "
                    f"({code}); grant the credentials s3:ListBucket, s3:GetObject, "
                    "s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload there "
                    "(docs/repositories/s3.md)"
                )
            if code == "NoSuchBucket":
                return OctociError(
                    f"{doing} failed: the bucket {self.bucket!r} does not exist ({where}); "
                    "create it, or correct bucket in [repositories." + self.name + "]"
                )
            if code in {"PermanentRedirect", "AuthorizationHeaderMalformed"} or status == 301:
                return OctociError(
                    f"{doing} failed: the bucket {self.bucket!r} is in another region than "
                    f"{self.region or 'the default one'} ({code}); set region in "
                    f"[repositories.{self.name}]"
                )
            message = self._redact(str(error.get("Message", "")))
            return OctociError(
                f"{doing} failed: S3 answered {status or '?'} {code}"
                + (f": {message}" if message else "")
            )
        if isinstance(cause, boto_errors.NoCredentialsError):
            return InputError(
                f"{doing} failed: no AWS credentials found for {where}; set access_key_id and "
                f"secret_access_key (OCTOCI_REPOSITORY_{self.name.upper()}_SECRET_ACCESS_KEY), "
                "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile"
            )
        if isinstance(
            cause,
            (
                boto_errors.EndpointConnectionError,
                boto_errors.ConnectionClosedError,
                boto_errors.ReadTimeoutError,
                boto_errors.ConnectTimeoutError,
            ),
        ):
            return OctociError(
                f"{doing} failed: S3 could not be reached at "
                f"{self.endpoint_url or 'its AWS endpoint'} ({type(cause).__name__}); check "
                "endpoint_url, region and the network"
            )
        text = self._redact(str(cause if cause is not None else exc).splitlines()[0])
        return OctociError(f"{doing} failed: {text}")

    # -- reading ----------------------------------------------------------------------------

    def _keys(self, package_id: str) -> list[tuple[str, PackageName]]:
        """Every ``(key, name)`` of the package under the prefix (ListObjectsV2, paged)."""
        base = self.key_for("")
        start = base + f"{package_id}."
        found: list[tuple[str, PackageName]] = []
        pages = self._client().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", ()):
                key = str(item["Key"])
                filename = key[len(base) :]
                name = parse_package_filename(filename)
                if name is not None and name.id == package_id:
                    found.append((key, name))
        return found

    def versions(self, package_id: str) -> Sequence[str]:
        """Every version of ``package_id`` under the prefix, lowest first (reads only)."""
        try:
            names = [name.version for _key, name in self._keys(package_id)]
        except Exception as exc:
            doing = f"listing the versions of {package_id} in {self.describe()}"
            raise self._error(doing, exc) from None
        return sorted(dict.fromkeys(names), key=version_key)

    def find(self, package_id: str, version: str) -> StoredPackage | None:
        """The stored version (any extension; ``1.0.0.0`` is ``1.0.0``) or ``None``; its SHA-1
        from the metadata a push stored, else by reading the object (reads only)."""
        doing = f"looking up {package_id} {version} in {self.describe()}"
        try:
            match = self._matching_key(package_id, version)
            if match is None:
                return None
            key, name = match
            head = self._client().head_object(Bucket=self.bucket, Key=key)
            size = int(head["ContentLength"])
            sha1 = str(head.get("Metadata", {}).get(_SHA1_METADATA, ""))
            if not re.fullmatch(r"[0-9a-f]{40}", sha1):
                sha1 = self._read_back(key).sha1
        except Exception as exc:
            raise self._error(doing, exc) from None
        return StoredPackage(
            repository=self.name,
            package_id=name.id,
            version=name.version,
            location=self.location(key),
            sha1=sha1,
            size=size,
            outcome="identical",
        )

    def _matching_key(self, package_id: str, version: str) -> tuple[str, PackageName] | None:
        wanted = canonical_version(version)
        for key, name in self._keys(package_id):
            if canonical_version(name.version) == wanted:
                return key, name
        return None

    def _read_back(self, key: str) -> _Digests:
        """The hashes of the object's bytes as S3 serves them (GET, streamed)."""
        body = self._client().get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            return _digests(iter(lambda: body.read(_BLOCK), b""))
        finally:
            body.close()

    # -- pushing ----------------------------------------------------------------------------

    def push(self, path: Path, name: PackageName, *, mode: OverwriteMode) -> StoredPackage:
        """Store the file as ``<prefix>/<id>.<version><ext>``, read it back and compare hashes.

        A version already there is settled by its SHA-1 (same bytes: ``identical``; different:
        ``FailIfExists`` fails, ``IgnoreIfExists`` keeps it, ``OverwriteExisting`` replaces it
        and removes the old object if its extension differed). A multipart upload that fails is
        aborted (boto3 aborts it; nothing is left half-uploaded), and an object that does not
        read back as sent is deleted before the error.
        """
        what = f"pushing {path.name} to {self.describe()}"
        before = FileState.of(path)
        local = _digests(_file_chunks(path))
        key = self.key_for(name.filename)
        warnings: list[str] = []
        if name.extension.lower() not in OCTOPUS_READS:
            warnings.append(
                f"{name.filename}: Octopus's S3 feed looks only for "
                f"{', '.join(OCTOPUS_READS)} files, so it will not find this one"
            )
        try:
            existing = self._matching_key(name.id, name.version)
        except Exception as exc:
            raise self._error(what, exc) from None
        if existing is not None:
            stored = self.find(name.id, name.version)
            if stored is not None:
                settled = settle_existing(
                    what=what,
                    package_id=name.id,
                    version=name.version,
                    place=f"in {self.describe()}",
                    stored_sha1=stored.sha1,
                    local_sha1=local.sha1,
                    mode=mode,
                )
                if settled is not None:
                    outcome, warning = settled
                    notes = (*warnings, *([warning] if warning else []))
                    return replace(stored, outcome=outcome, warnings=notes)
        self._upload(path, key, local, what)
        difference = before.difference(FileState.of(path))
        if difference:
            self._delete_quietly(key)
            raise OctociError(
                f"{what} refused: {path} changed while it was being sent ({difference}); "
                "nothing was stored from it. Push again once the file is complete"
            )
        try:
            back = self._read_back(key)
        except Exception as exc:
            raise self._error(f"{what}: reading the stored object back", exc) from None
        if (back.sha1, back.sha256, back.size) != (local.sha1, local.sha256, local.size):
            removed = self._delete_quietly(key)
            raise OctociError(
                f"{what} failed: S3 stores other bytes than were sent (stored SHA1 {back.sha1}, "
                f"{back.size} bytes; sent SHA1 {local.sha1}, {local.size} bytes); "
                + (
                    "the damaged object was deleted. Push again, and check the server"
                    if removed
                    else f"the damaged object {self.location(key)} could NOT be deleted: "
                    "delete it before Octopus deploys it"
                )
            )
        if existing is not None and existing[0] != key:
            # OverwriteExisting with another extension: one version, one file, as Octopus's
            # feed would otherwise pick whichever extension it tries first.
            self._delete_quietly(existing[0])
        return StoredPackage(
            repository=self.name,
            package_id=name.id,
            version=name.version,
            location=self.location(key),
            sha1=back.sha1,
            size=back.size,
            outcome="created",
            bytes_sent=local.size,
            warnings=tuple(warnings),
        )

    def _upload(self, path: Path, key: str, local: _Digests, what: str) -> None:
        from boto3.s3.transfer import TransferConfig  # type: ignore[import-untyped,unused-ignore]

        transfer = TransferConfig(
            multipart_threshold=self.multipart_threshold,
            multipart_chunksize=self.part_size,
            max_concurrency=4,
        )
        extra = {
            # S3 checks each part's (or the whole object's) SHA-256 before storing it.
            "ChecksumAlgorithm": "SHA256",
            "Metadata": {_SHA1_METADATA: local.sha1, _SHA256_METADATA: local.sha256},
            "ContentType": "application/octet-stream",
        }
        client = self._client()
        started: list[str] = []

        def record(http_response: Any = None, parsed: Any = None, **_: Any) -> None:
            if isinstance(parsed, dict) and parsed.get("Key") == key and parsed.get("UploadId"):
                started.append(str(parsed["UploadId"]))

        event = "after-call.s3.CreateMultipartUpload"
        client.meta.events.register(event, record)
        try:
            client.upload_file(str(path), self.bucket, key, ExtraArgs=extra, Config=transfer)
        except Exception as exc:
            # s3transfer aborts a multipart upload whose part fails; abort ours here too, so
            # that no half-uploaded parts are left (and billed) whatever the library does.
            for upload_id in started:
                self._abort_quietly(key, upload_id)
            raise self._error(what, exc) from None
        finally:
            client.meta.events.unregister(event, record)

    def _abort_quietly(self, key: str, upload_id: str) -> None:
        try:
            self._client().abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except Exception:  # already aborted by s3transfer (NoSuchUpload), or unreachable
            return

    def _delete_quietly(self, key: str) -> bool:
        """Delete ``key``; whether that worked (a failure is reported by the caller)."""
        try:
            self._client().delete_object(Bucket=self.bucket, Key=key)
        except Exception:
            return False
        return True

    # -- Octopus's feed ---------------------------------------------------------------------

    def feed_problem(self, feed: Mapping[str, Any]) -> str | None:
        """``None`` when ``feed`` is an S3 feed that can read this bucket: its type is ``S3``
        and, when both say a region, the same region. (The bucket and folder are in the step's
        package id, :meth:`octopus_package_id`, not in the feed; Octopus reads AWS's regional
        endpoints, or the endpoint its AWS SDK is configured with.)"""
        name = str(feed.get("Name") or feed.get("Id") or "?")
        feed_type = str(feed.get("FeedType") or "")
        if feed_type != "S3":
            return (
                f"the feed {name!r} is a {feed_type or 'typeless'} feed, but the package went "
                f"to {self.describe()}; use an AWS S3 Bucket feed (FeedType S3)"
            )
        feed_region = str(feed.get("Region") or "").strip()
        if feed_region and self.region and feed_region != self.region:
            return (
                f"the feed {name!r} reads S3 in {feed_region}, but the package went to "
                f"{self.describe()} in {self.region}"
            )
        return None


KIND = RepositoryKind(
    name="s3",
    description="an Amazon S3 bucket or S3-compatible server, as Octopus's S3 feed reads it",
    create=S3Repository.from_config,
    keys=(
        "bucket",
        "prefix",
        "region",
        "endpoint_url",
        "access_key_id",
        "secret_access_key",
        "session_token",
    ),
    secret_keys=("secret_access_key", "session_token"),
    feed_types=("S3",),
    # boto3's credential chain reads these when the table has no keys of its own.
    secret_variables=("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"),
)
