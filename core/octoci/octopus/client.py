""":class:`OctopusClient`: every Octopus operation a CI job needs, on one server and space.

A thin facade over the modules of :mod:`octoci.octopus` for use from Python; the commands use
the same functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from octoci.model import BuildInformation
from octoci.octopus.buildinfo import BuildInfoResult, push_build_information
from octoci.octopus.connection import Connection
from octoci.octopus.executions import (
    DeployRequest,
    ReleaseRequest,
    ReleaseResult,
    ServerTask,
    create_release,
    deploy_release,
    promote_release,
    run_runbook,
)
from octoci.octopus.packages import (
    OverwriteMode,
    PushFailure,
    PushResult,
    push_packages,
    validate_package_files,
)
from octoci.octopus.progress import Progress
from octoci.octopus.settings import OctopusSettings
from octoci.octopus.tasks import TaskState, wait_for_tasks
from octoci.redaction import Redactor

__all__ = ["OctopusClient"]


class OctopusClient:
    """One Octopus Server and space.

    Example::

        with OctopusClient.from_env(os.environ) as octopus:
            results, failures = octopus.push_packages([Path("dist/Acme.Web.1.2.3.zip")])
            release = octopus.create_release(ReleaseRequest(project="Acme", version="1.2.3"))
            tasks = octopus.deploy(DeployRequest("Acme", ("Dev",), release_version="1.2.3"))
            octopus.wait([t.task_id for t in tasks], timeout=900)
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], *, redactor: Redactor | None = None, **overrides: Any
    ) -> OctopusClient:
        """A client configured from ``OCTOPUS_URL``, ``OCTOPUS_API_KEY`` ... (see
        :meth:`OctopusSettings.from_env`); ``overrides`` win."""
        return cls(Connection(OctopusSettings.from_env(env, **overrides), redactor=redactor))

    def push_packages(
        self,
        paths: Sequence[Path],
        *,
        mode: OverwriteMode = "FailIfExists",
        concurrency: int = 3,
        progress: Progress | None = None,
    ) -> tuple[list[PushResult], list[PushFailure]]:
        """Validate every file, then push them (see :func:`~octoci.octopus.packages.push_packages`)."""
        files = validate_package_files(paths)
        return push_packages(
            self.connection, files, mode=mode, concurrency=concurrency, progress=progress
        )

    def push_build_information(
        self,
        package_ids: Sequence[str],
        version: str,
        info: BuildInformation,
        *,
        mode: OverwriteMode = "FailIfExists",
    ) -> list[BuildInfoResult]:
        """Push build information for each package id at ``version``."""
        return push_build_information(self.connection, package_ids, version, info, mode=mode)

    def create_release(self, request: ReleaseRequest) -> ReleaseResult:
        """Create a release (Executions API)."""
        return create_release(self.connection, request)

    def deploy(self, request: DeployRequest) -> list[ServerTask]:
        """Deploy a release (names checked first)."""
        return deploy_release(self.connection, request)

    def promote(
        self, request: DeployRequest, *, source: str, latest_successful: bool = False
    ) -> tuple[str, list[ServerTask]]:
        """Promote the release in ``source`` to ``request.environments`` (or the next ones)."""
        return promote_release(
            self.connection, request, source=source, latest_successful=latest_successful
        )

    def run_runbook(
        self, request: DeployRequest, *, runbook: str, snapshot: str = ""
    ) -> list[ServerTask]:
        """Run a runbook in ``request.environments``."""
        return run_runbook(self.connection, request, runbook=runbook, snapshot=snapshot)

    def wait(self, task_ids: Sequence[str], **options: Any) -> list[TaskState]:
        """Wait for tasks (see :func:`~octoci.octopus.tasks.wait_for_tasks` for the options)."""
        return wait_for_tasks(self.connection, task_ids, **options)

    def close(self) -> None:
        """Close the connection's pooled sockets."""
        self.connection.close()

    def __enter__(self) -> OctopusClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
