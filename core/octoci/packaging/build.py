"""Build one package: validate everything first, select the files, write atomically, hash.

Nothing is created on disk until the inputs are known to be good, and a failed or interrupted
write leaves no partial package: the writer fills a temporary file in the out folder, which is
renamed over the final name only when it is complete.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from octoci.errors import InputError, OctociError
from octoci.files import display_path
from octoci.model import Package, PackageEntry, PackageFormat, PackageSpec
from octoci.package_names import parse_package_filename, validate_package_id, validate_version
from octoci.packaging.inputs import read_failure
from octoci.packaging.selection import Selection, select_entries
from octoci.packaging.settings import WriteSettings

__all__ = [
    "PackagePlan",
    "WrittenPackage",
    "build_package",
    "check_package_id",
    "find_format",
    "hash_package",
    "plan_package",
    "write_package",
    "write_package_file",
]

_ID_EXAMPLE = "Acme.Web"
_VERSION_EXAMPLE = "1.2.3, 1.2.3-beta.1 or 2024.6.1.4"
#: Other names people use for the built-in formats (octopackjs says "targz", octo "NuPkg").
_ALIASES = {"tgz": "tar.gz", "targz": "tar.gz", "tbz": "tar.bz2", "tbz2": "tar.bz2"}


@dataclass(frozen=True)
class PackagePlan:
    """A validated spec: its format and where the package goes."""

    spec: PackageSpec
    format: PackageFormat
    destination: Path


def find_format(formats: Mapping[str, PackageFormat], name: str) -> PackageFormat:
    """The format called ``name`` (case-insensitive; ``.tar.gz`` and ``tar.gz`` alike)."""
    key = name.strip().lower().lstrip(".")
    key = _ALIASES.get(key, key)
    for fmt in formats.values():
        if key in (fmt.name.lower(), fmt.extension.lower().lstrip(".")):
            return fmt
    known = ", ".join(sorted(f.name for f in formats.values()))
    raise InputError(f"unknown package format {name!r}; choose one of {known}")


def check_package_id(package_id: str) -> None:
    """Raise :class:`~octoci.errors.InputError` with an example when ``package_id`` is invalid."""
    problem = validate_package_id(package_id)
    if problem:
        raise InputError(
            f"invalid package id {package_id!r}: {problem}; use an id like {_ID_EXAMPLE!r}"
        )


def plan_package(spec: PackageSpec, formats: Mapping[str, PackageFormat]) -> PackagePlan:
    """Check id, version, format, writer settings and destination; raise
    :class:`~octoci.errors.InputError` with an example of a good value."""
    check_package_id(spec.id)
    problem = validate_version(spec.version)
    if problem:
        raise InputError(
            f"invalid version {spec.version!r}: {problem}; use a version like {_VERSION_EXAMPLE}"
        )
    fmt = find_format(formats, spec.format)
    WriteSettings.from_spec(spec)  # fail on a bad level, engine or thread count before any work
    filename = f"{spec.id}.{spec.version}{fmt.extension}"
    parsed = parse_package_filename(filename)
    if parsed is None or (parsed.id, parsed.version) != (spec.id, spec.version):
        raise InputError(
            f"Octopus would not read {filename!r} back as id {spec.id!r} and version "
            f"{spec.version!r}; use an id like {_ID_EXAMPLE!r}"
        )
    if spec.out_folder.exists() and not spec.out_folder.is_dir():
        raise InputError(
            f"the out folder {spec.out_folder} is a file; pass --out-folder with a folder"
        )
    destination = spec.out_folder / filename
    if destination.exists() and not spec.overwrite:
        raise InputError(f"{destination} already exists; pass --overwrite to replace it")
    return PackagePlan(spec, fmt, destination)


def _sha256_and_size(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _missing_folders(folder: Path) -> tuple[Path, ...]:
    """``folder`` and those of its parents that do not exist yet, deepest first (what
    ``mkdir(parents=True)`` will create, and a failed write removes again)."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return tuple(missing)


def _discard(temp: Path, created: tuple[Path, ...]) -> None:
    temp.unlink(missing_ok=True)
    for folder in created:
        try:
            folder.rmdir()  # only succeeds while the folder is empty
        except OSError:
            return


def _claim_temp(folder: Path, name: str) -> Path:
    # Not mkstemp: its 0600 mode would stick to the package; "x" honours the umask like any file.
    temp = folder / f".{name}.{secrets.token_hex(6)}.partial"
    temp.open("xb").close()
    return temp


def _input_named(exc: OSError, entries: Sequence[PackageEntry]) -> Path | None:
    """The entry whose source ``exc`` is about (by its file name), if any."""
    if exc.filename is None:
        return None
    named = Path(os.fsdecode(exc.filename))
    return next((e.source for e in entries if e.source == named), None)


@dataclass(frozen=True)
class WrittenPackage:
    """A package written and hashed in its temporary file in the out folder, not yet in place:
    :meth:`install` renames it over the final name, :meth:`discard` removes it."""

    plan: PackagePlan
    temp: Path
    sha256: str
    size: int
    created_folders: tuple[Path, ...]
    """The folders the write created (the out folder and missing parents), deepest first:
    :meth:`discard` removes them again while they are empty."""

    def install(self) -> Package:
        """Rename the file into place; the package. A failure removes the temporary file."""
        spec, destination = self.plan.spec, self.plan.destination
        try:
            if destination.exists() and not spec.overwrite:
                raise InputError(
                    f"{destination} appeared while packing; pass --overwrite to replace it"
                )
            self.temp.replace(destination)
        except OSError as exc:
            self.discard()
            raise OctociError(
                f"cannot write {display_path(destination)}: {exc.strerror or exc}"
            ) from None
        except BaseException:
            self.discard()
            raise
        return Package(
            path=destination, id=spec.id, version=spec.version, size=self.size, sha256=self.sha256
        )

    def discard(self) -> None:
        """Remove the temporary file (and the folders this write created, when empty)."""
        _discard(self.temp, self.created_folders)


def write_package_file(
    plan: PackagePlan, entries: Sequence[PackageEntry], *, hashed: bool = True
) -> WrittenPackage:
    """Write ``entries`` with the plan's format to a temporary file in the out folder and hash
    it; nothing is in place until :meth:`WrittenPackage.install`. With ``hashed=False`` the
    SHA-256 is left empty, for the caller to compute with :func:`hash_package` once the
    package is in place (publish hashes a package while it is being pushed).

    A failure (including Ctrl+C) removes the temporary file, and the folders this call created;
    an OS error becomes a one-line :class:`~octoci.errors.OctociError` that names
    the input file when reading one failed (:func:`~octoci.packaging.inputs.read_failure`) and
    the package otherwise.
    """
    spec, destination = plan.spec, plan.destination
    created = _missing_folders(spec.out_folder)
    try:
        spec.out_folder.mkdir(parents=True, exist_ok=True)
        temp = _claim_temp(spec.out_folder, destination.name)
    except OSError as exc:
        raise OctociError(
            f"cannot write to {display_path(spec.out_folder)}: {exc.strerror or exc}"
        ) from None
    try:
        plan.format.write(spec, entries, temp)
        sha256, size = _sha256_and_size(temp) if hashed else ("", temp.stat().st_size)
    except OSError as exc:
        _discard(temp, created)
        # Writers (built-in or a plugin's) let OS errors through; one naming an input is a
        # failure to read it, not to write the package.
        source = _input_named(exc, entries)
        if source is not None:
            raise read_failure(source, exc) from None
        raise OctociError(
            f"cannot write {display_path(destination)}: {exc.strerror or exc}"
        ) from None
    except BaseException:
        _discard(temp, created)
        raise
    return WrittenPackage(plan, temp, sha256, size, created)


def hash_package(package: Package) -> Package:
    """``package`` with the SHA-256 of its file (read again: the file is in place)."""
    try:
        sha256, size = _sha256_and_size(package.path)
    except OSError as exc:
        raise OctociError(
            f"cannot read {display_path(package.path)} to hash it: {exc.strerror or exc}"
        ) from None
    return replace(package, sha256=sha256, size=size)


def write_package(plan: PackagePlan, entries: Sequence[PackageEntry]) -> Package:
    """Write ``entries`` with the plan's format to a temporary file, then rename it into place
    (:func:`write_package_file`, then :meth:`WrittenPackage.install`)."""
    return write_package_file(plan, entries).install()


def build_package(
    spec: PackageSpec,
    formats: Mapping[str, PackageFormat],
    *,
    allow_external_links: bool = False,
) -> Package:
    """Validate ``spec``, select its files under ``spec.base_path`` and write the package.

    Example::

        package = build_package(
            PackageSpec(id="Acme.Web", version="1.2.3", base_path=Path("publish")),
            plugin_manager.package_formats(),
        )
    """
    plan = plan_package(spec, formats)
    selection = Selection(spec.base_path, spec.include, spec.exclude, allow_external_links)
    entries = select_entries(selection, skip={plan.destination.resolve()})
    return write_package(plan, entries)
