"""Azure DevOps OIDC ID tokens for a service connection (workload identity federation).

From a job: ``POST {SYSTEM_OIDCREQUESTURI}?api-version=7.1&serviceConnectionId={id}`` with the
job's ``SYSTEM_ACCESSTOKEN`` as bearer token answers ``{"oidcToken": "<jwt>"}`` (as
``azure-identity``'s ``AzurePipelinesCredential`` does). The audience is fixed by Azure DevOps
(``api://AzureADTokenExchange``), so the Octopus OIDC identity needs that custom audience.
"""

from __future__ import annotations

from collections.abc import Mapping

from octoci.errors import OctociError
from octoci_plugins._http import TIMEOUT, api_session

__all__ = ["SERVICE_CONNECTION_VARIABLE", "IdTokenError", "request_id_token"]

#: The variable naming the service connection whose federated identity octoci uses.
SERVICE_CONNECTION_VARIABLE = "OCTOCI_AZURE_SERVICE_CONNECTION_ID"
#: Azure DevOps issues tokens for this audience only.
AZURE_AUDIENCE = "api://AzureADTokenExchange"


class IdTokenError(OctociError):
    """The build server was asked for an OIDC ID token and did not give one."""


def request_id_token(env: Mapping[str, str]) -> str | None:
    """The service connection's ID token; ``None`` when no connection or token is configured."""
    url = env.get("SYSTEM_OIDCREQUESTURI", "").strip()
    connection_id = env.get(SERVICE_CONNECTION_VARIABLE, "").strip()
    access_token = env.get("SYSTEM_ACCESSTOKEN", "").strip()
    if not url or not connection_id:
        return None
    if not access_token:
        raise IdTokenError(
            "Azure DevOps OIDC needs the job token: map it with "
            "'env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)'"
        )
    import requests

    session = api_session(token=access_token, headers={"Content-Type": "application/json"})
    try:
        response = session.post(
            url,
            params={"api-version": "7.1", "serviceConnectionId": connection_id},
            data=b"",
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise IdTokenError(
            f"Azure DevOps OIDC token request: cannot reach the server ({type(exc).__name__})"
        ) from None
    finally:
        session.close()
    if response.status_code >= 400:
        raise IdTokenError(
            f"Azure DevOps OIDC token request answered HTTP {response.status_code}; is "
            f"{SERVICE_CONNECTION_VARIABLE} the id of a workload-identity service connection "
            "this pipeline may use?"
        )
    try:
        data = response.json()
    except ValueError:
        raise IdTokenError("Azure DevOps OIDC token request did not answer with JSON") from None
    token = data.get("oidcToken") if isinstance(data, Mapping) else None
    if not isinstance(token, str) or not token:
        raise IdTokenError("Azure DevOps OIDC token request: the answer has no oidcToken")
    return token
