"""The emulator's state: SQLite (standard library) plus a directory of package files.

Every resource is a JSON document keyed by ``(kind, Id)``, with the space it belongs to and an
optional unique *key* (a lower-cased name, or ``packageid|canonical-version``) so lookups by name
and conflict checks are one indexed query. One connection is shared under a lock: SQLite
serialises writers anyway, and the emulator's write rate is tiny next to its upload bandwidth.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["Document", "Store"]

Document = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    space_id TEXT,
    key TEXT,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS documents_key ON documents (kind, space_id, key);
CREATE INDEX IF NOT EXISTS documents_space ON documents (kind, space_id, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Store:
    """Documents in SQLite, package files under ``files/``; safe to share between threads.

    Example::

        store = Store(Path("state"))
        with store.transaction():
            env_id = store.next_id("Environments")
            store.put("environment", {"Id": env_id, "SpaceId": "Spaces-1", "Name": "Dev"}, key="dev")
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = root / "files"
        self.incoming = root / "incoming"
        self.files.mkdir(parents=True, exist_ok=True)
        self.incoming.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(
            root / "emulator.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a COMMIT is on disk when it returns, so a file removed after it (the one an
        # overwritten package row named) can never be needed again, even after a power loss.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database (the files stay)."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nested calls join the outer transaction."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    def next_id(self, prefix: str) -> str:
        """A new ``Prefix-N`` id; numbers are global, as in Octopus."""
        with self.transaction():
            row = self._conn.execute(
                "SELECT value FROM counters WHERE name = ?", (prefix,)
            ).fetchone()
            value = (row[0] if row else 0) + 1
            self._conn.execute(
                "INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)", (prefix, value)
            )
        return f"{prefix}-{value}"

    def put(self, kind: str, doc: Document, *, key: str | None = None) -> Document:
        """Insert or replace ``doc`` (its ``Id`` and ``SpaceId`` are stored as columns)."""
        with self.transaction():
            row = self._conn.execute(
                "SELECT seq FROM documents WHERE kind = ? AND id = ?", (kind, doc["Id"])
            ).fetchone()
            if row is None:
                seq_row = self._conn.execute(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM documents WHERE kind = ?", (kind,)
                ).fetchone()
                seq = int(seq_row[0])
            else:
                seq = int(row[0])
            self._conn.execute(
                "INSERT OR REPLACE INTO documents (kind, id, space_id, key, seq, body) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (kind, doc["Id"], doc.get("SpaceId"), key, seq, json.dumps(doc)),
            )
        return doc

    def get(self, kind: str, doc_id: str) -> Document | None:
        """The document ``doc_id`` of ``kind`` (ids compare case-insensitively, as in Octopus)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT body FROM documents WHERE kind = ? AND id = ? COLLATE NOCASE",
                (kind, doc_id),
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def by_key(self, kind: str, space_id: str | None, key: str) -> Document | None:
        """The document of ``kind`` in ``space_id`` whose unique key is ``key``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT body FROM documents WHERE kind = ? AND space_id IS ? AND key = ?",
                (kind, space_id, key),
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def list(
        self,
        kind: str,
        space_id: str | None = None,
        where: Callable[[Document], bool] | None = None,
    ) -> list[Document]:
        """Every document of ``kind`` (in ``space_id`` when given), oldest first."""
        with self._lock:
            if space_id is None:
                rows = self._conn.execute(
                    "SELECT body FROM documents WHERE kind = ? ORDER BY seq", (kind,)
                ).fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT body FROM documents WHERE kind = ? AND space_id = ? ORDER BY seq",
                    (kind, space_id),
                ).fetchall()
        docs = [dict(json.loads(row[0])) for row in rows]
        return docs if where is None else [d for d in docs if where(d)]

    def delete(self, kind: str, doc_id: str) -> bool:
        """Remove a document; ``False`` if there was none."""
        with self.transaction():
            cursor = self._conn.execute(
                "DELETE FROM documents WHERE kind = ? AND id = ? COLLATE NOCASE", (kind, doc_id)
            )
        return cursor.rowcount > 0

    def meta(self, name: str, default: Callable[[], str]) -> str:
        """A persistent setting, created with ``default()`` the first time it is asked for."""
        with self.transaction():
            row = self._conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
            if row is not None:
                return str(row[0])
            value = default()
            self._conn.execute("INSERT INTO meta (name, value) VALUES (?, ?)", (name, value))
        return value
