"""Delta uploads: send Octopus only what changed since the nearest earlier version.

The flow is Octopus's own clients' (``octo push``; octopus-api.md section 4):

1. the root document must offer ``PackageDeltaSignature`` (older servers do not);
2. ``GET packages/{id}/{version}/delta-signature`` returns the Octodiff signature of the nearest
   earlier stored version and that ``BaseVersion`` (404: there is none);
3. the delta is built into a temporary file, and abandoned as soon as it is certain to exceed
   95 % of the package (the clients' "not worth it" rule), so an unrelated file costs a scan, not
   a full delta;
4. ``POST packages/{id}/{BaseVersion}/delta`` with the delta as the file part, named after the new
   package; the server rebuilds the package, checks its SHA-1 and stores it like an upload.

Anything unusable on the way (a corrupt or truncated signature, one for another file, a delta
the server refuses, a server error) ends in the caller's full upload, with one warning; the
server's check of the rebuilt file's SHA-1 means a bad delta can never leave a wrong package.
A delta whose answer was lost is not sent again as a whole file: the caller looks the package
up (:attr:`DeltaUpload.lost`). The caller also compares the stored ``Hash`` with the file's,
with the same check as a whole-file upload (``octoci.octopus.packages``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from octoci.octopus.connection import Connection
from octoci.octopus.errors import OctopusApiError, OctopusConnectionError, OctopusNotFoundError
from octoci.octopus.multipart import FileState, MultipartFile, check_unchanged
from octoci.package_names import PackageName
from octoci.progress import Phase

__all__ = ["NOT_WORTH_IT", "DeltaUpload", "push_delta"]

log = logging.getLogger("octoci")

#: Octopus's clients (C# and Go) upload the whole file when the delta exceeds 95 % of it.
NOT_WORTH_IT = 0.95


@dataclass(frozen=True)
class DeltaUpload:
    """A delta the server answered: 201 stored, 200 ignored (existing kept), 409 exists; or
    status 0: the delta was sent but its answer was lost (it may have been stored)."""

    status: int
    resource: dict[str, Any]
    base_version: str
    delta_size: int
    sha1: str
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def lost(self) -> bool:
        """True when the delta was sent but no answer came back: look the package up."""
        return self.status == 0


def _segment(text: str) -> str:
    return quote(text, safe="")


def _import_builder() -> None:
    from octoci.octodiff.builder import numpy_available

    numpy_available()


def _fetch_signature(
    connection: Connection, name: PackageName, label: str
) -> tuple[str, bytes] | None:
    """``(base version, signature bytes)``, or ``None`` (logged) when there is nothing to use."""
    from octoci.octodiff import OctodiffError, parse_signature

    path = connection.space_path(
        f"/packages/{_segment(name.id)}/{_segment(name.version)}/delta-signature"
    )
    try:
        answer = connection.get_json(path, what=f"requesting the delta signature for {label}")
    except OctopusNotFoundError:
        log.debug("%s: no earlier version in Octopus to build a delta against", label)
        return None
    except (OctopusApiError, OctopusConnectionError) as exc:
        log.warning("%s: no delta signature (%s); pushing the whole file", label, exc)
        return None
    base = answer.get("BaseVersion") if isinstance(answer, dict) else None
    encoded = answer.get("Signature") if isinstance(answer, dict) else None
    if not isinstance(base, str) or not base or not isinstance(encoded, str):
        log.warning(
            "%s: Octopus's delta signature answer has no Signature/BaseVersion; "
            "pushing the whole file",
            label,
        )
        return None
    try:
        signature = base64.b64decode(encoded, validate=True)
        parse_signature(signature)  # checked here so that a bad one costs no delta build
    except (binascii.Error, ValueError, OctodiffError) as exc:
        log.warning(
            "%s: the delta signature of %s from Octopus is unusable (%s); pushing the whole file",
            label,
            base,
            exc,
        )
        return None
    return base, signature


def push_delta(
    connection: Connection,
    path: Path,
    name: PackageName,
    *,
    params: Mapping[str, str],
    on_progress: Callable[[int], None] | None = None,
    expected: FileState | None = None,
    on_phase: Callable[[Phase], None] | None = None,
) -> DeltaUpload | None:
    """Push ``path`` as a delta against the nearest earlier version, if that is worth it.

    Returns the server's answer to the delta upload, or ``None`` when the whole file should be
    uploaded instead: no delta support or no earlier version (logged at info level), a delta
    above 95 % of the file (info), or anything unusable or refused on the way (one warning).

    :param params: the upload's overwrite parameters (``overwriteMode`` or legacy ``replace``).
    :param expected: the file's state when it was checked (default: now).
    :param on_phase: told each phase as it begins (the signature's download, the scan, the
        delta's upload and Octopus applying it); ``on_progress`` then counts that phase's bytes
        (scanned, then sent).
    :raises FileChangedError: the file changed while the delta was built from it (nothing sent).
    """
    from octoci.octodiff import DeltaTooLargeError, OctodiffError, build_delta, parse_signature

    label = path.name
    if not connection.link("PackageDeltaSignature"):
        log.info("%s: this Octopus does not take delta uploads", label)
        return None
    expected = expected if expected is not None else FileState.of(path)
    size = expected.size

    def enter(phase: Phase) -> None:
        if on_phase is not None:
            on_phase(phase)

    started = time.monotonic()
    enter(Phase("downloading the delta signature"))
    # Import the delta builder (NumPy: ~0.15 s) while Octopus computes the signature, rather
    # than after it arrives; the import lock makes the later import wait for this one.
    threading.Thread(target=_import_builder, name="octoci-delta-import", daemon=True).start()
    fetched = _fetch_signature(connection, name, label)
    if fetched is None:
        return None
    base_version, signature_bytes = fetched
    timings = {"signature": time.monotonic() - started}
    handle, temporary = tempfile.mkstemp(prefix="octoci-", suffix=".octodelta")
    os.close(handle)
    delta_path = Path(temporary)
    try:
        started = time.monotonic()
        enter(Phase(f"computing the delta against {base_version}", size, unit="scanned"))
        try:
            with delta_path.open("w+b") as out:
                stats = build_delta(
                    path,
                    parse_signature(signature_bytes),
                    out,
                    limit=int(size * NOT_WORTH_IT),
                    on_scanned=on_progress,
                )
        except DeltaTooLargeError:
            log.info(
                "%s: a delta against %s would exceed %d %% of the file; pushing the whole file",
                label,
                base_version,
                round(NOT_WORTH_IT * 100),
            )
            return None
        except (OctodiffError, OSError) as exc:
            log.warning("%s: could not build a delta (%s); pushing the whole file", label, exc)
            return None
        timings["delta"] = time.monotonic() - started
        # The delta promises the SHA-1 of what was read: a file rewritten meanwhile must not go.
        check_unchanged(path, expected, when="while a delta was being built from it")
        log.info(
            "%s: delta against %s is %d bytes (%.2f %% of %d) after %.2f s",
            label,
            base_version,
            stats.delta_size,
            100 * stats.delta_size / max(size, 1),
            size,
            timings["delta"],
        )
        started = time.monotonic()
        enter(
            Phase(
                f"delta against {base_version}",
                stats.delta_size,
                waiting=f"Octopus is applying the delta against {base_version}",
            )
        )
        body = MultipartFile(delta_path, filename=name.filename, on_progress=on_progress)
        try:
            response = connection.request(
                "POST",
                connection.space_path(
                    f"/packages/{_segment(name.id)}/{_segment(base_version)}/delta"
                ),
                what=f"pushing {label} as a delta against {base_version}",
                params=dict(params),
                data=body,
                headers={"Content-Type": body.content_type},
                ok=(200, 201),
                idempotent=False,
                permission="BuiltInFeedPush",
            )
        except OctopusApiError as exc:
            if exc.status == 409:
                return DeltaUpload(409, {}, base_version, stats.delta_size, stats.sha1.hex())
            log.warning("%s: Octopus refused the delta (%s); pushing the whole file", label, exc)
            return None
        except OctopusConnectionError as exc:
            if exc.ambiguous:
                # It may have been stored: the caller looks before sending anything again.
                log.warning("%s; checking whether the package arrived", exc)
                return DeltaUpload(0, {}, base_version, stats.delta_size, stats.sha1.hex())
            log.warning("%s: the delta upload failed (%s); pushing the whole file", label, exc)
            return None
        timings["upload"] = time.monotonic() - started
        log.info(
            "%s: delta push phases: signature %.2f s (Octopus building it included), delta "
            "%.2f s, upload and Octopus's patch and check %.2f s",
            label,
            timings["signature"],
            timings["delta"],
            timings["upload"],
        )
        try:
            resource = response.json()
        except ValueError:
            resource = {}
        if not isinstance(resource, dict):
            resource = {}
        return DeltaUpload(
            response.status_code,
            resource,
            base_version,
            stats.delta_size,
            stats.sha1.hex(),
            timings,
        )
    finally:
        with contextlib.suppress(OSError):
            delta_path.unlink()
