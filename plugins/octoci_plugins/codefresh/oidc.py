"""Codefresh OIDC ID tokens, for Octopus's token exchange (keyless login).

Every Codefresh step has ``CF_OIDC_REQUEST_URL`` and ``CF_OIDC_REQUEST_TOKEN``;
``GET $CF_OIDC_REQUEST_URL?audience=<aud>`` with ``Authorization: $CF_OIDC_REQUEST_TOKEN`` (the
token itself, no scheme) answers ``{"id_token": "<jwt>"}``. That is what Codefresh's own
``obtain-oidc-id-token`` step does (codefresh-io/steps, incubating/obtain-oidc-id-token/step.yaml);
its docs: https://codefresh.io/steps/step/obtain-oidc-id-token.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from octoci.errors import OctociError
from octoci_plugins._http import CommitSourceError, api_session, get_json

__all__ = ["REQUEST_TOKEN", "REQUEST_URL", "IdTokenError", "request_id_token"]

REQUEST_URL = "CF_OIDC_REQUEST_URL"
REQUEST_TOKEN = "CF_OIDC_REQUEST_TOKEN"
WHAT = "Codefresh ID token request"


class IdTokenError(OctociError):
    """Codefresh was asked for an OIDC ID token and did not give one."""


def request_id_token(env: Mapping[str, str], audience: str) -> str | None:
    """An ID token for ``audience``; ``None`` when the step has no request URL and token (an
    on-premises installation without OIDC). Raises :class:`IdTokenError`, never showing the
    request token, when Codefresh refuses."""
    url = env.get(REQUEST_URL, "").strip()
    request_token = env.get(REQUEST_TOKEN, "").strip()
    if not url or not request_token:
        return None
    if audience:
        url += ("&" if "?" in url else "?") + "audience=" + quote(audience, safe="")
    session = api_session(headers={"Authorization": request_token})
    try:
        data = get_json(session, url, what=WHAT)
    except CommitSourceError as exc:
        raise IdTokenError(str(exc)) from None
    finally:
        session.close()
    value = data.get("id_token") if isinstance(data, Mapping) else None
    if not isinstance(value, str) or not value:
        raise IdTokenError(f"{WHAT}: the answer has no id_token")
    return value
