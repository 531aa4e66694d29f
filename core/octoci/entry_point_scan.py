"""Whether any installed distribution may declare entry points of a group, without
``importlib.metadata``.

``importlib.metadata`` (with ``email``, ``zipfile`` and ``csv``) costs more to import than the
rest of ``octoci --help``; most installs have no third-party octoci plugin at all. A plain scan of
the ``*.dist-info`` and ``*.egg-info`` folders on ``sys.path`` answers "none" for those, and
anything it cannot read the way the standard library would (a zip file on ``sys.path``, a finder
of its own on ``sys.meta_path``, an unreadable file) answers "maybe": the caller then asks
``importlib.metadata``, which decides. A "maybe" costs time, never a plugin.
"""

# ruff: noqa: PTH110, PTH112, PTH118, PTH123, PTH208 - os, not pathlib: see _entry_point_files
from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator

__all__ = ["may_have_entry_points"]

_METADATA_SUFFIXES = (".dist-info", ".egg-info")


def may_have_entry_points(group: str, path: Iterable[str] | None = None) -> bool:
    """False only when no distribution on ``path`` (default ``sys.path``) can have an entry
    point of ``group``; True when one may (the caller asks ``importlib.metadata``).

    Example::

        if may_have_entry_points("octoci"):
            from importlib import metadata
            points = metadata.entry_points(group="octoci")
    """
    if "importlib.metadata" in sys.modules:
        # Already paid for: its answer is the reference (and what tests and embedders set up).
        return True
    if any(_has_own_distribution_finder(finder) for finder in sys.meta_path):
        return True
    header = f"[{group}"
    try:
        for entry_points in _entry_point_files(sys.path if path is None else path):
            # Liberal on purpose: a header with odd spacing or a comment mentioning the group
            # only costs the full scan.
            if header in _text_or_empty(entry_points):
                return True
    except (_NotAPlainFolder, OSError):
        return True
    return False


class _NotAPlainFolder(Exception):
    """A ``sys.path`` entry only ``importlib.metadata`` can read (a zip file, say)."""


def _has_own_distribution_finder(finder: object) -> bool:
    """True for a meta-path finder other than the standard ``PathFinder`` that can list
    distributions (``find_distributions``): distributions this scan would not see."""
    from importlib.machinery import PathFinder

    return finder is not PathFinder and hasattr(finder, "find_distributions")


def _entry_point_files(path: Iterable[str]) -> Iterator[str]:
    """Where each distribution on ``path`` keeps its ``entry_points.txt`` (which may not exist).

    ``os`` functions, not ``pathlib``: importing ``pathlib`` would cost ``octoci --help`` a fifth
    of its time."""
    for entry in path:
        folder = entry or "."  # "" is the working directory, as for the import system
        if not os.path.isdir(folder):
            if os.path.exists(folder):
                raise _NotAPlainFolder(folder)
            continue  # importlib.metadata skips a missing entry too
        if folder.lower().endswith(".egg"):
            yield os.path.join(folder, "EGG-INFO", "entry_points.txt")
        for child in os.listdir(folder):
            if child.lower().endswith(_METADATA_SUFFIXES):
                yield os.path.join(folder, child, "entry_points.txt")


def _text_or_empty(path: str) -> str:
    """The file's text; empty when there is none (an egg-info file, a dist-info without entry
    points), since such a distribution declares no entry point."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return ""
