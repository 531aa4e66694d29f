"""Who is calling: API keys, bearer access tokens, the OIDC token exchange (RFC 8693), and the web
view's sign-in (an API key entered once in a form, then a signed session cookie)."""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from octoci_emulator.config import ALL_PERMISSIONS, ApiKey, EmulatorConfig
from octoci_emulator.errors import ApiError, Forbidden, Unauthorized
from octoci_emulator.jsonbody import CIDict
from octoci_emulator.tokens import TokenError, decode_hs256, encode_hs256

__all__ = [
    "TOKEN_EXCHANGE_GRANT",
    "WEB_SESSION_SECONDS",
    "Authenticator",
    "Principal",
    "WebSession",
]

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
_JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
#: How long a web sign-in lasts.
WEB_SESSION_SECONDS = 12 * 3600
#: How long the sign-in form may be left open before it is submitted.
_SIGN_IN_FORM_SECONDS = 3600
_WEB_SESSION = "octoci-emulator-web-session"
_WEB_SIGN_IN_FORM = "octoci-emulator-web-sign-in-form"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: an API key's user or an OIDC service account."""

    name: str
    key: ApiKey | None = None

    def require(self, permission: str) -> None:
        """Raise 403 unless the caller has ``permission``."""
        if self.key is not None and not self.key.allows(permission):
            raise Forbidden(permission)

    def require_full_access(self) -> None:
        """Raise 403 unless the caller has every permission (an API key without a
        ``permissions`` list, or one that lists them all; access tokens act for an account that
        may do everything)."""
        if self.key is not None and not all(self.key.allows(p) for p in ALL_PERMISSIONS):
            raise Forbidden("a full-access API key (every permission)")


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: who it acts for, and the token its forms must carry (CSRF)."""

    principal: Principal
    csrf: str


class Authenticator:
    """Checks credentials against the configuration; issues and verifies access tokens."""

    def __init__(self, config: EmulatorConfig, signing_secret: str) -> None:
        self._config = config
        self._secret = signing_secret

    def authenticate(self, headers: Mapping[str, str], query: Mapping[str, str]) -> Principal:
        """The caller, from ``X-Octopus-ApiKey``, ``Authorization: Bearer`` or ``?apikey=``.

        An empty ``X-Octopus-ApiKey`` counts as absent: api-client.ts sends one when it has only
        an access token.
        """
        bearer = headers.get("Authorization") or ""
        if bearer[:7].lower() == "bearer ":
            return self._from_token(bearer[7:].strip())
        key = (headers.get("X-Octopus-ApiKey") or headers.get("X-NuGet-ApiKey") or "").strip()
        key = key or (query.get("apikey") or "").strip()
        if not key:
            raise Unauthorized()
        for candidate in self._config.api_keys:
            if hmac.compare_digest(candidate.key.encode(), key.encode()):
                return Principal(
                    f"api-key-user-{self._config.api_keys.index(candidate) + 1}", candidate
                )
        raise Unauthorized("The API key you provided was not valid.")

    def _from_token(self, token: str) -> Principal:
        try:
            claims = decode_hs256(token, self._secret)
        except TokenError as exc:
            raise Unauthorized(f"The access token is not valid: {exc}.") from exc
        return Principal(str(claims.get("sub") or "service-account"))

    def exchange(self, body: CIDict, issuer: str) -> dict[str, object]:
        """The token-exchange reply for ``body``; 400 in RFC 8693's error form when refused."""
        if body.text("grant_type") != TOKEN_EXCHANGE_GRANT:
            raise _oauth_error(
                "unsupported_grant_type", f"grant_type must be {TOKEN_EXCHANGE_GRANT}"
            )
        token_type = body.text("subject_token_type", _JWT_TOKEN_TYPE)
        if token_type != _JWT_TOKEN_TYPE:
            raise _oauth_error("invalid_request", f"subject_token_type must be {_JWT_TOKEN_TYPE}")
        audience = body.text("audience")
        subject_token = body.text("subject_token")
        if not audience or not subject_token:
            raise _oauth_error("invalid_request", "audience and subject_token are required")
        reasons = []
        for candidate in self._config.oidc_issuers:
            if candidate.service_account_id != audience:
                continue
            try:
                claims = decode_hs256(subject_token, candidate.secret)
            except TokenError as exc:
                reasons.append(str(exc))
                continue
            aud = claims.get("aud")
            audiences = aud if isinstance(aud, list) else [aud]
            if claims.get("iss") != candidate.issuer:
                reasons.append("the token's issuer does not match")
            elif audience not in audiences:
                reasons.append("the token's audience is not the service account id")
            elif not fnmatch.fnmatchcase(str(claims.get("sub", "")), candidate.subject):
                reasons.append("the token's subject does not match the OIDC identity")
            else:
                return self._issue(audience, issuer)
        detail = "; ".join(reasons) or "no OIDC identity is configured for this service account"
        raise _oauth_error("invalid_grant", f"The subject token was not accepted: {detail}")

    def _issue(self, service_account_id: str, issuer: str) -> dict[str, object]:
        now = int(time.time())
        lifetime = self._config.access_token_lifetime
        token = encode_hs256(
            {
                "iss": issuer,
                "sub": service_account_id,
                "aud": "octopus",
                "iat": now,
                "exp": now + lifetime,
            },
            self._secret,
        )
        return {
            "access_token": token,
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "token_type": "Bearer",
            # A number: the Go CLI decodes it as int32.
            "expires_in": lifetime,
        }

    # -- the web view's sign-in --------------------------------------------------------------
    #
    # The cookie holds a token signed with a key derived for the web view alone, so it is never
    # accepted as a bearer access token (which acts with every permission), nor the reverse. It
    # names the API key by an HMAC under the server's secret, not by the key or a plain hash
    # that a guessable key could be recovered from.

    def sign_in(self, api_key: str) -> str:
        """A session token for the browser that entered ``api_key``; 401 if it is not valid."""
        principal = self.authenticate({"X-Octopus-ApiKey": api_key}, {})
        assert principal.key is not None  # authenticated by an API key just above
        now = int(time.time())
        claims = {
            "aud": _WEB_SESSION,
            "sub": principal.name,
            "key": self._key_fingerprint(principal.key.key),
            "csrf": secrets.token_hex(16),
            "iat": now,
            "exp": now + WEB_SESSION_SECONDS,
        }
        return encode_hs256(claims, self._web_secret())

    def web_session(self, token: str) -> WebSession:
        """The session ``token`` stands for; 401 when it is forged, expired, or its API key is
        no longer accepted."""
        try:
            claims = decode_hs256(token, self._web_secret())
        except TokenError as exc:
            raise Unauthorized(f"The sign-in is not valid: {exc}.") from exc
        if claims.get("aud") != _WEB_SESSION or not isinstance(claims.get("csrf"), str):
            raise Unauthorized("The sign-in is not valid.")
        fingerprint = str(claims.get("key", ""))
        for index, candidate in enumerate(self._config.api_keys):
            if hmac.compare_digest(self._key_fingerprint(candidate.key), fingerprint):
                principal = Principal(f"api-key-user-{index + 1}", candidate)
                return WebSession(principal, claims["csrf"])
        raise Unauthorized("The API key of this sign-in is no longer accepted.")

    def sign_in_form_token(self) -> str:
        """The token the sign-in form carries, so only a form this server served can sign in."""
        now = int(time.time())
        return encode_hs256(
            {"aud": _WEB_SIGN_IN_FORM, "iat": now, "exp": now + _SIGN_IN_FORM_SECONDS},
            self._web_secret(),
        )

    def check_sign_in_form_token(self, token: str) -> bool:
        """True when ``token`` came from :meth:`sign_in_form_token` and has not expired."""
        try:
            claims = decode_hs256(token, self._web_secret())
        except TokenError:
            return False
        return claims.get("aud") == _WEB_SIGN_IN_FORM

    def _web_secret(self) -> str:
        return hmac.new(self._secret.encode(), b"web-view", hashlib.sha256).hexdigest()

    def _key_fingerprint(self, api_key: str) -> str:
        return hmac.new(self._web_secret().encode(), api_key.encode(), hashlib.sha256).hexdigest()


def _oauth_error(code: str, description: str) -> ApiError:
    # RFC 8693 shape, plus the Octopus fields the login action falls back to on older servers.
    return ApiError(
        400,
        description,
        body={
            "error": code,
            "error_description": description,
            "ErrorMessage": description,
            "Errors": [description],
        },
    )
