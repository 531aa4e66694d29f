"""A TCP fault proxy for reliability tests: a hostile network between octoci and the emulator.

The proxy listens on 127.0.0.1 and forwards HTTP/1.1 (keep-alive, ``Content-Length`` bodies, as
octoci and the emulator speak it) to one upstream, one thread per client connection. Faults are
armed for the requests whose method and target match, and do what a bad network or a crashing
middlebox does, at a chosen offset into the request body:

* ``flip``: XOR one byte of the body (default ``0x01``: a single bit error that a checksum-less
  path lets through, and that keeps ASCII text ASCII);
* ``reset``: forward that many body bytes, then reset both connections (TCP RST);
* ``stall``: forward that many body bytes, call ``on_stall`` (e.g. to rewrite the file being
  sent), hold the body for ``stall_seconds``, then go on;
* ``lose_answer``: forward the whole request, read the server's whole answer, then reset the
  client's connection without sending it: the server stored, the client never hears it;
* ``flip_answer``: XOR one byte of the answer's body, the first one after ``marker`` (e.g.
  ``b'"Hash": "'``), or the one at ``offset``.

Example::

    with FaultProxy(emulator.url) as proxy:
        proxy.arm(Fault("flip", path="/packages/raw", offset=5000))
        run_octoci("push", "Acme.Web.1.0.0.zip", env={"OCTOPUS_URL": proxy.url, ...})
        assert proxy.fired("flip") == 1
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit

__all__ = ["Fault", "FaultKind", "FaultProxy"]

FaultKind = Literal["flip", "reset", "stall", "lose_answer", "flip_answer"]

_CHUNK = 64 * 1024
_HEAD_LIMIT = 64 * 1024


@dataclass
class Fault:
    """One armed fault: what it does, to which requests, where in the body, how many times."""

    kind: FaultKind
    path: str = ""
    """A substring of the request target (path and query) that selects the request."""
    method: str = "POST"
    offset: int = 0
    """The body offset: the byte flipped, or how many bytes go before a reset or stall."""
    times: int = 1
    """How many matching requests it hits; 0: every one."""
    xor: int = 0x01
    marker: bytes = b""
    """For ``flip_answer``: flip the byte after the first occurrence of this."""
    stall_seconds: float = 0.0
    on_stall: Callable[[], None] | None = None
    fired: int = 0

    def matches(self, method: str, target: str) -> bool:
        """Whether this fault hits a request (it still has shots and the request matches)."""
        if self.times and self.fired >= self.times:
            return False
        return method.upper() == self.method.upper() and self.path in target


class _Stream:
    """Buffered reads from a socket: an HTTP head, then exactly so many body bytes."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def head(self) -> bytes | None:
        """Everything up to and including the blank line; ``None`` at a clean end."""
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > _HEAD_LIMIT:
                raise ConnectionError("HTTP head too long")
            data = self.sock.recv(_CHUNK)
            if not data:
                if self.buffer:
                    raise ConnectionError("connection closed inside an HTTP head")
                return None
            self.buffer += data
        end = self.buffer.index(b"\r\n\r\n") + 4
        head, self.buffer = self.buffer[:end], self.buffer[end:]
        return head

    def read(self, limit: int) -> bytes:
        """Up to ``limit`` bytes (at least one); ``b""`` when the peer closed."""
        if not self.buffer:
            self.buffer = self.sock.recv(_CHUNK)
        data, self.buffer = self.buffer[:limit], self.buffer[limit:]
        return data


def _header(head: bytes, name: str) -> str:
    for line in head.decode("latin-1").split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return ""


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST (linger 0), as a crashed middlebox would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class FaultProxy:
    """The proxy; :meth:`arm` faults while it runs. Thread-safe; a context manager."""

    def __init__(self, upstream: str) -> None:
        """:param upstream: the server's base URL (``http://127.0.0.1:PORT``)."""
        parts = urlsplit(upstream)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self.requests: list[str] = []
        """Every request seen, as ``"METHOD target"``."""
        self._fired: dict[str, int] = {}

    @property
    def url(self) -> str:
        """The proxy's base URL: give it to octoci as OCTOPUS_URL."""
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def arm(self, fault: Fault) -> Fault:
        """Put ``fault`` into force (after those already armed) and return it."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def disarm(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def fired(self, kind: FaultKind) -> int:
        """How many requests a fault of ``kind`` hit."""
        with self._lock:
            return self._fired.get(kind, 0)

    def start(self) -> FaultProxy:
        """Accept connections on a background thread."""
        thread = threading.Thread(target=self._accept, name="faultproxy", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Close every connection and stop accepting."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close() does not)
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            open_sockets = list(self._sockets)
        for sock in open_sockets:
            # shutdown() wakes a thread blocked in recv() on it; close() alone does not.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            _reset(sock)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the work ---------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(
                target=self._serve, args=(client,), name="faultproxy-conn", daemon=True
            )
            thread.start()
            with self._lock:
                self._threads.append(thread)

    def _track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.add(sock)
        return sock

    def _pick(self, method: str, target: str) -> Fault | None:
        with self._lock:
            self.requests.append(f"{method} {target}")
            for fault in self._faults:
                if fault.matches(method, target):
                    fault.fired += 1
                    self._fired[fault.kind] = self._fired.get(fault.kind, 0) + 1
                    return fault
        return None

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        try:
            upstream = self._track(socket.create_connection(self.target, timeout=30))
        except OSError:
            _reset(client)
            return
        try:
            downstream, server = _Stream(client), _Stream(upstream)
            while self._exchange(client, downstream, upstream, server):
                pass
        except OSError:
            pass  # either side went away: so does the other
        finally:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.close()
                with self._lock:
                    self._sockets.discard(sock)

    def _exchange(
        self, client: socket.socket, downstream: _Stream, upstream: socket.socket, server: _Stream
    ) -> bool:
        """Forward one request and its answer, applying a fault; False: the connection ends."""
        head = downstream.head()
        if head is None:
            return False
        method, target, *_ = [*head.split(b"\r\n", 1)[0].decode("latin-1").split(" "), "", ""]
        fault = self._pick(method, target)
        upstream.sendall(head)
        remaining = int(_header(head, "content-length") or 0)
        offset = 0
        while remaining:
            data = downstream.read(min(_CHUNK, remaining))
            if not data:
                _reset(upstream)  # the client gave up: the server sees a short body
                return False
            if (
                fault is not None
                and fault.kind != "flip_answer"
                and offset <= fault.offset < offset + len(data)
            ):
                at = fault.offset - offset
                if fault.kind == "flip":
                    data = data[:at] + bytes([data[at] ^ fault.xor]) + data[at + 1 :]
                elif fault.kind == "reset":
                    upstream.sendall(data[:at])
                    _reset(client)
                    _reset(upstream)
                    return False
                elif fault.kind == "stall":
                    upstream.sendall(data[:at])
                    data = data[at:]
                    offset += at
                    remaining -= at
                    if fault.on_stall is not None:
                        fault.on_stall()
                    self._stopping.wait(fault.stall_seconds)
                    fault = None  # once per request
            upstream.sendall(data)
            offset += len(data)
            remaining -= len(data)
        answer = server.head()
        if answer is None:
            _reset(client)
            return False
        status = answer.split(b" ", 2)[1] if answer.count(b" ") >= 1 else b""
        length = _header(answer, "content-length")
        body = b""
        if method.upper() != "HEAD" and status not in (b"204", b"304"):
            if length:
                need = int(length)
                while len(body) < need:
                    data = server.read(need - len(body))
                    if not data:
                        break
                    body += data
            else:  # no length: the answer ends with the connection
                while data := server.read(_CHUNK):
                    body += data
        if fault is not None and fault.kind == "flip_answer" and body:
            found = body.find(fault.marker) if fault.marker else -1
            at = found + len(fault.marker) if found >= 0 else min(fault.offset, len(body) - 1)
            body = body[:at] + bytes([body[at] ^ fault.xor]) + body[at + 1 :]
        if fault is not None and fault.kind == "lose_answer":
            _reset(client)
            _reset(upstream)
            return False
        client.sendall(answer + body)
        closing = "close" in _header(answer, "connection").lower()
        return not closing and bool(length or status in (b"204", b"304"))
