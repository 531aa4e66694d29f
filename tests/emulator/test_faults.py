"""Fault injection: delays, 5xx, 429 with Retry-After, dropped connections, lost responses,
rate limits; configured in Python, in a seed or over HTTP."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from octoci_emulator import Emulator

from .conftest import Client


@pytest.fixture
def octo(octopus_emulator: Emulator) -> Client:
    return Client(octopus_emulator)


def test_status_fault_fires_the_given_number_of_times(octo: Client) -> None:
    octo.emulator.add_fault(action="status", status=503, path="packages/raw", times=2)
    assert octo.push("A.1.0.0.zip").status_code == 503
    second = octo.push("A.1.0.0.zip")
    assert second.status_code == 503
    assert "ErrorMessage" in second.json()
    assert octo.push("A.1.0.0.zip").status_code == 201
    assert octo.get("/environments").status_code == 200  # other paths were never affected


def test_throttle_sends_retry_after(octo: Client) -> None:
    octo.emulator.add_fault(action="throttle", retry_after=7, path="environments", times=1)
    throttled = octo.get("/environments")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "7"
    assert octo.get("/environments").status_code == 200


def test_rate_limit(octo: Client) -> None:
    octo.emulator.add_fault(action="rate_limit", limit=3, per_seconds=60, path="^/Spaces-1/tasks")
    codes = [octo.get("/tasks").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_delay(octo: Client) -> None:
    octo.emulator.add_fault(action="delay", delay_seconds=0.3, path="environments", method="GET")
    started = time.monotonic()
    assert octo.get("/environments").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_connection_dropped_mid_body_stores_nothing(octo: Client) -> None:
    octo.emulator.add_fault(action="drop", path="packages/raw", times=1)
    with pytest.raises(requests.ConnectionError):
        octo.push("Dropped.1.0.0.zip", b"x" * 2_000_000)
    assert octo.emulator.packages() == []
    assert octo.emulator.stored_files() == []
    assert octo.push("Dropped.1.0.0.zip").status_code == 201


def test_stored_then_response_lost(octo: Client) -> None:
    octo.emulator.add_fault(action="lose_response", path="packages/raw", times=1)
    with pytest.raises(requests.ConnectionError):
        octo.push("Lost.1.0.0.zip", b"payload")
    # The upload happened; a retry with FailIfExists now conflicts, IgnoreIfExists succeeds.
    assert [p["PackageId"] for p in octo.emulator.packages()] == ["Lost"]
    assert octo.push("Lost.1.0.0.zip", b"payload").status_code == 409
    assert octo.push("Lost.1.0.0.zip", b"payload", mode="IgnoreIfExists").status_code == 200


def test_faults_over_http_and_from_seed(octopus_emulator_factory: Any) -> None:
    emulator: Emulator = octopus_emulator_factory(
        {"faults": [{"action": "status", "status": 502, "path": "build-information"}]}
    )
    client = Client(emulator)
    assert client.get("/build-information").status_code == 502
    control = f"{emulator.url}/__emulator/faults"
    headers = emulator.headers
    assert requests.get(control, headers=headers, timeout=10).json()[0]["status"] == 502
    assert requests.delete(control, headers=headers, timeout=10).status_code == 204
    assert client.get("/build-information").status_code == 200
    added = requests.post(
        control,
        headers=headers,
        timeout=10,
        json={"action": "status", "status": 500, "path": "environments"},
    )
    assert added.status_code == 201
    assert client.get("/environments").status_code == 500
    bad = requests.post(control, headers=headers, timeout=10, json={"action": "explode"})
    assert bad.status_code == 400
    assert requests.delete(control, timeout=10).status_code == 401


def test_fault_rules_need_a_full_access_key(octopus_emulator_factory: Any) -> None:
    emulator: Emulator = octopus_emulator_factory(
        {"api_keys": ["API-FULL1", {"key": "API-PUSHONLY", "permissions": ["BuiltInFeedPush"]}]}
    )
    control = f"{emulator.url}/__emulator/faults"
    limited = {"X-Octopus-ApiKey": "API-PUSHONLY"}
    rule = {"action": "status", "status": 500, "path": "environments"}
    assert requests.post(control, headers=limited, json=rule, timeout=10).status_code == 403
    assert requests.get(control, headers=limited, timeout=10).status_code == 403
    assert emulator.app.faults.rules() == []
    full = {"X-Octopus-ApiKey": "API-FULL1"}
    assert requests.post(control, headers=full, json=rule, timeout=10).status_code == 201
    assert requests.delete(control, headers=limited, timeout=10).status_code == 403
    assert len(emulator.app.faults.rules()) == 1
    assert requests.delete(control, headers=full, timeout=10).status_code == 204


def test_a_rule_matching_every_path_can_still_be_cleared(octo: Client) -> None:
    control = f"{octo.emulator.url}/__emulator/faults"
    headers = octo.emulator.headers
    added = requests.post(
        control, headers=headers, json={"action": "status", "status": 503, "path": ""}, timeout=10
    )
    assert added.status_code == 201
    assert octo.get("/environments").status_code == 503
    assert requests.get(control, headers=headers, timeout=10).status_code == 200
    assert requests.delete(control, headers=headers, timeout=10).status_code == 204
    assert octo.get("/environments").status_code == 200


@pytest.mark.slow
def test_rate_limit_lets_through_a_client_that_waits_its_retry_after(octo: Client) -> None:
    octo.emulator.add_fault(action="rate_limit", limit=1, per_seconds=2, path="environments")
    assert octo.get("/environments").status_code == 200
    time.sleep(1.2)  # the client comes back later in the same window ...
    refused = octo.get("/environments")
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert retry_after == 1  # ... and is told when the budget has room again
    time.sleep(retry_after)  # it waits as told: a refused request used no budget
    assert octo.get("/environments").status_code == 200
