"""Errors of the Octopus client: one line each, with what the status means and what to do.

Octopus answers errors with ``{"ErrorMessage", "Errors": [...], ...}``. :func:`api_error`
turns such an answer into one :class:`OctopusApiError` whose message says what failed, what
Octopus said, and what the status means (401: the key was refused; 403: which permission is
missing; 404: what was not found). Exit codes: ``docs/reference/exit-codes.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from octoci.errors import EXIT_USAGE, OctociError

__all__ = [
    "EXIT_TASK_FAILED",
    "EXIT_TIMEOUT",
    "OctopusApiError",
    "OctopusAuthError",
    "OctopusConnectionError",
    "OctopusNotFoundError",
    "PackageConflictError",
    "ServerTooOldError",
    "TaskFailedError",
    "TaskTimeoutError",
    "UnknownNameError",
    "api_error",
    "octopus_messages",
]

#: A deployment, runbook run or task finished unsuccessfully (Failed, Canceled, TimedOut).
EXIT_TASK_FAILED = 3
#: Waiting for a task ran out of time (``--timeout``).
EXIT_TIMEOUT = 4


class OctopusApiError(OctociError):
    """Octopus answered with an error status (exit code 1).

    Example::

        raise OctopusApiError("pushing Acme.Web 1.0.0 failed: HTTP 400: ...", status=400)
    """

    def __init__(self, message: str, *, status: int = 0, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.errors = tuple(errors)


class OctopusAuthError(OctopusApiError):
    """401 or 403: the credentials were refused, or lack a permission."""


class OctopusNotFoundError(OctopusApiError):
    """404, or a named space/project/environment/tenant/runbook that does not exist."""


class UnknownNameError(OctopusNotFoundError):
    """A name given on the command line (space, project, environment, tenant, tag, channel,
    runbook) does not exist: bad input, exit code 2. The message lists close matches."""

    exit_code: ClassVar[int] = EXIT_USAGE


class ServerTooOldError(OctopusApiError):
    """The Octopus Server is older than the operation needs."""


class PackageConflictError(OctopusApiError):
    """A different file is already stored under the same package id and version."""


class OctopusConnectionError(OctociError):
    """Octopus could not be reached (or kept failing) within the retry budget (exit code 1).

    ``ambiguous`` is True when the request may have been processed although no answer arrived
    (a timed-out read, a connection dropped after the body was sent): callers of non-idempotent
    operations verify before retrying.
    """

    def __init__(self, message: str, *, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous


class TaskFailedError(OctociError):
    """A task (deployment, runbook run) ended Failed, Canceled or TimedOut (exit code 3)."""

    exit_code: ClassVar[int] = EXIT_TASK_FAILED


class TaskTimeoutError(OctociError):
    """Waiting for tasks took longer than the timeout (exit code 4)."""

    exit_code: ClassVar[int] = EXIT_TIMEOUT


_REASONS = {
    400: "Octopus refused the request as invalid",
    401: (
        "the API key or access token was refused: check OCTOPUS_API_KEY / OCTOPUS_ACCESS_TOKEN "
        "(an expired or revoked key, or a key of another server)"
    ),
    403: "the credentials are valid but lack a permission",
    404: "not found",
    405: "the server does not support this operation (an older Octopus Server?)",
    409: "it already exists",
    413: "the request is too large for the server or a proxy in front of it",
    429: "Octopus is rate-limiting requests",
    500: "Octopus failed with an internal error",
    502: "a proxy in front of Octopus could not reach it",
    503: "Octopus is unavailable (starting up or overloaded)",
    504: "a proxy in front of Octopus timed out",
}


def octopus_messages(body: Any) -> list[str]:
    """The distinct messages of an Octopus error body (``ErrorMessage`` then ``Errors``), or of an
    RFC 8693 error (``error_description``/``error``); empty when the body has none."""
    if not isinstance(body, dict):
        return []
    found: list[str] = []
    candidates: list[Any] = []
    if body.get("error") or body.get("error_description"):
        candidates.append(body.get("error_description") or body.get("error"))
    candidates.append(body.get("ErrorMessage"))
    errors = body.get("Errors")
    if isinstance(errors, list):
        candidates.extend(errors)
    for item in candidates:
        if isinstance(item, str) and item.strip():
            text = " ".join(item.split())
            if text not in found:
                found.append(text)
    # Octopus's generic outer message adds nothing when specific errors follow.
    generic = "There was a problem with your request."
    if len(found) > 1 and generic in found:
        found.remove(generic)
    return found


_MISSING_PERMISSION = re.compile(r"[Mm]issing permission:?\s*(\w+)")


def api_error(
    status: int,
    body: Any,
    what: str,
    *,
    permission: str = "",
    text: str = "",
) -> OctopusApiError:
    """One error for an HTTP error answer.

    :param status: the HTTP status.
    :param body: the decoded JSON body (anything; only Octopus's error shape is read).
    :param what: what was being done, e.g. ``"pushing Acme.Web.1.0.0.zip"``.
    :param permission: the permission the operation needs, named on a 403.
    :param text: the raw body when it was not JSON (shown shortened).
    """
    messages = octopus_messages(body)
    if not messages and text.strip():
        snippet = " ".join(text.split())
        messages = [snippet[:200] + ("..." if len(snippet) > 200 else "")]
    reason = _REASONS.get(status, "")
    if status == 403:
        missing = next(
            (m.group(1) for m in map(_MISSING_PERMISSION.search, messages) if m), permission
        )
        if missing:
            reason = f"the credentials lack the {missing} permission (ask an Octopus administrator)"
    said = "; ".join(messages)
    detail = f"HTTP {status}" + (f" ({reason})" if reason else "")
    message = f"{what} failed: {detail}" + (f": {said}" if said else "")
    cls: type[OctopusApiError] = OctopusApiError
    if status in (401, 403):
        cls = OctopusAuthError
    elif status == 404:
        cls = OctopusNotFoundError
    return cls(message, status=status, errors=messages)
