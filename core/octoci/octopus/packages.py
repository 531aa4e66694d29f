"""Pushing packages to the built-in feed: streamed, concurrent, safe to re-run.

Re-running a CI job must not fail because its package is already there, and must never keep a
*different* file under the same version without saying so. So after a 409 (or a 200 "ignored")
the stored package's SHA1 and size are compared with the local file's:

* identical: success, reported as "already there";
* different, ``FailIfExists`` (the default): an error naming both hashes;
* different, ``IgnoreIfExists``: the user asked for it; a warning, never silence.

After an upload whose answer was lost (timeout, dropped connection, 5xx from a proxy), the
package is looked up before trying again: if it landed with our content the push succeeded.

Every stored package is verified: the SHA-1 of the bytes actually sent (hashed while sending,
by :class:`~octoci.octopus.multipart.MultipartFile` or the delta builder) must be the ``Hash``
Octopus stored (from its answer, or looked up when the answer has none), whether the file went
whole or as a delta (:func:`verify_stored`). A mismatch means the data was damaged on the way:
the copy Octopus just created from our request is replaced once by sending the file again with
``OverwriteExisting`` (only while the look-up shows that very copy; nobody else's package is
replaced), and a second mismatch is an error naming both hashes. A file that changes while it
is read (size, modification time, or another file under the name) is refused.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from octoci.errors import InputError, OctociError
from octoci.files import display_path
from octoci.model import Package, PackageOutcome
from octoci.octopus.connection import Connection
from octoci.octopus.errors import (
    OctopusApiError,
    OctopusConnectionError,
    OctopusNotFoundError,
    PackageConflictError,
)
from octoci.octopus.multipart import FileChangedError, FileState, MultipartFile, check_unchanged
from octoci.package_names import (
    PackageName,
    canonical_version,
    parse_package_filename,
    split_extension,
)
from octoci.progress import Phase, Progress
from octoci.repositories.overwrite import predicted_outcome, settle_existing

if TYPE_CHECKING:
    from octoci.octopus.dryrun import DryRunConnection

__all__ = [
    "OVERWRITE_MODES",
    "OverwriteMode",
    "PushFailure",
    "StoredHashMismatchError",
    "file_sha1",
    "find_package",
    "package_versions",
    "parse_overwrite_mode",
    "predict_push",
    "push_package",
    "push_packages",
    "validate_package_files",
    "verify_stored",
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


def parse_overwrite_mode(text: str) -> OverwriteMode:
    """An overwrite mode from Octopus's names or the Go CLI's aliases (``fail``, ``overwrite``,
    ``ignore``), case-insensitive."""
    try:
        return _ALIASES[text.strip().lower()]
    except KeyError:
        raise InputError(
            f"unknown overwrite mode {text!r}; use FailIfExists, OverwriteExisting or IgnoreIfExists"
        ) from None


class StoredHashMismatchError(OctociError):
    """Octopus stored bytes whose SHA-1 is not that of the bytes sent, also after sending them
    again (exit code 1)."""


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
        try:
            path.name.encode("utf-8")
        except UnicodeEncodeError:
            problems.append(
                f"{display_path(path.name)}: the file name is not valid UTF-8, which Octopus cannot store; "
                "rename the file"
            )
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
        problem = _unreadable(path)
        if problem:
            problems.append(problem)
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


def _unreadable(path: Path) -> str:
    """Why ``path`` cannot be pushed as a file (cannot be opened, not a regular file, empty), or
    ``""``. It is opened for real: permissions, ACLs and security modules all have their say,
    before anything is sent (a read that fails mid-upload looks like a network failure)."""
    try:
        # Non-blocking, so that a FIFO under a package's name cannot hang the check.
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return f"{path}: cannot be read ({exc.strerror or exc}); check its permissions"
    try:
        status = os.fstat(handle)
    finally:
        os.close(handle)
    if not stat.S_ISREG(status.st_mode):
        return f"{path}: is not a regular file (a pipe, socket or device); push a file"
    if status.st_size == 0:
        return f"{path}: the file is empty"
    return ""


def _file_error(what: str, path: Path, error: OSError) -> OctociError:
    """The one-line error for a package file that failed while being read for sending."""
    if isinstance(error, FileChangedError):
        return OctociError(
            f"{what} refused: {error}; nothing was stored from it. Push again once the file is "
            "complete (a build step may still be writing it)"
        )
    if isinstance(error, PermissionError):
        return InputError(
            f"{what} failed: {path}: cannot be read ({error.strerror or error}); "
            "check its permissions"
        )
    if isinstance(error, FileNotFoundError):
        return OctociError(f"{what} refused: {path} was removed while it was being sent")
    return OctociError(f"{what} failed: reading {path}: {error.strerror or error}")


def _hash_of(package: Mapping[str, Any] | None) -> str:
    return str((package or {}).get("Hash") or "").strip().lower()


def _other_package(answer: Mapping[str, Any], name: PackageName) -> str:
    """``"Id Version"`` when an upload's answer describes another package than ``name`` (the
    file name was damaged on the way), else ``""``."""
    package_id, version = answer.get("PackageId"), answer.get("Version")
    if not isinstance(package_id, str) or not isinstance(version, str):
        return ""
    if package_id.lower() == name.id.lower() and canonical_version(version) == canonical_version(
        name.version
    ):
        return ""
    return f"{package_id} {version}"


def verify_stored(
    connection: Connection, name: PackageName, sent_sha1: str, answer: Mapping[str, Any]
) -> tuple[str, bool]:
    """What Octopus stored after it answered an upload (whole or delta) with ``answer``:
    ``(stored SHA-1, replaceable)``; the push is verified when the SHA-1 is ``sent_sha1``.

    The SHA-1 is the answer's ``Hash``, or the package's when it is looked up: when the answer
    has none, and when it differs from ``sent_sha1`` (a second reading; the answer may be what
    was damaged). ``replaceable`` is True when the look-up shows the very copy the answer
    described (or the answer named none): the copy our request created, which may be replaced
    by sending again. ``""``: Octopus reports no hash at all.
    """
    answered = _hash_of(answer)
    if answered and answered == sent_sha1:
        return answered, True
    looked = _hash_of(find_package(connection, name))
    if not answered or looked == sent_sha1:
        return looked, True
    return (looked or answered), looked in ("", answered)


def package_versions(connection: Connection, package_id: str) -> list[str]:
    """Every version of ``package_id`` the built-in feed holds, as Octopus lists them."""
    found = connection.get_json(
        connection.space_path("/packages"),
        what=f"looking up package {package_id}",
        params={"nuGetPackageId": package_id, "take": 2147483647},
    )
    return [
        str(p.get("Version"))
        for p in found.get("Items") or []
        if isinstance(p, dict) and str(p.get("PackageId", package_id)).lower() == package_id.lower()
    ]


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


def _conflict(message: str) -> OctociError:
    return PackageConflictError(message, status=409)


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
) -> Package:
    """Upload one package file (already validated) and say what happened.

    With ``delta`` (the default) only a delta against the nearest earlier version is sent when
    the server offers one and it is worth it (:mod:`octoci.octopus.delta`); otherwise, or when
    anything about the delta fails, the whole file. Either way the stored package's SHA-1 is
    compared with that of the bytes sent (:func:`verify_stored`).

    :raises PackageConflictError: a different file is stored under the same id and version.
    :raises StoredHashMismatchError: Octopus stored other bytes than those sent, twice.
    :raises InputError: the file cannot be read.
    :raises OctociError: the file changed while it was being pushed.
    :raises OctopusApiError: Octopus refused the upload.
    :raises OctopusConnectionError: Octopus could not be reached within the retry budget.
    """
    what = f"pushing {path.name}"
    settings = connection.settings
    params = _upload_params(connection, mode)
    local: dict[str, str] = {}
    try:
        expected = FileState.of(path)
    except OSError as exc:
        raise _file_error(what, path, exc) from None
    size = expected.size
    transfer = progress.start(path.name, size) if progress is not None else None

    def sent(count: int) -> None:
        if progress is not None and transfer is not None:
            progress.advance(transfer, count)

    def entered(phase: Phase) -> None:
        # The delta's phases (signature, scan, upload, Octopus applying it), each counted anew.
        if progress is not None and transfer is not None:
            progress.enter(transfer, phase)

    def result(outcome: PackageOutcome, **details: Any) -> Package:
        return Package(path, name.id, name.version, size, outcome=outcome, **details)

    def existing_result(package: dict[str, Any], attempts: int) -> Package:
        server_hash = str(package.get("Hash") or "")
        same = _same_content(package, path, local)  # hashes the file (once) when needed
        found = {"sha1": local.get("sha1", ""), "server_hash": server_hash, "attempts": attempts}
        if same:
            return result("identical", **found)
        # Octopus refused to replace it: with OverwriteExisting too, the stored copy stays.
        decided = settle_existing(
            what=what,
            package_id=name.id,
            version=name.version,
            place="in Octopus",
            stored_sha1=server_hash,
            local_sha1=local.get("sha1") or file_sha1(path),
            mode="IgnoreIfExists" if mode == "IgnoreIfExists" else "FailIfExists",
            error=_conflict,
        )
        assert decided is not None  # never None but for OverwriteExisting
        outcome, warning = decided
        log.warning("%s", warning)
        return result(outcome, **found, warnings=(warning,))

    def created(sha1: str, stored: str, attempts: int, **details: Any) -> Package:
        # Octopus holds what was sent; it must also still be the file the user named.
        try:
            check_unchanged(path, expected, when="while it was being pushed")
        except FileChangedError as exc:
            raise OctociError(
                f"{what} refused: {exc}. Octopus now holds the file as it was read (SHA-1 "
                f"{stored or sha1}), which may be neither version: push again with "
                "--overwrite-mode OverwriteExisting once the file is complete"
            ) from None
        if not stored:
            warning = (
                f"{what}: Octopus did not report the stored package's SHA-1, so the upload could "
                "not be verified"
            )
            log.warning("%s", warning)
            notes.append(warning)
        return result(
            "created",
            sha1=sha1,
            server_hash=stored,
            attempts=attempts,
            warnings=tuple(notes),
            **details,
        )

    def mismatch(stored: str, sent_sha1: str) -> str:
        return (
            f"Octopus stored {name.id} {name.version} with SHA-1 {stored}, but the bytes sent "
            f"have SHA-1 {sent_sha1}: the data was damaged on the way"
        )

    # The SHA-1 of a corrupt copy our own upload created, once a re-send replaces it.
    replacing = ""
    # The package an upload was stored as by mistake (its name damaged), once re-sent.
    misnamed = ""
    notes: list[str] = []
    started = time.monotonic()
    attempt = 0
    try:
        if delta:
            from octoci.octopus.delta import push_delta

            try:
                uploaded = push_delta(
                    connection,
                    path,
                    name,
                    params=params,
                    on_progress=sent,
                    expected=expected,
                    on_phase=entered,
                )
            except FileChangedError as exc:
                raise _file_error(what, path, exc) from None
            if uploaded is not None:
                local["sha1"] = uploaded.sha1
                as_delta: dict[str, Any] = {"delta": True, "bytes_sent": uploaded.delta_size}
                other = _other_package(uploaded.resource, name)
                if uploaded.status == 201 and other:
                    warning = (
                        f"{what}: Octopus stored the delta as {other}, not {name.id} "
                        f"{name.version}; that package was created by mistake and can be "
                        "deleted in Octopus"
                    )
                    log.warning("%s; sending the whole file", warning)
                    notes.append(warning)
                    misnamed = other
                elif uploaded.status == 201:
                    stored, replaceable = verify_stored(
                        connection, name, uploaded.sha1, uploaded.resource
                    )
                    if not stored or stored == uploaded.sha1:
                        return created(uploaded.sha1, stored, 1, **as_delta)
                    if not replaceable:
                        raise StoredHashMismatchError(
                            f"{what} failed: {mismatch(stored, uploaded.sha1)}, and the copy "
                            "changed since; check the package in Octopus"
                        )
                    log.warning(
                        "%s: %s; sending the whole file to replace that copy",
                        what,
                        mismatch(stored, uploaded.sha1),
                    )
                    replacing = stored
                    params = _upload_params(connection, "OverwriteExisting")
                elif uploaded.lost:
                    # The delta may have been stored: re-sending it whole would meet it and
                    # report "identical" for a package this very push created.
                    package = find_package(connection, name)
                    if package is not None:
                        if _hash_of(package) == uploaded.sha1:
                            log.info("%s: the delta arrived intact", what)
                            return created(uploaded.sha1, _hash_of(package), 1, **as_delta)
                        if mode != "OverwriteExisting":
                            return replace(existing_result(package, 1), **as_delta)
                else:
                    package = uploaded.resource or find_package(connection, name)
                    if package:
                        return replace(existing_result(package, 1), **as_delta)
            if progress is not None and transfer is not None:
                progress.restart(transfer)
        while True:
            attempt += 1
            if progress is not None and transfer is not None and attempt > 1:
                progress.restart(transfer)
            body = MultipartFile(path, filename=name.filename, on_progress=sent, expected=expected)
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
                if replacing and exc.status in (401, 403):
                    raise StoredHashMismatchError(
                        f"{what} failed: {mismatch(replacing, local.get('sha1', '?'))}, and "
                        f"replacing that copy was refused ({exc})"
                    ) from None
                if exc.status in (500, 502, 504):
                    problem: str = str(exc)
                else:
                    raise
            except OctopusConnectionError as exc:
                # requests reports a failure to read the file as a connection error.
                if body.failure is not None:
                    raise _file_error(what, path, body.failure) from None
                if not exc.ambiguous:
                    raise
                problem = str(exc)
            except OSError as exc:  # the file failed while being sent, reported as itself
                raise _file_error(what, path, exc) from None
            else:
                try:
                    resource = response.json()
                except ValueError:
                    resource = {}
                if not isinstance(resource, dict):
                    resource = {}
                other = _other_package(resource, name)
                if other:
                    # Octopus created another package from our bytes: ours is not there yet.
                    warning = (
                        f"{what}: Octopus stored the upload as {other}, not {name.id} "
                        f"{name.version} (the request was damaged on the way); that package was "
                        "created by mistake and can be deleted in Octopus"
                    )
                    if misnamed or replacing:
                        raise StoredHashMismatchError(
                            f"{warning}; giving up after {attempt} attempts"
                        )
                    log.warning("%s; sending the file again", warning)
                    notes.append(warning)
                    misnamed = other
                    continue
                if response.status_code == 200 and resource:
                    # 200 means "already there, left alone" (IgnoreIfExists).
                    return existing_result(resource, attempt)
                # Always set (the server read the whole body); the file itself as a last resort.
                sent_sha1 = body.sha1 or file_sha1(path)
                local["sha1"] = sent_sha1
                stored, replaceable = verify_stored(connection, name, sent_sha1, resource)
                if not stored or stored == sent_sha1:
                    return created(sent_sha1, stored, attempt)
                if replacing or misnamed or not replaceable:
                    raise StoredHashMismatchError(
                        f"{what} failed: {mismatch(stored, sent_sha1)} ({attempt} attempts); the "
                        "copy in Octopus is not your file: push again with --overwrite-mode "
                        "OverwriteExisting, or delete it in Octopus"
                    )
                log.warning(
                    "%s: %s; sending it again to replace that copy",
                    what,
                    mismatch(stored, sent_sha1),
                )
                replacing = stored
                params = _upload_params(connection, "OverwriteExisting")
                continue  # at once: nothing to wait for
            # The answer was lost: did the package land?
            log.warning("%s; checking whether the package arrived", problem)
            package = find_package(connection, name)
            if package is not None:
                # The bytes of this attempt if they all went out, else the file's.
                ours = body.sha1 or local.get("sha1") or file_sha1(path)
                local.setdefault("sha1", ours)
                if _hash_of(package) == ours:
                    log.info("%s: the package arrived intact", what)
                    return created(ours, _hash_of(package), attempt)
                overwriting = mode == "OverwriteExisting" or _hash_of(package) == replacing
                if not overwriting:
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
    push: Callable[[Path, PackageName], Package] | None = None,
) -> tuple[list[Package], list[PushFailure]]:
    """Push several validated package files, at most ``concurrency`` at a time.

    Every file is attempted; results and failures come back in the order of ``files``.
    ``push`` pushes one file instead of :func:`push_package` (the push step routes each
    package to its repository, :mod:`octoci.repositories`).
    """
    connection.root()  # once, before the threads start, so failures surface once
    connection.space_id()
    results: list[Package | PushFailure] = []

    def one(item: tuple[Path, PackageName]) -> Package | PushFailure:
        path, name = item
        try:
            if push is not None:
                return push(path, name)
            return push_package(connection, path, name, mode=mode, progress=progress, delta=delta)
        except OctociError as exc:
            return PushFailure(path, exc)

    if concurrency <= 1 or len(files) <= 1:
        results = [one(item) for item in files]
    else:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="octoci-push") as pool:
            results = list(pool.map(one, files))
    done = [r for r in results if isinstance(r, Package)]
    failed = [r for r in results if isinstance(r, PushFailure)]
    return done, failed


def predict_push(
    connection: DryRunConnection, path: Path, name: PackageName, mode: OverwriteMode
) -> Package:
    """What pushing ``path`` would do (a dry run): the file compared with the package Octopus
    holds, the upload recorded on ``connection`` instead of sent. ``server_hash`` is the stored
    package's hash when there is one.

    :raises OctociError: a different file is stored and ``mode`` is FailIfExists (a real run
        would fail).
    """
    size = path.stat().st_size
    sha1 = file_sha1(path)
    stored = find_package(connection, name)
    stored_hash = _hash_of(stored)
    outcome: PackageOutcome = predicted_outcome(
        file_name=path.name,
        package_id=name.id,
        version=name.version,
        place="in Octopus",
        stored_sha1=stored_hash if stored is not None else None,
        local_sha1=sha1,
        mode=mode,
    )
    connection.record_upload(path.name, size, sha1, {"overwriteMode": mode})
    return Package(
        path, name.id, name.version, size, outcome=outcome, sha1=sha1, server_hash=stored_hash
    )
