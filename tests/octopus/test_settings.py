"""Settings: server URLs, credentials and proxies from the injected environment."""

from __future__ import annotations

import pytest

from octoci.errors import InputError
from octoci.octopus.connection import Connection, _no_proxy_match, parse_server_version
from octoci.octopus.settings import OctopusSettings, normalize_server_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://octo.example", "https://octo.example"),
        ("https://octo.example/", "https://octo.example"),
        ("https://octo.example/api", "https://octo.example"),
        ("https://octo.example/api/", "https://octo.example"),
        ("HTTPS://octo.example:8443/octopus/api/", "https://octo.example:8443/octopus"),
        ("http://h:1/octo//", "http://h:1/octo"),
        ("  https://octo.example/Api  ", "https://octo.example"),
    ],
)
def test_server_url_is_normalised(given: str, expected: str) -> None:
    assert normalize_server_url(given) == expected


@pytest.mark.parametrize(
    "bad", ["", "octo.example", "ftp://octo.example", "https://user:pw@octo.example"]
)
def test_bad_server_urls_are_input_errors(bad: str) -> None:
    with pytest.raises(InputError) as caught:
        normalize_server_url(bad)
    assert "pw" not in str(caught.value)


def test_environment_variables_of_the_official_tools() -> None:
    settings = OctopusSettings.from_env(
        {
            "OCTOPUS_CLI_SERVER": "https://old.example/api",
            "OCTOPUS_CLI_API_KEY": "API-OLDKEY1",
            "OCTOPUS_SPACE": "Team A",
            "HTTPS_PROXY": "http://proxy:3128",
            "NO_PROXY": "localhost",
            "OCTOCI_RETRY_BUDGET": "7.5",
        }
    )
    assert settings.url == "https://old.example"
    assert settings.api_key == "API-OLDKEY1"
    assert settings.space == "Team A"
    assert settings.env_proxies == {"https": "http://proxy:3128"}
    assert settings.retry_budget == 7.5
    newer = OctopusSettings.from_env(
        {"OCTOPUS_URL": "https://new.example", "OCTOPUS_CLI_SERVER": "https://old.example"},
        space="Spaces-2",
        read_timeout=None,
    )
    assert newer.url == "https://new.example"
    assert newer.space == "Spaces-2"
    assert newer.read_timeout == 300.0


def test_a_malformed_api_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(InputError) as caught:
        OctopusSettings(url="https://o.example", api_key="not-a-key-SECRETVALUE")
    assert "SECRETVALUE" not in str(caught.value)
    assert (
        OctopusSettings(url="https://o.example", api_key=" API-ABC123 \n").api_key == "API-ABC123"
    )


def test_no_credentials_is_a_clear_input_error() -> None:
    with pytest.raises(InputError, match="OCTOPUS_API_KEY"):
        Connection(OctopusSettings(url="https://o.example"))


def test_the_user_agent_names_octoci_and_the_build_server() -> None:
    connection = Connection(
        OctopusSettings(url="https://o.example", api_key="API-X1", user_agent_extra="ci/jenkins")
    )
    agent = connection.session.headers["User-Agent"]
    assert str(agent).startswith("octoci/")
    assert str(agent).endswith("ci/jenkins")


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "bypass"),
    [
        ("octo.example", 443, "octo.example", True),
        ("api.octo.example", 443, ".octo.example", True),
        ("api.octo.example", 443, "octo.example", True),
        ("notocto.example", 443, "octo.example", False),
        ("10.1.2.3", 443, "10.0.0.0/8", True),
        ("11.1.2.3", 443, "10.0.0.0/8", False),
        ("octo.example", 8443, "octo.example:443", False),
        ("octo.example", 443, "octo.example:443", True),
        ("anything", 80, "*", True),
        ("127.0.0.1", 80, "localhost,127.0.0.1", True),
    ],
)
def test_no_proxy_matching(host: str, port: int, no_proxy: str, bypass: bool) -> None:
    assert _no_proxy_match(host, port, no_proxy) is bypass


def test_proxies_from_the_environment_and_the_explicit_option() -> None:
    settings = OctopusSettings(
        url="https://octo.example",
        api_key="API-X1",
        env_proxies={"https": "http://proxy:3128"},
        no_proxy="internal.example",
    )
    connection = Connection(settings)
    assert connection.proxies_for("https://octo.example/api") == {"https": "http://proxy:3128"}
    assert connection.proxies_for("https://octo.internal.example/api") == {}
    explicit = Connection(settings.replace(proxy="http://other:8080"))
    assert explicit.proxies_for("https://octo.internal.example/api") == {
        "http": "http://other:8080",
        "https": "http://other:8080",
    }


def test_server_versions() -> None:
    assert parse_server_version("2024.2.1234") == (2024, 2, 1234)
    assert parse_server_version("2022.3.5512-rc.1") == (2022, 3, 5512)
    assert parse_server_version("0.0.0-local") == (9999, 0, 0)
    assert parse_server_version("latest") is None
