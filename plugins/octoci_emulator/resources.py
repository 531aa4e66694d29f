"""Helpers shared by the handlers: timestamps, the collection envelope, public views of documents."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from octoci_emulator.store import Document

__all__ = ["collection", "iso_time", "public"]

#: Clients pass ``take=2147483647`` to mean "all"; Octopus's default page size is 30.
DEFAULT_TAKE = 30


def iso_time(timestamp: float | None = None) -> str:
    """An Octopus timestamp (``2024-01-01T00:00:00.000+00:00``) for ``timestamp`` (now if None)."""
    moment = datetime.fromtimestamp(
        timestamp if timestamp is not None else datetime.now(timezone.utc).timestamp(),
        tz=timezone.utc,
    )
    return moment.isoformat(timespec="milliseconds")


def public(doc: Document) -> Document:
    """``doc`` without the emulator's own bookkeeping (keys starting with ``_``)."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def collection(
    items: Sequence[Document],
    item_type: str,
    self_link: str,
    *,
    skip: int = 0,
    take: int = DEFAULT_TAKE,
) -> Document:
    """Octopus's ``ResourceCollection`` envelope around one page of ``items``."""
    take = max(take, 1)
    page = [public(i) for i in items[skip : skip + take]]
    total = len(items)
    pages = max(1, math.ceil(total / take)) if take < 2**31 - 1 else 1
    links: dict[str, Any] = {
        "Self": f"{self_link}?skip={skip}&take={take}",
        "Template": f"{self_link}{{?skip,take}}",
        "Page.All": f"{self_link}?skip=0&take=2147483647",
        "Page.Current": f"{self_link}?skip={skip}&take={take}",
        "Page.Last": f"{self_link}?skip={(pages - 1) * take if pages > 1 else 0}&take={take}",
    }
    if skip + take < total:
        links["Page.Next"] = f"{self_link}?skip={skip + take}&take={take}"
    return {
        "ItemType": item_type,
        "TotalResults": total,
        "ItemsPerPage": take,
        "NumberOfPages": pages,
        "LastPageNumber": pages - 1,
        "Items": page,
        "Links": links,
    }
