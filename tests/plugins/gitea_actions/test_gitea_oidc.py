"""Forgejo Actions (and Gitea, where it adds the endpoint) OIDC ID tokens: requested from a local
server answering as the forge's token endpoint (GitHub's protocol), then exchanged with Octopus
(the emulator) by ``octoci login``, through the real command."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from octoci.testing import CliResult
from octoci.testing.emulator import FAST_TASKS
from octoci_emulator import Emulator, mint_id_token

CiEnv = Callable[..., dict[str, str]]
ISSUER = "https://codeberg.org/api/actions"
SECRET = "forgejo-issuer-signing-secret"
ACCOUNT = "3c1e5d7a-2b4f-4a6c-8e9d-0f1a2b3c4d5e"
REQUEST_TOKEN = "forgejo-runtime-request-token-0123"


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return {
        "tasks": dict(FAST_TASKS),
        "oidc": [{"issuer": ISSUER, "secret": SECRET, "service_account_id": ACCOUNT}],
    }


def token_endpoint(httpserver: HTTPServer, secret: str = SECRET) -> tuple[dict[str, str], str]:
    """The runner's variables with ``enable-openid-connect: true``, and the token it serves."""
    jwt = mint_id_token(
        issuer=ISSUER, secret=secret, subject="repo:acme/shop:ref:refs/heads/main", audience=ACCOUNT
    )
    httpserver.expect_request(
        "/api/actions/_apis/pipelines/workflows/57/idtoken",
        headers={"Authorization": f"Bearer {REQUEST_TOKEN}"},
        query_string={"placeholder": "true", "audience": ACCOUNT},
    ).respond_with_json({"value": jwt})
    url = httpserver.url_for("/api/actions/_apis/pipelines/workflows/57/idtoken")
    return {
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{url}?placeholder=true",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
    }, jwt


def shown(result: CliResult) -> str:
    """What the job log shows: everything but ``::add-mask::`` commands, which must carry the
    secret for the runner to mask it."""
    lines = (result.stdout + result.stderr).splitlines()
    return "\n".join(line for line in lines if not line.startswith("::add-mask::"))


def login_env(
    ci_env: CiEnv, server: str, emulator: Emulator, endpoint: dict[str, str]
) -> dict[str, str]:
    env = ci_env(server, "push", **endpoint)
    env.update(
        OCTOPUS_URL=emulator.url,
        OCTOPUS_SERVICE_ACCOUNT_ID=ACCOUNT,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    env.pop("OCTOPUS_API_KEY", None)
    return env


@pytest.mark.parametrize("server", ["forgejo_actions", "gitea_actions"])
def test_login_exchanges_the_forges_id_token(
    ci_env: CiEnv,
    httpserver: HTTPServer,
    octopus_emulator: Emulator,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    server: str,
) -> None:
    endpoint, jwt = token_endpoint(httpserver)
    env = login_env(ci_env, server, octopus_emulator, endpoint)
    result = run_cli("login", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert (data["Method"], data["ServiceAccountId"]) == ("OIDC", ACCOUNT)
    httpserver.check_assertions()
    # The access token went to $GITHUB_ENV (the later steps'), masked; no token in the output.
    assert "OCTOPUS_ACCESS_TOKEN" in Path(env["GITHUB_ENV"]).read_text(encoding="utf-8")
    # With --json the runner's commands go to stderr: the ID token is masked before anything
    # could show it.
    assert f"::add-mask::{jwt}" in result.stderr.splitlines()
    for secret in (jwt, REQUEST_TOKEN):
        assert secret not in shown(result)


def test_a_refused_request_names_forgejos_switch_and_not_the_token(
    ci_env: CiEnv,
    httpserver: HTTPServer,
    octopus_emulator: Emulator,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    url = httpserver.url_for("/api/actions/_apis/pipelines/workflows/57/idtoken")
    httpserver.expect_request(
        "/api/actions/_apis/pipelines/workflows/57/idtoken"
    ).respond_with_json({"message": "forbidden"}, status=403)
    endpoint = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{url}?placeholder=true",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
    }
    env = login_env(ci_env, "forgejo_actions", octopus_emulator, endpoint)
    result = run_cli("login", env=env, cwd=tmp_path)
    assert result.exit_code == 1
    assert "Forgejo Actions ID token request" in shown(result)
    assert "HTTP 403" in shown(result)
    assert "enable-openid-connect: true" in shown(result)
    assert REQUEST_TOKEN not in shown(result)


def test_without_the_endpoint_there_is_no_id_token(
    ci_env: CiEnv, octopus_emulator: Emulator, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    env = login_env(ci_env, "forgejo_actions", octopus_emulator, {})
    result = run_cli("login", env=env, cwd=tmp_path)
    assert result.exit_code == 2  # bad input: no way to log in was configured
    assert "gave no OIDC ID token" in shown(result)
