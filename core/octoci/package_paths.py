"""Package files named on the command line or in settings: paths and globs, expanded once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from octoci.errors import InputError

__all__ = ["expand_package_paths"]


def _has_magic(part: str) -> bool:
    return any(c in part for c in "*?[")


def expand_package_paths(patterns: Sequence[str], cwd: Path) -> list[Path]:
    """Files named by ``patterns`` (paths or globs, ``**`` spans folders), relative to ``cwd``,
    each once, in order. A pattern that matches nothing is an error (a typo must not turn into a
    green build that pushed nothing)."""
    found: dict[Path, None] = {}
    unmatched = []
    for pattern in patterns:
        path = Path(pattern)
        parts = path.parts
        magic = next((i for i, part in enumerate(parts) if _has_magic(part)), None)
        if magic is None:
            # Existence is checked with the other file checks, before anything is sent.
            found.setdefault(path if path.is_absolute() else cwd / path, None)
            continue
        root = Path(*parts[:magic]) if magic else Path()
        root = root if root.is_absolute() else cwd / root
        matches = sorted(p for p in root.glob("/".join(parts[magic:])) if p.is_file())
        if not matches:
            unmatched.append(pattern)
        for match in matches:
            found.setdefault(match, None)
    if unmatched:
        raise InputError(
            f"no file matches {', '.join(repr(p) for p in unmatched)} (in {cwd}); "
            "check the path, or quote the pattern so that the shell does not expand it"
        )
    return list(found)
