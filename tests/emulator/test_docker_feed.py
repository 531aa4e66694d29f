"""The emulator's Docker feeds ask a registry as Octopus asks it, including what Debian's
docker-registry (tests/publish/test_images.py) does not do: a ``Bearer`` token challenge (Docker
Hub, GHCR, Harbor) answered through the token service with the feed's credentials, and tag lists
in pages (``Link: <...>; rel="next"``). The registry here is a small HTTP server giving the
distribution spec's answers."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from octoci_emulator.errors import BadRequest
from octoci_emulator.feed_sources import repository_versions

TOKEN = "registry-token-123"
BASIC = "Basic " + base64.b64encode(b"ci:hub-secret").decode()


class _Registry(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path.startswith("/token?"):
            if self.headers.get("Authorization") != BASIC:
                self._send(401, {"errors": [{"code": "UNAUTHORIZED"}]})
            elif "scope=repository%3Aacme%2Fweb%3Apull" not in self.path:
                self._send(400, {"errors": [{"code": "DENIED"}]})
            else:
                self._send(200, {"token": TOKEN})
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            challenge = (
                f'Bearer realm="{base}/token",service="registry.test",'
                'scope="repository:acme/web:pull"'
            )
            self._send(401, {"errors": [{"code": "UNAUTHORIZED"}]}, {"WWW-Authenticate": challenge})
            return
        if self.path == "/v2/acme/web/tags/list":
            link = '</v2/acme/web/tags/list?n=2&last=latest>; rel="next"'
            self._send(200, {"name": "acme/web", "tags": ["1.0.0", "latest"]}, {"Link": link})
        elif self.path == "/v2/acme/web/tags/list?n=2&last=latest":
            self._send(200, {"name": "acme/web", "tags": ["2.0.0-rc.1"]})
        else:
            self._send(404, {"errors": [{"code": "NAME_UNKNOWN"}]})


@pytest.fixture
def registry_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _feed(url: str, password: str = "hub-secret") -> dict[str, object]:
    return {"Name": "Hub", "FeedType": "Docker", "FeedUri": url, "Username": "ci",
            "_Secret": password}  # fmt: skip


def test_a_token_challenge_is_answered_and_every_page_of_tags_read(registry_url: str) -> None:
    versions = repository_versions(_feed(registry_url), "acme/web")
    # Both pages; "latest" is not a version to Octopus.
    assert sorted(versions) == ["1.0.0", "2.0.0-rc.1"]


def test_an_unknown_image_has_no_versions(registry_url: str) -> None:
    assert repository_versions(_feed(registry_url), "acme/other") == []


def test_refused_credentials_are_one_line_without_the_secret(registry_url: str) -> None:
    with pytest.raises(BadRequest) as refused:
        repository_versions(_feed(registry_url, password="wrong-pass"), "acme/web")
    (message,) = refused.value.errors
    assert "refused the feed's credentials (HTTP 401)" in message
    assert "wrong-pass" not in message
    assert "\n" not in message


def test_an_image_name_with_a_registry_host_or_tag_is_refused(registry_url: str) -> None:
    with pytest.raises(BadRequest) as refused:
        repository_versions(_feed(registry_url), "acme/web:1.0.0")
    assert "without the registry host or a tag" in refused.value.errors[0]
