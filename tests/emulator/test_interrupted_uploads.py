"""A client that resets or stalls mid-upload: the partial file is removed at once, and the log
calls it the client's failure (400), not an unexpected error (500 with a traceback)."""

from __future__ import annotations

import logging
import socket
import struct
import time
from collections.abc import Callable

import pytest

from octoci_emulator import Emulator

from .rawhttp import post_head, send_raw

_BODY_START = (
    b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="Cut.1.0.0.zip"\r\n\r\n'
    + b"x" * 600_000
)
_HEAD_EXTRA = "Content-Length: 5000000\r\n"


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _client_failure_logged(caplog: pytest.LogCaptureFixture) -> bool:
    return any("-> 400: the request body is incomplete" in r.getMessage() for r in caplog.records)


def _no_unexpected_errors(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_reset_mid_body_leaves_nothing_and_is_the_clients_fault(
    octopus_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="octoci.emulator")
    host = octopus_emulator.url.removeprefix("http://")
    name, port = host.rsplit(":", 1)
    sock = socket.create_connection((name, int(port)))
    sock.sendall(
        post_head("/api/Spaces-1/packages/raw", host, octopus_emulator.api_key, _HEAD_EXTRA)
        + _BODY_START
    )
    _wait_for(lambda: octopus_emulator.stored_files() != [], "the upload to start")
    # SO_LINGER 0: close() sends a TCP reset, as a killed or crashed client's kernel does.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    _wait_for(lambda: _client_failure_logged(caplog), "the interrupted upload to be logged")
    assert octopus_emulator.stored_files() == []
    assert octopus_emulator.packages() == []
    _no_unexpected_errors(caplog)


def test_stall_mid_body_is_answered_400_and_leaves_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="octoci.emulator")
    with Emulator(idle_timeout=0.3) as emulator:
        host = emulator.url.removeprefix("http://")
        head = post_head("/api/Spaces-1/packages/raw", host, emulator.api_key, _HEAD_EXTRA)
        # The client keeps the connection open but sends no more: it is still there to be told.
        status, body = send_raw(emulator.url, head + _BODY_START)
        assert status == 400
        assert body is not None
        assert "incomplete" in body["Errors"][0]
        assert emulator.stored_files() == []
        assert emulator.packages() == []
    assert _client_failure_logged(caplog)
    _no_unexpected_errors(caplog)
