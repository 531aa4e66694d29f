"""A local Octopus-compatible server, as the core sees it: what ``publish --emulator`` and the test
fixtures start, and what a plugin returns from ``octoci_start_local_octopus``.

The core never imports a server of its own: the built-in plugin ``emulator`` (the package
``octoci_emulator``) provides one through the hook, and a third-party plugin may provide another.
With none (the plugin blocked, or a build without it) :data:`NO_LOCAL_OCTOPUS` says what to do.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol, runtime_checkable

__all__ = ["NO_LOCAL_OCTOPUS", "LocalOctopus", "sigterm_as_interrupt"]

#: The one line when no plugin provides a local Octopus server.
NO_LOCAL_OCTOPUS = (
    "no plugin provides a local Octopus server: the built-in plugin 'emulator' is blocked "
    "(--disable-plugin, OCTOCI_DISABLE_PLUGINS) or not installed; unblock it, or install "
    "octoci with it: pip install octoci"
)


@runtime_checkable
class LocalOctopus(Protocol):
    """A running local Octopus-compatible server on 127.0.0.1.

    Example::

        server = plugin_manager.start_local_octopus({"projects": [{"name": "Web"}]})
        try:
            requests.get(f"{server.url}/api", headers=server.headers)
        finally:
            server.stop()
    """

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""

    @property
    def api_key(self) -> str:
        """An API key the server accepts."""

    @property
    def space_id(self) -> str:
        """The id of the default space (``Spaces-1``)."""

    @property
    def headers(self) -> dict[str, str]:
        """Request headers carrying :attr:`api_key`."""

    def serve_forever(self) -> None:
        """Block until :meth:`stop` is called from another thread (or ``KeyboardInterrupt``)."""

    def stop(self) -> None:
        """Stop serving and remove the state of a temporary server."""


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises ``KeyboardInterrupt`` like Ctrl-C does, so a server that
    is stopped with ``kill`` (or by a CI runner, or a shell that started it with SIGINT ignored)
    still stops cleanly and removes its temporary state. The previous handler is restored after.

    Outside the main thread (where Python allows no signal handlers) the block runs unchanged.

    Example::

        with sigterm_as_interrupt():
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                print("stopped")
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
