"""The emulator without its HTTP transport: state, configuration, routing, authentication."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

from octoci_emulator import (
    api_buildinfo,
    api_delta,
    api_executions,
    api_feeds,
    api_interruptions,
    api_model,
    api_packages,
    api_reads,
    api_root,
    api_tasks,
    api_writes,
)
from octoci_emulator.auth import Authenticator
from octoci_emulator.catalog import default_space
from octoci_emulator.config import EmulatorConfig
from octoci_emulator.errors import NotFound
from octoci_emulator.executions import after_task
from octoci_emulator.faults import FaultInjector
from octoci_emulator.package_files import reconcile
from octoci_emulator.routes import Request, Response, Router
from octoci_emulator.store import Store
from octoci_emulator.tasks import TaskEngine
from octoci_emulator.web import register as register_web

__all__ = ["EmulatorApp"]


def build_router() -> Router:
    """Every route the emulator serves, in matching order."""
    router = Router()
    for module in (
        api_root,
        api_delta,
        api_packages,
        api_buildinfo,
        api_executions,
        api_tasks,
        api_interruptions,
        api_reads,
        api_feeds,
        api_model,
        api_writes,
    ):
        module.register(router)
    register_web(router)
    return router


class EmulatorApp:
    """An emulated Octopus Server's state and request handling.

    Example::

        app = EmulatorApp(Path("state"), EmulatorConfig())
        app.start()
        ...
        app.stop()
    """

    def __init__(self, root: Path, config: EmulatorConfig) -> None:
        self.root = root
        self.config = config
        self.store = Store(root)
        #: What start-up reconciliation repaired after a crash (also logged), one line each.
        self.repairs = reconcile(self.store, root / "signatures")
        self.faults = FaultInjector(config.faults)
        self.auth = Authenticator(
            config, self.store.meta("token-secret", lambda: secrets.token_hex(32))
        )
        self.installation_id = self.store.meta("installation-id", lambda: str(uuid.uuid4()))
        self.tasks = TaskEngine(self.store, config, lambda task: after_task(self, task))
        self.router = build_router()
        #: The URL clients reach the emulator at; set by the server once it is bound.
        self.public_url = ""

    def start(self) -> None:
        """Start background work (task progression)."""
        self.tasks.start()

    def stop(self) -> None:
        """Stop background work and close the database."""
        self.tasks.stop()
        self.store.close()

    def handle(self, request: Request) -> Response:
        """Route, authenticate and run one request; raises :class:`ApiError` for error answers."""
        route, params, space_id = self.router.resolve(request.method, request.path)
        request.params = params
        if not route.anonymous:
            request.principal = self.auth.authenticate(request.headers, request.query)
        if route.scoped:
            if space_id is None:
                request.space = default_space(self.store)
            else:
                space = self.store.get("space", space_id)
                if space is None:
                    raise NotFound(f"The space '{space_id}' was not found.")
                request.space = space
                request.explicit_space = True
        return route.handler(request)
