"""Fault injection for reliability tests: delays, 5xx, 429 with Retry-After, dropped connections,
lost responses and rate limits, per method and path."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from octoci_emulator.config import FaultRule

__all__ = ["FaultInjector"]


@dataclass
class _Active:
    rule: FaultRule
    pattern: re.Pattern[str]
    fired: int = 0
    window: deque[float] = field(default_factory=deque)


class FaultInjector:
    """The fault rules in force; thread-safe, changeable while the emulator runs."""

    def __init__(self, rules: Iterable[FaultRule] = ()) -> None:
        self._lock = threading.Lock()
        self._active: list[_Active] = []
        for rule in rules:
            self.add(rule)

    def add(self, rule: FaultRule) -> None:
        """Put ``rule`` into force (after the rules already there)."""
        with self._lock:
            self._active.append(_Active(rule, re.compile(rule.path, re.IGNORECASE)))

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._active.clear()

    def rules(self) -> list[FaultRule]:
        """The rules still in force."""
        with self._lock:
            return [a.rule for a in self._active]

    def pick(self, method: str, path: str) -> list[FaultRule]:
        """The faults to apply to this request (a rule counts as fired when it is returned).

        A ``delay`` combines with any other fault; of the others, the first that fires wins. A
        refusing ``rate_limit`` is returned with ``retry_after`` set to the seconds until its
        budget has room again.
        """
        chosen: list[FaultRule] = []
        now = time.monotonic()
        with self._lock:
            for active in list(self._active):
                rule = active.rule
                if rule.method and rule.method != method:
                    continue
                if not active.pattern.search(path):
                    continue
                if rule.action == "rate_limit":
                    # The window holds accepted requests only: a refused one uses no budget, so
                    # a client that waits the Retry-After it was given gets through.
                    while active.window and now - active.window[0] >= rule.per_seconds:
                        active.window.popleft()
                    if len(active.window) < rule.limit:
                        active.window.append(now)
                        continue
                    wait = active.window[0] + rule.per_seconds - now
                    rule = replace(rule, retry_after=max(1, math.ceil(wait)))
                if rule.action != "delay" and any(r.action != "delay" for r in chosen):
                    continue
                chosen.append(rule)
                active.fired += 1
                if rule.times is not None and active.fired >= rule.times:
                    self._active.remove(active)
        return chosen
