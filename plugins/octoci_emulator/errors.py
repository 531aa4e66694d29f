"""Octopus's error answers: ``{"ErrorMessage", "Errors", ...}`` with the status code Octopus uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "GENERIC_MESSAGE",
    "ApiError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "Unauthorized",
    "error_body",
]

#: The outer message Octopus gives for validation failures; the specifics go into ``Errors``.
GENERIC_MESSAGE = "There was a problem with your request."


def error_body(
    message: str,
    errors: Sequence[str] = (),
    *,
    details: Mapping[str, Any] | None = None,
    full_exception: str | None = None,
) -> dict[str, Any]:
    """The JSON body of an Octopus error (Swagger definition ``Error``)."""
    return {
        "ErrorMessage": message,
        "Errors": list(errors),
        "FullException": full_exception,
        "HelpText": None,
        "HelpLink": None,
        "ParsedHelpLinks": [],
        "Details": dict(details or {}),
    }


class ApiError(Exception):
    """An HTTP error answer; raised anywhere in a handler, written by the server.

    Example::

        raise ApiError(409, GENERIC_MESSAGE, ["A package with the same ID ... already exists."])
    """

    def __init__(
        self,
        status: int,
        message: str,
        errors: Sequence[str] = (),
        *,
        headers: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self._body = dict(body) if body is not None else None

    def body(self) -> dict[str, Any]:
        """The JSON document sent with the status."""
        if self._body is not None:
            return self._body
        return error_body(self.message, self.errors)


class BadRequest(ApiError):
    """400 with Octopus's generic message and the specific reasons in ``Errors``."""

    def __init__(self, *errors: str) -> None:
        super().__init__(400, GENERIC_MESSAGE, errors)


class Conflict(ApiError):
    """409: the resource exists and the overwrite mode says fail."""

    def __init__(self, *errors: str) -> None:
        super().__init__(409, GENERIC_MESSAGE, errors)


class NotFound(ApiError):
    """404 for a resource, space or route that does not exist."""

    def __init__(self, what: str = "") -> None:
        message = "The resource you requested was not found."
        super().__init__(404, message, [what] if what else [])


class Unauthorized(ApiError):
    """401: no credentials, or credentials Octopus does not know."""

    MESSAGE = (
        "You must be logged in to perform this action. Please provide a valid API key or log in "
        "again."
    )

    def __init__(self, reason: str = "") -> None:
        super().__init__(401, self.MESSAGE, [reason] if reason else [])


class Forbidden(ApiError):
    """403: valid credentials without the permission the operation needs."""

    def __init__(self, permission: str) -> None:
        message = (
            "You do not have permission to perform this action. Please contact your Octopus "
            f"administrator. Missing permission: {permission}"
        )
        super().__init__(403, message, [message])
