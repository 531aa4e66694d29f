"""Authentication: API keys (header and query), permissions, bearer tokens, OIDC token exchange."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests

from octoci_emulator import Emulator, mint_id_token

from .conftest import Client

SERVICE_ACCOUNT = "5b5f3c4e-0000-4000-8000-000000000001"
ISSUER = "https://token.ci.example"
SECRET = "issuer-test-secret"

OIDC_SEED: dict[str, Any] = {
    "api_keys": ["API-TESTKEY1", {"key": "API-READONLY", "permissions": ["ReleaseCreate"]}],
    "oidc": [
        {
            "issuer": ISSUER,
            "secret": SECRET,
            "service_account_id": SERVICE_ACCOUNT,
            "subject": "repo:acme/shop:*",
        }
    ],
}


@pytest.fixture
def octo(octopus_emulator_factory: Any) -> Emulator:
    emulator: Emulator = octopus_emulator_factory(OIDC_SEED)
    return emulator


def _token(subject: str = "repo:acme/shop:ref:refs/heads/main", **changes: Any) -> str:
    claims = {"issuer": ISSUER, "secret": SECRET, "subject": subject, "audience": SERVICE_ACCOUNT}
    claims.update(changes)
    return mint_id_token(**claims)


def _exchange(octo: Emulator, subject_token: str, path: str = "/token/v1") -> requests.Response:
    return requests.post(
        octo.url + path,
        json={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "audience": SERVICE_ACCOUNT,
            "subject_token": subject_token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        },
        timeout=10,
    )


def test_missing_and_wrong_keys_get_401_with_octopus_body(octo: Emulator) -> None:
    url = f"{octo.url}/api/Spaces-1/environments"
    for headers in ({}, {"X-Octopus-ApiKey": ""}, {"X-Octopus-ApiKey": "API-WRONG"}):
        response = requests.get(url, headers=headers, timeout=10)
        assert response.status_code == 401
        body = response.json()
        assert body["ErrorMessage"].startswith("You must be logged in")
        assert isinstance(body["Errors"], list)


def test_key_in_header_or_query_string(octo: Emulator) -> None:
    url = f"{octo.url}/api/Spaces-1/environments"
    assert requests.get(url, headers={"X-Octopus-ApiKey": "API-TESTKEY1"}, timeout=10).ok
    assert requests.get(url + "?apikey=API-TESTKEY1", timeout=10).ok
    assert requests.get(url + "?ApiKey=API-TESTKEY1", timeout=10).ok


def test_key_without_permission_gets_403(octo: Emulator) -> None:
    client = Client(octo)
    client.session.headers["X-Octopus-ApiKey"] = "API-READONLY"
    response = client.push("MyApp.1.0.0.zip")
    assert response.status_code == 403
    assert "BuiltInFeedPush" in response.json()["ErrorMessage"]
    assert octo.stored_files() == []


def test_openid_configuration_and_token_exchange(octo: Emulator) -> None:
    # The login action's quirk: a trailing slash on the server URL gives a double slash.
    config = requests.get(octo.url + "//.well-known/openid-configuration", timeout=10)
    assert config.status_code == 200
    assert config.json()["token_endpoint"] == f"{octo.url}/token/v1"
    for path in ("/token/v1", "/api/token/v1"):
        reply = _exchange(octo, _token(), path)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["token_type"] == "Bearer"
        assert isinstance(body["expires_in"], int)
        headers = {"Authorization": f"Bearer {body['access_token']}", "X-Octopus-ApiKey": ""}
        envs = requests.get(f"{octo.url}/api/Spaces-1/environments", headers=headers, timeout=10)
        assert envs.status_code == 200


@pytest.mark.parametrize(
    ("token_changes", "reason"),
    [
        ({"subject": "repo:evil/shop:ref:main"}, "subject"),
        ({"secret": "another-secret"}, "signature"),
        ({"issuer": "https://elsewhere"}, "issuer"),
        ({"lifetime": -10}, "expired"),
    ],
)
def test_token_exchange_refuses_bad_id_tokens(
    octo: Emulator, token_changes: dict[str, Any], reason: str
) -> None:
    reply = _exchange(octo, _token(**token_changes))
    assert reply.status_code == 400
    body = reply.json()
    assert body["error"] == "invalid_grant"
    assert reason in body["error_description"]
    assert body["Errors"]


def test_forged_bearer_token_is_401(octo: Emulator) -> None:
    headers = {"Authorization": "Bearer eyJ.fake.token"}
    response = requests.get(f"{octo.url}/api/Spaces-1/environments", headers=headers, timeout=10)
    assert response.status_code == 401


def test_api_keys_never_reach_the_log(octo: Emulator) -> None:
    # A handler on the emulator's own logger: the CLI turns off propagation of "octoci" loggers,
    # so pytest's caplog (on the root logger) would not see these records after a CLI test.
    records: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("octoci.emulator")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        requests.get(f"{octo.url}/api/Spaces-1/environments?apikey=API-TESTKEY1", timeout=10)
        requests.get(
            f"{octo.url}/api/Spaces-1/environments",
            headers={"X-Octopus-ApiKey": "API-TESTKEY1"},
            timeout=10,
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    text = "\n".join(records)
    assert "/api/Spaces-1/environments" in text  # requests are logged ...
    assert "API-TESTKEY1" not in text  # ... without the key
