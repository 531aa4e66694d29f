"""Continua CI build messages: ``@@continua[messageType param='value' ...]`` on standard output.

Escaping follows VSoft's "Custom Log Messages" page: every value is in single quotes, and inside
it a backslash, a single quote, ``[``, ``]`` and a line break are written ``\\\\``, ``\\'``,
``\\[``, ``\\]`` and ``\\n``; a carriage return is written ``\\r``, as Cake's writer does, so one
message stays on one line. Every other character is written as is. (Cake's own writer deviates
from the documented message types, writing ``text=`` for ``message`` and ``setParameter`` for
variables; octoci writes the documented ``value=`` and ``setBuildVariable``.)
"""

from __future__ import annotations

import re

__all__ = ["STATUSES", "build_message", "escape"]

_ESCAPES = {"\\": "\\\\", "'": "\\'", "[": "\\[", "]": "\\]", "\n": "\\n", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r"[\\'\[\]\n\r]")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
#: The values of ``message status=``.
STATUSES = ("debug", "information", "success", "warning", "error", "fatal")


def escape(value: str) -> str:
    """``value`` escaped for a message parameter.

    >>> escape("it's [done]\\\\ok")
    "it\\\\'s \\\\[done\\\\]\\\\\\\\ok"
    """
    return _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], value)


def build_message(message_type: str, /, **params: str) -> str:
    """One message line (without the newline), parameters in the order given.

    >>> build_message("setBuildVariable", name="Release", value="1.2.3")
    "@@continua[setBuildVariable name='Release' value='1.2.3']"
    """
    if not _NAME.match(message_type):
        raise ValueError(f"{message_type!r} is not a Continua message type")
    parts = []
    for key, value in params.items():
        if not _NAME.match(key):
            raise ValueError(f"{key!r} is not a Continua message parameter name")
        parts.append(f"{key}='{escape(value)}'")
    return f"@@continua[{message_type}{''.join(' ' + p for p in parts)}]"
