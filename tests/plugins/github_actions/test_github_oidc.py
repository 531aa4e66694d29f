"""GitHub Actions OIDC ID tokens from a local server answering as the runner's token service."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer

from octoci.testing import parse_ci_output
from octoci_plugins.github_actions import GitHubActions
from octoci_plugins.github_actions.oidc import IdTokenError

CiEnv = Callable[..., dict[str, str]]
REQUEST_TOKEN = "runner-request-token-0123456789"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvc2hvcDpyZWY6cmVmcy9oZWFkcy9tYWluIn0.c2ln"


def oidc_env(ci_env: CiEnv, httpserver: HTTPServer) -> dict[str, str]:
    # The runner's URL already carries a query string; the audience is appended to it.
    return ci_env(
        "github_actions",
        "push",
        ACTIONS_ID_TOKEN_REQUEST_URL=httpserver.url_for("/_apis/idtoken") + "?api-version=2.0",
        ACTIONS_ID_TOKEN_REQUEST_TOKEN=REQUEST_TOKEN,
    )


def test_id_token_for_an_audience_is_fetched_and_masked(
    ci_env: CiEnv, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(
        "/_apis/idtoken",
        method="GET",
        headers={"Authorization": f"Bearer {REQUEST_TOKEN}"},
        query_string={"api-version": "2.0", "audience": "Service Accounts/ac-1:x"},
    ).respond_with_json({"count": 1, "value": JWT})
    stream = io.StringIO()
    server = GitHubActions(oidc_env(ci_env, httpserver), stream)
    assert server.id_token("Service Accounts/ac-1:x") == JWT
    masks = [m.value for m in parse_ci_output(stream.getvalue()) if m.name == "add-mask"]
    assert masks == [JWT]
    server.write(f"token {JWT}")
    assert stream.getvalue().splitlines()[-1] == "token ***"


def test_no_id_token_without_the_permission(ci_env: CiEnv) -> None:
    server = GitHubActions(ci_env("github_actions", "push"), io.StringIO())
    assert server.id_token("octopus") is None


@pytest.mark.parametrize(
    ("status", "body"), [(403, {"message": "denied"}), (200, {"count": 0, "value": ""})]
)
def test_a_refused_request_is_an_error_without_the_request_token(
    ci_env: CiEnv, httpserver: HTTPServer, status: int, body: dict[str, object]
) -> None:
    httpserver.expect_request("/_apis/idtoken").respond_with_json(body, status=status)
    server = GitHubActions(oidc_env(ci_env, httpserver), io.StringIO())
    with pytest.raises(IdTokenError) as caught:
        server.id_token("octopus")
    assert REQUEST_TOKEN not in str(caught.value)
