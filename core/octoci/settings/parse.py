"""Reading one setting's value from an environment variable or a configuration file, checked
against its kind: every problem is one :class:`~octoci.errors.InputError` line naming where."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from octoci.errors import InputError
from octoci.settings.table import Setting

__all__ = ["close_match", "from_env", "from_file", "split_list"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def close_match(name: str, known: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` when ``known`` has a name close to ``name``, else nothing."""
    matches = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def split_list(text: str) -> tuple[str, ...]:
    """A comma-separated list, items stripped, empty ones dropped."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def from_env(setting: Setting, raw: str) -> Any:
    """The value of ``setting`` from its variable's text (lists comma-separated)."""
    where = f"{setting.env}={raw!r}"
    text = raw.strip()
    if setting.kind == "bool":
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise InputError(f"{where} is not a boolean; use true or false")
    if setting.kind == "list":
        return split_list(text)
    return _convert(setting, text, where)


def from_file(setting: Setting, value: Any, where: str) -> Any:
    """The value of ``setting`` from a TOML value (``where`` names the file and key)."""
    if setting.kind == "bool":
        if not isinstance(value, bool):
            raise InputError(f"{where} must be true or false")
        return value
    if setting.kind == "list":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(f"{where} must be a list of strings")
        return tuple(v.strip() for v in value if v.strip())
    return _convert(setting, value, where)


def _convert(setting: Setting, value: Any, where: str) -> Any:
    """A scalar from the environment or the file, checked against the setting's kind."""
    kind = setting.kind
    if kind in ("float", "int"):
        if isinstance(value, bool):
            raise InputError(f"{where} must be a number")
        try:
            number = float(value) if kind == "float" else int(value)
        except (TypeError, ValueError):
            raise InputError(
                f"{where} is not a{'n integer' if kind == 'int' else ' number'}"
            ) from None
        if number <= 0:
            raise InputError(f"{where} must be greater than 0")
        return number
    if not isinstance(value, str):
        raise InputError(f"{where} must be a string")
    if kind == "choice" and value.strip().lower() not in setting.choices:
        raise InputError(f"{where} must be one of {', '.join(setting.choices)}")
    return value.strip().lower() if kind == "choice" else value.strip()
