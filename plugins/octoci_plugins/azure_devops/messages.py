"""Azure Pipelines logging commands, escaped exactly as the agent decodes them.

Escaping follows ``azure-pipelines-task-lib`` ``node/taskcommand.ts`` and the agent's
``CommandStringConvertor.cs``: message data escapes ``%`` (first, as ``%AZP25``), ``\\r`` and
``\\n``; property values additionally ``;`` and ``]``. Older task-lib versions wrote ``%25``, which
the agent no longer decodes; it is not used here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["command", "escape_data", "escape_property", "neutralize"]


def escape_data(text: str) -> str:
    """Escape the message part of a logging command (``##vso[...]<data>``).

    >>> escape_data("50%\\ndone")
    '50%AZP25%0Adone'
    """
    return text.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value of a logging command (``##vso[area.action key=<value>]``).

    >>> escape_property("a;b]c")
    'a%3Bb%5Dc'
    """
    return escape_data(text).replace(";", "%3B").replace("]", "%5D")


_COMMAND_NAME = re.compile(r"^[a-z]+\.[a-z]+$")


def command(name: str, data: str = "", properties: Mapping[str, str | None] | None = None) -> str:
    """One logging command, e.g. ``##vso[task.setvariable variable=x;isoutput=true]1.2.3``.

    Properties whose value is ``None`` are left out; each kept one ends with ``;``.
    """
    if not _COMMAND_NAME.match(name):
        raise ValueError(f"not a logging command name: {name!r}")
    props = "".join(
        f"{key}={escape_property(value)};"
        for key, value in (properties or {}).items()
        if value is not None
    )
    return f"##vso[{name}{' ' + props if props else ''}]{escape_data(data)}"


# The agent reads "##vso[" anywhere in a line as a command, and "##[" at the start of a line as a
# formatting command (error, warning, group ...). A zero-width joiner after "##" keeps the text
# readable while making sure that a commit message, say, cannot set variables or fail the build.
_ZWJ = "\u200d"
_COMMAND_PREFIX = re.compile(r"##(?=vso\[)", re.IGNORECASE)
# Every character Python splits lines on, not only \r and \n: erring on the safe side costs nothing.
_FORMAT_PREFIX = re.compile(
    r"(?:^|(?<=[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]))([ \t]*)##(?=\[)"
)


def neutralize(text: str) -> str:
    """``text`` with every ``##vso[`` (and ``##[`` at a line start) made inert, for plain lines.

    >>> neutralize("##vso[task.complete]") == "##\\u200dvso[task.complete]"
    True
    """
    text = _COMMAND_PREFIX.sub(f"##{_ZWJ}", text)
    return _FORMAT_PREFIX.sub(lambda m: f"{m.group(1)}##{_ZWJ}", text)
