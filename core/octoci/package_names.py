"""Octopus's rules for package file names, package ids and versions (built-in feed).

One place for the rules the packager, the uploader, artifact discovery and the emulator share,
written from Octopus's documented behaviour (``PackageIdentityParser``): a file is
``<PackageId>.<Version><extension>``; the *first* ``.<digits>`` run after the id starts the version;
versions are SemVer 1 or 2, or Octopus's four-part ``1.2.3.4``; ``1.0.0.0`` equals ``1.0.0``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "EXTENSIONS",
    "PackageName",
    "canonical_version",
    "parse_package_filename",
    "split_extension",
    "validate_package_id",
    "validate_version",
    "version_key",
]

#: Every extension Octopus's built-in feed accepts, longest first so ``.tar.gz`` wins over ``.gz``.
EXTENSIONS: tuple[str, ...] = (
    ".tar.bz2",
    ".tar.gz",
    ".tar.bz",
    ".tar.Z",
    ".nupkg",
    ".zip",
    ".jar",
    ".war",
    ".ear",
    ".rar",
    ".tar",
    ".tgz",
    ".tbz",
    ".tbz2",
)

_ID = r"\w+(?:[_.\-]\w+)*?"
_VERSION = (
    r"\d+(?:\.\d+){0,3}"
    r"(?:-[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*)?"
    r"(?:\+[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*)?"
)
_FILE_STEM = re.compile(rf"^(?P<id>{_ID})\.(?P<version>{_VERSION})$", re.ASCII)
_PACKAGE_ID = re.compile(r"^\w+(?:[_.\-]\w+)*$", re.ASCII)
_VERSION_ONLY = re.compile(rf"^{_VERSION}$", re.ASCII)
#: Octopus refuses package ids and versions longer than this (``Package Name is too long``).
MAX_ID_LENGTH = 100
MAX_VERSION_LENGTH = 349


@dataclass(frozen=True)
class PackageName:
    """A parsed package file name.

    Example::

        parse_package_filename("Acme.Api.2.0.0-beta.1.tar.gz")
        # PackageName(id='Acme.Api', version='2.0.0-beta.1', extension='.tar.gz')
    """

    id: str
    version: str
    extension: str

    @property
    def filename(self) -> str:
        """``<id>.<version><extension>``."""
        return f"{self.id}.{self.version}{self.extension}"


def split_extension(filename: str) -> tuple[str, str] | None:
    """``(stem, extension)`` for a supported package extension, else ``None``.

    >>> split_extension("Acme.1.0.0.tar.gz")
    ('Acme.1.0.0', '.tar.gz')
    """
    lower = filename.lower()
    for ext in EXTENSIONS:
        if lower.endswith(ext.lower()) and len(filename) > len(ext):
            return filename[: -len(ext)], filename[-len(ext) :]
    return None


def parse_package_filename(filename: str) -> PackageName | None:
    """The id, version and extension of an Octopus package file name, or ``None`` if it is not one.

    >>> parse_package_filename("MyApp.Web.1.2.3.zip")
    PackageName(id='MyApp.Web', version='1.2.3', extension='.zip')
    >>> parse_package_filename("notes.txt") is None
    True
    """
    split = split_extension(filename)
    if split is None:
        return None
    stem, ext = split
    match = _FILE_STEM.match(stem)
    if match is None:
        return None
    return PackageName(match["id"], match["version"], ext)


def validate_package_id(package_id: str) -> str | None:
    """Why ``package_id`` is not a valid Octopus package id, or ``None`` when it is.

    Beyond the character rules, an id must not end in a numeric segment: ``Acme.2`` packed as
    ``Acme.2.1.0.0.zip`` would be read back as id ``Acme`` and version ``2.1.0.0``.
    """
    if not package_id:
        return "the package id is empty"
    if len(package_id) > MAX_ID_LENGTH:
        return f"the package id is longer than {MAX_ID_LENGTH} characters"
    if not _PACKAGE_ID.match(package_id):
        return (
            "a package id is letters, digits and underscores in segments joined by '.', '-' or '_'"
        )
    probe = parse_package_filename(f"{package_id}.1.0.0.zip")
    if probe is None or probe.id != package_id:
        return (
            "the package id has a segment starting with a digit after a '.', which Octopus "
            "would read as the start of the version"
        )
    return None


def validate_version(version: str) -> str | None:
    """Why ``version`` is not a version Octopus's built-in feed accepts, or ``None`` when it is."""
    if not version:
        return "the version is empty"
    if len(version) > MAX_VERSION_LENGTH:
        return f"the version is longer than {MAX_VERSION_LENGTH} characters"
    if not _VERSION_ONLY.match(version):
        return "a version is SemVer (1.2.3, 1.2.3-beta.1, 1.2.3+build.5) or four-part (1.2.3.4)"
    return None


def canonical_version(version: str) -> str:
    """The version Octopus compares by: numeric parts without leading zeros, padded to three,
    a zero fourth part dropped, build metadata removed.

    >>> canonical_version("2016.01.02"), canonical_version("1.0.0.0"), canonical_version("1.2+abc")
    ('2016.1.2', '1.0.0', '1.2.0')
    """
    core, _, _metadata = version.partition("+")
    numbers, dash, pre = core.partition("-")
    parts = [str(int(p)) for p in numbers.split(".")]
    while len(parts) < 3:
        parts.append("0")
    if len(parts) == 4 and parts[3] == "0":
        parts.pop()
    return ".".join(parts) + (f"-{pre}" if dash else "")


VersionKey = tuple[tuple[int, ...], int, tuple[tuple[int, int | str], ...]]


def version_key(version: str) -> VersionKey:
    """A sort key ordering versions as SemVer 2 does (a pre-release sorts before its release).

    >>> sorted(["1.0.0", "1.0.0-beta.2", "1.0.0-beta.10", "0.9.9.9"], key=version_key)
    ['0.9.9.9', '1.0.0-beta.2', '1.0.0-beta.10', '1.0.0']
    """
    numbers, dash, pre = version.partition("+")[0].partition("-")
    nums = [int(p) for p in numbers.split(".")]
    nums += [0] * (4 - len(nums))
    # SemVer: numeric identifiers sort before alphanumeric ones, and numerically among themselves.
    pre_key: tuple[tuple[int, int | str], ...] = (
        tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")) if dash else ()
    )
    return tuple(nums), 0 if dash else 1, pre_key
