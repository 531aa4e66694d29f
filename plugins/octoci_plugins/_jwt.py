"""Checks on an OIDC ID token a build server handed over, before Octopus's token exchange.

TeamCity (``jwt.token`` from the OIDC plugin) and Jenkins (an ``oidc-provider`` credential) mint
the token with an audience fixed in the server's configuration; octoci cannot ask for another.
So the token is read, not requested, and these checks turn the two mistakes users make (the
wrong audience, a token that expired during a long build) into a clear warning instead of an
opaque refusal from Octopus. The signature is not verified: that is Octopus's job.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from octoci.errors import InputError

if TYPE_CHECKING:
    from octoci.server import CIServer

__all__ = ["check_id_token", "id_token_from_env", "jwt_claims"]

log = logging.getLogger("octoci")


def jwt_claims(token: str, source: str) -> dict[str, Any]:
    """The claims of a compact JWT (``header.payload.signature``), unverified.

    Raises a one-line :class:`InputError` naming ``source`` when ``token`` is not a JWT; the
    token itself is never part of the message.
    """
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise InputError(f"the ID token from {source} is not a JWT (header.payload.signature)")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeError):
        raise InputError(f"the ID token from {source} has an unreadable payload") from None
    if not isinstance(claims, dict):
        raise InputError(f"the ID token from {source} has a payload that is not a JSON object")
    return claims


def check_id_token(token: str, audience: str, source: str, *, hint: str) -> str:
    """``token`` stripped, after warning when its audience is not ``audience`` or it expired.

    ``hint`` says where the audience is configured (e.g. the TeamCity build feature).
    """
    token = token.strip()
    claims = jwt_claims(token, source)
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else [a for a in aud or [] if isinstance(a, str)]
    if audience and audiences and audience not in audiences:
        log.warning(
            "the ID token from %s is for the audience %s, not %s, so Octopus will refuse it; %s",
            source,
            ", ".join(audiences),
            audience,
            hint,
        )
    exp = claims.get("exp")
    if isinstance(exp, int | float) and exp < time.time():
        log.warning(
            "the ID token from %s expired %d seconds ago; run octoci earlier in the build or "
            "give the token a longer lifetime",
            source,
            int(time.time() - exp),
        )
    return token


def id_token_from_env(
    server: CIServer, names: Sequence[str], audience: str, *, hint: str
) -> str | None:
    """The ID token in the first of ``names`` set in the build's environment, registered with
    the server's masking and checked by :func:`check_id_token`; ``None`` when none is set (the
    servers that hand the token over in a variable: Bitbucket, Jenkins, CircleCI, Cirrus CI,
    Semaphore)."""
    for name in names:
        token = server.env.get(name, "").strip()
        if token:
            server.mask(token)
            return check_id_token(token, audience, name, hint=hint)
    return None
