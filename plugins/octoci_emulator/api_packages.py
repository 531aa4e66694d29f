"""The built-in feed: ``POST packages/raw`` (streamed multipart), listing, lookup, download, delete.

An upload is streamed to a ``.part`` file in its space's folder while its SHA1 is computed, then
committed with its row in one crash-safe step (:mod:`octoci_emulator.package_files`), so a failed,
refused or interrupted upload never leaves a file in the store, and a crash never leaves a row
that does not match its file.
"""

from __future__ import annotations

from pathlib import Path

from octoci.package_names import (
    EXTENSIONS,
    MAX_ID_LENGTH,
    canonical_version,
    parse_package_filename,
    split_extension,
    validate_version,
    version_key,
)
from octoci_emulator.errors import BadRequest, Conflict, NotFound
from octoci_emulator.multipart import MalformedMultipart, MultipartReader, boundary_from
from octoci_emulator.package_files import (
    Sink,
    commit_package,
    package_folder,
    remove_file,
    stored_path,
)
from octoci_emulator.resources import iso_time, public
from octoci_emulator.routes import Request, Response, Router
from octoci_emulator.store import Document

__all__ = [
    "overwrite_mode",
    "package_file",
    "package_key",
    "receive_file",
    "register",
    "store_package",
]

_MODES = {
    "failifexists": "FailIfExists",
    "overwriteexisting": "OverwriteExisting",
    "ignoreifexists": "IgnoreIfExists",
}
_EXISTS_MESSAGE = (
    "A package with the same name and version already exists. To proceed anyway, specify an "
    "overwriteMode of OverwriteExisting or IgnoreIfExists."
)
_NO_FILE = "A package file must be provided"
_EMPTY = "The uploaded package file had length equal to 0. Please upload a non-empty file."
_MAX_FILENAME = 255


def overwrite_mode(request: Request, body_mode: str = "") -> str:
    """The overwrite mode from ``?overwriteMode=``, the legacy ``?replace=`` or the JSON body."""
    mode = request.arg("overwriteMode") or body_mode
    if mode:
        try:
            return _MODES[mode.strip().lower()]
        except KeyError:
            raise BadRequest(
                f"The value '{mode}' is not valid for overwriteMode. Use FailIfExists, "
                "OverwriteExisting or IgnoreIfExists."
            ) from None
    replace = request.arg("replace").strip().lower()
    if replace in {"", "false"}:
        return "FailIfExists"
    if replace == "true":
        return "OverwriteExisting"
    raise BadRequest(f"The value '{replace}' is not valid for replace.")


def package_key(package_id: str, version: str) -> str:
    """The unique key of a package version: the id lower-cased, the version canonical."""
    return f"{package_id.lower()}|{canonical_version(version)}"


def package_file(request: Request, package: Document) -> Path:
    """Where a stored package's file lives."""
    return stored_path(request.app.store, package)


def _filename_problems(filename: str) -> list[str]:
    if len(filename) > _MAX_FILENAME:
        return ["Package Name is too long."]
    split = split_extension(filename)
    if split is None:
        return [
            f"The package file name '{filename}' does not have a supported extension. Supported "
            f"extensions: {', '.join(EXTENSIONS)}."
        ]
    name = parse_package_filename(filename)
    if name is None:
        return [
            f"The package file name '{filename}' is not in the form PackageId.Version.extension: "
            "the package ID contains invalid characters or the version is not a valid semantic "
            "version."
        ]
    if len(name.id) > MAX_ID_LENGTH:
        return ["Package Name is too long."]
    problem = validate_version(name.version)
    if problem is not None:
        return [f"Invalid semantic version supplied: {problem}."]
    return []


def receive_file(
    request: Request,
    *,
    no_file: str = _NO_FILE,
    empty: str = _EMPTY,
    directory: Path | None = None,
) -> tuple[str, Sink]:
    """Stream the first file part to a temporary file: ``(filename, sink)``; 400 otherwise.

    The file name must be a valid package file name (a delta upload names the new package). The
    temporary file goes to ``directory`` (default: the space's package folder, so the commit is a
    rename within one folder). Whatever goes wrong, including a client that goes away mid-body,
    the temporary file is removed before the error propagates.
    """
    boundary = boundary_from(request.headers.get("Content-Type") or "")
    if boundary is None:
        raise BadRequest(no_file, "The request must be multipart/form-data with a file part.")
    reader = MultipartReader(request.body, boundary)
    sink: Sink | None = None
    filename = ""
    try:
        while (part := reader.next_part()) is not None:
            if part.filename is None or sink is not None:
                reader.read_part(None)  # other parts (and later files) are ignored
                continue
            filename = part.filename
            problems = _filename_problems(filename) if filename else [no_file]
            if problems:
                reader.read_part(None)
                reader.drain()
                raise BadRequest(*problems)
            sink = Sink(directory or package_folder(request.app.store, request.space_id))
            reader.read_part(sink.write)
            sink.close()
    except BaseException as exc:
        if sink is not None:
            sink.discard()
        if isinstance(exc, MalformedMultipart):
            raise BadRequest(f"The multipart body is malformed: {exc}.") from exc
        raise
    if sink is None:
        raise BadRequest(no_file)
    if sink.size == 0:
        sink.discard()
        raise BadRequest(empty)
    return filename, sink


def _resource(package: Document) -> Document:
    return public(package)


def _upload(request: Request) -> Response:
    request.require("BuiltInFeedPush")
    mode = overwrite_mode(request)
    filename, sink = receive_file(request)
    return store_package(request, mode, filename, sink)


def store_package(request: Request, mode: str, filename: str, sink: Sink) -> Response:
    """Store a received package file under the overwrite rules (201/200/409); the sink's file
    is committed with its row in one crash-safe step, or removed."""
    name = parse_package_filename(filename)
    assert name is not None  # receive_file validated the name
    app = request.app
    space_id = request.space_id
    key = package_key(name.id, name.version)
    ignored: list[Document] = []

    def build() -> tuple[Document, str, Document | None] | None:
        existing = app.store.by_key("package", space_id, key)
        if existing is not None:
            if mode == "FailIfExists":
                raise Conflict(_EXISTS_MESSAGE)
            if mode == "IgnoreIfExists":
                ignored.append(existing)
                return None
            request.require("BuiltInFeedAdminister")
        package_id = existing["Id"] if existing else f"packages-{name.id}.{name.version}"
        package: Document = {
            "Id": package_id,
            "SpaceId": space_id,
            "PackageId": name.id,
            "Version": name.version,
            "FileExtension": name.extension,
            "PackageSizeBytes": sink.size,
            "Hash": sink.sha1.hexdigest(),
            "FeedId": "feeds-builtin",
            "NuGetPackageId": name.id,
            "NuGetFeedId": "feeds-builtin",
            "Title": None,
            "Summary": None,
            "Description": None,
            "ReleaseNotes": None,
            "Published": iso_time(),
            "PackageVersionBuildInformation": None,
            "LastModifiedOn": None,
            "LastModifiedBy": None,
            "Links": {
                "Self": f"/api/{space_id}/packages/{package_id}",
                "Raw": f"/api/{space_id}/packages/{package_id}/raw",
            },
        }
        return package, key, existing

    try:
        stored = commit_package(app.store, sink, build)
    finally:
        sink.discard()  # a no-op once the file was committed
    if stored is None:
        return Response(status=200, body=_resource(ignored[0]))
    from octoci_emulator.executions import auto_create_release

    auto_create_release(app, stored)
    return Response(status=201, body=_resource(_with_build_information(request, stored)))


def _with_build_information(request: Request, package: Document) -> Document:
    info = request.app.store.by_key(
        "buildinfo", package["SpaceId"], package_key(package["PackageId"], package["Version"])
    )
    if info is None:
        return package
    return {**package, "PackageVersionBuildInformation": public(info)}


def _find(request: Request, ident: str) -> Document:
    store = request.app.store
    package = store.get("package", ident)
    if package is None:
        # ``{packageId}.{version}`` (C# client) and ``packages-`` ids with a differently written
        # but equal version (1.0.0.0 == 1.0.0) are found too.
        stem = ident[len("packages-") :] if ident.lower().startswith("packages-") else ident
        name = parse_package_filename(f"{stem}.zip")
        if name is not None:
            package = store.by_key("package", request.space_id, package_key(name.id, name.version))
    if package is None or package["SpaceId"] != request.space_id:
        raise NotFound(f"Package '{ident}' was not found.")
    return package


def _list(request: Request) -> Response:
    packages = request.app.store.list("package", request.space_id)
    nuget_id = request.arg("nuGetPackageId").lower()
    text = request.arg("filter").lower()
    if nuget_id:
        packages = [p for p in packages if p["PackageId"].lower() == nuget_id]
    if text:
        packages = [p for p in packages if text in p["PackageId"].lower()]
    packages.sort(key=lambda p: (p["PackageId"].lower(), version_key(p["Version"])), reverse=True)
    if request.flag_arg("latest"):
        seen: set[str] = set()
        latest = []
        for package in packages:
            if package["PackageId"].lower() not in seen:
                seen.add(package["PackageId"].lower())
                latest.append(package)
        packages = latest
    return Response(
        body=request.page(
            [_with_build_information(request, p) for p in packages],
            "Package",
            f"/api/{request.space_id}/packages",
        )
    )


def _get(request: Request) -> Response:
    return Response(
        body=_resource(_with_build_information(request, _find(request, request.params["id"])))
    )


def _download(request: Request) -> Response:
    package = _find(request, request.params["id"])
    path = package_file(request, package)
    if not path.is_file():
        raise NotFound(
            "Package was not found on disk, although metadata was found in the "
            "built-in package repository index."
        )
    filename = f"{package['PackageId']}.{package['Version']}{package['FileExtension']}"
    return Response(
        content_type="application/octet-stream",
        file=path,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _delete(request: Request) -> Response:
    request.require("BuiltInFeedAdminister")
    package = _find(request, request.params["id"])
    request.app.store.delete("package", package["Id"])
    # After the row is gone: a crash in between leaves a file no row names, which the next
    # start-up removes (the other order could leave a row without its file).
    remove_file(package_file(request, package))
    return Response(status=204)


def register(router: Router) -> None:
    """Add the built-in feed routes."""
    router.add("POST", "/packages/raw", _upload)
    router.add("GET", "/packages", _list)
    router.add("GET", "/packages/{id}", _get)
    router.add("GET", "/packages/{id}/raw", _download)
    router.add("DELETE", "/packages/{id}", _delete)
