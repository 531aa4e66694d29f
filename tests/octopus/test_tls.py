"""TLS: a private certificate authority (--ca-bundle, REQUESTS_CA_BUNDLE) and --insecure, through a
TLS-terminating reverse proxy (certificates made with the openssl command) in front of the
emulator."""

from __future__ import annotations

import http.client
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from octoci.testing import CliResult
from octoci_emulator import Emulator

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _openssl(folder: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture
def certificates(tmp_path: Path) -> tuple[Path, Path, Path]:
    """``(ca.pem, server.pem, server.key)``: a private CA and a certificate for 127.0.0.1."""
    folder = tmp_path / "pki"
    folder.mkdir()
    _openssl(folder, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=octoci test CA")  # fmt: skip
    _openssl(folder, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
             "-out", "server.csr", "-subj", "/CN=127.0.0.1")  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n", encoding="ascii")
    _openssl(folder, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext")  # fmt: skip
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


class _Terminator(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _relay(self) -> None:
        upstream_url = urlsplit(self.server.upstream)  # type: ignore[attr-defined]
        upstream = http.client.HTTPConnection(upstream_url.hostname or "", upstream_url.port)
        length = int(self.headers.get("Content-Length") or 0)
        upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            if name.lower() != "connection":
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


@pytest.fixture
def https_url(octopus_emulator: Emulator, certificates: tuple[Path, Path, Path]) -> Iterator[str]:
    _, cert, key = certificates
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Terminator)
    server.daemon_threads = True
    server.upstream = octopus_emulator.url  # type: ignore[attr-defined]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_untrusted_certificate_says_what_to_do(
    octoci: Callable[..., CliResult], https_url: str, make_package: Callable[..., Path]
) -> None:
    make_package("Acme.Web.1.0.0.zip")
    result = octoci("push", "Acme.Web.1.0.0.zip", "--octopus-url", https_url)
    assert result.exit_code == 1
    assert "TLS error" in result.stderr
    assert "--ca-bundle" in result.stderr
    assert "--insecure" in result.stderr


def test_private_ca_bundle(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    https_url: str,
    certificates: tuple[Path, Path, Path],
    make_package: Callable[..., Path],
) -> None:
    ca, _, _ = certificates
    make_package("Acme.Web.1.0.0.zip")
    option = octoci(
        "push", "Acme.Web.1.0.0.zip", "--octopus-url", https_url, "--ca-bundle", str(ca)
    )
    assert option.exit_code == 0, option.stderr
    make_package("Acme.Web.1.0.1.zip")
    env = octoci(
        "push", "Acme.Web.1.0.1.zip", env={"OCTOPUS_URL": https_url, "REQUESTS_CA_BUNDLE": str(ca)}
    )
    assert env.exit_code == 0, env.stderr
    assert len(octopus_emulator.packages()) == 2


def test_insecure_switch(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    https_url: str,
    make_package: Callable[..., Path],
) -> None:
    make_package("Acme.Web.1.0.0.zip")
    result = octoci("push", "Acme.Web.1.0.0.zip", "--octopus-url", https_url, "--insecure")
    assert result.exit_code == 0, result.stderr
    assert "TLS certificate verification is off" in result.stderr
    assert len(octopus_emulator.packages()) == 1
