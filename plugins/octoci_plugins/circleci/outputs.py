"""Outputs for later steps of a CircleCI job: ``export`` lines appended to ``$BASH_ENV``.

CircleCI sources the file named by ``BASH_ENV`` at the start of every ``run`` step with bash, so
``export NAME='value'`` there is CircleCI's documented way to hand a value to later steps. Values
are single-quoted, with each ``'`` written ``'\\''``: bash takes everything between single quotes
literally (newlines, ``$``, backslashes), so any value reads back exactly.
"""

from __future__ import annotations

import re
from pathlib import Path

from octoci.errors import InputError, OctociError

__all__ = ["append_export", "export_line", "shell_quote"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def shell_quote(value: str) -> str:
    """``value`` as one single-quoted bash word.

    >>> shell_quote("it's $5")
    "'it'\\\\''s $5'"
    """
    return "'" + value.replace("'", "'\\''") + "'"


def export_line(name: str, value: str) -> str:
    """``export NAME='value'`` (newline-terminated); a one-line :class:`InputError` for a name
    bash cannot take or a value holding a NUL character (which no environment variable can)."""
    if not _NAME.match(name):
        raise InputError(f"output name {name!r} is not a shell variable name (letters, digits, _)")
    if "\x00" in value:
        raise InputError(f"output {name} holds a NUL character, which no variable can hold")
    return f"export {name}={shell_quote(value)}\n"


def append_export(path: Path, name: str, value: str) -> None:
    """Append ``export name='value'`` to the ``$BASH_ENV`` file at ``path``."""
    line = export_line(name, value)
    try:
        with path.open("a", encoding="utf-8", newline="\n") as handle:
            handle.write(line)
    except OSError as exc:
        raise OctociError(f"cannot write BASH_ENV file {path}: {exc.strerror or exc}") from None
