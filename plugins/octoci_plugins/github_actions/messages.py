"""GitHub Actions workflow commands and environment files, escaped exactly as the runner expects.

Escaping follows ``actions/toolkit`` ``packages/core/src/command.ts``: message data escapes ``%``
(first), ``\\r`` and ``\\n``; property values additionally ``:`` and ``,``. Environment files
(``$GITHUB_OUTPUT``) take ``name<<DELIMITER`` blocks with a random delimiter that must not occur in
the value, as ``prepareKeyValueMessage`` in the toolkit writes them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

from octoci.errors import InputError

__all__ = [
    "command",
    "escape_data",
    "escape_property",
    "key_value_block",
    "looks_like_command",
]


def escape_data(text: str) -> str:
    """Escape the message part of a workflow command (``::cmd::<data>``).

    >>> escape_data("50%\\ndone")
    '50%25%0Adone'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value of a workflow command (``::cmd key=<value>::``).

    >>> escape_property("a:b,c")
    'a%3Ab%2Cc'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


_COMMAND_NAME = re.compile(r"^[A-Za-z][\w-]*$")


def command(
    name: str, message: str = "", properties: Mapping[str, str | None] | None = None
) -> str:
    """One workflow command line, e.g. ``::warning file=a.py,line=3::Deprecated``.

    Properties whose value is ``None`` or empty are left out, as the toolkit does.
    """
    if not _COMMAND_NAME.match(name):
        raise ValueError(f"not a workflow command name: {name!r}")
    props = ",".join(
        f"{key}={escape_property(value)}" for key, value in (properties or {}).items() if value
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


# The runner treats a line as a command when it starts with "::" (after leading whitespace),
# and it still honours the legacy "##[cmd]" form; text that merely looks like one is not ours.
_COMMAND_LIKE = re.compile(r"^\s*(?:::|##\[)")


def looks_like_command(line: str) -> bool:
    """True when the runner would read ``line`` as a workflow command."""
    return bool(_COMMAND_LIKE.match(line))


def key_value_block(name: str, value: str) -> str:
    """A ``name<<DELIMITER`` block for ``$GITHUB_OUTPUT`` (or ``$GITHUB_ENV``), newline-terminated.

    The heredoc form is used for every value, so newlines and ``=`` need no special case.

    >>> block = key_value_block("version", "1.2.3")
    >>> block.splitlines()[1]
    '1.2.3'
    """
    if not name or any(ch in name for ch in "\r\n=") or "<<" in name:
        raise InputError(f"invalid output name {name!r}: it must be one line without '=' or '<<'")
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    # A value containing the delimiter would end the block early and inject other outputs.
    if delimiter in value:
        raise InputError(f"the value of output {name!r} contains the delimiter {delimiter}")
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"
