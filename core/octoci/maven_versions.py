"""Maven's version ordering (``org.apache.maven.artifact.versioning.ComparableVersion``), which
Octopus uses for the versions of a Maven feed: ``1.0-alpha < 1.0-beta < 1.0-rc1 < 1.0-SNAPSHOT
< 1.0 = 1.0.0 = 1.0-ga < 1.0-sp1 < 1.0.1``.

No HTTP and no emulator imports: the emulator (which answers a Maven feed's versions newest
first) and the client share this one implementation.

Example::

    sorted(["1.0", "1.0-SNAPSHOT", "1.0-beta-2", "1.0.1"], key=maven_version_key)
    # ['1.0-beta-2', '1.0-SNAPSHOT', '1.0', '1.0.1']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

__all__ = ["MavenVersion", "maven_is_prerelease", "maven_version_key", "same_maven_version"]

# Qualifiers Maven knows, in order; "" is the release itself. Unknown ones sort after "sp".
_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}

_Item = Union[int, str, "tuple[_Item, ...]"]


def _qualifier_rank(text: str) -> tuple[int, str]:
    # Maven compares unknown qualifiers after every known one, lexically among themselves.
    if text in _QUALIFIERS:
        return (_QUALIFIERS.index(text), "")
    return (len(_QUALIFIERS), text)


def _string_item(text: str, followed_by_digit: bool) -> str:
    if followed_by_digit and text in _SHORT:
        text = _SHORT[text]
    return _ALIASES.get(text, text)


def _is_null(item: _Item) -> bool:
    return item == 0 or item == "" or item == ()


def _normalised(items: list[_Item]) -> tuple[_Item, ...]:
    """Maven's ``ListItem.normalize``: drop trailing nulls (0, "", empty lists) back to the
    last list."""
    while items:
        last = items[-1]
        if _is_null(last):
            items.pop()
        elif isinstance(last, tuple):
            break
        else:
            break
    return tuple(items)


def _parse(version: str) -> tuple[_Item, ...]:
    """Maven's ``parseVersion``: ``.`` separates items, ``-`` and digit/letter changes open a
    sub-list."""
    text = version.lower()
    stack: list[list[_Item]] = [[]]
    start = 0
    digits = False

    def item(part: str, is_digit: bool) -> _Item:
        return int(part) if is_digit else _string_item(part, False)

    def open_list() -> None:
        stack.append([])

    for index, char in enumerate(text):
        if char in ".-":
            stack[-1].append(0 if index == start else item(text[start:index], digits))
            start = index + 1
            if char == "-":
                open_list()
        elif char.isdigit():
            if not digits and index > start:
                stack[-1].append(_string_item(text[start:index], True))
                start = index
                open_list()
            digits = True
        else:
            if digits and index > start:
                stack[-1].append(int(text[start:index]))
                start = index
                open_list()
            digits = False
    if len(text) > start:
        stack[-1].append(item(text[start:], digits))
    # Close the sub-lists from the innermost out, each normalised as Maven does.
    while len(stack) > 1:
        inner = _normalised(stack.pop())
        stack[-1].append(inner)
    return _normalised(stack[0])


def _compare(a: _Item | None, b: _Item | None) -> int:
    if a is None and b is None:
        return 0
    if a is None:
        return -_compare(b, None)
    if isinstance(a, int):
        if b is None:
            return 0 if a == 0 else 1
        if isinstance(b, int):
            return (a > b) - (a < b)
        return 1  # a number is newer than a qualifier or a sub-list
    if isinstance(a, str):
        if b is None:
            return _cmp(_qualifier_rank(a), _qualifier_rank(""))
        if isinstance(b, str):
            return _cmp(_qualifier_rank(a), _qualifier_rank(b))
        return -1  # a qualifier is older than a number or a sub-list
    # a is a sub-list
    if b is None:
        return 0 if not a else _compare(a[0], None)
    if isinstance(b, int):
        return -1
    if isinstance(b, str):
        return 1
    return _compare_lists(a, b)


def _compare_lists(a: Sequence[_Item], b: Sequence[_Item]) -> int:
    for index in range(max(len(a), len(b))):
        left = a[index] if index < len(a) else None
        right = b[index] if index < len(b) else None
        result = _compare(left, right)
        if result:
            return result
    return 0


def _cmp(a: tuple[int, str], b: tuple[int, str]) -> int:
    return (a > b) - (a < b)


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class MavenVersion:
    """A version compared as Maven compares it (``MavenVersion("1.0") == MavenVersion("1.0.0")``)."""

    text: str

    @functools.cached_property
    def _items(self) -> tuple[_Item, ...]:
        return _parse(self.text)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MavenVersion):
            return NotImplemented
        return _compare_lists(self._items, other._items) == 0

    def __lt__(self, other: MavenVersion) -> bool:
        return _compare_lists(self._items, other._items) < 0

    def __hash__(self) -> int:
        return hash(self._items)


def maven_version_key(version: str) -> MavenVersion:
    """A sort key that orders versions as Maven does."""
    return MavenVersion(version)


def same_maven_version(a: str, b: str) -> bool:
    """True when Maven counts ``a`` and ``b`` as one version (``1.0`` and ``1.0.0``)."""
    return MavenVersion(a) == MavenVersion(b)


_RELEASE_PART = re.compile(r"^[0-9]+(?:\.[0-9]+)*")


def maven_is_prerelease(version: str) -> bool:
    """True when a qualifier makes ``version`` older than its release (``1.0-SNAPSHOT``,
    ``2.0-rc1``), as Octopus's "include pre-release" filter reads Maven versions; ``1.0-sp1``
    and unknown qualifiers sort after the release and are not pre-releases."""
    match = _RELEASE_PART.match(version)
    if match is None:
        return True
    return MavenVersion(version) < MavenVersion(match.group(0))
