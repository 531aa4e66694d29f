"""What every HTTP client of octoci shares, whatever it talks to (Octopus, a Maven or generic
package repository): the User-Agent, the back-off between attempts, reading ``Retry-After``, and
telling from a ``requests`` exception whether the request certainly never reached the server (so
that retrying is always safe) and why, in words that hold no secret.

The retry *policy* built on these is each client's (:mod:`octoci.octopus.connection` for Octopus,
:mod:`octoci.repositories.http` for repositories): what may be retried depends on what a request
does on that server.
"""

from __future__ import annotations

import email.utils
import logging
import platform
import random
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from octoci import __version__

if TYPE_CHECKING:
    # Imported where used: requests with urllib3 and ssl costs ~70 ms here, which publish then
    # spends while its first package is already being packed (octoci.steps.head_start).
    import requests

__all__ = [
    "UNREACHABLE_BUDGET",
    "backoff_wait",
    "never_sent",
    "reason",
    "retry_after",
    "retry_pause",
    "unreachable",
    "user_agent",
]

#: Seconds of retries for a server that has never answered and cannot be connected to (a few
#: attempts: enough for a server that is just starting, short of hiding a wrong address).
UNREACHABLE_BUDGET = 10.0


def retry_pause(
    what: str, problem: str, wait: float, attempt: int, sleep: Callable[[float], None]
) -> None:
    """Say (a warning) that attempt ``attempt`` failed with ``problem`` (already free of
    secrets) and wait ``wait`` seconds before the next."""
    logging.getLogger("octoci").warning(
        "%s: %s; retrying in %.1f s (attempt %d)", what, problem, wait, attempt + 1
    )
    sleep(wait)


def backoff_wait(attempt: int, base: float, ceiling: float) -> float:
    """Seconds to wait before attempt ``attempt + 1``: ``base * 2**(attempt - 1)`` capped at
    ``ceiling``, with jitter (half to all of it) so that many CI jobs retrying together do not
    hammer a recovering server in lockstep."""
    return float(min(ceiling, base * 2 ** (attempt - 1)) * (0.5 + random.random() / 2))


def user_agent(extra: str = "") -> str:
    """``octoci/<version> (python/<version>; <system>; <machine>) requests/<version> <extra>``."""
    import requests

    system = platform.system().lower() or "unknown"
    base = (
        f"octoci/{__version__} (python/{platform.python_version()}; {system}; "
        f"{platform.machine() or 'unknown'}) requests/{getattr(requests, '__version__', '?')}"
    )
    return f"{base} {extra}".strip()


def retry_after(response: requests.Response) -> float | None:
    """The seconds a 429 or 503 answer asks to wait (``Retry-After``: seconds or a date)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def never_sent(exc: requests.exceptions.RequestException) -> bool:
    """True when the request certainly did not reach the server (so retrying is always safe)."""
    import requests
    import urllib3

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ProxyError):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)
        return isinstance(inner, urllib3.exceptions.NewConnectionError | ConnectionRefusedError)
    return False


def unreachable(exc: requests.exceptions.RequestException) -> str:
    """Why no connection could be opened, in words (``""`` for other failures): the raw
    urllib3 text ("NewConnectionError: Failed to establish ...") says it poorly."""
    import urllib3

    inner: object = exc.args[0] if exc.args else None
    inner = getattr(inner, "reason", inner)
    if isinstance(inner, urllib3.exceptions.NameResolutionError):
        return "the host name is not known (DNS lookup failed)"
    refused = isinstance(inner, ConnectionRefusedError) or (
        isinstance(inner, urllib3.exceptions.NewConnectionError)
        and isinstance(inner.__cause__ or inner.__context__, ConnectionRefusedError)
    )
    if refused:
        return "connection refused: nothing is listening at that address and port"
    return ""


def reason(exc: BaseException) -> str:
    """A short, secret-free description of a requests/urllib3 exception: its innermost cause."""
    inner: BaseException = exc
    for _ in range(8):  # requests wraps urllib3, which wraps the socket error
        reason = getattr(inner, "reason", None)
        if isinstance(reason, BaseException):
            inner = reason
            continue
        nested = [a for a in getattr(inner, "args", ()) if isinstance(a, BaseException)]
        if nested:
            inner = nested[-1]
            continue
        break
    text = str(inner)
    text = re.sub(r"<urllib3\.connection\.\w+ object at 0x[0-9a-f]+>: ", "", text)
    text = re.sub(r"^HTTPS?Connection(?:Pool)?\(host=[^)]*\): ", "", text)
    return f"{type(inner).__name__}: {text}" if text else type(inner).__name__
