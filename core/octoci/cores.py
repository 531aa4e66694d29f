"""How many cores this process may use: the one place that asks the OS."""

from __future__ import annotations

import os

__all__ = ["usable_cores"]


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity where the OS has one (Linux; a
    container or ``taskset`` may allow fewer than the machine has), else the machine's count."""
    sched = getattr(os, "sched_getaffinity", None)
    count = len(sched(0)) if sched is not None else (os.cpu_count() or 1)
    return max(1, count)
