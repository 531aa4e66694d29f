"""The fixed timestamp every entry gets, from ``SOURCE_DATE_EPOCH`` or a constant.

Packages never record file modification times, owners or umask-dependent modes: the same content
gives the same bytes (reproducible-builds.org/docs/source-date-epoch).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

__all__ = ["DEFAULT_TIMESTAMP", "dos_date_time", "timestamp_from_env"]

#: 1980-01-01T00:00:00Z, the earliest time a zip entry can hold.
DEFAULT_TIMESTAMP = 315_532_800
_DOS_LAST = 4_354_819_198  # 2107-12-31T23:59:58Z


def timestamp_from_env(env: Mapping[str, str]) -> int | None:
    """``SOURCE_DATE_EPOCH`` as seconds, ``None`` when unset; ``ValueError`` when malformed."""
    value = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(
            f"SOURCE_DATE_EPOCH={value!r} is not a number of seconds since 1970 (e.g. 1700000000)"
        )
    return int(value)


def dos_date_time(timestamp: int) -> tuple[int, int]:
    """The zip ``(date, time)`` fields for ``timestamp`` read as UTC, clamped to 1980-2107
    (zip's range), to the 2-second resolution zip has."""
    clamped = min(max(timestamp, DEFAULT_TIMESTAMP), _DOS_LAST)
    moment = datetime.fromtimestamp(clamped, tz=timezone.utc)
    date = ((moment.year - 1980) << 9) | (moment.month << 5) | moment.day
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    return date, time
