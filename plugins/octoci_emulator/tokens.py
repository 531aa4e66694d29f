"""Compact JWTs signed with HMAC-SHA256, from the standard library.

The emulator issues its access tokens this way, and verifies the ID tokens of *test* OIDC issuers
(configured with a shared secret). :func:`mint_id_token` lets a test act as such an issuer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

__all__ = ["TokenError", "decode_hs256", "encode_hs256", "mint_id_token"]


class TokenError(Exception):
    """A token that is malformed, badly signed or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise TokenError("the token is not base64url") from exc


def encode_hs256(claims: Mapping[str, Any], secret: str) -> str:
    """A signed JWT holding ``claims``."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(dict(claims), separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def decode_hs256(token: str, secret: str, *, now: float | None = None) -> dict[str, Any]:
    """The claims of ``token`` after checking its HS256 signature and its ``exp``/``nbf``."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("the token is not a JWT")
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenError("the token is not a JWT") from exc
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise TokenError("the token is not signed with HS256")
    expected = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _unb64(parts[2])):
        raise TokenError("the token signature is invalid")
    if not isinstance(claims, dict):
        raise TokenError("the token claims are not an object")
    current = time.time() if now is None else now
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and current >= exp:
        raise TokenError("the token has expired")
    nbf = claims.get("nbf")
    if isinstance(nbf, (int, float)) and current < nbf:
        raise TokenError("the token is not valid yet")
    return claims


def mint_id_token(
    *, issuer: str, secret: str, subject: str, audience: str, lifetime: int = 300
) -> str:
    """An ID token as a test OIDC issuer would hand it to a CI job.

    Example::

        mint_id_token(issuer="https://ci.example", secret="s", subject="repo:acme/shop:ref:main",
                      audience=service_account_id)
    """
    now = int(time.time())
    return encode_hs256(
        {
            "iss": issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
        },
        secret,
    )
