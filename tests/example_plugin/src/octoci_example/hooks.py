"""Hook specifications the example plugin adds, so that other plugins can implement them."""

from __future__ import annotations

import octoci


@octoci.hookspec
def octoci_example_greeting(name: str) -> str:  # type: ignore[empty-body]
    """Return a greeting for ``name``; every implementation's greeting is printed."""
