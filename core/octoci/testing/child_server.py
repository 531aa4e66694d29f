"""What the real servers the tests start (nginx, the container registry, moto's S3) share: a
free port of 127.0.0.1, and stopping the child process when the ``with`` block ends."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TypeVar

__all__ = ["ChildServer", "free_port"]

_S = TypeVar("_S", bound="ChildServer")


def free_port() -> int:
    """A port of 127.0.0.1 that was free a moment ago (a server that loses the race retries)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChildServer:
    """A server run as a child process on a free port: subclasses start it with
    :meth:`_start_on_a_free_port` in :meth:`start`."""

    port: int = 0
    _process: subprocess.Popen[bytes] | None = None

    def _start_on_a_free_port(
        self,
        what: str,
        command: Callable[[], Sequence[str]],
        ready: Callable[[], bool],
        *,
        wait: float,
    ) -> None:
        """Pick a free :attr:`port`, run ``command()`` (it writes the configuration naming the
        port, and returns the argv), and wait up to ``wait`` seconds until ``ready()``. Another
        process may take the port between the probe and the server's bind: then the server
        exits and this tries again, up to five times; ``RuntimeError`` with its last words."""
        last = ""
        for _ in range(5):
            self.port = free_port()
            process = subprocess.Popen(
                list(command()), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and process.poll() is None:
                if ready():
                    self._process = process
                    return
                time.sleep(0.05)
            if process.poll() is None:
                process.kill()
            _, error = process.communicate()
            last = error.decode("utf-8", "replace").strip()[-2000:]
        raise RuntimeError(f"{what} did not start: {last}")

    def start(self: _S) -> _S:
        """Start the server and wait until it answers."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the server (``SIGTERM``, then ``SIGKILL`` after 5 s)."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
