"""What the real servers the tests start (nginx, the container registry, moto's S3) share: a
free port of 127.0.0.1, and stopping the child process when the ``with`` block ends."""

from __future__ import annotations

import socket
import subprocess
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
    """A server run as a child process: subclasses set ``_process`` in :meth:`start`."""

    _process: subprocess.Popen[bytes] | None = None

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
