"""The connection against the emulator: discovery, spaces, errors, retries and budgets."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
import requests

from octoci.errors import InputError
from octoci.octopus.connection import EXECUTIONS_API_VERSION, Connection
from octoci.octopus.errors import (
    OctopusApiError,
    OctopusAuthError,
    OctopusConnectionError,
    OctopusNotFoundError,
    ServerTooOldError,
)
from octoci.octopus.settings import OctopusSettings
from octoci_emulator import Emulator


def _record(connection: Connection) -> list[str]:
    seen: list[str] = []

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        seen.append(f"{response.request.method} {response.request.path_url} {response.status_code}")

    connection.session.hooks["response"].append(hook)
    return seen


def test_root_document_is_fetched_once(connect: Callable[..., Connection]) -> None:
    connection = connect()
    seen = _record(connection)
    assert connection.root()["ApiVersion"] == "3.0.0"
    assert connection.server_version is not None
    connection.require_version(EXECUTIONS_API_VERSION, "creating a release")
    assert connection.link("PackageUpload").startswith("/api/Spaces-1/packages/raw")
    assert [s for s in seen if s.startswith("GET /api ")] == ["GET /api 200"]


@pytest.mark.parametrize("space", ["", "Default", "default", "Spaces-1"])
def test_space_by_name_id_or_default(connect: Callable[..., Connection], space: str) -> None:
    connection = connect(space=space)
    assert connection.space_id() == "Spaces-1"
    assert connection.space_name == "Default"
    assert connection.space_path("/packages/raw") == "/api/Spaces-1/packages/raw"


def test_space_names_with_spaces_and_many_spaces(
    octopus_emulator_factory: Callable[..., Emulator],
) -> None:
    names = [f"Team {i}" for i in range(40)] + ["R&D / Ops"]
    emulator = octopus_emulator_factory(
        {"spaces": [{"name": "Default", "default": True}] + [{"name": n} for n in names]}
    )
    connection = Connection(
        OctopusSettings(url=emulator.url, api_key=emulator.api_key, space="R&D / Ops")
    )
    space = connection.space_id()
    assert space is not None
    assert space != "Spaces-1"
    assert connection.space_name == "R&D / Ops"
    assert (
        Connection(
            OctopusSettings(url=emulator.url, api_key=emulator.api_key, space="Team 35")
        ).space_name
        == "Team 35"
    )


def test_unknown_space_names_close_matches(connect: Callable[..., Connection]) -> None:
    with pytest.raises(
        OctopusNotFoundError, match=r"'Defualt' was not found; did you mean 'Default'"
    ):
        connect(space="Defualt").space_id()


def test_virtual_directory_and_api_suffix(octopus_emulator: Emulator) -> None:
    for url in (f"{octopus_emulator.url}/octopus", f"{octopus_emulator.url}/octopus/api/"):
        connection = Connection(OctopusSettings(url=url, api_key=octopus_emulator.api_key))
        assert connection.settings.url == f"{octopus_emulator.url}/octopus"
        assert connection.space_id() == "Spaces-1"


def test_a_url_that_is_not_octopus(httpserver: Any) -> None:
    httpserver.expect_request("/portal/api").respond_with_data(
        "<html>Sign in</html>", content_type="text/html"
    )
    httpserver.expect_request("/other/api").respond_with_json({"hello": "world"})
    with pytest.raises(OctopusApiError, match=r"not JSON .*check OCTOPUS_URL"):
        Connection(OctopusSettings(url=httpserver.url_for("/portal"), api_key="API-X1")).root()
    with pytest.raises(OctopusApiError, match="not an Octopus root document"):
        Connection(OctopusSettings(url=httpserver.url_for("/other"), api_key="API-X1")).root()


def test_bad_api_key_says_what_401_means(connect: Callable[..., Connection]) -> None:
    connection = connect(api_key="API-WRONG123")
    projects = connection.space_path("/projects/all")  # the default space from /api: no request
    with pytest.raises(OctopusAuthError) as caught:
        connection.get_json(projects, what="listing projects")
    message = str(caught.value)
    assert "HTTP 401" in message
    assert "API key or access token was refused" in message
    assert "API-WRONG123" not in message


def test_403_names_the_missing_permission(
    octopus_emulator_factory: Callable[..., Emulator], tmp_path: Any
) -> None:
    emulator = octopus_emulator_factory({"api_keys": [{"key": "API-READONLY1", "permissions": []}]})
    connection = Connection(OctopusSettings(url=emulator.url, api_key="API-READONLY1"))
    with pytest.raises(OctopusAuthError, match="lack the BuildInformationPush permission"):
        connection.post_json(
            connection.space_path("/build-information"),
            {"PackageId": "A", "Version": "1.0.0", "OctopusBuildInformation": {}},
            what="pushing build information",
            permission="BuildInformationPush",
        )


def test_503_burst_is_retried(
    octopus_emulator: Emulator, connect: Callable[..., Connection]
) -> None:
    octopus_emulator.add_fault(action="status", status=503, path="^$", method="GET", times=3)
    connection = connect()
    seen = _record(connection)
    assert connection.root()["ApiVersion"] == "3.0.0"
    assert seen == ["GET /api 503"] * 3 + ["GET /api 200"]


def test_429_honours_retry_after(octopus_emulator: Emulator) -> None:
    octopus_emulator.add_fault(action="throttle", retry_after=3, path="^$", times=2)
    waits: list[float] = []
    connection = Connection(
        OctopusSettings(url=octopus_emulator.url, api_key=octopus_emulator.api_key),
        sleep=waits.append,
    )
    assert connection.root()["ApiVersion"] == "3.0.0"
    assert waits == [3.0, 3.0]


def test_retry_after_beyond_the_budget_fails_clearly(octopus_emulator: Emulator) -> None:
    octopus_emulator.add_fault(action="throttle", retry_after=600, path="^$")
    waits: list[float] = []
    connection = Connection(
        OctopusSettings(
            url=octopus_emulator.url, api_key=octopus_emulator.api_key, retry_budget=30
        ),
        sleep=waits.append,
    )
    with pytest.raises(OctopusApiError, match=r"HTTP 429.*asked to wait 600 s") as caught:
        connection.root()
    assert caught.value.status == 429
    assert waits == []


def test_persistent_5xx_gives_up_within_the_budget(
    octopus_emulator: Emulator, connect: Callable[..., Connection]
) -> None:
    octopus_emulator.add_fault(action="status", status=502, path="^$")
    with pytest.raises(OctopusApiError, match=r"HTTP 502.*gave up after \d+ attempts"):
        connect(retry_budget=0.5).root()


def test_backoff_grows_with_jitter(octopus_emulator: Emulator) -> None:
    octopus_emulator.add_fault(action="status", status=503, path="^$", times=5)
    waits: list[float] = []
    connection = Connection(
        OctopusSettings(
            url=octopus_emulator.url,
            api_key=octopus_emulator.api_key,
            backoff_base=1.0,
            backoff_max=4.0,
        ),
        sleep=waits.append,
    )
    connection.root()
    ceilings = [1.0, 2.0, 4.0, 4.0, 4.0]
    assert len(waits) == 5
    for wait, ceiling in zip(waits, ceilings, strict=True):
        assert ceiling / 2 <= wait <= ceiling


def test_unreachable_server_fails_within_the_budget() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connection = Connection(
        OctopusSettings(
            url=f"http://127.0.0.1:{port}",
            api_key="API-X1",
            retry_budget=0.3,
            backoff_base=0.05,
        )
    )
    with pytest.raises(
        OctopusConnectionError, match=r"cannot reach Octopus at http://127\.0\.0\.1"
    ):
        connection.root()


def test_read_timeout_on_a_post_is_ambiguous(
    octopus_emulator: Emulator, connect: Callable[..., Connection]
) -> None:
    octopus_emulator.add_fault(action="delay", delay_seconds=1.0, path="build-information", times=1)
    connection = connect(read_timeout=0.2)
    with pytest.raises(OctopusConnectionError) as caught:
        connection.post_json(
            connection.space_path("/build-information"),
            {"PackageId": "A", "Version": "1.0.0", "OctopusBuildInformation": {}},
            what="pushing build information",
        )
    assert caught.value.ambiguous


def test_old_server_gets_a_clear_message(
    octopus_emulator_factory: Callable[..., Emulator],
) -> None:
    emulator = octopus_emulator_factory({"version": "2021.1.7000"})
    connection = Connection(OctopusSettings(url=emulator.url, api_key=emulator.api_key))
    with pytest.raises(
        ServerTooOldError, match=r"needs Octopus Server 2022\.3\.5512 or later.*2021\.1\.7000"
    ):
        connection.require_version(EXECUTIONS_API_VERSION, "creating a release")


def test_ca_bundle_that_does_not_exist_is_an_input_error(octoci: Callable[..., Any]) -> None:
    result = octoci(
        "build-info",
        "--package-id",
        "A",
        "--version",
        "1.0.0",
        "--ca-bundle",
        "nope.pem",
        "--no-commits",
    )
    assert result.exit_code == 2
    assert "nope.pem" in result.stderr


def test_insecure_switch_turns_verification_off(octopus_emulator: Emulator) -> None:
    connection = Connection(
        OctopusSettings(url=octopus_emulator.url, api_key=octopus_emulator.api_key, insecure=True)
    )
    assert connection.session.verify is False
    assert connection.root()["ApiVersion"] == "3.0.0"


def test_settings_need_a_url() -> None:
    with pytest.raises(InputError, match="OCTOPUS_URL"):
        OctopusSettings.from_env({"OCTOPUS_API_KEY": "API-X1"})


def test_redirects_are_reported_not_followed(httpserver: Any) -> None:
    """A redirect to another host would carry X-Octopus-ApiKey along (requests strips only
    Authorization): the client stops and names the new address instead."""
    from pytest_httpserver import HTTPServer

    assert isinstance(httpserver, HTTPServer)
    elsewhere = "http://login.elsewhere.example/api"
    httpserver.expect_request("/api").respond_with_data(
        "", status=302, headers={"Location": elsewhere}
    )
    connection = Connection(OctopusSettings(url=httpserver.url_for("/"), api_key="API-REDIRECT1"))
    with pytest.raises(
        OctopusApiError, match=r"redirects \(HTTP 302\) to http://login\.elsewhere"
    ) as caught:
        connection.root()
    assert caught.value.status == 302
    assert len(httpserver.log) == 1


#: variable -> (value requests would refuse or http.client could not encode, what the error says)
UNSENDABLE = {
    "wrapped access token": (
        "OCTOPUS_ACCESS_TOKEN",
        "eyJhbGciOiJIUzI1NiJ9" + "A" * 40 + "\n" + "B" * 60 + "\n" + "tail-of-it",
        "holds a line break",
    ),
    "api key with a stray second line": (
        "OCTOPUS_API_KEY",
        "API-CURRENTKEY1234567890\r\nAPI-PREVIOUSKEY0987654321",
        "holds a line break",
    ),
    "older api key variable": (
        "OCTOPUS_CLI_API_KEY",
        "API-CLIKEY1234567890\nsecond-line-here",
        "holds a line break",
    ),
    "access token with a tab": ("OCTOPUS_ACCESS_TOKEN", "token-part-one\ttoken-part-two", "tab"),
    "access token with a non-ASCII character": (
        "OCTOPUS_ACCESS_TOKEN",
        "token-with-\u20ac-sign-inside",
        "non-ASCII",
    ),
}


@pytest.mark.parametrize("case", sorted(UNSENDABLE))
def test_a_credential_that_cannot_be_a_header_is_refused_before_any_request(
    case: str, octoci: Callable[..., Any], httpserver: Any, tmp_path: Any
) -> None:
    """Exit 2, one line naming the variable: not 'cannot reach Octopus', not retried, nothing
    sent (the server sees no request), and no part of the value shown."""
    variable, value, problem = UNSENDABLE[case]
    httpserver.expect_request("/api").respond_with_json({"Links": {}})
    (tmp_path / "Acme.Web.1.0.0.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    env = {"OCTOPUS_URL": httpserver.url_for("/"), "OCTOPUS_API_KEY": None, variable: value}
    result = octoci("push", "Acme.Web.1.0.0.zip", env=env)
    assert result.exit_code == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"octoci: error: {variable} holds ")
    assert problem in line
    assert "cannot reach" not in line
    assert "retrying" not in result.stderr
    assert httpserver.log == []
    for part in [value, *value.split()]:
        assert result.leaks(part) == []


def test_a_header_refused_by_requests_is_bad_input_not_a_network_failure(
    connect: Callable[..., Connection],
) -> None:
    # Credentials are checked earlier; any other header requests refuses is not retried either.
    connection = connect(retry_budget=30.0)
    with pytest.raises(InputError, match="cannot be sent in HTTP") as caught:
        connection.request(
            "GET", "/api", what="reading the root", headers={"X-Extra": "one\ntwo-secret"}
        )
    assert "two-secret" not in str(caught.value)
