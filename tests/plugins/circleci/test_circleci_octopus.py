"""CircleCI into Octopus: ``octoci build-info`` in a recorded CircleCI job sends the pushed
commits read with git and hands its outputs to later steps through ``$BASH_ENV``; CircleCI's ID
token is accepted by Octopus's OIDC token exchange. Octopus is the local emulator."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from octoci.testing import CliResult
from octoci.testing.emulator import exchange_id_token
from octoci_emulator import Emulator, mint_id_token
from octoci_plugins.circleci import CircleCI

from .test_circleci_adapter import ORG, needs_bash, read_bash_env

API_KEY = "API-CIRCLECITEST0001"
ISSUER = f"https://oidc.circleci.com/org/{ORG}"
SECRET = "circleci-oidc-test-secret"
SUBJECT = f"org/{ORG}/project/1d2e3f40/user/3b2c1d0e/vcs-origin/github.com/acme/shop/vcs-ref/main"
CiEnv = Callable[..., dict[str, str]]


@pytest.fixture
def octopus(octopus_emulator_factory: Callable[..., Emulator]) -> Emulator:
    seed: dict[str, Any] = {
        "api_keys": [API_KEY],
        # CircleCI's audience is always the organization ID: the identity's custom audience.
        "oidc": [{"issuer": ISSUER, "secret": SECRET, "service_account_id": ORG, "subject": "*"}],
    }
    return octopus_emulator_factory(seed)


@needs_bash
def test_build_info_reaches_octopus_with_the_pushed_commits(
    octopus: Emulator,
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third"], remote="git@github.com:acme/shop.git")
    env = ci_env(
        "circleci",
        "push",
        CIRCLE_SHA1=run_git(repo, "rev-parse", "HEAD"),
        OCTOCI_BASE_REVISION=run_git(repo, "rev-parse", "HEAD~2"),
        OCTOPUS_URL=octopus.url,
        OCTOPUS_API_KEY=API_KEY,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli(
        "build-info", "--package-id", "Acme.Web", "--version", "1.2.3", "--json", env=env, cwd=repo
    )
    assert result.exit_code == 0, result.stderr
    data, _ = json.JSONDecoder().raw_decode(result.stdout)
    assert [c["Comment"] for c in data["BuildInformation"]["Commits"]] == ["third", "second"]
    stored = requests.get(
        f"{octopus.url}/api/Spaces-1/build-information",
        params={"packageId": "Acme.Web"},
        headers={"X-Octopus-ApiKey": API_KEY},
        timeout=10,
    ).json()
    (record,) = stored["Items"]
    assert (record["BuildEnvironment"], record["VcsRoot"]) == (
        "CircleCI",
        "https://github.com/acme/shop",
    )
    assert record["BuildUrl"] == "https://circleci.com/gh/acme/shop/2041"
    outputs = read_bash_env(Path(env["BASH_ENV"]), ["build_information_version"])
    assert outputs == {"build_information_version": "1.2.3"}
    assert result.leaks(API_KEY) == []
    assert result.leaks(env["CIRCLE_OIDC_TOKEN_V2"]) == []


def test_the_v2_token_is_accepted_by_octopus_token_exchange(
    octopus: Emulator, ci_env: CiEnv
) -> None:
    minted = mint_id_token(issuer=ISSUER, secret=SECRET, subject=SUBJECT, audience=ORG)
    server = CircleCI(ci_env("circleci", "push", CIRCLE_OIDC_TOKEN_V2=minted), io.StringIO())
    token = server.id_token(ORG)
    assert token == minted
    response = exchange_id_token(octopus, token, ORG)
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]
