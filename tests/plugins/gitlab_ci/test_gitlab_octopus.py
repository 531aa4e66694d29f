"""GitLab CI into Octopus: ``octoci build-info`` in a recorded GitLab pipeline sends the commits
read from GitLab's REST API and leaves its outputs in the dotenv report; the job's
``id_tokens:`` token is accepted by Octopus's OIDC token exchange, and the access token stays out
of the report. Octopus is the local emulator; GitLab's API a local server."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from octoci.testing import CliResult
from octoci.testing.emulator import exchange_id_token
from octoci_emulator import Emulator, mint_id_token
from octoci_plugins.gitlab_ci import GitLabCI

from .test_gitlab_adapter import read_dotenv
from .test_gitlab_commits import API_TOKEN, BEFORE, JOB_TOKEN, SHA, api_commit, serve_compare, sha

API_KEY = "API-GITLABTEST000001"
SERVICE_ACCOUNT = "5b5f3c4e-0000-4000-8000-0000000gitlab"
ISSUER = "https://gitlab.com"
SECRET = "gitlab-oidc-test-secret"
CiEnv = Callable[..., dict[str, str]]


@pytest.fixture
def octopus(octopus_emulator_factory: Callable[..., Emulator]) -> Emulator:
    seed: dict[str, Any] = {
        "api_keys": [API_KEY],
        "oidc": [
            {
                "issuer": ISSUER,
                "secret": SECRET,
                "service_account_id": SERVICE_ACCOUNT,
                "subject": "project_path:acme/shop:ref_type:branch:ref:*",
            }
        ],
    }
    return octopus_emulator_factory(seed)


def test_build_info_reaches_octopus_with_gitlab_commits(
    octopus: Emulator,
    httpserver: HTTPServer,
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    serve_compare(
        httpserver, BEFORE, SHA, [api_commit(sha(1), "Add the basket"), api_commit(SHA, "Fix")]
    )
    env = ci_env(
        "gitlab_ci",
        "push",
        CI_API_V4_URL=httpserver.url_for("/api/v4"),
        OCTOCI_GITLAB_TOKEN=API_TOKEN,
        OCTOPUS_URL=octopus.url,
        OCTOPUS_API_KEY=API_KEY,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
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
    assert (sent["BuildEnvironment"], sent["Branch"], sent["BuildNumber"]) == (
        "GitLab CI",
        "main",
        "412",
    )
    assert [c["Id"] for c in sent["Commits"]] == [SHA, sha(1)]
    stored = requests.get(
        f"{octopus.url}/api/Spaces-1/build-information",
        params={"packageId": "Acme.Web"},
        headers={"X-Octopus-ApiKey": API_KEY},
        timeout=10,
    ).json()
    (record,) = stored["Items"]
    assert record["VcsRoot"] == "https://gitlab.com/acme/shop"
    assert record["BuildUrl"] == "https://gitlab.com/acme/shop/-/pipelines/1873400123"
    assert record["Commits"][0]["LinkUrl"] == f"https://gitlab.com/acme/shop/-/commit/{SHA}"
    outputs = read_dotenv(Path(env["CI_PROJECT_DIR"]) / "octoci.env")
    assert outputs["build_information_version"] == "1.2.3"
    for secret in (API_TOKEN, JOB_TOKEN, API_KEY):
        assert result.leaks(secret) == []


def test_the_id_token_is_accepted_by_octopus_token_exchange(
    octopus: Emulator, ci_env: CiEnv
) -> None:
    minted = mint_id_token(
        issuer=ISSUER,
        secret=SECRET,
        subject="project_path:acme/shop:ref_type:branch:ref:main",
        audience=SERVICE_ACCOUNT,
    )
    stream = io.StringIO()
    server = GitLabCI(ci_env("gitlab_ci", "push", OCTOCI_ID_TOKEN=minted), stream)
    token = server.id_token(SERVICE_ACCOUNT)
    assert token == minted
    response = exchange_id_token(octopus, token, SERVICE_ACCOUNT)
    assert response.status_code == 200, response.text
    access_token = response.json()["access_token"]
    # As octoci login does: the access token is masked, then given as an output, which GitLab's
    # dotenv report (an artifact) must not carry.
    server.mask(access_token)
    server.set_output("server", octopus.url)
    server.set_output("access_token", access_token)
    assert read_dotenv(server.dotenv_path) == {"server": octopus.url}
    assert minted not in stream.getvalue()
    assert access_token not in stream.getvalue()
