""":class:`Emulator`: start an emulated Octopus Server on a port, use it, stop it."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

from octoci_emulator.app import EmulatorApp
from octoci_emulator.catalog import apply_seed, default_space
from octoci_emulator.config import FaultRule
from octoci_emulator.package_files import stored_path
from octoci_emulator.resources import public
from octoci_emulator.seed import Seed, parse_fault, parse_seed
from octoci_emulator.server import IDLE_TIMEOUT, EmulatorHTTPServer
from octoci_emulator.store import Document

log = logging.getLogger("octoci.emulator")

__all__ = ["Emulator"]


class Emulator:
    """An emulated Octopus Server: SQLite state, a files directory and an HTTP server.

    Without ``data_dir`` the state lives in a temporary directory removed by :meth:`stop`; with
    it, state survives a restart (and a crash: start-up reconciles rows and files, see
    :attr:`repairs`). ``port=0`` binds an ephemeral port (see :attr:`url`). A connection that
    sends nothing for ``idle_timeout`` seconds (an idle keep-alive, or a client stalled
    mid-upload) is closed.

    Example::

        with Emulator(seed=parse_seed({"projects": [{"name": "Web", "packages": ["Web"]}]})) as octo:
            requests.get(f"{octo.url}/api", headers={"X-Octopus-ApiKey": octo.api_key})
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        data_dir: Path | None = None,
        seed: Seed | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self._host = host
        self._idle_timeout = idle_timeout
        self._port = port
        self._seed = seed or Seed()
        self._temporary = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="octoci-emulator-"))
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._app: EmulatorApp | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Emulator:
        """Bind the port, then create (or open and reconcile) the state, seed it and serve in a
        background thread.

        The port comes first so that a port in use creates nothing: no ``data_dir``.
        """
        created = not self.data_dir.exists()
        try:
            server = EmulatorHTTPServer((self._host, self._port), idle_timeout=self._idle_timeout)
        except BaseException:
            if self._temporary:
                shutil.rmtree(self.data_dir, ignore_errors=True)
            raise
        app: EmulatorApp | None = None
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            app = EmulatorApp(self.data_dir, self._seed.config)
            apply_seed(app.store, self._seed)
        except BaseException:
            # Nothing half-created: a failed start leaves no directory it made behind.
            server.server_close()
            if app is not None:
                app.store.close()
            if self._temporary or created:
                shutil.rmtree(self.data_dir, ignore_errors=True)
            raise
        server.app = app
        host, port = server.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{host_text}]" if ":" in host_text else host_text
        app.public_url = f"http://{shown}:{port}"
        app.start()
        self._app, self._server = app, server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="octoci-emulator-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Block until :meth:`stop` is called from another thread (or Ctrl-C)."""
        assert self._thread is not None, "start() first"
        while self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        """Stop serving, close the state, and remove a temporary data directory."""
        if self._server is not None:
            self._server.shutdown()
            # Requests still in progress finish before the state they use is closed.
            if not self._server.drain():
                log.warning("requests still running after 30 s; stopping anyway")
            self._server.server_close()
            self._server = None
        if self._app is not None:
            self._app.stop()
            self._app = None
        if self._temporary:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what clients need ----------------------------------------------------------------

    @property
    def app(self) -> EmulatorApp:
        """The running application (state, configuration, task engine)."""
        if self._app is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._app

    @property
    def url(self) -> str:
        """The server URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash, no ``/api``)."""
        return self.app.public_url

    @property
    def api_key(self) -> str:
        """The first accepted API key."""
        return self.app.config.api_keys[0].key

    @property
    def space_id(self) -> str:
        """The id of the default space (``Spaces-1`` for a fresh emulator)."""
        return str(default_space(self.app.store)["Id"])

    @property
    def headers(self) -> dict[str, str]:
        """Request headers that authenticate with :attr:`api_key`."""
        return {"X-Octopus-ApiKey": self.api_key}

    # -- seeding and inspection (for tests) -----------------------------------------------

    def seed(self, data: Seed | Mapping[str, Any]) -> None:
        """Add the model a seed describes (spaces, environments, projects ...) to the state."""
        seed = data if isinstance(data, Seed) else parse_seed(data, source="<seed>")
        apply_seed(self.app.store, replace(seed, config=self.app.config))

    def add_fault(self, **rule: Any) -> FaultRule:
        """Inject a fault, e.g. ``add_fault(action="status", status=503, path="packages/raw")``."""
        fault = parse_fault(rule)
        self.app.faults.add(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.app.faults.clear()

    def documents(self, kind: str, space_id: str | None = None) -> list[Document]:
        """Stored resources of ``kind`` (``package``, ``buildinfo``, ``release``, ``deployment``,
        ``task``, ``project`` ...), as clients would see them."""
        return [public(d) for d in self.app.store.list(kind, space_id)]

    def packages(self) -> list[Document]:
        """Every package in the built-in feed of every space."""
        return self.documents("package")

    def package_path(self, package: Mapping[str, Any]) -> Path:
        """Where a stored package's file is on disk (``package`` as :meth:`packages` lists it)."""
        stored = self.app.store.get("package", str(package["Id"]))
        return stored_path(self.app.store, stored if stored is not None else dict(package))

    @property
    def repairs(self) -> list[str]:
        """What start-up reconciliation repaired (rows and files a crash left inconsistent)."""
        return list(self.app.repairs)

    def stored_files(self) -> list[Path]:
        """Every file in the package store (and in its incoming area), for leak checks."""
        store = self.app.store
        return sorted(
            p for root in (store.files, store.incoming) for p in root.rglob("*") if p.is_file()
        )

    def finish_task(self, task_id: str, state: str = "Success", error_message: str = "") -> None:
        """End a task now (for emulators whose tasks are held in Queued)."""
        self.app.tasks.finish(task_id, state, error_message)

    def answer_interruption(self, task_id: str, **values: str) -> Document:
        """Answer the pending interruption of ``task_id`` as a person would (take
        responsibility, submit ``values``: ``Result="Proceed"`` for a manual intervention,
        ``Guidance="Retry"`` for guided failure); the answered interruption."""
        from octoci_emulator.interruptions import take_responsibility

        store = self.app.store
        pending = store.list(
            "interruption", None, lambda i: i["TaskId"] == task_id and bool(i["IsPending"])
        )
        if not pending:
            raise LookupError(f"task {task_id} is not waiting for anyone")
        with store.transaction():
            take_responsibility(store, pending[-1])
        return public(self.app.tasks.answer(pending[-1], values))

    def wait_for_task(self, task_id: str, timeout: float = 10.0) -> Document:
        """The task once it has completed; ``TimeoutError`` if it does not within ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            task = self.app.store.get("task", task_id)
            if task is not None and task["IsCompleted"]:
                return public(task)
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {task_id} did not complete within {timeout} s")
            time.sleep(0.02)
