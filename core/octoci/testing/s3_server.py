"""A real local S3 server for tests: moto in server mode, as a child process on a free port,
with credentials checked (and a fault proxy in front of it to plant what a real server may do).

moto checks signatures only after its first ``INITIAL_NO_AUTH_ACTION_COUNT`` requests, so the
server is started with a count of exactly the IAM calls that create its two users: a *writer*
(``s3:*``) and a *reader* (list and get only). From then on a request signed with any other
key is refused with ``InvalidAccessKeyId``, a wrong secret with ``SignatureDoesNotMatch`` and
the reader's writes with ``AccessDenied``, as S3 does.

:class:`FaultProxy` forwards every request unchanged (signatures stay valid: the ``Host`` header
is kept) and can plant two faults real servers have: storing other bytes than were sent
(``store_other_bytes``: after an object is stored, the proxy stores different bytes under its
key), and refusing one part of a multipart upload (``refuse_part``: ``400 BadDigest``, as S3
answers a part that was damaged on the way).

Example::

    with local_s3(tmp_path) as s3:
        s3.create_bucket("packages")
        s3.client().list_objects_v2(Bucket="packages")
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from octoci.testing.child_server import free_port

__all__ = ["FaultProxy", "LocalS3", "S3Credentials", "local_s3"]

REGION = "us-east-1"
_WRITE_POLICY = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
_READ_POLICY = {
    "Effect": "Allow",
    "Action": ["s3:ListBucket", "s3:GetObject", "s3:ListAllMyBuckets"],
    "Resource": "*",
}
#: The IAM calls that create the two users (create_user, create_access_key, put_user_policy each).
_SETUP_CALLS = 6


@dataclass(frozen=True)
class S3Credentials:
    """An access key pair the local server accepts."""

    access_key_id: str
    secret_access_key: str = field(repr=False)


@dataclass(frozen=True)
class LocalS3:
    """A running local S3 server: where it listens and the keys it accepts."""

    endpoint_url: str
    writer: S3Credentials
    reader: S3Credentials
    region: str = REGION

    def client(self, credentials: S3Credentials | None = None, endpoint_url: str = "") -> Any:
        """A boto3 S3 client for this server (the writer's keys unless told)."""
        import boto3  # type: ignore[import-untyped,unused-ignore]

        keys = credentials or self.writer
        return boto3.client(
            "s3",
            endpoint_url=endpoint_url or self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=keys.access_key_id,
            aws_secret_access_key=keys.secret_access_key,
        )

    def create_bucket(self, name: str) -> None:
        """Create a bucket (as the writer)."""
        self.client().create_bucket(Bucket=name)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}: {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not listen on {port} within 30 s: {log.read_text()}")


def _moto_command(port: int) -> list[str]:
    script = Path(sys.executable).with_name("moto_server")
    found = str(script) if script.exists() else shutil.which("moto_server")
    if found:
        return [found, "-H", "127.0.0.1", "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


@contextmanager
def local_s3(folder: Path) -> Iterator[LocalS3]:
    """Start moto's S3 server on a free port with credentials checked; stop it on exit.

    :param folder: where its log goes (``moto.log``), shown if it fails to start.
    """
    import boto3

    port = free_port()
    log = folder / "moto.log"
    env = {
        **os.environ,
        "INITIAL_NO_AUTH_ACTION_COUNT": str(_SETUP_CALLS),
        # Parts as small as boto3 sends them (5 MiB); S3's own minimum is the same.
        "S3_UPLOAD_PART_MIN_SIZE": str(5 * 1024 * 1024),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            _moto_command(port), stdout=out, stderr=subprocess.STDOUT, env=env
        )
    try:
        _wait_for_port(port, process, log)
        endpoint = f"http://127.0.0.1:{port}"
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="setup",
            aws_secret_access_key="setup-secret",
        )
        keys = []
        for user, policy in (("ci-writer", _WRITE_POLICY), ("ci-reader", _READ_POLICY)):
            iam.create_user(UserName=user)
            key = iam.create_access_key(UserName=user)["AccessKey"]
            iam.put_user_policy(
                UserName=user,
                PolicyName="packages",
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [policy]}),
            )
            keys.append(S3Credentials(key["AccessKeyId"], key["SecretAccessKey"]))
        yield LocalS3(endpoint, writer=keys[0], reader=keys[1])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class FaultProxy:
    """A real HTTP proxy in front of the local S3 server that can plant faults.

    Example::

        with FaultProxy(s3) as proxy:
            proxy.store_other_bytes = True
            repo = S3Repository(..., endpoint_url=proxy.endpoint_url)
    """

    def __init__(self, s3: LocalS3) -> None:
        self.s3 = s3
        self.store_other_bytes = False
        self.refuse_part: int | None = None
        self.requests: list[tuple[str, str]] = []
        upstream = urlsplit(s3.endpoint_url)
        self._upstream = (upstream.hostname or "127.0.0.1", upstream.port or 80)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        """Where clients send requests."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _plant_other_bytes(self, path: str) -> None:
        bucket, _, key = unquote(path.lstrip("/")).partition("/")
        client = self.s3.client()
        stored = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        damaged = bytes([stored[0] ^ 0xFF]) + stored[1:] if stored else b"x"
        client.put_object(Bucket=bucket, Key=key, Body=damaged)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    raw = bytearray()
                    while True:
                        line = self.rfile.readline()
                        raw += line
                        size = int(line.split(b";")[0].strip() or b"0", 16)
                        chunk = self.rfile.read(size + 2)
                        raw += chunk
                        if size == 0:
                            # Trailers until the empty line.
                            while chunk not in (b"\r\n", b""):
                                chunk = self.rfile.readline()
                                raw += chunk
                            return bytes(raw)
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _forward(self) -> None:
                body = self._body()
                url = urlsplit(self.path)
                query = parse_qs(url.query, keep_blank_values=True)
                proxy.requests.append((self.command, self.path))
                part = query.get("partNumber", [""])[0]
                if proxy.refuse_part is not None and part == str(proxy.refuse_part):
                    refusal = (
                        b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>BadDigest</Code>"
                        b"<Message>The SHA256 you specified did not match the calculated "
                        b"checksum.</Message></Error>"
                    )
                    self.send_response(400)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(refusal)))
                    self.end_headers()
                    self.wfile.write(refusal)
                    return
                upstream = http.client.HTTPConnection(*proxy._upstream, timeout=60)
                upstream.putrequest(
                    self.command, self.path, skip_host=True, skip_accept_encoding=True
                )
                for header, value in self.headers.items():
                    upstream.putheader(header, value)
                upstream.endheaders()
                if body:
                    upstream.send(body)
                answer = upstream.getresponse()
                content = answer.read()
                stored_whole = self.command == "PUT" and "partNumber" not in query
                completed = self.command == "POST" and "uploadId" in query
                if (
                    proxy.store_other_bytes
                    and answer.status == 200
                    and (stored_whole or completed)
                    and "/" in url.path.strip("/")
                ):
                    proxy._plant_other_bytes(url.path)
                self.send_response(answer.status)
                # A HEAD answer's Content-Length is the object's size, so it is passed on.
                dropped = {"transfer-encoding", "connection"}
                if self.command != "HEAD":
                    dropped.add("content-length")
                for header, value in answer.getheaders():
                    if header.lower() not in dropped:
                        self.send_header(header, value)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(content)
                upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        return Handler
