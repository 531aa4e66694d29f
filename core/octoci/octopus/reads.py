"""Read-only views of what a pipeline did: a project's releases, one release (packages, build
information, deployments, lifecycle progression) and one server task (its state, times, the
deployment or runbook run it belongs to, its log).

Only GET requests: these views change nothing in Octopus. Names are looked up with the same
helpers the commands that create things use, so an unknown project, channel, release or task is
reported the same way (exit code 2, with the closest names).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from octoci.octopus.connection import Connection, close_matches
from octoci.octopus.errors import OctopusNotFoundError, UnknownNameError
from octoci.octopus.executions import (
    _all,
    find_channel,
    find_project,
    find_release,
    project_releases,
)
from octoci.octopus.links import release_url, task_url
from octoci.octopus.tasks import TaskState, read_task_states, task_targets

__all__ = [
    "PhaseProgress",
    "ReleaseDeployment",
    "ReleaseDetails",
    "ReleaseSummary",
    "TaskDetails",
    "list_releases",
    "read_task_log",
    "show_release",
    "show_task",
]

#: How many releases one request asks for while filtering a project's releases by channel.
_PAGE = 100
_TAKE_ALL = 2147483647


@dataclass(frozen=True)
class ReleaseSummary:
    """One release as a list shows it."""

    version: str
    id: str
    channel: str
    assembled: str
    url: str

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "Version": self.version,
            "Id": self.id,
            "Channel": self.channel,
            "Assembled": self.assembled,
            "Url": self.url,
        }


@dataclass(frozen=True)
class ReleaseDeployment:
    """A deployment of a release and its task's state."""

    environment: str
    tenant: str
    deployment_id: str
    task_id: str
    state: str
    created: str
    url: str

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "EnvironmentName": self.environment,
            "TenantName": self.tenant,
            "DeploymentId": self.deployment_id,
            "ServerTaskId": self.task_id,
            "State": self.state,
            "Created": self.created,
            "Url": self.url,
        }


@dataclass(frozen=True)
class PhaseProgress:
    """One lifecycle phase of a release's progression."""

    name: str
    progress: str
    """Octopus's word: ``Pending``, ``Current`` or ``Complete``."""
    environments: tuple[str, ...]
    optional: bool

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "Name": self.name,
            "Progress": self.progress,
            "Environments": list(self.environments),
            "IsOptionalPhase": self.optional,
        }


@dataclass(frozen=True)
class ReleaseDetails:
    """One release: what it deploys, what was built, where it went and where it may go next."""

    project: str
    release: ReleaseSummary
    packages: tuple[dict[str, str], ...]
    """``ActionName``, ``PackageReferenceName``, ``Version`` of each selected package."""
    build_information: tuple[dict[str, Any], ...]
    """Each package's build information as the release snapshotted it (commits counted)."""
    deployments: tuple[ReleaseDeployment, ...]
    phases: tuple[PhaseProgress, ...]
    next_environments: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "Project": self.project,
            **self.release.to_json(),
            "Packages": [dict(p) for p in self.packages],
            "BuildInformation": [dict(b) for b in self.build_information],
            "Deployments": [d.to_json() for d in self.deployments],
            "Progression": {
                "Phases": [p.to_json() for p in self.phases],
                "NextEnvironments": list(self.next_environments),
            },
        }


@dataclass(frozen=True)
class TaskDetails:
    """One server task: its state and times, and what it ran."""

    state: TaskState
    name: str
    queued: str
    started: str
    completed: str
    duration: str
    url: str
    project: str = ""
    release: str = ""
    """The release version a deployment task deploys."""
    runbook: str = ""
    environment: str = ""
    tenant: str = ""

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            **self.state.to_json(),
            "Name": self.name,
            "QueueTime": self.queued,
            "StartTime": self.started,
            "CompletedTime": self.completed,
            "Duration": self.duration,
            "Url": self.url,
            "DeploymentId": self.state.deployment_id,
            "RunbookRunId": self.state.runbook_run_id,
            "ProjectName": self.project,
            "ReleaseVersion": self.release,
            "RunbookName": self.runbook,
            "EnvironmentName": self.environment,
            "TenantName": self.tenant,
        }


def _items(page: Any) -> list[dict[str, Any]]:
    return [i for i in (page or {}).get("Items") or [] if isinstance(i, dict)]


def _names(connection: Connection, collection: str) -> dict[str, str]:
    """Id to name of every document of a space collection (environments, tenants)."""
    items = _all(connection, collection, f"listing {collection}")
    return {str(i.get("Id")): str(i.get("Name") or "") for i in items}


def _channel_names(connection: Connection, project: Mapping[str, Any]) -> dict[str, str]:
    page = connection.get_json(
        connection.space_path(f"/projects/{project['Id']}/channels"),
        what=f"listing channels of {project['Name']}",
        params={"take": _TAKE_ALL},
    )
    return {str(c.get("Id")): str(c.get("Name") or "") for c in _items(page)}


def _summary(
    connection: Connection,
    project: Mapping[str, Any],
    release: Mapping[str, Any],
    channels: Mapping[str, str],
) -> ReleaseSummary:
    channel_id = str(release.get("ChannelId") or "")
    return ReleaseSummary(
        version=str(release.get("Version") or ""),
        id=str(release.get("Id") or ""),
        channel=channels.get(channel_id, channel_id),
        assembled=str(release.get("Assembled") or ""),
        url=release_url(connection, project, str(release.get("Id"))),
    )


def list_releases(
    connection: Connection, project_name: str, *, take: int, channel: str = ""
) -> tuple[str, list[ReleaseSummary]]:
    """The project's name and its ``take`` newest releases (of ``channel`` when named).

    :raises UnknownNameError: no such project or channel (exit code 2).
    """
    project = find_project(connection, project_name)
    channels = _channel_names(connection, project)
    channel_id = str(find_channel(connection, project, channel)["Id"]) if channel.strip() else ""
    found: list[dict[str, Any]] = []
    skip = 0
    while len(found) < take:
        # Without a channel one page of `take` is the answer; with one, releases of other
        # channels are skipped page by page until enough are found or the list ends.
        size = take if not channel_id else _PAGE
        page = project_releases(connection, project, skip=skip, take=size)
        found += [r for r in page if not channel_id or r.get("ChannelId") == channel_id]
        if len(page) < size:
            break
        skip += size
    return str(project["Name"]), [_summary(connection, project, r, channels) for r in found[:take]]


def _release_or_newest(
    connection: Connection, project: dict[str, Any], version: str
) -> dict[str, Any]:
    if not version.strip():
        newest = project_releases(connection, project, skip=0, take=1)
        if not newest:
            raise UnknownNameError(f"project {project['Name']} has no release yet")
        return newest[0]
    release = find_release(connection, project, version.strip())
    if release is None:
        recent = project_releases(connection, project, skip=0, take=_PAGE)
        versions = [str(r.get("Version")) for r in recent]
        raise UnknownNameError(
            f"release {version!r} of {project['Name']} was not found"
            f"{close_matches(version, versions)}"
        )
    return release


def _deployments(connection: Connection, release: Mapping[str, Any]) -> list[ReleaseDeployment]:
    page = connection.get_json(
        connection.space_path(f"/releases/{release['Id']}/deployments"),
        what=f"listing the deployments of release {release['Version']}",
        params={"skip": 0, "take": _TAKE_ALL},
    )
    documents = _items(page)
    if not documents:
        return []
    environments, tenants = _names(connection, "environments"), _names(connection, "tenants")
    task_ids = [str(d.get("TaskId")) for d in documents]
    states = {t.id: t.state for t in read_task_states(connection, task_ids)}
    return [
        ReleaseDeployment(
            environment=environments.get(str(d.get("EnvironmentId")), ""),
            tenant=tenants.get(str(d.get("TenantId") or ""), ""),
            deployment_id=str(d.get("Id")),
            task_id=task_id,
            state=states.get(task_id, ""),
            created=str(d.get("Created") or ""),
            url=task_url(connection, task_id),
        )
        for d, task_id in zip(documents, task_ids, strict=True)
    ]


def _progression(
    connection: Connection, release: Mapping[str, Any]
) -> tuple[list[PhaseProgress], list[str]]:
    answer = connection.get_json(
        connection.space_path(f"/releases/{release['Id']}/progression"),
        what=f"reading the lifecycle progression of release {release['Version']}",
    )
    environments = _names(connection, "environments")

    def named(ids: Sequence[Any]) -> tuple[str, ...]:
        return tuple(environments.get(str(i), str(i)) for i in ids)

    phases = [
        PhaseProgress(
            name=str(p.get("Name") or ""),
            progress=str(p.get("Progress") or ""),
            environments=named(
                [
                    *(p.get("AutomaticDeploymentTargets") or []),
                    *(p.get("OptionalDeploymentTargets") or []),
                ]
            ),
            optional=bool(p.get("IsOptionalPhase")),
        )
        for p in (answer or {}).get("Phases") or []
        if isinstance(p, dict)
    ]
    return phases, list(named((answer or {}).get("NextDeployments") or []))


def _build_information(release: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    keep = ("PackageId", "Version", "BuildEnvironment", "BuildNumber", "BuildUrl", "Branch",
            "VcsType", "VcsRoot", "VcsCommitNumber", "VcsCommitUrl")  # fmt: skip
    return tuple(
        {**{k: info.get(k) or "" for k in keep}, "Commits": len(info.get("Commits") or [])}
        for info in release.get("BuildInformation") or []
        if isinstance(info, dict)
    )


def show_release(connection: Connection, project_name: str, version: str = "") -> ReleaseDetails:
    """The release ``version`` of the project (the newest when ``version`` is empty).

    :raises UnknownNameError: no such project or release (exit code 2).
    """
    project = find_project(connection, project_name)
    release = _release_or_newest(connection, project, version)
    phases, next_environments = _progression(connection, release)
    packages = tuple(
        {
            "ActionName": str(p.get("ActionName") or ""),
            "PackageReferenceName": str(p.get("PackageReferenceName") or ""),
            "Version": str(p.get("Version") or ""),
        }
        for p in release.get("SelectedPackages") or []
        if isinstance(p, dict)
    )
    return ReleaseDetails(
        project=str(project["Name"]),
        release=_summary(connection, project, release, _channel_names(connection, project)),
        packages=packages,
        build_information=_build_information(release),
        deployments=tuple(_deployments(connection, release)),
        phases=tuple(phases),
        next_environments=tuple(next_environments),
    )


def _task_resource(connection: Connection, task_id: str) -> dict[str, Any]:
    try:
        task = connection.get_json(
            connection.space_path(f"/tasks/{task_id}"), what=f"reading task {task_id}"
        )
    except OctopusNotFoundError:
        recent = connection.get_json(
            connection.space_path("/tasks"), what="listing recent tasks", params={"take": _PAGE}
        )
        ids = [str(t.get("Id")) for t in _items(recent)]
        raise UnknownNameError(
            f"task {task_id!r} was not found in space "
            f"{connection.space_name or connection.space_id()}{close_matches(task_id, ids)}"
        ) from None
    return task if isinstance(task, dict) else {}


def _name_of(connection: Connection, collection: str, document_id: str) -> str:
    if not document_id:
        return ""
    document = connection.get_json(
        connection.space_path(f"/{collection}/{document_id}"), what=f"reading {document_id}"
    )
    return str((document or {}).get("Name") or (document or {}).get("Version") or "")


def show_task(connection: Connection, task_id: str) -> TaskDetails:
    """The task ``task_id`` and, for a deployment or runbook run, what it ran and where.

    :raises UnknownNameError: no such task in the space (exit code 2).
    """
    if not task_id.strip():
        raise UnknownNameError("name the task (ServerTasks-123)")
    resource = _task_resource(connection, task_id.strip())
    state = TaskState.from_resource(resource)
    target = task_targets(connection, [state]).get(state.id)
    release = runbook = ""
    if state.deployment_id:
        deployment = connection.get_json(
            connection.space_path(f"/deployments/{state.deployment_id}"),
            what=f"reading {state.deployment_id}",
        )
        release = _name_of(connection, "releases", str(deployment.get("ReleaseId") or ""))
    elif state.runbook_run_id:
        run = connection.get_json(
            connection.space_path(f"/runbookRuns/{state.runbook_run_id}"),
            what=f"reading {state.runbook_run_id}",
        )
        runbook = _name_of(connection, "runbooks", str(run.get("RunbookId") or ""))
    return TaskDetails(
        state=state,
        name=str(resource.get("Name") or ""),
        queued=str(resource.get("QueueTime") or ""),
        started=str(resource.get("StartTime") or ""),
        completed=str(resource.get("CompletedTime") or ""),
        duration=str(resource.get("Duration") or ""),
        url=task_url(connection, state.id),
        project=_name_of(connection, "projects", str(resource.get("ProjectId") or "")),
        release=release,
        runbook=runbook,
        environment=target.environment if target else "",
        tenant=target.tenant if target else "",
    )


def read_task_log(connection: Connection, task_id: str) -> str:
    """The task's whole log as Octopus renders it as text (``GET tasks/{id}/raw``)."""
    response = connection.request(
        "GET", connection.space_path(f"/tasks/{task_id}/raw"), what=f"reading the log of {task_id}"
    )
    return response.text
