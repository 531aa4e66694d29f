"""Delta uploads: ``GET packages/{id}/{version}/delta-signature`` and
``POST packages/{id}/{baseVersion}/delta`` (Octopus's delta compression, see
``docs/delta-uploads.md``).

The signature is the Octodiff signature of the nearest stored version below the one the client
is about to push, computed once per stored file (cached by its SHA-1). An uploaded delta is
applied to the stored base version while the result streams to a temporary file and is hashed;
only a result whose SHA-1 is the one the delta promises is stored, through the same path (and
overwrite rules) as a normal upload. So a bad delta can never leave a corrupted package behind.
The result may not grow past :func:`rebuilt_size_limit` (checked as it is written), and the
delta must name the package of the route it is posted to.
"""

from __future__ import annotations

import base64
import contextlib
import re
import uuid
from pathlib import Path

from octoci.package_names import (
    canonical_version,
    parse_package_filename,
    validate_version,
    version_key,
)
from octoci_emulator.api_packages import (
    overwrite_mode,
    package_file,
    package_key,
    receive_file,
    store_package,
)
from octoci_emulator.errors import BadRequest, NotFound
from octoci_emulator.package_files import Sink, package_folder
from octoci_emulator.routes import Request, Response, Router
from octoci_emulator.store import Document

__all__ = [
    "DELTA_SINCE",
    "delta_links",
    "patch_into",
    "rebuilt_size_limit",
    "register",
    "supports_delta",
]

#: Servers advertise delta compression from about 2018.9 (octopus-api.md section 4.3, an
#: estimate); an emulator seeded with an older ``version`` behaves like an old server.
DELTA_SINCE = (2018, 9)
_NO_DELTA = "A delta file must be provided"
_EMPTY_DELTA = "The uploaded delta file had length equal to 0. Please upload a non-empty file."


def supports_delta(version: str) -> bool:
    """Whether a server of this version offers delta uploads."""
    numbers = re.findall(r"\d+", version)[:2]
    if len(numbers) < 2:
        return True
    return (int(numbers[0]), int(numbers[1])) >= DELTA_SINCE


def delta_links(space_id: str) -> dict[str, str]:
    """The root document links that tell clients delta uploads are available."""
    base = f"/api/{space_id}/packages"
    return {
        "PackageDeltaSignature": f"{base}/{{packageId}}/{{version}}/delta-signature",
        "PackageDeltaUpload": f"{base}/{{packageId}}/{{baseVersion}}/delta{{?overwriteMode}}",
    }


def _require_support(request: Request) -> None:
    if not supports_delta(request.app.config.version):
        raise NotFound(f"There is no resource at {request.path}.")


def _nearest_below(request: Request, package_id: str, version: str) -> Document | None:
    """The stored version of ``package_id`` closest below ``version`` (Octopus: "the nearest
    previous version")."""
    wanted = version_key(version)
    older = [
        p
        for p in request.app.store.list("package", request.space_id)
        if p["PackageId"].lower() == package_id.lower() and version_key(p["Version"]) < wanted
    ]
    return max(older, key=lambda p: version_key(p["Version"]), default=None)


def _signature_file(request: Request, package: Document) -> Path:
    """The stored package's signature, built on first use and kept next to the files."""
    from octoci.octodiff import build_signature

    directory = request.app.root / "signatures"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{package['Hash']}.octosig"
    if not path.is_file():
        partial = directory / f"{uuid.uuid4().hex}.part"
        try:
            with package_file(request, package).open("rb") as source, partial.open("wb") as out:
                build_signature(source, out)
            partial.replace(path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
    return path


def _signature(request: Request) -> Response:
    _require_support(request)
    request.require("BuiltInFeedPush")
    package_id, version = request.params["id"], request.params["version"]
    problem = validate_version(version)
    if problem is not None:
        raise BadRequest(f"Invalid semantic version supplied: {problem}.")
    base = _nearest_below(request, package_id, version)
    if base is None:
        raise NotFound(f"No earlier version of package '{package_id}' was found.")
    signature = _signature_file(request, base).read_bytes()
    return Response(
        body={"Signature": base64.b64encode(signature).decode(), "BaseVersion": base["Version"]}
    )


def _apply(request: Request) -> Response:
    from octoci.octodiff import OctodiffError

    _require_support(request)
    request.require("BuiltInFeedPush")
    package_id, base_version = request.params["id"], request.params["baseVersion"]
    mode = overwrite_mode(request)
    if validate_version(base_version) is not None:
        raise BadRequest("Invalid semantic version supplied.")
    filename, delta = receive_file(
        request, no_file=_NO_DELTA, empty=_EMPTY_DELTA, directory=request.app.store.incoming
    )
    rebuilt: Sink | None = None
    try:
        named = parse_package_filename(filename)
        assert named is not None  # receive_file validated the name
        if named.id.lower() != package_id.lower():
            raise BadRequest(
                f"The delta file is named for package '{named.id}', but was posted to the "
                f"delta route of package '{package_id}'; post it to its own package's route."
            )
        base = request.app.store.by_key(
            "package", request.space_id, package_key(package_id, base_version)
        )
        if base is None:
            raise NotFound(
                f"The base package {package_id} {canonical_version(base_version)} was not found."
            )
        rebuilt = Sink(package_folder(request.app.store, request.space_id))
        try:
            patch_into(
                rebuilt,
                package_file(request, base),
                delta.path,
                max_size=rebuilt_size_limit(base, delta.size),
            )
        except OctodiffError as exc:
            raise BadRequest(f"The delta file could not be applied: {exc}.") from None
        if rebuilt.size == 0:
            raise BadRequest(_EMPTY_DELTA)
        return store_package(request, mode, filename, rebuilt)
    finally:
        if rebuilt is not None:
            rebuilt.discard()  # a no-op once the rebuilt file was stored
        delta.discard()


def patch_into(sink: Sink, basis: Path, delta: Path, *, max_size: int | None = None) -> None:
    """Apply ``delta`` to ``basis`` into ``sink`` (hashed, synced as it grows), then close it.

    :raises OctodiffError: the delta does not apply, or the result is not the file it promises.
    """
    from octoci.octodiff import apply_delta

    with basis.open("rb") as base, delta.open("rb") as body:
        apply_delta(
            base,
            body,
            sink.write,
            max_size=max_size,
            digest=sink.sha1,  # the sink hashes what it writes: hash once
        )
    sink.close()


def rebuilt_size_limit(base: Document, delta_size: int) -> int:
    """The most a delta may rebuild: its own size (all of it literal data) plus twice the base
    version's size (every base byte copied twice, for content the new version repeats).

    A delta of a few kilobytes can otherwise ask for any amount of output with repeated copy
    commands; what passes the limit is refused as it is written, before the SHA-1 check.
    """
    return delta_size + 2 * int(base["PackageSizeBytes"])


def register(router: Router) -> None:
    """Add the delta compression routes."""
    router.add("GET", "/packages/{id}/{version}/delta-signature", _signature)
    router.add("POST", "/packages/{id}/{baseVersion}/delta", _apply)
