"""Include and exclude globs, matched against ``/``-separated paths relative to the base path.

The rules (also in ``docs/packaging.md``):

* a pattern is anchored at the base path: ``*.dll`` matches ``app.dll`` but not ``bin/app.dll``;
* ``*`` matches any run of characters within one path segment, ``?`` one character, ``[abc]`` /
  ``[!abc]`` a character class; none of them crosses a ``/``;
* ``**`` as a whole segment matches zero or more segments: ``**/*.dll`` matches ``app.dll`` and
  ``bin/x/app.dll``, ``bin/**`` everything under ``bin``, and ``**`` alone everything;
* ``\\`` in a pattern is read as ``/`` so Windows-style patterns work; matching is case-sensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["GlobError", "GlobSet", "compile_glob"]


class GlobError(ValueError):
    """A pattern that cannot be used (empty, absolute, with ``..`` or an unclosed ``[``)."""


def compile_glob(pattern: str) -> re.Pattern[str]:
    """The regular expression that matches exactly the relative paths ``pattern`` describes."""
    segments = _segments(pattern)
    parts: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            # Zero or more whole segments, including the separator that follows them.
            parts.append(".*" if last else "(?:[^/]+/)*")
        else:
            parts.append(_segment_regex(segment) + ("" if last else "/"))
    return re.compile("".join(parts), re.DOTALL)


def _segments(pattern: str) -> list[str]:
    text = pattern.strip().replace("\\", "/")
    if not text:
        raise GlobError("a pattern is empty")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise GlobError(
            f"the pattern {pattern!r} is absolute; patterns are relative to the base path"
        )
    segments = [s for s in text.split("/") if s not in ("", ".")]
    if ".." in segments:
        raise GlobError(f"the pattern {pattern!r} has '..'; patterns cannot leave the base path")
    if not segments:
        raise GlobError(f"the pattern {pattern!r} names no file")
    return segments


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = segment.find("]", i + 2 if segment[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end < 0:
                raise GlobError(f"the pattern segment {segment!r} has an unclosed '['")
            body = segment[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            escaped = body.replace("\\", "\\\\").replace("^", "\\^")
            out.append(f"[^/{escaped}]" if negate else f"[{escaped}]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class GlobSet:
    """A set of patterns; a path matches the set when it matches any of them.

    Example::

        GlobSet.of(["**/*.pdb", "obj/**"]).matches("bin/app.pdb")  # True
    """

    patterns: tuple[str, ...]
    regexes: tuple[re.Pattern[str], ...]
    prune_prefixes: tuple[re.Pattern[str], ...]
    """For patterns ``P/**``: the regex of ``P``; a folder matching it holds only matches."""

    @classmethod
    def of(cls, patterns: Iterable[str]) -> GlobSet:
        """Compile ``patterns``; raises :class:`GlobError` naming a bad one."""
        kept = tuple(patterns)
        prefixes = []
        for pattern in kept:
            segments = _segments(pattern)
            if len(segments) > 1 and segments[-1] == "**":
                prefixes.append(compile_glob("/".join(segments[:-1])))
        return cls(kept, tuple(compile_glob(p) for p in kept), tuple(prefixes))

    def matches(self, path: str) -> bool:
        """True when the ``/``-separated relative ``path`` matches one of the patterns."""
        return any(regex.fullmatch(path) for regex in self.regexes)

    def covers_folder(self, folder: str) -> bool:
        """True when every path under ``folder`` matches (a ``folder/**``-style pattern), so a
        walker may skip the folder without reading it."""
        return any(regex.fullmatch(folder) for regex in self.prune_prefixes)
