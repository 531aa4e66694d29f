"""Stopping the emulator while requests are in progress: they finish against open state (never a
500 from a closed database), and a request that comes after the stop is a 503, not a traceback."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

import pytest

from octoci_emulator import Emulator


def _raw_request(emulator: Emulator, body: bytes, first: int) -> socket.socket:
    """A POST of build information whose body is sent only up to ``first`` bytes."""
    host, port = emulator.url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=10)
    head = (
        "POST /api/Spaces-1/build-information HTTP/1.1\r\n"
        f"Host: {host}\r\nX-Octopus-ApiKey: {emulator.api_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    connection.sendall(head.encode() + body[:first])
    return connection


def _status(connection: socket.socket) -> int:
    answer = b""
    while b"\r\n" not in answer:
        chunk = connection.recv(4096)
        if not chunk:
            break
        answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_a_request_in_progress_finishes_before_the_state_is_closed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="octoci.emulator")
    emulator = Emulator().start()
    body = json.dumps(
        {
            "PackageId": "Acme.Web",
            "Version": "1.0.0",
            "OctopusBuildInformation": {"BuildNumber": "1", "Branch": "main", "Commits": []},
        }
    ).encode()
    connection = _raw_request(emulator, body, first=10)
    try:
        time.sleep(0.2)  # the handler is reading the body
        stopper = threading.Thread(target=emulator.stop)
        stopper.start()
        stopper.join(0.5)
        assert stopper.is_alive(), "stop() closed the state under a request in progress"
        connection.sendall(body[10:])
        assert _status(connection) in (200, 201)
        stopper.join(10)
        assert not stopper.is_alive()
    finally:
        connection.close()
    assert "unexpected error" not in caplog.text


def test_a_request_after_the_stop_is_503_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="octoci.emulator")
    emulator = Emulator().start()
    server = emulator._server  # the request comes on a connection accepted before the stop
    assert server is not None
    assert server.drain(timeout=1)
    connection = _raw_request(emulator, b"{}", first=2)
    try:
        assert _status(connection) == 503
    finally:
        connection.close()
        emulator.stop()
    assert "unexpected error" not in caplog.text
    assert "Traceback" not in caplog.text
