"""Jenkins into Octopus: ``octoci build-info`` in a recorded Jenkins build sends the commits
read through python-jenkins and leaves its outputs in the workspace files; the token of the
OpenID Connect Provider plugin is accepted by Octopus's OIDC token exchange. Octopus is the
local emulator; Jenkins's API a local server."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from octoci.files import parse_properties
from octoci.testing import CliResult
from octoci.testing.emulator import exchange_id_token
from octoci_emulator import Emulator, mint_id_token
from octoci_plugins.jenkins import JenkinsServer

from .test_jenkins_commits import TOKEN, JenkinsApi, build, item, jenkins_env, sha

API_KEY = "API-JENKINSTEST00001"
SERVICE_ACCOUNT = "5b5f3c4e-0000-4000-8000-00000000jenk"
ISSUER = "https://jenkins.acme.example/oidc"
SECRET = "jenkins-oidc-test-secret"
EnvFactory = Callable[..., dict[str, str]]


@pytest.fixture
def octopus(octopus_emulator_factory: Callable[..., Emulator]) -> Emulator:
    seed: dict[str, Any] = {
        "api_keys": [API_KEY],
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


def test_build_info_reaches_octopus_with_jenkins_commits(
    octopus: Emulator,
    httpserver: HTTPServer,
    ci_env: EnvFactory,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    JenkinsApi(
        httpserver,
        "/job/shop/",
        {
            57: build(57, None, [item(sha(3), "Three")]),
            56: build(56, "FAILURE", [item(sha(2), "Two")]),
            55: build(55, "SUCCESS", [item(sha(1), "One")]),
        },
    )
    env = jenkins_env(ci_env, "push", httpserver.url_for("/"))
    env.update(OCTOPUS_URL=octopus.url, OCTOPUS_API_KEY=API_KEY)
    env["OCTOCI_DISABLE_PLUGIN_AUTOLOAD"] = "1"
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
    data, _ = json.JSONDecoder().raw_decode(result.stdout)
    sent = data["BuildInformation"]
    assert (sent["BuildEnvironment"], sent["Branch"]) == ("Jenkins", "main")
    assert [c["Id"] for c in sent["Commits"]] == [sha(3), sha(2)]
    stored = requests.get(
        f"{octopus.url}/api/Spaces-1/build-information",
        params={"packageId": "Acme.Web"},
        headers={"X-Octopus-ApiKey": API_KEY},
        timeout=10,
    ).json()
    (record,) = stored["Items"]
    assert record["BuildUrl"] == "https://jenkins.acme.example/job/shop/57/"
    assert record["Commits"][0]["LinkUrl"] == f"https://github.com/acme/shop/commit/{sha(3)}"
    # Outputs for the rest of the Pipeline, in both files.
    workspace = Path(env["WORKSPACE"])
    outputs = json.loads((workspace / "octoci-outputs.json").read_text(encoding="utf-8"))
    assert outputs["build_information_version"] == "1.2.3"
    properties = (workspace / "octoci-outputs.properties").read_text(encoding="utf-8")
    assert parse_properties(properties) == outputs
    assert "Acme.Web" in (workspace / "octoci-summary.md").read_text(encoding="utf-8")
    assert TOKEN not in result.stdout + result.stderr


def test_the_bound_id_token_is_accepted_by_octopus_token_exchange(
    octopus: Emulator, ci_env: EnvFactory
) -> None:
    minted = mint_id_token(issuer=ISSUER, secret=SECRET, subject="shop", audience=SERVICE_ACCOUNT)
    server = JenkinsServer(ci_env("jenkins", "push", OCTOCI_ID_TOKEN=minted), io.StringIO())
    token = server.id_token(SERVICE_ACCOUNT)
    assert token == minted
    response = exchange_id_token(octopus, token, SERVICE_ACCOUNT)
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]
