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


# The agent reads "##vso[" anywhere in a line as a command. A zero-width joiner between "##" and
# "vso[" keeps the text readable while making sure a commit message cannot set variables.
_ZWJ = "\u200d"
_COMMAND_PREFIX = re.compile(r"##vso\[", re.IGNORECASE)


def neutralize(text: str) -> str:
    """``text`` with every ``##vso[`` made inert, for plain log lines.

    >>> neutralize("##vso[task.complete]") == "##\\u200dvso[task.complete]"
    True
    """
    return _COMMAND_PREFIX.sub(lambda m: f"##{_ZWJ}{m.group(0)[2:]}", text)
