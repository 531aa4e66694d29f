"""Reading a resource body the way Octopus validates one: every problem collected, then one 400.

Octopus answers a bad write with ``{"ErrorMessage": "There was a problem with your request.",
"Errors": [every problem]}`` and changes nothing; :class:`Checks` collects the problems while a
model function reads the body, and :meth:`Checks.done` raises them together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from octoci_emulator.errors import BadRequest
from octoci_emulator.jsonbody import CIDict
from octoci_emulator.store import Document, Store

__all__ = ["Checks", "as_body", "plain"]


def as_body(data: Mapping[str, Any]) -> CIDict:
    """``data`` as a case-insensitive body (the seed builds plain dictionaries)."""
    return data if isinstance(data, CIDict) else CIDict(data)


def plain(value: Any) -> Any:
    """``value`` with every :class:`CIDict` turned back into a plain dictionary (for storing)."""
    if isinstance(value, CIDict):
        return {k: plain(v) for k, v in value.raw().items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class Checks:
    """The problems found in one write; typed readers that record a problem instead of raising.

    Example::

        checks = Checks(store, "Spaces-1")
        name = checks.name(body, "environment")
        checks.done()  # 400 with every problem, if there were any
    """

    def __init__(self, store: Store, space_id: str | None) -> None:
        self.store = store
        self.space_id = space_id
        self.errors: list[str] = []

    def fail(self, message: str) -> None:
        """Record one problem."""
        if message not in self.errors:
            self.errors.append(message)

    def done(self) -> None:
        """Raise the 400 if anything was wrong."""
        if self.errors:
            raise BadRequest(*self.errors)

    def _read(self, body: CIDict, key: str, reader: str, *args: Any) -> Any:
        try:
            return getattr(body, reader)(key, *args)
        except BadRequest as exc:
            for error in exc.errors:
                self.fail(error)
            return None

    def text(self, body: CIDict, key: str, default: str = "") -> str:
        """A string field (numbers are taken as their text); ``default`` when absent."""
        value = self._read(body, key, "text", default)
        return default if value is None else str(value)

    def name(self, body: CIDict, label: str) -> str:
        """The required ``Name``, trimmed."""
        name = self.text(body, "Name").strip()
        if not name:
            self.fail(f"Please specify a name for the {label}.")
        return name

    def flag(self, body: CIDict, key: str, default: bool = False) -> bool:
        """A boolean field."""
        value = self._read(body, key, "flag", default)
        return default if value is None else bool(value)

    def integer(self, body: CIDict, key: str, default: int, minimum: int = 0) -> int:
        """A whole-number field of at least ``minimum``."""
        value = body.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(f"The field '{key}' must be a whole number of at least {minimum}.")
            return default
        return value

    def strings(self, body: CIDict, key: str) -> list[str]:
        """A list of strings (absent is empty)."""
        value = self._read(body, key, "strings")
        return [] if value is None else [str(v) for v in value]

    def obj(self, body: CIDict, key: str) -> CIDict | None:
        """A nested object, ``None`` when absent or null."""
        value = self._read(body, key, "obj")
        return value if isinstance(value, CIDict) else None

    def objects(self, body: CIDict, key: str) -> list[CIDict]:
        """A list of objects (absent is empty)."""
        value = self._read(body, key, "objects")
        return [] if value is None else list(value)

    def choice(self, body: CIDict, key: str, allowed: Iterable[str], default: str) -> str:
        """One of ``allowed`` (compared case-insensitively, answered in Octopus's spelling)."""
        value = self.text(body, key, default)
        spelled = {a.lower(): a for a in allowed}
        if value.lower() not in spelled:
            self.fail(f"The field '{key}' must be one of {', '.join(spelled.values())}.")
            return default
        return spelled[value.lower()]

    def existing(self, kind: str, ident: str, label: str) -> Document | None:
        """The ``kind`` document ``ident`` in this space; a problem naming it if there is none."""
        if not ident:
            self.fail(f"Please specify the {label}.")
            return None
        doc = self.store.get(kind, ident)
        if doc is None or doc.get("SpaceId") != self.space_id:
            self.fail(f"The {label} '{ident}' does not exist in this space.")
            return None
        return doc

    def all_existing(self, kind: str, idents: Iterable[str], label: str) -> list[str]:
        """``idents`` in their stored spelling; a problem for each that does not exist."""
        found = []
        for ident in idents:
            doc = self.existing(kind, ident, label)
            if doc is not None:
                found.append(str(doc["Id"]))
        return found

    def unique(self, kind: str, key: str, doc_id: str, message: str) -> None:
        """A problem if another ``kind`` document in this space already has ``key``."""
        other = self.store.by_key(kind, self.space_id, key)
        if other is not None and other["Id"] != doc_id:
            self.fail(message)
