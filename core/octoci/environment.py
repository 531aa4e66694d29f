"""A read-only, validated view of the environment variables a run was started with.

Adapters never read ``os.environ``: they get an :class:`Environment` (or any ``Mapping[str, str]``)
injected, so tests feed recorded variable sets. On POSIX, Python decodes a value that is not valid
UTF-8 with surrogate escapes; reading such a value here raises a one-line :class:`InputError`
naming the variable, instead of failing later while printing it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from octoci.errors import InputError

__all__ = ["Environment", "is_truthy"]


class Environment(Mapping[str, str]):
    """Environment variables, checked for valid UTF-8 as they are read.

    Example::

        env = Environment({"GITHUB_ACTIONS": "true"})
        env.get("GITHUB_ACTIONS")   # 'true'
        Environment.from_os()       # a snapshot of os.environ
    """

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    @classmethod
    def from_os(cls) -> Environment:
        """A snapshot of ``os.environ`` taken now."""
        return cls(os.environ)

    def __getitem__(self, key: str) -> str:
        value = self._values[key]
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(
                f"environment variable {key} is not valid UTF-8; set it to a UTF-8 value"
            ) from None
        return value

    def __contains__(self, key: object) -> bool:
        # Presence is not a read: checking for a variable must not fail on its value.
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        # Never show values: they may be secrets.
        return f"Environment(<{len(self._values)} variables>)"


_TRUE = {"1", "true", "yes", "on"}


def is_truthy(value: str | None) -> bool:
    """``true``/``True``/``1``/``yes``/``on`` in any case (AppVeyor sets ``True``, others ``true``)."""
    return value is not None and value.strip().lower() in _TRUE
