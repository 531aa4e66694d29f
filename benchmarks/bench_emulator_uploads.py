"""Concurrent big uploads into the emulator: correctness, the emulator's peak RSS, and throughput
as a ratio to a raw loopback TCP copy measured in the same run.

Usage: ``python benchmarks/bench_emulator_uploads.py [--uploads 20] [--size-mb 100] [--json]``

The emulator runs in its own process so its peak RSS (``ru_maxrss``, Unix) is its own. Every
upload is streamed with a Content-Length from one reused 1 MiB chunk, so the client side stays
small too. Target: all uploads 201 with the right SHA1, and peak RSS <= 100 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

CHUNK = bytes(range(256)) * 4096  # 1 MiB
BOUNDARY = "bench-boundary"
RSS_LIMIT_MB = 100

_SERVER = """
import resource, sys
from octoci_emulator import Emulator, parse_seed
with Emulator(seed=parse_seed({})) as octo:
    print(octo.url, octo.api_key, flush=True)
    sys.stdin.read()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    print(peak * 1024 if sys.platform != "darwin" else peak, flush=True)
"""


def _upload(url: str, key: str, index: int, chunks: int) -> tuple[int, bool]:
    parts = urlsplit(url)
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="Bench{index}.1.0.0.zip"\r\n\r\n'
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    connection.putrequest("POST", "/api/Spaces-1/packages/raw")
    connection.putheader("X-Octopus-ApiKey", key)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    connection.putheader("Content-Length", str(len(head) + chunks * len(CHUNK) + len(tail)))
    connection.endheaders()
    connection.send(head)
    for _ in range(chunks):
        connection.send(CHUNK)
    connection.send(tail)
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    expected = hashlib.sha1()
    for _ in range(chunks):
        expected.update(CHUNK)
    return response.status, body.get("Hash") == expected.hexdigest()


def _raw_loopback(uploads: int, chunks: int) -> float:
    """Seconds to push the same bytes over loopback TCP into a reader that discards them."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.listen(uploads)
    port = listener.getsockname()[1]

    def sink() -> None:
        for _ in range(uploads):
            conn, _ = listener.accept()
            threading.Thread(target=_drain, args=(conn,), daemon=True).start()

    def send(_: int) -> None:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            for _ in range(chunks):
                sock.sendall(CHUNK)
            sock.shutdown(socket.SHUT_WR)
            sock.recv(1)

    threading.Thread(target=sink, daemon=True).start()
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=uploads) as pool:
        list(pool.map(send, range(uploads)))
    elapsed = time.perf_counter() - start
    listener.close()
    return elapsed


def _drain(conn: socket.socket) -> None:
    with conn:
        while conn.recv(1 << 20):
            pass
        conn.sendall(b"k")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdin is not None
    assert server.stdout is not None
    url, key = server.stdout.readline().split()
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.uploads) as pool:
        results = list(pool.map(lambda i: _upload(url, key, i, args.size_mb), range(args.uploads)))
    emulator_seconds = time.perf_counter() - start
    server.stdin.close()
    peak_bytes = int(server.stdout.readline())
    server.wait(timeout=60)
    raw_seconds = _raw_loopback(args.uploads, args.size_mb)
    total_mb = args.uploads * args.size_mb
    report = {
        "uploads": args.uploads,
        "size_mb": args.size_mb,
        "all_stored": all(status == 201 and ok for status, ok in results),
        "emulator_peak_rss_mb": round(peak_bytes / 2**20, 1),
        "emulator_mb_per_s": round(total_mb / emulator_seconds, 1),
        "raw_loopback_mb_per_s": round(total_mb / raw_seconds, 1),
        "throughput_ratio": round(raw_seconds / emulator_seconds, 3),
    }
    if args.json:
        print(json.dumps(report))
    else:
        for name, value in report.items():
            print(f"{name:>24}: {value}")
    ok = report["all_stored"] and report["emulator_peak_rss_mb"] <= RSS_LIMIT_MB
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
