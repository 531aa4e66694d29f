"""The HTTP side: a threading HTTP/1.1 server (keep-alive, ``Connection: close``, chunked request
bodies) in front of :class:`~octoci_emulator.app.EmulatorApp`, with fault injection.

API keys are never logged: request lines are logged without their query string.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit

from octoci_emulator.app import EmulatorApp
from octoci_emulator.body import BodyReader, IncompleteBody, LengthReader, open_body
from octoci_emulator.config import FaultRule
from octoci_emulator.errors import ApiError, BadRequest, NotFound, error_body
from octoci_emulator.routes import Headers, Request, Response, locate, parse_query
from octoci_emulator.web import is_web_path

__all__ = ["EmulatorHTTPServer"]

log = logging.getLogger("octoci.emulator")

_COPY_CHUNK = 256 * 1024
#: A connection that sends nothing this long is closed (an idle keep-alive, or a client stalled
#: mid-body), so idle clients do not hold threads forever.
IDLE_TIMEOUT = 120.0
#: Routes that control the emulator itself; fault rules never apply to them, so a rule can
#: always be cleared.
_CONTROL_PREFIX = "/__emulator/"


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A :class:`ThreadingHTTPServer` that serves one :class:`EmulatorApp`.

    The socket is bound on construction; ``app`` may be attached afterwards (before serving), so
    that a port in use is found before any state is created.
    """

    daemon_threads = True
    allow_reuse_address = False  # an ephemeral port must not be shared with a stale socket
    request_queue_size = 256
    app: EmulatorApp

    def __init__(
        self,
        address: tuple[str, int],
        app: EmulatorApp | None = None,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        if app is not None:
            self.app = app
        self.idle_timeout = idle_timeout
        # Handler threads are daemons (an idle keep-alive connection must not hold up a stop),
        # so server_close() does not wait for them: requests in progress are counted here, and
        # the app's state is closed only when none is left (see drain()).
        self._busy = 0
        self._stopping = False
        self._idle = threading.Condition()
        super().__init__(address, _Handler)

    @contextlib.contextmanager
    def serving(self) -> Iterator[bool]:
        """Around one request: yields False when the server is stopping (answer 503 then)."""
        with self._idle:
            if self._stopping:
                accepted = False
            else:
                self._busy += 1
                accepted = True
        try:
            yield accepted
        finally:
            if accepted:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def drain(self, timeout: float = 30.0) -> bool:
        """Take no new request and wait (up to ``timeout``) for those in progress; False when
        some were still running at the timeout."""
        with self._idle:
            self._stopping = True
            return self._idle.wait_for(lambda: self._busy == 0, timeout)


def _with_base(value: Any, base: str) -> Any:
    """Links carry the virtual directory the request came through (``/octopus/api/...``)."""
    if isinstance(value, dict):
        return {
            k: (_prefix(v, base) if k == "Links" else _with_base(v, base)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_with_base(v, base) for v in value]
    return value


def _prefix(links: Any, base: str) -> Any:
    if not isinstance(links, dict):
        return links
    return {
        k: f"{base}{v}" if isinstance(v, str) and v.startswith("/api") else v
        for k, v in links.items()
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorHTTPServer
    server_version = "OctopusEmulator"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)
        # Without TCP_NODELAY, Nagle's algorithm holds the body's last segment until the client's
        # delayed ACK (~40 ms on Linux): every request of a test or a local pipeline paid it.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes the request line, query string (and so ?apikey=) included.
        log.debug("%s %s", self._method(), self._logged_path())

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self._method(), self._logged_path(), code)

    def _method(self) -> str:
        # Unset when the request line could not be parsed (e.g. TLS spoken to the HTTP port).
        return getattr(self, "command", None) or "-"

    def _logged_path(self) -> str:
        return urlsplit(getattr(self, "path", "") or "").path or "-"

    # -- the request pipeline -------------------------------------------------------------

    def _handle(self) -> None:
        with self.server.serving() as accepted:
            if accepted:
                self._handle_request()
                return
        # The emulator is stopping: its state may be closed already.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self._send(_error_response(ApiError(503, "The emulator is stopping.")))

    def _handle_request(self) -> None:
        app = self.server.app
        parts = urlsplit(self.path)
        query = parse_query(parts.query)
        headers = Headers(self.headers.items())
        try:
            body = open_body(headers, cast(BinaryIO, self.rfile))
        except ApiError as exc:
            # The framing is unknown, so nothing after this request can be read reliably.
            self.close_connection = True
            self._send(_error_response(exc))
            return
        located = locate(parts.path)
        if located is None:
            self._finish(body, _error_response(NotFound(f"There is no resource at {parts.path}.")))
            return
        base, path = located
        # Faults imitate a failing Octopus for its API clients; the web view is for a person
        # looking at what happened, so it stays readable whatever rules are set.
        control = path.startswith(_CONTROL_PREFIX) or is_web_path(path)
        faults = [] if control else app.faults.pick(self.command, path.removeprefix("/api"))
        for fault in faults:
            if fault.action == "delay":
                time.sleep(fault.delay_seconds)
        main = next((f for f in faults if f.action != "delay"), None)
        if main is not None and main.action in {"status", "throttle", "rate_limit"}:
            self._finish(body, _fault_response(main))
            return
        if main is not None and main.action == "drop":
            self._drop(body)
            return
        request = Request(
            app=app,
            method=self.command,
            path=path,
            query=query,
            headers=headers,
            body=body,
            base_path=base,
        )
        try:
            response = app.handle(request)
        except ApiError as exc:
            response = _error_response(exc)
        except IncompleteBody as exc:
            # The client's failure (it reset, stalled or cut the body short): what the request
            # started was cleaned up on the way out; answer 400 if anyone is still listening.
            log.info(
                "%s %s -> 400: the request body is incomplete: %s; nothing was stored",
                self.command,
                path,
                exc,
            )
            self.close_connection = True
            response = _error_response(BadRequest(f"The request body is incomplete: {exc}."))
        except Exception as exc:  # a bug in the emulator: answer like Octopus, keep serving
            log.exception("unexpected error handling %s %s", self.command, path)
            response = _error_response(
                ApiError(
                    500,
                    f"An unexpected error occurred: {type(exc).__name__}: {exc}",
                    body=error_body(
                        f"{type(exc).__name__}: {exc}", full_exception=traceback.format_exc()
                    ),
                )
            )
        if main is not None and main.action == "lose_response":
            self._drain(body)
            self._abort()
            return
        if base:
            response.body = _with_base(response.body, base)
        self._finish(body, response)

    def _finish(self, body: BodyReader, response: Response) -> None:
        """Consume what is left of the body (so the client sees the answer), then answer."""
        if not self._drain(body):
            self.close_connection = True
        self._send(response)

    def _drain(self, body: BodyReader) -> bool:
        try:
            while body.read(_COPY_CHUNK):
                pass
        except IncompleteBody:
            return False
        return True

    def _drop(self, body: BodyReader) -> None:
        """Read about half the body, then cut the connection (a network failure mid-upload)."""
        if isinstance(body, LengthReader):
            length = int(self.headers.get("Content-Length") or 0)
            want = length // 2
        else:
            want = 64 * 1024
        try:
            while want > 0 and (chunk := body.read(min(want, _COPY_CHUNK))):
                want -= len(chunk)
        except IncompleteBody:
            pass
        self._abort()

    def _abort(self) -> None:
        """Close the connection without an answer (RST where the platform allows it)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, response: Response) -> None:
        handle: BinaryIO | None = None
        if response.file is not None:
            # Opened before the headers go out: an overwrite or delete that removes the file
            # after it was looked up is a clean 404 (an open file stays readable to the end).
            try:
                handle = response.file.open("rb")
            except FileNotFoundError:
                response = _error_response(
                    NotFound("The package file was removed while it was requested; try again.")
                )
        try:
            self._write(response, handle)
        except OSError:  # reset, broken pipe, timed out: the client went away
            self.close_connection = True
        finally:
            if handle is not None:
                handle.close()

    def _write(self, response: Response, handle: BinaryIO | None) -> None:
        payload: bytes = b""
        if response.file is None:
            if isinstance(response.body, bytes):
                payload = response.body
            elif isinstance(response.body, str):
                payload = response.body.encode("utf-8")
            elif response.body is not None or response.status not in {204, 304}:
                payload = json.dumps(response.body, ensure_ascii=False).encode("utf-8")
            if response.status in {204, 304}:
                payload = b""
        self.send_response(response.status)
        if response.status not in {204, 304}:
            self.send_header("Content-Type", response.content_type)
        length = os.fstat(handle.fileno()).st_size if handle is not None else len(payload)
        self.send_header("Content-Length", str(length))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if handle is not None:
            shutil.copyfileobj(handle, self.wfile, _COPY_CHUNK)
        elif payload and self.command != "HEAD":
            self.wfile.write(payload)


def _error_response(exc: ApiError) -> Response:
    return Response(status=exc.status, body=exc.body(), headers=dict(exc.headers))


def _fault_response(fault: FaultRule) -> Response:
    if fault.action in {"throttle", "rate_limit"}:
        message = "You have exceeded the rate limit. Please retry later."
        return Response(
            status=429,
            body=error_body(message, [message]),
            headers={"Retry-After": str(fault.retry_after)},
        )
    message = f"Injected fault: HTTP {fault.status}."
    return Response(status=fault.status, body=error_body(message, [message]))
