"""Reading a build server's variables the way every adapter does: the first non-empty one."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["first_value", "is_true"]


def first_value(env: Mapping[str, str], *names: str) -> str:
    """The first of ``names`` set to a non-blank value in ``env``, stripped; ``""`` for none.

    >>> first_value({"A": " ", "B": " 7 "}, "A", "B")
    '7'
    """
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return ""


def is_true(env: Mapping[str, str], name: str) -> bool:
    """``name`` is ``true`` (any case), as servers set their marker variables."""
    return env.get(name, "").strip().lower() == "true"
