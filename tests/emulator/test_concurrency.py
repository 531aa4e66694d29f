"""Many clients at once, keep-alive and Connection: close, chunked and sized uploads together."""

from __future__ import annotations

import hashlib
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests

from octoci_emulator import Emulator

from .conftest import Client


def test_concurrent_uploads_all_stored_correctly(octopus_emulator: Emulator) -> None:
    def upload(index: int) -> tuple[int, str]:
        content = hashlib.sha256(str(index).encode()).digest() * 20_000  # 640 kB each
        client = Client(octopus_emulator)
        if index % 2:
            # Odd uploads are chunked (a generator body), even ones carry a Content-Length.
            boundary = "b0undary"
            body = (
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                    f'filename="Pkg{index}.1.0.{index}.zip"\r\n\r\n'
                ).encode()
                + content
                + f"\r\n--{boundary}--\r\n".encode()
            )
            response = client.post(
                "/packages/raw",
                data=iter([body[:1000], body[1000:]]),
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
        else:
            response = client.push(f"Pkg{index}.1.0.{index}.zip", content)
        return response.status_code, response.json()["Hash"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(upload, range(40)))
    for index, (status, digest) in enumerate(results):
        expected = hashlib.sha1(hashlib.sha256(str(index).encode()).digest() * 20_000)
        assert status == 201
        assert digest == expected.hexdigest()
    assert len(octopus_emulator.packages()) == 40


def test_keep_alive_reuses_one_connection(octopus_emulator: Emulator) -> None:
    parts = urlsplit(octopus_emulator.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        stream = sock.makefile("rb")
        for _ in range(3):
            sock.sendall(f"GET /api HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
            status_line = stream.readline()
            assert b" 200 " in status_line
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert b"ApiVersion" in stream.read(length)


def test_connection_close_is_honoured(octopus_emulator: Emulator) -> None:
    response = requests.get(
        octopus_emulator.url + "/api", headers={"Connection": "close"}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["Connection"].lower() == "close"


def test_many_simultaneous_readers(octopus_emulator: Emulator) -> None:
    def read(_: int) -> int:
        return requests.get(
            f"{octopus_emulator.url}/api/Spaces-1/environments",
            headers=octopus_emulator.headers,
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        assert set(pool.map(read, range(200))) == {200}
