"""Request JSON read the way Octopus's ASP.NET binder reads it: keys case-insensitively.

The TypeScript client sends PascalCase (``ProjectName``) plus camelCase ``spaceId``; the Go client
sends camelCase throughout (``projectName``). :class:`CIDict` lets handlers ask for one spelling.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from octoci_emulator.errors import BadRequest

__all__ = ["CIDict", "parse_json"]


class CIDict(Mapping[str, Any]):
    """A read-only mapping whose keys match case-insensitively; nested objects are wrapped too.

    Example::

        CIDict({"projectName": "Web"})["ProjectName"]  # 'Web'
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = {str(k).lower(): (str(k), v) for k, v in data.items()}

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._data[key.lower()][1])

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._data.values())

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._data

    def text(self, key: str, default: str = "") -> str:
        """The value of ``key`` as a string; a number becomes its text, null the default."""
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise BadRequest(f"The field '{key}' must be a string.")
        return str(value)

    def flag(self, key: str, default: bool = False) -> bool:
        """The value of ``key`` as a boolean (``"true"``/``"false"`` strings are accepted too)."""
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false"}:
            return value.lower() == "true"
        raise BadRequest(f"The field '{key}' must be true or false.")

    def strings(self, key: str) -> list[str]:
        """The value of ``key`` as a list of strings (a single string counts as one item)."""
        value = self.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise BadRequest(f"The field '{key}' must be a list of strings.")

    def obj(self, key: str) -> CIDict | None:
        """The value of ``key`` as an object, ``None`` when absent or null."""
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, CIDict):
            raise BadRequest(f"The field '{key}' must be an object.")
        return value

    def objects(self, key: str) -> list[CIDict]:
        """The value of ``key`` as a list of objects (empty when absent or null)."""
        value = self.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, CIDict) for v in value):
            raise BadRequest(f"The field '{key}' must be a list of objects.")
        return list(value)

    def raw(self) -> dict[str, Any]:
        """The original dictionary, original key spellings."""
        return dict(self._data.values())


def _wrap(value: Any) -> Any:
    if isinstance(value, Mapping):
        return CIDict(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def parse_json(data: bytes) -> CIDict:
    """The request body as a :class:`CIDict`; 400 for an empty body, invalid JSON or a non-object."""
    if not data.strip():
        raise BadRequest("No request body was supplied.")
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise BadRequest("The request body must be a JSON object.")
    return CIDict(value)
