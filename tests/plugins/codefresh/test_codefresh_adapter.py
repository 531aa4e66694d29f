"""Codefresh against recorded environments: detection, build information, outputs through
``cf_export``'s file (read back by a shell as Codefresh does), secrets kept out of it."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from octoci.server import CIServer
from octoci.testing import CIServerContract, CliResult, fields_per_variant_test
from octoci_emulator import mint_id_token
from octoci_plugins.codefresh import Codefresh
from octoci_plugins.codefresh.oidc import IdTokenError

CiEnv = Callable[..., dict[str, str]]
SHA = "2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"


def exported(server: CIServer) -> dict[str, str]:
    path = Path(server.env["CF_VOLUME_PATH"]) / "env_vars_to_export"
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line)


class TestCodefreshContract(CIServerContract):
    server_class = Codefresh
    variants: ClassVar[tuple[str, ...]] = ("push", "pull_request", "tag")

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        # One-line values go to cf_export's file; others are logged (the default line).
        return {**super().read_outputs(server, written), **exported(server)}


EXPECTED = {
    "push": {
        "BuildEnvironment": "Codefresh",
        "BuildNumber": "65a1f2e3c4b5d6e7f8091a2b",
        "BuildUrl": "https://g.codefresh.io/build/65a1f2e3c4b5d6e7f8091a2b",
        "Branch": "main",
        "VcsRoot": "https://github.com/acme/shop",
        "VcsCommitNumber": SHA,
        "JobName": "shop/build",
    },
    "pull_request": {
        "Branch": "feature/basket",
        "PullRequestNumber": "31",
        "SourceBranch": "feature/basket",
        "TargetBranch": "main",
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0"},
}


test_build_information_per_variant = fields_per_variant_test("codefresh", EXPECTED)


def test_detection_needs_both_variables() -> None:
    assert not Codefresh.detect({"CF_BUILD_ID": "65a1"})
    assert Codefresh.detect(
        {"CF_BUILD_ID": "65a1", "CF_BUILD_URL": "https://g.codefresh.io/build/65a1"}
    )


def test_outputs_reach_later_steps_and_secrets_never_do(ci_env: CiEnv) -> None:
    stream = io.StringIO()
    server = Codefresh(ci_env("codefresh", "push"), stream)
    server.set_output("RELEASE", "1.4.0")
    token = "eyJhbGciOiJSUzI1NiJ9.octopus-access-token"
    server.mask(token)
    server.set_output("OCTOPUS_ACCESS_TOKEN", token)
    assert exported(server) == {"RELEASE": "1.4.0"}
    assert token not in stream.getvalue()


def test_info_json(ci_env: CiEnv, run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    env = ci_env("codefresh", "pull_request", OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1")
    result = run_cli("info", "--json", "--no-commits", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["Server"], data["Extra"]["PullRequestNumber"]) == ("codefresh", "31")


# ---------------------------------------------------------------- OIDC ID tokens
ISSUER = "https://g.codefresh.io"
SIGNING_SECRET = "codefresh-issuer-signing-secret"
ACCOUNT = "7f0b0d4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
REQUEST_TOKEN = "cf-oidc-request-token-8a9b0c1d2e3f"


def test_login_exchanges_the_steps_id_token(
    octopus_emulator_factory: Callable[..., Any],
    httpserver: HTTPServer,
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    octopus = octopus_emulator_factory(
        {"oidc": [{"issuer": ISSUER, "secret": SIGNING_SECRET, "service_account_id": ACCOUNT}]}
    )
    issued: list[str] = []

    def token_endpoint(request: Request) -> Response:
        # As Codefresh's endpoint: the request token itself (no scheme), the audience asked.
        assert request.headers["Authorization"] == REQUEST_TOKEN
        token = mint_id_token(
            issuer=ISSUER,
            secret=SIGNING_SECRET,
            subject="account:acme:pipeline:shop/build",
            audience=request.args["audience"],
        )
        issued.append(token)
        return Response(json.dumps({"id_token": token}), content_type="application/json")

    httpserver.expect_request("/oidc/token").respond_with_handler(token_endpoint)
    env = ci_env(
        "codefresh",
        "push",
        CF_OIDC_REQUEST_URL=httpserver.url_for("/oidc/token"),
        CF_OIDC_REQUEST_TOKEN=REQUEST_TOKEN,
        CF_VOLUME_PATH=str(tmp_path),
        OCTOPUS_URL=octopus.url,
        OCTOPUS_SERVICE_ACCOUNT_ID=ACCOUNT,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("login", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["Method"] == "OIDC"
    assert len(issued) == 1
    assert result.leaks(issued[0]) == []
    assert result.leaks(REQUEST_TOKEN) == []


def test_a_refused_id_token_request_is_one_line(
    httpserver: HTTPServer, ci_env: CiEnv, tmp_path: Path
) -> None:
    httpserver.expect_request("/oidc/token").respond_with_json({"error": "denied"}, status=403)
    env = ci_env(
        "codefresh",
        "push",
        CF_OIDC_REQUEST_URL=httpserver.url_for("/oidc/token"),
        CF_OIDC_REQUEST_TOKEN=REQUEST_TOKEN,
    )
    with pytest.raises(IdTokenError) as raised:
        Codefresh(env, io.StringIO()).id_token("ServiceAccounts-12")
    assert "refused the credential (HTTP 403)" in str(raised.value)
    assert REQUEST_TOKEN not in str(raised.value)


def test_no_id_token_without_the_request_variables(ci_env: CiEnv) -> None:
    assert Codefresh(ci_env("codefresh", "push"), io.StringIO()).id_token("aud") is None
