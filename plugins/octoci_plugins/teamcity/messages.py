"""TeamCity service messages: ``##teamcity[name 'value']`` and ``##teamcity[name key='value' ...]``.

Escaping follows JetBrains' "Service Messages" page exactly: inside a value ``|`` ``'`` ``[`` ``]``
and the line breaks ``\\n`` ``\\r`` are written ``||`` ``|'`` ``|[`` ``|]`` ``|n`` ``|r``. The
Unicode line separators U+0085, U+2028 and U+2029 are written ``|x``, ``|l`` and ``|p`` as
JetBrains' own writer does, because a log reader may split lines on them; for the same reason the
other control characters are written ``|0xNNNN``, the form TeamCity reads for any character.
Every other character is written as is (TeamCity reads service messages as UTF-8), which is what
the ``teamcity-messages`` library does too.
"""

from __future__ import annotations

import re

__all__ = ["escape", "service_message"]

_ESCAPES = {
    "|": "||",
    "'": "|'",
    "\n": "|n",
    "\r": "|r",
    "[": "|[",
    "]": "|]",
    "\u0085": "|x",
    "\u2028": "|l",
    "\u2029": "|p",
}
_NEEDS_ESCAPE = re.compile("[|'\\[\\]\x00-\x08\x0a-\x1f\u0085\u2028\u2029]")
# TeamCity property names are Java identifiers with dots; anything else would break the message.
_NAME = re.compile(r"^[A-Za-z_][\w.\-]*$")


def escape(value: str) -> str:
    """``value`` escaped for a service-message value.

    >>> escape("it's [done] | 100%")
    "it|'s |[done|] || 100%"
    """
    return _NEEDS_ESCAPE.sub(_replacement, value)


def _replacement(match: re.Match[str]) -> str:
    ch = match.group(0)
    return _ESCAPES.get(ch) or f"|0x{ord(ch):04x}"


def service_message(name: str, value: str | None = None, /, **attributes: str) -> str:
    """One service-message line (without the newline): a single ``value`` or named attributes.

    >>> service_message("setParameter", name="octoci.release", value="1.2.3")
    "##teamcity[setParameter name='octoci.release' value='1.2.3']"
    >>> service_message("publishArtifacts", "dist/a.zip => packages")
    "##teamcity[publishArtifacts 'dist/a.zip => packages']"
    """
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a service-message name")
    if value is not None:
        if attributes:
            raise ValueError("a service message has either a single value or attributes")
        return f"##teamcity[{name} '{escape(value)}']"
    parts = []
    for key, text in attributes.items():
        if not _NAME.match(key):
            raise ValueError(f"{key!r} is not a service-message attribute name")
        parts.append(f"{key}='{escape(text)}'")
    return f"##teamcity[{name} {' '.join(parts)}]" if parts else f"##teamcity[{name}]"
