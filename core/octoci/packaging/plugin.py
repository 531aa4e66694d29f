"""The core plugin ``octoci.packaging``: the built-in package formats.

The plugin manager imports this module on every run (``octoci --help`` included), so it imports
no writer: each format's ``write`` loads its module on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from octoci import hookimpl
from octoci.model import PackageEntry, PackageFormat, PackageSpec, PackageWriter

__all__ = ["BUILTIN_FORMATS", "octoci_package_formats"]


def _lazy(module: str, attribute: str) -> PackageWriter:
    def write(spec: PackageSpec, entries: Sequence[PackageEntry], destination: Path) -> None:
        writer: PackageWriter = getattr(importlib.import_module(module), attribute)
        writer(spec, entries, destination)

    write.__name__ = write.__qualname__ = attribute
    write.__doc__ = f"Write the package with :func:`{module}.{attribute}`."
    return write


BUILTIN_FORMATS: tuple[PackageFormat, ...] = (
    PackageFormat(
        "zip",
        ".zip",
        _lazy("octoci.packaging.zipwriter", "write_zip"),
        "Zip, deterministic, parallel deflate, incompressible files stored",
    ),
    PackageFormat(
        "nupkg",
        ".nupkg",
        _lazy("octoci.packaging.nupkg", "write_nupkg"),
        "NuGet package: nuspec plus OPC parts with deterministic names",
    ),
    PackageFormat(
        "tar.gz",
        ".tar.gz",
        _lazy("octoci.packaging.tarwriter", "write_tar_gz"),
        "Tar + gzip, rsync-friendly (small deltas), parallel deflate",
    ),
    PackageFormat(
        "tar", ".tar", _lazy("octoci.packaging.tarwriter", "write_tar"), "Uncompressed tar"
    ),
    PackageFormat(
        "tar.bz2",
        ".tar.bz2",
        _lazy("octoci.packaging.tarwriter", "write_tar_bz2"),
        "Tar + bzip2, one thread",
    ),
)


@hookimpl
def octoci_package_formats() -> Iterable[PackageFormat]:
    """The formats Octopus's built-in feed accepts and octoci writes (never tar.xz: Calamari
    cannot extract it)."""
    return BUILTIN_FORMATS
