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

__all__ = ["UnsafeNameError", "entry_name", "entry_name_from_parts", "is_executable"]

_CONTROL = re.compile("[\\x00-\\x1f\\x7f]")


class UnsafeNameError(ValueError):
    """A path that cannot become an entry name (absolute, ``..``, a backslash, a control char)."""


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


def entry_name_from_parts(parts: Sequence[str]) -> str:
    """:func:`entry_name` for path segments already split (what a directory walk has)."""
    if not parts:
        raise UnsafeNameError("an entry name is empty")
    joined = "/".join(parts)
    for part in parts:
        if part in ("", ".", ".."):
            raise UnsafeNameError(f"{joined} has a '{part}' segment")
        # A POSIX file name may hold a backslash; Windows extractors would split it into folders.
        if "\\" in part:
            raise UnsafeNameError(f"{joined} has a backslash in a file name; rename the file")
        if _CONTROL.search(part):
            raise UnsafeNameError(f"{joined!r} has a control character; rename the file")
    return joined if joined.isascii() else unicodedata.normalize("NFC", joined)


def is_executable(mode: int) -> bool:
    """True when a regular file's mode has any execute bit (always False on Windows stats)."""
    return bool(stat.S_IMODE(mode) & 0o111)
