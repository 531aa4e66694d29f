"""The shared helper plugins use for their own build server's API."""

from __future__ import annotations

import re

import pytest
from pytest_httpserver import HTTPServer

from octoci_plugins._http import CommitSourceError, api_session, get_json

TOKEN = "tok-SECRET-123456"


def test_json_and_credential(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/commits", headers={"Authorization": f"Bearer {TOKEN}"}
    ).respond_with_json([{"sha": "a"}])
    session = api_session(token=TOKEN)
    assert get_json(session, httpserver.url_for("/commits"), what="commits") == [{"sha": "a"}]
    assert session.headers["User-Agent"].startswith("octoci/")


@pytest.mark.parametrize(
    ("status", "headers", "message"),
    [
        (401, {}, "refused the credential (HTTP 401)"),
        (403, {}, "refused the credential (HTTP 403)"),
        (403, {"X-RateLimit-Remaining": "0"}, "rate-limited"),
        (404, {}, "answered HTTP 404"),
    ],
)
def test_failures_are_one_line_without_the_token(
    httpserver: HTTPServer, status: int, headers: dict[str, str], message: str
) -> None:
    httpserver.expect_request("/x").respond_with_data(TOKEN, status=status, headers=headers)
    with pytest.raises(CommitSourceError, match=re.escape(message)) as caught:
        get_json(api_session(token=TOKEN, retries=0), httpserver.url_for("/x"), what="commits")
    assert TOKEN not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_retries_5xx_then_succeeds(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/r").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/r").respond_with_json({"ok": True})
    assert get_json(api_session(), httpserver.url_for("/r"), what="x") == {"ok": True}


def test_unreachable_and_not_json(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/html").respond_with_data("<html>", content_type="text/html")
    with pytest.raises(CommitSourceError, match="did not answer with JSON"):
        get_json(api_session(), httpserver.url_for("/html"), what="x")
    with pytest.raises(CommitSourceError, match=r"cannot reach http://127\.0\.0\.1:9"):
        get_json(api_session(retries=0), "http://127.0.0.1:9/", what="x")
