"""Masking secrets in everything octoci writes: output, logs and error messages."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import TextIO

__all__ = ["MASK", "RedactingStream", "Redactor"]

MASK = "***"
#: Shorter values are not masked: replacing "1" or "ab" everywhere would garble output.
MIN_SECRET_LENGTH = 4
SECRET_VARIABLES = ("OCTOPUS_API_KEY", "OCTOPUS_ACCESS_TOKEN", "OCTOPUS_CLI_API_KEY")


class Redactor:
    """Replaces every known secret in a text with ``***``.

    Example::

        redact = Redactor(["API-ABC123"])
        redact("key API-ABC123 rejected")   # 'key *** rejected'
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Redactor:
        """A redactor for the secret variables every run knows (``OCTOPUS_API_KEY`` ...)."""
        values = []
        for name in SECRET_VARIABLES:
            try:
                value = env.get(name)
            except Exception:  # a non-UTF-8 value is reported where it is used
                continue
            if value:
                values.append(value)
        return cls(values)

    def add(self, secrets: Iterable[str]) -> None:
        """Mask these values from now on."""
        merged = set(self._secrets)
        merged.update(s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH)
        # Longest first, so a secret containing another is masked whole.
        self._secrets = sorted(merged, key=len, reverse=True)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values being masked."""
        return tuple(self._secrets)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


class RedactingStream(io.TextIOBase):
    """A text stream that masks secrets in whatever is written through it, line by line.

    Whole lines are redacted, so a secret split across two ``write`` calls is still caught;
    a partial line waits in the buffer until a newline or :meth:`flush`.
    """

    def __init__(self, target: TextIO, redactor: Redactor) -> None:
        super().__init__()
        self._target = target
        self._redactor = redactor
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            complete, _, self._pending = self._pending.rpartition("\n")
            self._target.write(self._redactor(complete) + "\n")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._target.write(self._redactor(self._pending))
            self._pending = ""
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target, "encoding", None) or "utf-8"
