"""Creating things at most once: what to do when the answer to a create request is lost.

A POST that creates a release, a deployment or a runbook run is not idempotent. When its answer
is lost (the connection dropped after the body was sent, a read timed out, or Octopus answered
500/502/504), the server may or may not have acted. The connection raises such failures instead
of retrying them (see :mod:`octoci.octopus.connection`); the callers here look for what they
asked for, report it when it is there, and send the request again only when it is not, within
the same retry budget the connection uses.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from octoci.octopus.connection import Connection
from octoci.octopus.errors import OctopusApiError, OctopusConnectionError

__all__ = ["LostAnswer", "RetryBudget", "lost_answer", "post_create"]

log = logging.getLogger("octoci")

#: Answers after which Octopus may have acted although it reported a failure.
AMBIGUOUS_STATUSES = frozenset({500, 502, 504})


def lost_answer(exc: Exception) -> bool:
    """True when ``exc`` leaves open whether Octopus created what was asked for."""
    if isinstance(exc, OctopusConnectionError):
        return exc.ambiguous
    return isinstance(exc, OctopusApiError) and exc.status in AMBIGUOUS_STATUSES


@dataclass(frozen=True)
class LostAnswer:
    """A create request whose answer was lost: Octopus may or may not have acted."""

    error: OctopusConnectionError | OctopusApiError
    """What went wrong."""

    @property
    def problem(self) -> str:
        """The error's one line, for the log and the final error."""
        return str(self.error)


def post_create(connection: Connection, path: str, body: Any, *, what: str, permission: str) -> Any:
    """POST a create request once: Octopus's answer, or :class:`LostAnswer` when the answer was
    lost (the caller looks for what it asked for before it sends again). Any other failure
    raises."""
    try:
        return connection.post_json(
            connection.space_path(path), body, what=what, permission=permission
        )
    except (OctopusConnectionError, OctopusApiError) as exc:
        if not lost_answer(exc):
            raise
        return LostAnswer(exc)


@dataclass
class RetryBudget:
    """The connection's retry budget and backoff, for retries made after a look-up.

    Example::

        budget = RetryBudget(connection, "creating release 1.2.3")
        ...
        budget.wait(problem)   # sleeps, or raises when the budget is spent
    """

    connection: Connection
    what: str
    sleep: Callable[[float], None] = field(default=time.sleep)
    started: float = field(default_factory=time.monotonic)
    attempt: int = 1

    def wait(self, problem: str, missing: str) -> None:
        """Sleep before the next attempt; raise :class:`OctopusConnectionError` naming
        ``missing`` (what Octopus does not hold, e.g. ``"release 1.2.3 of Shop"``) when the
        budget would be exceeded."""
        settings = self.connection.settings
        elapsed = time.monotonic() - self.started
        wait = min(settings.backoff_max, settings.backoff_base * 2 ** (self.attempt - 1))
        wait *= 0.5 + random.random() / 2  # jitter, as the connection does
        if elapsed + wait > settings.retry_budget:
            raise OctopusConnectionError(
                f"{self.what} failed after {self.attempt} attempt"
                f"{'s' if self.attempt != 1 else ''} in {elapsed:.0f} s, and {missing} is not in "
                f"Octopus: {problem}"
            )
        self.attempt += 1
        log.warning(
            "%s: %s is not in Octopus; sending the request again in %.1f s (attempt %d)",
            self.what,
            missing,
            wait,
            self.attempt,
        )
        self.sleep(wait)
