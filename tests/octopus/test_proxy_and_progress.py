"""Proxies (a real forwarding proxy on 127.0.0.1) and the progress display."""

from __future__ import annotations

import base64
import http.client
import io
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from octoci.progress import Progress
from octoci.testing import CliResult
from octoci_emulator import Emulator


class _Forwarder(BaseHTTPRequestHandler):
    """A plain-HTTP forward proxy: takes absolute-URI requests and relays them, streaming."""

    protocol_version = "HTTP/1.1"
    seen: list[str]

    def _relay(self) -> None:
        target = urlsplit(self.path)
        self.server.seen.append(f"{self.command} {target.path}")  # type: ignore[attr-defined]
        self.server.seen.credentials.append(self.headers.get("Proxy-Authorization"))  # type: ignore[attr-defined]
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        length = int(self.headers.get("Content-Length") or 0)
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() not in ("proxy-connection", "connection", "proxy-authorization")
        }
        upstream.putrequest(
            self.command,
            target.path + (f"?{target.query}" if target.query else ""),
            skip_host=True,
            skip_accept_encoding=True,
        )
        for name, value in headers.items():
            upstream.putheader(name, value)
        upstream.endheaders()
        remaining = length
        while remaining > 0:
            block = self.rfile.read(min(remaining, 1 << 16))
            if not block:
                break
            upstream.send(block)
            remaining -= len(block)
        answer = upstream.getresponse()
        body = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        upstream.close()

    do_GET = do_POST = _relay

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Seen(list[str]):
    """The requests a proxy relayed (``"POST /api/..."``), and their ``Proxy-Authorization``."""

    def __init__(self) -> None:
        super().__init__()
        self.credentials: list[str | None] = []


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Forwarder)
    server.daemon_threads = True
    server.seen = _Seen()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def test_push_through_the_environment_proxy(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    make_package: Callable[..., Path],
    proxy: tuple[str, list[str]],
) -> None:
    url, seen = proxy
    make_package("Acme.Web.1.0.0.zip", size=300_000)
    result = octoci("push", "Acme.Web.1.0.0.zip", env={"HTTP_PROXY": url})
    assert result.exit_code == 0, result.stderr
    assert "POST /api/Spaces-1/packages/raw" in seen
    assert len(octopus_emulator.packages()) == 1


def test_no_proxy_bypasses_it(
    octoci: Callable[..., CliResult],
    make_package: Callable[..., Path],
    proxy: tuple[str, list[str]],
) -> None:
    url, seen = proxy
    make_package("Acme.Web.1.0.0.zip")
    result = octoci("push", "Acme.Web.1.0.0.zip", env={"HTTP_PROXY": url, "NO_PROXY": "127.0.0.1"})
    assert result.exit_code == 0, result.stderr
    assert seen == []


def test_explicit_proxy_option_wins_over_no_proxy(
    octoci: Callable[..., CliResult],
    make_package: Callable[..., Path],
    proxy: tuple[str, list[str]],
) -> None:
    url, seen = proxy
    make_package("Acme.Web.1.0.0.zip")
    result = octoci("push", "Acme.Web.1.0.0.zip", "--proxy", url, env={"NO_PROXY": "*"})
    assert result.exit_code == 0, result.stderr
    assert "POST /api/Spaces-1/packages/raw" in seen


def test_a_dead_proxy_is_named_in_the_error(
    octoci: Callable[..., CliResult], make_package: Callable[..., Path]
) -> None:
    make_package("Acme.Web.1.0.0.zip")
    result = octoci(
        "push",
        "Acme.Web.1.0.0.zip",
        "--retry-budget",
        "0",
        env={"OCTOCI_PROXY": f"http://user:pw@127.0.0.1:{_closed_port()}"},
    )
    assert result.exit_code == 1
    assert "cannot reach Octopus" in result.stderr
    assert "through the proxy http://127.0.0.1:" in result.stderr
    assert "pw" not in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "http://bob:Hunter2-proxy-pass@127.0.0.1:3128",
        "http://Hunter2-proxy-token@127.0.0.1:3128",  # a token as the user name
        "socks5h://bob:Hunter2-proxy-pass@127.0.0.1:1080",
    ],
)
def test_credentials_in_the_proxy_option_are_refused(
    octoci: Callable[..., CliResult],
    make_package: Callable[..., Path],
    proxy: tuple[str, list[str]],
    url: str,
) -> None:
    """Like the API key (which has no option at all): the command line lands in shell history
    and process lists. Exit 2, one line, pointing to where credentials may go; nothing sent."""
    _, seen = proxy
    make_package("Acme.Web.1.0.0.zip")
    result = octoci("--debug", "push", "Acme.Web.1.0.0.zip", "--proxy", url)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "--proxy" in line
    assert "must not contain a user name or password" in line
    assert "OCTOCI_PROXY" in line
    assert "HTTPS_PROXY" in line
    assert "Hunter2" not in result.stdout + result.stderr
    assert seen == []


@pytest.mark.parametrize("variable", ["OCTOCI_PROXY", "HTTP_PROXY"])
def test_proxy_credentials_from_the_environment_work_and_are_masked(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    make_package: Callable[..., Path],
    proxy: tuple[str, list[str]],
    variable: str,
) -> None:
    url, seen = proxy
    password = "S3cret%2Fproxy-pass"  # %2F is "/", as a URL must write it
    with_credentials = url.replace("http://", f"http://svc-octoci:{password}@")
    make_package("Acme.Web.1.0.0.zip")
    result = octoci("--debug", "push", "Acme.Web.1.0.0.zip", env={variable: with_credentials})
    assert result.exit_code == 0, result.stderr
    assert "POST /api/Spaces-1/packages/raw" in seen
    credentials = seen.credentials  # type: ignore[attr-defined]
    sent = {base64.b64decode(c.split()[1]).decode() for c in credentials if c}
    assert sent == {"svc-octoci:S3cret/proxy-pass"}
    assert len(octopus_emulator.packages()) == 1
    for secret in (password, "S3cret/proxy-pass"):
        assert result.leaks(secret) == []


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_live_bar_on_a_terminal() -> None:
    now = [0.0]
    stream = _Terminal()
    progress = Progress(stream, live=True, clock=lambda: now[0])
    first = progress.start("A.1.0.0.zip", 1000)
    second = progress.start("B.1.0.0.zip", 1000)
    now[0] = 1.0
    progress.advance(first, 500)
    now[0] = 2.0
    progress.advance(second, 500)
    progress.finish(first)
    progress.finish(second)
    text = stream.getvalue()
    assert "\r[" in text
    assert " 25% " in text
    assert " 50% " in text
    assert "2 packages" in text
    assert text.endswith("\n")


def test_plain_lines_in_ci_logs_at_the_interval() -> None:
    now = [0.0]
    stream = io.StringIO()
    progress = Progress(stream, live=False, interval=10, clock=lambda: now[0])
    transfer = progress.start("A.1.0.0.zip", 4 * 1024 * 1024)
    for step in range(1, 5):
        now[0] = step * 4.0
        progress.advance(transfer, 1024 * 1024)
    progress.finish(transfer)
    lines = stream.getvalue().splitlines()
    assert lines == [
        "octoci: A.1.0.0.zip: 75% of 4.0 MiB sent (256.0 KiB/s, about 4 s left)",
        "octoci: A.1.0.0.zip: 100% of 4.0 MiB sent (256.0 KiB/s)",
    ]
    assert "\r" not in stream.getvalue()
