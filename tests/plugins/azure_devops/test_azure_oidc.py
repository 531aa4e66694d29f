"""Azure DevOps OIDC tokens for a service connection, from a local server answering as the
``oidctoken`` endpoint of the distributed-task hub does."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer

from octoci.testing import parse_ci_output
from octoci_plugins.azure_devops import AzureDevOps
from octoci_plugins.azure_devops.oidc import IdTokenError

CiEnv = Callable[..., dict[str, str]]
JOB_TOKEN = "job-access-token-77a1b2c3"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzYzovL2FjbWUvU2hvcC9vY3RvcHVzIn0.c2ln"
CONNECTION = "2f7a9c1e-0b3d-4e5f-8a6b-7c8d9e0f1a2b"


def oidc_env(ci_env: CiEnv, httpserver: HTTPServer, **overrides: str) -> dict[str, str]:
    values = {
        "SYSTEM_OIDCREQUESTURI": httpserver.url_for("/acme/proj/_apis/oidctoken"),
        "SYSTEM_ACCESSTOKEN": JOB_TOKEN,
        "OCTOCI_AZURE_SERVICE_CONNECTION_ID": CONNECTION,
        **overrides,
    }
    return ci_env("azure_devops", "push", **values)


def test_token_for_the_service_connection_is_fetched_and_masked(
    ci_env: CiEnv, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(
        "/acme/proj/_apis/oidctoken",
        method="POST",
        headers={"Authorization": f"Bearer {JOB_TOKEN}", "Content-Type": "application/json"},
        query_string={"api-version": "7.1", "serviceConnectionId": CONNECTION},
    ).respond_with_json({"oidcToken": JWT})
    stream = io.StringIO()
    adapter = AzureDevOps(oidc_env(ci_env, httpserver), stream)
    assert adapter.id_token("ignored: Azure fixes the audience") == JWT
    assert [m.value for m in parse_ci_output(stream.getvalue()) if m.name == "task.setsecret"] == [
        JWT
    ]


def test_no_token_without_a_service_connection(ci_env: CiEnv) -> None:
    assert AzureDevOps(ci_env("azure_devops", "push"), io.StringIO()).id_token("x") is None


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [(401, {"message": "no"}, "HTTP 401"), (200, {"something": "else"}, "no oidcToken")],
)
def test_refusals_are_errors_without_the_job_token(
    ci_env: CiEnv, httpserver: HTTPServer, status: int, body: dict[str, str], words: str
) -> None:
    httpserver.expect_request("/acme/proj/_apis/oidctoken").respond_with_json(body, status=status)
    adapter = AzureDevOps(oidc_env(ci_env, httpserver), io.StringIO())
    with pytest.raises(IdTokenError, match=words) as caught:
        adapter.id_token("x")
    assert JOB_TOKEN not in str(caught.value)


def test_the_job_token_must_be_mapped(ci_env: CiEnv, httpserver: HTTPServer) -> None:
    adapter = AzureDevOps(oidc_env(ci_env, httpserver, SYSTEM_ACCESSTOKEN=""), io.StringIO())
    with pytest.raises(IdTokenError, match=r"SYSTEM_ACCESSTOKEN: \$\(System.AccessToken\)"):
        adapter.id_token("x")
