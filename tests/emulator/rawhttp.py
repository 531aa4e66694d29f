"""Hand-written HTTP requests, for framing no ordinary client produces."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit


def send_raw(
    url: str, payload: bytes, *, shut_write: bool = False, timeout: float = 10
) -> tuple[int, dict[str, Any] | None]:
    """Send ``payload`` (request line, headers and body) and read one answer.

    Returns ``(status, JSON body or None)``; status 0 when the server closed without answering.
    ``shut_write`` closes our sending side after the payload (a body that ends early).
    """
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(payload)
        if shut_write:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
                head, sep, body = received.partition(b"\r\n\r\n")
                if sep and b"content-length:" in head.lower():
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    if len(body) >= length:
                        break
        except (ConnectionResetError, TimeoutError):
            pass
    if not received:
        return 0, None
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, (json.loads(body) if body.strip().startswith(b"{") else None)


def multipart(filename: str, content: bytes, boundary: str = "XyZ") -> bytes:
    """A one-file multipart body."""
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )


def post_head(path: str, host: str, api_key: str, extra: str, boundary: str = "XyZ") -> bytes:
    """Request line and headers of a multipart POST; ``extra`` adds framing headers."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nX-Octopus-ApiKey: {api_key}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n{extra}\r\n"
    ).encode()
