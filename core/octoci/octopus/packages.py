"""Pushing packages to the built-in feed: streamed, concurrent, safe to re-run.

Re-running a CI job must not fail because its package is already there, and must never keep a
*different* file under the same version without saying so. So after a 409 (or a 200 "ignored")
the stored package's SHA1 and size are compared with the local file's:

* identical: success, reported as "already there";
* different, ``FailIfExists`` (the default): an error naming both hashes;
* different, ``IgnoreIfExists``: the user asked for it; a warning, never silence.

After an upload whose answer was lost (timeout, dropped connection, 5xx from a proxy), the
package is looked up before trying again: if it landed with our content the push succeeded.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from octoci.errors import InputError, OctociError
from octoci.model import Package
from octoci.octopus.connection import Connection
from octoci.octopus.errors import (
    OctopusApiError,
    OctopusConnectionError,
    OctopusNotFoundError,
    PackageConflictError,
)
from octoci.octopus.multipart import MultipartFile
from octoci.octopus.progress import Progress
from octoci.package_names import (
    PackageName,
    canonical_version,
    parse_package_filename,
    split_extension,
)

__all__ = [
    "OVERWRITE_MODES",
    "OverwriteMode",
    "PushOutcome",
    "PushResult",
    "file_sha1",
    "find_package",
    "parse_overwrite_mode",
    "push_package",
    "push_packages",
    "validate_package_files",
]

log = logging.getLogger("octoci")

OverwriteMode = Literal["FailIfExists", "OverwriteExisting", "IgnoreIfExists"]
OVERWRITE_MODES: tuple[OverwriteMode, ...] = ("FailIfExists", "OverwriteExisting", "IgnoreIfExists")
_ALIASES: dict[str, OverwriteMode] = {
    "": "FailIfExists",
    "fail": "FailIfExists",
    "failifexists": "FailIfExists",
    "overwrite": "OverwriteExisting",
    "overwriteexisting": "OverwriteExisting",
    "replace": "OverwriteExisting",
    "ignore": "IgnoreIfExists",
    "ignoreifexists": "IgnoreIfExists",
}

#: ``created``: stored by this push; ``identical``: already there with the same content;
#: ``ignored``: a different file was already there and IgnoreIfExists kept it.
PushOutcome = Literal["created", "identical", "ignored"]


def parse_overwrite_mode(text: str) -> OverwriteMode:
    """An overwrite mode from Octopus's names or the Go CLI's aliases (``fail``, ``overwrite``,
    ``ignore``), case-insensitive."""
    try:
        return _ALIASES[text.strip().lower()]
    except KeyError:
        raise InputError(
            f"unknown overwrite mode {text!r}; use FailIfExists, OverwriteExisting or IgnoreIfExists"
        ) from None


@dataclass(frozen=True)
class PushResult:
    """What happened to one package file."""

    path: Path
    name: PackageName
    size: int
    outcome: PushOutcome
    sha1: str = ""
    server_hash: str = ""
    attempts: int = 1
    warnings: tuple[str, ...] = field(default=())
    delta: bool = False
    """True when a delta against an earlier version was sent instead of the file."""
    bytes_sent: int = 0
    """Bytes of package data sent (the delta's size after a delta upload); 0: derived."""

    @property
    def stored(self) -> bool:
        """True when this push stored the file."""
        return self.outcome == "created"

    def to_package(self) -> Package:
        """The model's :class:`~octoci.model.Package` for reports and outputs."""
        return Package(
            path=self.path,
            id=self.name.id,
            version=self.name.version,
            size=self.size,
            pushed=self.stored,
            bytes_sent=self.sent,
            delta=self.delta,
        )

    @property
    def sent(self) -> int:
        """Bytes of package data sent over the wire (all attempts)."""
        if self.bytes_sent:
            return self.bytes_sent
        return self.size * self.attempts if self.outcome == "created" else self.size

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "Path": self.path.as_posix(),
            "PackageId": self.name.id,
            "Version": self.name.version,
            "Size": self.size,
            "Result": self.outcome,
            "Hash": self.server_hash or self.sha1,
            "Attempts": self.attempts,
            "BytesSent": self.sent,
            "Delta": self.delta,
        }


def file_sha1(path: Path) -> str:
    """The SHA1 Octopus stores as a package's ``Hash``."""
    digest = hashlib.sha1()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def validate_package_files(paths: Sequence[Path]) -> list[tuple[Path, PackageName]]:
    """Each file with its parsed name, after checking every one (nothing is sent if one is bad).

    :raises InputError: a missing file, a folder, an empty file, a name Octopus would refuse, or
        two files with the same package id and version.
    """
    problems: list[str] = []
    named: list[tuple[Path, PackageName]] = []
    seen: dict[tuple[str, str], Path] = {}
    for path in paths:
        if not path.exists():
            problems.append(f"{path}: no such file")
            continue
        if path.is_dir():
            problems.append(f"{path}: is a folder; pack it first (octoci pack)")
            continue
        name = parse_package_filename(path.name)
        if name is None:
            reason = (
                "the extension is not one Octopus accepts (.zip, .nupkg, .tar.gz, .tgz, .tar, "
                ".tar.bz2, .jar, .war ...)"
                if split_extension(path.name) is None
                else "it is not <PackageId>.<Version><extension>, e.g. Acme.Web.1.2.3.zip"
            )
            problems.append(f"{path.name}: {reason}")
            continue
        if path.stat().st_size == 0:
            problems.append(f"{path}: the file is empty")
            continue
        key = (name.id.lower(), canonical_version(name.version))
        if key in seen and seen[key] != path:
            problems.append(f"{path} and {seen[key]} are both {name.id} {name.version}")
            continue
        seen[key] = path
        named.append((path, name))
    if problems:
        raise InputError("cannot push: " + "; ".join(problems))
    return named


def find_package(connection: Connection, name: PackageName) -> dict[str, Any] | None:
    """The stored package resource for ``name``, or ``None``."""
    what = f"looking up package {name.id} {name.version}"
    try:
        found = connection.get_json(
            connection.space_path(f"/packages/packages-{name.id}.{name.version}"), what=what
        )
        if isinstance(found, dict):
            return found
    except OctopusNotFoundError:
        pass
    listing = connection.get_json(
        connection.space_path("/packages"),
        what=what,
        params={"nuGetPackageId": name.id, "take": 2147483647},
    )
    wanted = canonical_version(name.version)
    for item in listing.get("Items") or []:
        if (
            isinstance(item, dict)
            and str(item.get("PackageId", "")).lower() == name.id.lower()
            and canonical_version(str(item.get("Version", "0"))) == wanted
        ):
            return item
    return None


def _same_content(package: dict[str, Any], path: Path, local: dict[str, str]) -> bool:
    """True when the stored package has the local file's size and SHA1 (hashed once, lazily)."""
    size = package.get("PackageSizeBytes")
    if isinstance(size, int) and size != path.stat().st_size:
        return False
    if "sha1" not in local:
        local["sha1"] = file_sha1(path)
    return str(package.get("Hash") or "").lower() == local["sha1"]


def _upload_params(connection: Connection, mode: OverwriteMode) -> dict[str, str]:
    link = connection.link("PackageUpload")
    if link and "overwriteMode" not in link and "replace" in link:
        # Servers before 2019.7.9 know only ?replace=; IgnoreIfExists becomes "do not replace",
        # and the hash comparison after the 409 gives the ignore behaviour.
        return {"replace": "true" if mode == "OverwriteExisting" else "false"}
    return {"overwriteMode": mode}


def push_package(
    connection: Connection,
    path: Path,
    name: PackageName,
    *,
    mode: OverwriteMode = "FailIfExists",
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
    delta: bool = True,
) -> PushResult:
    """Upload one package file (already validated) and say what happened.

    With ``delta`` (the default) only a delta against the nearest earlier version is sent when
    the server offers one and it is worth it (:mod:`octoci.octopus.delta`); otherwise, or when
    anything about the delta fails, the whole file.

    :raises PackageConflictError: a different file is stored under the same id and version.
    :raises OctopusApiError: Octopus refused the upload.
    :raises OctopusConnectionError: Octopus could not be reached within the retry budget.
    """
    what = f"pushing {path.name}"
    settings = connection.settings
    params = _upload_params(connection, mode)
    local: dict[str, str] = {}
    size = path.stat().st_size
    transfer = progress.start(path.name, size) if progress is not None else None

    def sent(count: int) -> None:
        if progress is not None and transfer is not None:
            progress.advance(transfer, count)

    def existing_result(package: dict[str, Any], attempts: int) -> PushResult:
        server_hash = str(package.get("Hash") or "")
        if _same_content(package, path, local):
            return PushResult(
                path, name, size, "identical", local.get("sha1", ""), server_hash, attempts
            )
        message = (
            f"{name.id} {name.version} is already in Octopus with different content "
            f"(stored SHA1 {server_hash or '?'}, local {local.get('sha1') or file_sha1(path)})"
        )
        if mode == "IgnoreIfExists":
            warning = f"{message}; IgnoreIfExists kept the stored file, yours was NOT uploaded"
            log.warning("%s", warning)
            return PushResult(
                path,
                name,
                size,
                "ignored",
                local.get("sha1", ""),
                server_hash,
                attempts,
                (warning,),
            )
        raise PackageConflictError(
            f"{what} failed: {message}; give the new build a new version, or pass "
            "--overwrite-mode OverwriteExisting to replace it",
            status=409,
        )

    started = time.monotonic()
    attempt = 0
    try:
        if delta:
            from octoci.octopus.delta import push_delta

            uploaded = push_delta(connection, path, name, params=params, on_progress=sent)
            if uploaded is not None:
                local["sha1"] = uploaded.sha1
                if uploaded.status == 201:
                    server_hash = str(uploaded.resource.get("Hash") or "")
                    return PushResult(
                        path,
                        name,
                        size,
                        "created",
                        uploaded.sha1,
                        server_hash,
                        1,
                        delta=True,
                        bytes_sent=uploaded.delta_size,
                    )
                package = uploaded.resource or find_package(connection, name)
                if package:
                    done = existing_result(package, 1)
                    return replace(done, delta=True, bytes_sent=uploaded.delta_size)
            if progress is not None and transfer is not None:
                progress.restart(transfer)
        while True:
            attempt += 1
            if progress is not None and transfer is not None and attempt > 1:
                progress.restart(transfer)
            body = MultipartFile(path, filename=name.filename, on_progress=sent)
            try:
                response = connection.request(
                    "POST",
                    connection.space_path("/packages/raw"),
                    what=what,
                    params=params,
                    data=body,
                    headers={"Content-Type": body.content_type},
                    ok=(200, 201),
                    idempotent=False,
                    permission="BuiltInFeedPush",
                )
            except OctopusApiError as exc:
                if exc.status == 409:
                    package = find_package(connection, name)
                    if package is None:
                        raise
                    return existing_result(package, attempt)
                if exc.status in (500, 502, 504):
                    problem: str = str(exc)
                else:
                    raise
            except OctopusConnectionError as exc:
                if not exc.ambiguous:
                    raise
                problem = str(exc)
            except OSError as exc:  # the file changed or vanished while being sent
                raise OctociError(f"{what} failed: {exc}") from None
            else:
                try:
                    resource = response.json()
                except ValueError:
                    resource = {}
                if response.status_code == 200 and isinstance(resource, dict) and resource:
                    # 200 means "already there, left alone" (IgnoreIfExists).
                    return existing_result(resource, attempt)
                server_hash = str(resource.get("Hash") or "") if isinstance(resource, dict) else ""
                return PushResult(path, name, size, "created", "", server_hash, attempt)
            # The answer was lost: did the package land?
            log.warning("%s; checking whether the package arrived", problem)
            package = find_package(connection, name)
            if package is not None:
                if _same_content(package, path, local):
                    log.info("%s: the package arrived intact", what)
                    return PushResult(
                        path,
                        name,
                        size,
                        "created",
                        local["sha1"],
                        str(package.get("Hash")),
                        attempt,
                    )
                if mode != "OverwriteExisting":
                    return existing_result(package, attempt)
            elapsed = time.monotonic() - started
            wait = min(settings.backoff_max, settings.backoff_base * 2 ** (attempt - 1))
            wait *= 0.5 + random.random() / 2
            if elapsed + wait > settings.retry_budget:
                raise OctopusConnectionError(
                    f"{what} failed after {attempt} attempts in {elapsed:.0f} s and the package "
                    f"is not in Octopus: {problem}"
                )
            log.warning("%s: sending it again in %.1f s (attempt %d)", what, wait, attempt + 1)
            sleep(wait)
    finally:
        if progress is not None and transfer is not None:
            progress.finish(transfer)


@dataclass(frozen=True)
class PushFailure:
    """A package that could not be pushed."""

    path: Path
    error: OctociError


def push_packages(
    connection: Connection,
    files: Sequence[tuple[Path, PackageName]],
    *,
    mode: OverwriteMode = "FailIfExists",
    concurrency: int = 3,
    progress: Progress | None = None,
    delta: bool = True,
) -> tuple[list[PushResult], list[PushFailure]]:
    """Push several validated package files, at most ``concurrency`` at a time.

    Every file is attempted; results and failures come back in the order of ``files``.
    """
    connection.root()  # once, before the threads start, so failures surface once
    connection.space_id()
    results: list[PushResult | PushFailure] = []

    def one(item: tuple[Path, PackageName]) -> PushResult | PushFailure:
        path, name = item
        try:
            return push_package(connection, path, name, mode=mode, progress=progress, delta=delta)
        except OctociError as exc:
            return PushFailure(path, exc)

    if concurrency <= 1 or len(files) <= 1:
        results = [one(item) for item in files]
    else:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="octoci-push") as pool:
            results = list(pool.map(one, files))
    done = [r for r in results if isinstance(r, PushResult)]
    failed = [r for r in results if isinstance(r, PushFailure)]
    return done, failed
