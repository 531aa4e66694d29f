"""GitHub Actions OIDC ID tokens, for Octopus's token exchange (keyless login).

With ``permissions: id-token: write`` the runner sets ``ACTIONS_ID_TOKEN_REQUEST_URL`` (already
carrying a query string) and ``ACTIONS_ID_TOKEN_REQUEST_TOKEN``; ``GET $URL&audience=<aud>`` with
that bearer token answers ``{"value": "<jwt>"}``, as ``actions/toolkit``'s ``oidc-utils.ts`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from octoci.errors import OctociError
from octoci_plugins._http import CommitSourceError, api_session, get_json

__all__ = ["IdTokenError", "request_id_token"]


class IdTokenError(OctociError):
    """The build server was asked for an OIDC ID token and did not give one."""


def request_id_token(
    env: Mapping[str, str],
    audience: str,
    *,
    server: str = "GitHub Actions",
    hint: str = "does the job have 'permissions: id-token: write'?",
) -> str | None:
    """An ID token for ``audience``; ``None`` when the job has no ``id-token: write`` permission.

    Raises :class:`IdTokenError` (never showing the request token) when the runner refuses;
    ``server`` names the runner in it and ``hint`` says what the job must enable (Forgejo's
    runner serves the same endpoint with ``enable-openid-connect: true``).
    """
    url = env.get("ACTIONS_ID_TOKEN_REQUEST_URL", "").strip()
    request_token = env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "").strip()
    if not url or not request_token:
        return None
    if audience:
        url += ("&" if "?" in url else "?") + "audience=" + quote(audience, safe="")
    session = api_session(token=request_token)
    try:
        data = get_json(session, url, what=f"{server} ID token request")
    except CommitSourceError as exc:
        raise IdTokenError(f"{exc}; {hint}") from None
    finally:
        session.close()
    value = data.get("value") if isinstance(data, Mapping) else None
    if not isinstance(value, str) or not value:
        raise IdTokenError(f"{server} ID token request: the answer has no token")
    return value
