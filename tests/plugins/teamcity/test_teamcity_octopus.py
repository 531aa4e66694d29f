"""TeamCity into Octopus: ``octoci build-info`` in a recorded TeamCity build sends the changes
read from TeamCity's REST API, and the build's ``jwt.token`` is accepted by Octopus's OIDC token
exchange. Octopus is the local emulator; TeamCity's API a local server."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from octoci.testing import CliResult, parse_ci_output
from octoci.testing.emulator import exchange_id_token
from octoci_emulator import Emulator, mint_id_token
from octoci_plugins.teamcity import TeamCityServer

from .test_teamcity_commits import PASSWORD, ChangesApi, pointed_at, serve

SERVICE_ACCOUNT = "5b5f3c4e-0000-4000-8000-0000000000tc"
ISSUER = "https://teamcity.acme.example"
SECRET = "teamcity-oidc-test-secret"
EnvFactory = Callable[..., dict[str, str]]


@pytest.fixture
def octopus(octopus_emulator_factory: Callable[..., Emulator]) -> Emulator:
    seed: dict[str, Any] = {
        "api_keys": ["API-TEAMCITYTEST0001"],
        "oidc": [
            {
                "issuer": ISSUER,
                "secret": SECRET,
                "service_account_id": SERVICE_ACCOUNT,
                "subject": "*",
            }
        ],
    }
    return octopus_emulator_factory(seed)


def jwt_env(env: dict[str, str], token: str) -> dict[str, str]:
    config = Path(env["TEAMCITY_BUILD_PROPERTIES_FILE"]).with_name(
        "teamcity.config4181624525744010935.properties"
    )
    with config.open("a", encoding="utf-8") as handle:
        handle.write(f"jwt.token={token}\n")
    return env


def test_build_info_reaches_octopus_with_teamcity_commits(
    octopus: Emulator,
    httpserver: HTTPServer,
    ci_env: EnvFactory,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    env = pointed_at(ci_env("teamcity", "push"), serve(httpserver, ChangesApi(2)))
    env.update(OCTOPUS_URL=octopus.url, OCTOPUS_API_KEY="API-TEAMCITYTEST0001")
    result = run_cli(
        "build-info",
        "--package-id",
        "Acme.Web",
        "--version",
        "1.2.3",
        "--json",
        env=env,
        cwd=tmp_path,
    )
    assert result.exit_code == 0, result.stderr
    # The JSON document; the service messages for TeamCity go wherever the core sends the
    # adapter's stream with --json (after the JSON, or to standard error).
    data, end = json.JSONDecoder().raw_decode(result.stdout)
    messages = parse_ci_output(result.stdout[end:] + result.stderr)
    outputs = {
        m.properties["name"]: m.properties["value"] for m in messages if m.name == "setParameter"
    }
    assert outputs["build_information_version"] == "1.2.3"
    (status,) = [m.properties["text"] for m in messages if m.name == "buildStatus"]
    assert status == "{build.status.text}; Build information for Acme.Web"
    sent = data["BuildInformation"]
    assert (sent["BuildEnvironment"], sent["Branch"]) == ("TeamCity", "main")
    assert [c["Id"] for c in sent["Commits"]] == [f"{n:040x}" for n in (2, 1)]
    assert [r["PackageId"] for r in data["Results"]] == ["Acme.Web"]
    stored = requests.get(
        f"{octopus.url}/api/Spaces-1/build-information",
        params={"packageId": "Acme.Web"},
        headers={"X-Octopus-ApiKey": "API-TEAMCITYTEST0001"},
        timeout=10,
    ).json()
    (item,) = stored["Items"]
    assert item["BuildEnvironment"] == "TeamCity"
    assert item["BuildUrl"] == "https://teamcity.acme.example/build/4242"
    # Octopus makes the links from VcsRoot: the git@ root of the recording arrives as https.
    assert item["Commits"][0]["LinkUrl"] == f"https://github.com/acme/shop/commit/{2:040x}"
    assert PASSWORD not in result.stdout + result.stderr


def test_the_jwt_token_is_accepted_by_octopus_token_exchange(
    octopus: Emulator, ci_env: EnvFactory
) -> None:
    minted = mint_id_token(
        issuer=ISSUER, secret=SECRET, subject="Shop_Build", audience=SERVICE_ACCOUNT
    )
    server = TeamCityServer(jwt_env(ci_env("teamcity", "push"), minted), io.StringIO())
    token = server.id_token(SERVICE_ACCOUNT)
    assert token == minted
    response = exchange_id_token(octopus, token, SERVICE_ACCOUNT)
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]
