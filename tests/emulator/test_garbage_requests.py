"""Bytes that are not HTTP (a TLS handshake sent to the HTTP port) get a 400, not a crash."""

from __future__ import annotations

import logging
import socket
from urllib.parse import urlsplit

import pytest
import requests

from octoci_emulator import Emulator

# The start of a TLS ClientHello: what a client configured with https:// sends first.
TLS_HELLO = bytes.fromhex("16030100a5010000a10303") + b"\x00" * 32


def test_a_tls_handshake_on_the_http_port_is_refused_cleanly(
    octopus_emulator: Emulator, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    address = urlsplit(octopus_emulator.url)
    with (
        caplog.at_level(logging.DEBUG),
        socket.create_connection((address.hostname, address.port), timeout=5) as conn,
    ):
        conn.sendall(TLS_HELLO + b"\r\n\r\n")
        answer = conn.recv(200)
    assert b"400" in answer
    # socketserver prints a handler's exception to stderr; nothing may be printed.
    printed = capfd.readouterr().err
    assert "Traceback" not in printed + caplog.text
    # ... and the server still answers.
    assert requests.get(f"{octopus_emulator.url}/api", timeout=5).status_code == 200
