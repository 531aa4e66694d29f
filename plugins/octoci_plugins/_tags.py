"""Tag arithmetic the plugins share: which tag came before this one.

Used when a tag build's commits are "everything since the previous release": the previous tag is
the one just below in version order, within the same tag family (the text before the first digit,
so in a monorepo ``web-v2.0`` follows ``web-v1.9``, not ``api-v3.1``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["previous_version_tag", "tag_family"]

_VERSION_PART = re.compile(r"\d+|[A-Za-z]+")


def tag_family(tag: str) -> str:
    """The text before the first digit, lower-cased: ``Web-v2.0`` -> ``web-v``."""
    match = re.match(r"\D*", tag)
    return match.group(0).lower() if match else ""


def _version_key(tag: str) -> tuple[tuple[int, int | str], ...]:
    # Numbers compare as numbers ("v1.10" after "v1.9"). A pre-release ("1.2.0-rc1") sorts after
    # its release here, so the tag before a release is the previous release, not its last rc.
    return tuple(
        (1, int(part)) if part.isdigit() else (0, part.lower())
        for part in _VERSION_PART.findall(tag)
    )


def previous_version_tag(current: str, tags: Sequence[str]) -> str | None:
    """The tag of ``current``'s family just below it in version order, or ``None`` for the first.

    >>> previous_version_tag("v1.10.0", ["v1.9.0", "v1.10.0", "v1.2.0", "v2.0.0"])
    'v1.9.0'
    >>> previous_version_tag("web-v2.0", ["web-v2.0", "api-v3.1", "web-v1.9"])
    'web-v1.9'
    """
    key = _version_key(current)
    family = tag_family(current)
    lower = [t for t in tags if t != current and tag_family(t) == family and _version_key(t) < key]
    return max(lower, key=_version_key) if lower else None
