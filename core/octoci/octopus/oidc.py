"""OIDC: exchange a build server's ID token for an Octopus access token (RFC 8693).

Flow (as Octopus's login action and Go CLI do it): ``GET {server}/.well-known/openid-configuration``
gives the ``token_endpoint``; a JSON token-exchange request with the service account id as
``audience`` and the ID token as ``subject_token`` returns ``{access_token, expires_in}``.
Errors come as RFC 8693 ``{error, error_description}`` or, from older servers, Octopus's
``{ErrorMessage, Errors}``; both are read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from octoci.errors import OctociError
from octoci.octopus.connection import Connection, TokenSource
from octoci.octopus.errors import OctopusApiError, octopus_messages
from octoci.octopus.settings import check_header_value
from octoci.server import CIServer

__all__ = [
    "TOKEN_EXCHANGE_GRANT",
    "exchange_id_token",
    "no_id_token_message",
    "token_endpoint",
    "token_source",
]

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
_JWT = "urn:ietf:params:oauth:token-type:jwt"


def token_endpoint(connection: Connection) -> str:
    """The token endpoint the server advertises (``{server}/token/v1`` when it names none)."""
    try:
        # Unauthenticated: this runs while the connection is getting its first token.
        response = connection.request(
            "GET",
            "/.well-known/openid-configuration",
            what="discovering Octopus's OIDC token endpoint",
            authenticate=False,
        )
        document = response.json()
    except ValueError:
        document = None
    except OctopusApiError as exc:
        if exc.status == 404:
            raise OctopusApiError(
                f"{connection.settings.url} does not offer OIDC login (no "
                "/.well-known/openid-configuration; Octopus Server 2023.4 or later); use an API key",
                status=404,
            ) from None
        raise
    endpoint = document.get("token_endpoint") if isinstance(document, dict) else None
    return (
        endpoint
        if isinstance(endpoint, str) and endpoint
        else f"{connection.settings.url}/token/v1"
    )


def exchange_id_token(
    connection: Connection, id_token: str, service_account_id: str
) -> tuple[str, int]:
    """``(access_token, expires_in seconds)`` for ``id_token``.

    :raises OctociError: the server refused the exchange (its reason, never the tokens).
    """
    connection.redact.add([id_token])
    endpoint = token_endpoint(connection)
    what = f"exchanging the build server's ID token for service account {service_account_id}"
    response = connection.request(
        "POST",
        endpoint,
        what=what,
        json={
            "grant_type": TOKEN_EXCHANGE_GRANT,
            "audience": service_account_id,
            "subject_token": id_token,
            "subject_token_type": _JWT,
        },
        ok=(200, 400, 401, 403),
        # A token exchange has no side effect on the server: retrying it is harmless.
        idempotent=True,
        authenticate=False,
    )
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
        reasons = "; ".join(octopus_messages(body)) or f"HTTP {response.status_code}"
        raise OctociError(
            connection.redact(
                f"{what} failed: {reasons} (check the service account's OIDC identity: issuer, "
                "subject and audience must match the build server's token)"
            )
        )
    token = str(body["access_token"])
    connection.redact.add([token])
    check_header_value(
        token, f"the access token Octopus gave for service account {service_account_id}"
    )
    try:
        expires_in = int(body.get("expires_in") or 3600)  # the login action's fixture sends "300"
    except (TypeError, ValueError):
        expires_in = 3600
    return token, expires_in


def no_id_token_message(server: CIServer, alternatives: str) -> str:
    """Why there is no ID token, for *this* build server, then ``alternatives`` (what to do
    instead): a server that issues none says so; one that does gets its own hint (GitHub's job
    permission), else its page in the docs."""
    if server.name == "local":
        return f"the local run (no build server detected) gave no OIDC ID token: {alternatives}"
    if type(server).id_token is CIServer.id_token:
        return f"{server.display_name} issues no OIDC ID token: {alternatives}"
    hint = {
        "github_actions": "add 'permissions: id-token: write' to the job",
    }.get(server.name, f"see {server_page(server)}")
    return (
        f"the build server ({server.display_name}) gave no OIDC ID token; {hint}; or {alternatives}"
    )


def server_page(server: CIServer) -> str:
    """The docs page about ``server`` (the index for the local adapter, which has none)."""
    if server.name == "local":
        return "docs/servers/index.md"
    return f"docs/servers/{server.name.replace('_', '-')}.md"


def token_source(
    connection_factory: Callable[[], Connection],
    id_token: Callable[[str], str | None],
    service_account_id: str,
    *,
    on_token: Callable[[str], None] | None = None,
    missing_token: str = "",
) -> TokenSource:
    """A :data:`~octoci.octopus.connection.TokenSource` that asks the build server for a fresh
    ID token (``id_token(audience)``) and exchanges it whenever the connection needs a token.

    ``connection_factory`` gives an unauthenticated connection for the exchange itself;
    ``on_token`` is told every new secret (ID token and access token) so it can be masked;
    ``missing_token`` is the error when the build server gives no ID token (its own words, from
    :func:`no_id_token_message`).
    """

    def source() -> tuple[str, float]:
        subject = id_token(service_account_id)
        if not subject:
            raise OctociError(
                "OCTOPUS_SERVICE_ACCOUNT_ID is set but "
                + (
                    missing_token
                    or "the build server gave no OIDC ID token; or set OCTOPUS_API_KEY"
                )
            )
        if on_token is not None:
            on_token(subject)
        access, expires_in = exchange_id_token(connection_factory(), subject, service_account_id)
        if on_token is not None:
            on_token(access)
        return access, time.monotonic() + expires_in

    return source
