"""Entry names inside a package: relative, ``/``-separated, no ``..``, nothing a target OS misreads.

:func:`entry_name` is the one place that turns an OS path into an archive name; it takes a
:class:`~pathlib.PurePath` so its logic is tested with both POSIX and Windows path styles.
"""

from __future__ import annotations

import re
import stat
import unicodedata
from collections.abc import Sequence
from pathlib import PurePath

from octoci.files import printable

__all__ = [
    "UnsafeNameError",
    "entry_name",
    "entry_name_from_parts",
    "is_executable",
    "joined_name",
]

_CONTROL = re.compile("[\\x00-\\x1f\\x7f]")
#: Surrogates: bytes that are not UTF-8 (os.fsdecode's escapes), or a lone UTF-16 half on Windows.
_SURROGATE = re.compile("[\ud800-\udfff]")
_GLOB_UNSAFE = re.compile("[\ud800-\udfff*?\\[\\]]")


class UnsafeNameError(ValueError):
    """A path that cannot become an entry name (absolute, ``..``, a backslash, a control
    character, or bytes that are not UTF-8)."""


def entry_name(relative: PurePath) -> str:
    """The archive name of ``relative`` (a path relative to the base path).

    Names are NFC-normalised so that macOS (which stores decomposed names) and Linux give the
    same package for the same tree.

    >>> from pathlib import PureWindowsPath
    >>> entry_name(PureWindowsPath("bin\\\\app.dll"))
    'bin/app.dll'
    """
    if relative.is_absolute() or relative.drive or relative.root:
        raise UnsafeNameError(f"{relative} is absolute; entry names must be relative")
    return entry_name_from_parts(relative.parts)


def joined_name(parts: Sequence[str]) -> str:
    """The ``/``-joined, NFC-normalised name of ``parts``, not yet checked: what globs match."""
    joined = "/".join(parts)
    return joined if joined.isascii() else unicodedata.normalize("NFC", joined)


def entry_name_from_parts(parts: Sequence[str]) -> str:
    """:func:`entry_name` for path segments already split (what a directory walk has)."""
    if not parts:
        raise UnsafeNameError("an entry name is empty")
    joined = "/".join(parts)
    for index, part in enumerate(parts):
        if _SURROGATE.search(part):
            raise UnsafeNameError(_not_utf8(parts, index))
        if part in ("", ".", ".."):
            raise UnsafeNameError(f"{joined} has a '{part}' segment")
        # A POSIX file name may hold a backslash; Windows extractors would split it into folders.
        if "\\" in part:
            raise UnsafeNameError(f"{joined} has a backslash in a file name; rename the file")
        if _CONTROL.search(part):
            raise UnsafeNameError(f"{joined!r} has a control character; rename the file")
    return joined_name(parts)


def _not_utf8(parts: Sequence[str], index: int) -> str:
    """Why a name that is not UTF-8 cannot be packed, and a pattern that leaves it out."""
    folder = index < len(parts) - 1
    # '?' stands for each undecodable byte (and for glob characters, so the pattern stays literal).
    pattern = "/".join(_GLOB_UNSAFE.sub("?", part) for part in parts[: index + 1])
    what = "the folder name" if folder else "its name"
    return (
        f"{what} {printable(parts[index])} is not valid UTF-8 (\\xNN are bytes that are not), "
        "and zip, nupkg and tar entry names must be UTF-8 for Octopus to extract them under that "
        f"name; rename {'the folder' if folder else 'the file'} (e.g. convmv -f latin1 -t utf-8 "
        f"--notest) or leave it out with --exclude '{pattern}{'/**' if folder else ''}'"
    )


def is_executable(mode: int) -> bool:
    """True when a regular file's mode has any execute bit (always False on Windows stats)."""
    return bool(stat.S_IMODE(mode) & 0o111)
