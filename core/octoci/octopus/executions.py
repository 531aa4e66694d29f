"""Releases, deployments, promotion and runbook runs through the Executions API (server
2022.3.5512 or later).

Every name (project, channel, environments, tenants, tenant tags, runbook, release) is checked
*before* anything is created, so a typo in a deploy request never leaves a stray release behind;
a name that does not exist is reported with the closest existing names.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from octoci.errors import InputError
from octoci.octopus.connection import EXECUTIONS_API_VERSION, Connection, close_matches
from octoci.octopus.errors import (
    OctopusApiError,
    OctopusConnectionError,
    OctopusNotFoundError,
    UnknownNameError,
)
from octoci.package_names import validate_version

__all__ = [
    "DeployRequest",
    "ReleaseRequest",
    "ReleaseResult",
    "ServerTask",
    "create_release",
    "deploy_release",
    "find_project",
    "parse_variables",
    "promote_release",
    "run_runbook",
]

log = logging.getLogger("octoci")
_TAKE_ALL = 2147483647


@dataclass(frozen=True)
class ServerTask:
    """A task Octopus queued: a deployment or a runbook run."""

    task_id: str
    environment: str = ""
    tenant: str = ""
    deployment_id: str = ""
    runbook_run_id: str = ""

    def to_json(self) -> dict[str, str]:
        """The ``--json`` form (the GitHub deploy action's ``server_tasks`` shape, PascalCase)."""
        data = {"ServerTaskId": self.task_id, "EnvironmentName": self.environment}
        if self.tenant:
            data["TenantName"] = self.tenant
        if self.deployment_id:
            data["DeploymentId"] = self.deployment_id
        if self.runbook_run_id:
            data["RunbookRunId"] = self.runbook_run_id
        return data


@dataclass(frozen=True)
class ReleaseRequest:
    """What ``octoci release create`` asks for."""

    project: str
    version: str = ""
    channel: str = ""
    package_version: str = ""
    packages: tuple[str, ...] = ()
    """``StepName:Version``, ``PackageId:Version`` or ``StepName:PackageName:Version``."""
    git_ref: str = ""
    git_commit: str = ""
    release_notes: str = ""
    ignore_if_exists: bool = False


@dataclass(frozen=True)
class ReleaseResult:
    """A release created (or found, with ``ignore_if_exists``)."""

    project: str
    version: str
    id: str
    created: bool
    url: str = ""


@dataclass(frozen=True)
class DeployRequest:
    """What a deployment (or a promotion's deployment, or a runbook run) asks for."""

    project: str
    environments: tuple[str, ...]
    release_version: str = ""
    tenants: tuple[str, ...] = ()
    tenant_tags: tuple[str, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)
    guided_failure: bool | None = None
    force_package_download: bool = False
    run_at: str = ""
    """ISO 8601 date and time with offset (``2026-12-01T22:00:00+00:00``)."""


def parse_variables(items: Sequence[str]) -> dict[str, str]:
    """Prompted variables from ``Name:Value`` items; the value may contain colons (split at the
    first one), e.g. ``Url:https://x:8443``."""
    variables: dict[str, str] = {}
    for item in items:
        name, colon, value = item.partition(":")
        if not colon or not name.strip():
            raise InputError(f"--variable {item!r}: write NAME:VALUE (the value may contain ':')")
        variables[name.strip()] = value
    return variables


# ---------------------------------------------------------------------------------- lookups
def _all(connection: Connection, collection: str, what: str) -> list[dict[str, Any]]:
    items = connection.get_json(connection.space_path(f"/{collection}/all"), what=what)
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _match(items: Sequence[dict[str, Any]], wanted: str) -> dict[str, Any] | None:
    lowered = wanted.strip().lower()
    for item in items:
        if (
            str(item.get("Name", "")).lower() == lowered
            or str(item.get("Id", "")).lower() == lowered
        ):
            return item
    for item in items:
        if str(item.get("Slug", "")).lower() == lowered:
            return item
    return None


def _not_found(
    kind: str, wanted: Sequence[str], items: Sequence[dict[str, Any]], where: str
) -> OctopusNotFoundError:
    names = [str(i.get("Name")) for i in items]
    parts = [f"{kind} {w!r} was not found{close_matches(w, names)}" for w in wanted]
    return UnknownNameError(f"{'; '.join(parts)} ({where})")


def find_project(connection: Connection, name: str) -> dict[str, Any]:
    """The project called ``name`` (or with that id or slug)."""
    if not name.strip():
        raise InputError("name the project (--project)")
    projects = _all(connection, "projects", "listing projects")
    project = _match(projects, name)
    if project is None:
        raise _not_found("project", [name], projects, f"space {connection.space_name}")
    return project


def _environments(connection: Connection, names: Sequence[str]) -> list[dict[str, Any]]:
    environments = _all(connection, "environments", "listing environments")
    found, missing = [], []
    for name in names:
        environment = _match(environments, name)
        if environment is None:
            missing.append(name)
        else:
            found.append(environment)
    if missing:
        raise _not_found("environment", missing, environments, f"space {connection.space_name}")
    return found


def _tenants(
    connection: Connection, project: dict[str, Any], names: Sequence[str], tags: Sequence[str]
) -> list[dict[str, Any]]:
    tenants = _all(connection, "tenants", "listing tenants")
    missing = [n for n in names if n != "*" and _match(tenants, n) is None]
    if missing:
        raise _not_found("tenant", missing, tenants, f"space {connection.space_name}")
    known_tags = {str(t).lower() for tenant in tenants for t in tenant.get("TenantTags") or []}
    bad_tags = [t for t in tags if t.lower() not in known_tags]
    if bad_tags:
        names_of_tags = sorted(
            {str(t) for tenant in tenants for t in tenant.get("TenantTags") or []}
        )
        raise UnknownNameError(
            "; ".join(
                f"no tenant has the tag {t!r}{close_matches(t, names_of_tags)}" for t in bad_tags
            )
            + " (tags are written TagSet/Tag)"
        )
    return [t for t in (_match(tenants, n) for n in names if n != "*") if t is not None]


def _check_channel(connection: Connection, project: dict[str, Any], name: str) -> None:
    channels = connection.get_json(
        connection.space_path(f"/projects/{project['Id']}/channels"),
        what=f"listing channels of {project['Name']}",
        params={"take": _TAKE_ALL},
    )
    items = [c for c in channels.get("Items") or [] if isinstance(c, dict)]
    if _match(items, name) is None:
        raise _not_found("channel", [name], items, f"project {project['Name']}")


def _find_release(
    connection: Connection, project: dict[str, Any], version: str
) -> dict[str, Any] | None:
    try:
        release = connection.get_json(
            connection.space_path(f"/projects/{project['Id']}/releases/{version}"),
            what=f"looking up release {version} of {project['Name']}",
        )
    except OctopusNotFoundError:
        return None
    return release if isinstance(release, dict) else None


def _space_fields(connection: Connection) -> dict[str, str]:
    space = connection.space_id() or ""
    # Both are required; the Go CLI sends the id in both (api-client.ts sends the name in the
    # second, which the server also accepts).
    return {"SpaceId": space, "SpaceIdOrName": space}


def _release_url(connection: Connection, project: dict[str, Any], release_id: str) -> str:
    space = connection.space_id() or ""
    slug = project.get("Slug") or project["Id"]
    return (
        f"{connection.settings.url}/app#/{space}/projects/{slug}/deployments/releases/{release_id}"
    )


# ---------------------------------------------------------------------------------- releases
def validate_release_request(request: ReleaseRequest) -> None:
    """Input checks that need no server (exit code 2)."""
    problems = []
    if request.version and validate_version(request.version) is not None:
        problems.append(f"release version {request.version!r}: {validate_version(request.version)}")
    if request.package_version and validate_version(request.package_version) is not None:
        problems.append(
            f"package version {request.package_version!r}: {validate_version(request.package_version)}"
        )
    for spec in request.packages:
        parts = spec.split(":")
        if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
            problems.append(
                f"--package {spec!r}: write StepName:Version, PackageId:Version or "
                "StepName:PackageName:Version"
            )
    if request.git_commit and not request.git_ref:
        problems.append("--git-commit needs --git-ref (version-controlled projects)")
    if problems:
        raise InputError("; ".join(problems))


def create_release(
    connection: Connection, request: ReleaseRequest, *, project: dict[str, Any] | None = None
) -> ReleaseResult:
    """Create a release (``releases/create/v1``), after checking the project and channel."""
    validate_release_request(request)
    connection.require_version(EXECUTIONS_API_VERSION, "creating a release (Executions API)")
    project = project or find_project(connection, request.project)
    if request.channel:
        _check_channel(connection, project, request.channel)
    existed = None
    if request.version and request.ignore_if_exists:
        existed = _find_release(connection, project, request.version)
    body: dict[str, Any] = {
        **_space_fields(connection),
        "ProjectName": project["Name"],
        "IgnoreIfAlreadyExists": request.ignore_if_exists,
    }
    optional = {
        "ReleaseVersion": request.version,
        "ChannelName": request.channel,
        "PackageVersion": request.package_version,
        "GitRef": request.git_ref,
        "GitCommit": request.git_commit,
        "ReleaseNotes": request.release_notes,
    }
    body.update({k: v for k, v in optional.items() if v})
    if request.packages:
        body["Packages"] = list(request.packages)
    what = f"creating a release of {project['Name']}" + (
        f" ({request.version})" if request.version else ""
    )
    try:
        answer = connection.post_json(
            connection.space_path("/releases/create/v1"),
            body,
            what=what,
            permission="ReleaseCreate",
        )
    except OctopusConnectionError as exc:
        # The answer was lost: the release may exist. Only a known version can be checked.
        if not (exc.ambiguous and request.version):
            raise
        found = _find_release(connection, project, request.version)
        if found is None:
            raise
        log.warning("%s: the answer was lost, but the release exists", what)
        answer = {"ReleaseId": found["Id"], "ReleaseVersion": found["Version"]}
    release_id = str(answer.get("ReleaseId") or answer.get("releaseId") or "")
    version = str(answer.get("ReleaseVersion") or answer.get("releaseVersion") or request.version)
    return ReleaseResult(
        project=str(project["Name"]),
        version=version,
        id=release_id,
        created=existed is None,
        url=_release_url(connection, project, release_id),
    )


# ---------------------------------------------------------------------------------- deployments
@dataclass(frozen=True)
class _Plan:
    project: dict[str, Any]
    environments: list[dict[str, Any]]
    tenants: list[dict[str, Any]]


def plan_deployment(
    connection: Connection, request: DeployRequest, *, need_release: bool = True
) -> _Plan:
    """Resolve and check every name of ``request`` (nothing is created)."""
    connection.require_version(EXECUTIONS_API_VERSION, "deploying (Executions API)")
    if not request.environments:
        raise InputError("name at least one environment (--environment)")
    project = find_project(connection, request.project)
    environments = _environments(connection, request.environments)
    tenants = _tenants(connection, project, request.tenants, request.tenant_tags)
    if need_release:
        if not request.release_version:
            raise InputError("name the release version (--version)")
        if _find_release(connection, project, request.release_version) is None:
            raise UnknownNameError(
                f"release {request.release_version!r} of project {project['Name']!r} was not found"
            )
    return _Plan(project, environments, tenants)


def _execution_body(
    connection: Connection, project: dict[str, Any], request: DeployRequest
) -> dict[str, Any]:
    body: dict[str, Any] = {**_space_fields(connection), "ProjectName": project["Name"]}
    if request.variables:
        body["Variables"] = dict(request.variables)
    if request.guided_failure is not None:
        body["UseGuidedFailure"] = request.guided_failure
    if request.force_package_download:
        body["ForcePackageDownload"] = True
    if request.run_at:
        body["RunAt"] = request.run_at
    return body


def _tasks_from(answer: Any, key: str, id_key: str) -> list[tuple[str, str]]:
    items: list[Any] = []
    if isinstance(answer, dict):
        items = answer.get(key) or answer.get(key[0].lower() + key[1:]) or []
    found = []
    for item in items:
        if isinstance(item, dict):
            task = item.get("ServerTaskId") or item.get("serverTaskId")
            other = item.get(id_key) or item.get(id_key[0].lower() + id_key[1:])
            if task:
                found.append((str(task), str(other or "")))
    return found


def deploy_release(
    connection: Connection, request: DeployRequest, *, plan: _Plan | None = None
) -> list[ServerTask]:
    """Deploy a release to environments (untenanted), or to tenants and tenant tags in each
    environment (tenanted: one request per environment, as the API takes one)."""
    plan = plan or plan_deployment(connection, request)
    project = plan.project
    names = {str(e["Id"]): str(e["Name"]) for e in plan.environments}
    what = f"deploying {project['Name']} {request.release_version}"
    tasks: list[ServerTask] = []
    if request.tenants or request.tenant_tags:
        for environment in plan.environments:
            body = _execution_body(connection, project, request)
            body.update(
                {
                    "ReleaseVersion": request.release_version,
                    "EnvironmentName": environment["Name"],
                    "Tenants": list(request.tenants),
                    "TenantTags": list(request.tenant_tags),
                }
            )
            answer = connection.post_json(
                connection.space_path("/deployments/create/tenanted/v1"),
                body,
                what=f"{what} to {environment['Name']}",
                permission="DeploymentCreate",
            )
            tasks.extend(
                _describe(
                    connection, _tasks_from(answer, "DeploymentServerTasks", "DeploymentId"), names
                )
            )
    else:
        body = _execution_body(connection, project, request)
        body.update(
            {
                "ReleaseVersion": request.release_version,
                "EnvironmentNames": [e["Name"] for e in plan.environments],
            }
        )
        answer = connection.post_json(
            connection.space_path("/deployments/create/untenanted/v1"),
            body,
            what=f"{what} to {', '.join(str(e['Name']) for e in plan.environments)}",
            permission="DeploymentCreate",
        )
        tasks.extend(
            _describe(
                connection, _tasks_from(answer, "DeploymentServerTasks", "DeploymentId"), names
            )
        )
    if not tasks:
        raise OctopusApiError(f"{what}: Octopus queued no deployment")
    return tasks


def _describe(
    connection: Connection, pairs: list[tuple[str, str]], environments: Mapping[str, str]
) -> list[ServerTask]:
    """Name each deployment's environment and tenant (the answer carries only ids)."""
    if not pairs:
        return []
    deployments = connection.get_json(
        connection.space_path("/deployments"),
        what="reading the new deployments",
        params={"ids": ",".join(d for _, d in pairs), "take": len(pairs)},
    )
    by_id = {str(d.get("Id")): d for d in deployments.get("Items") or [] if isinstance(d, dict)}
    tenant_names: dict[str, str] = {}
    if any(d.get("TenantId") for d in by_id.values()):
        tenant_names = {
            str(t["Id"]): str(t["Name"]) for t in _all(connection, "tenants", "listing tenants")
        }
    tasks = []
    for task_id, deployment_id in pairs:
        deployment = by_id.get(deployment_id, {})
        tasks.append(
            ServerTask(
                task_id=task_id,
                environment=environments.get(str(deployment.get("EnvironmentId")), ""),
                tenant=tenant_names.get(str(deployment.get("TenantId") or ""), ""),
                deployment_id=deployment_id,
            )
        )
    return tasks


def promote_release(
    connection: Connection,
    request: DeployRequest,
    *,
    source: str,
    latest_successful: bool = False,
) -> tuple[str, list[ServerTask]]:
    """Deploy the release that is in ``source`` to ``request.environments`` (or, when empty, to
    the next environments its lifecycle allows). Returns ``(release version, tasks)``."""
    connection.require_version(EXECUTIONS_API_VERSION, "promoting a release (Executions API)")
    project = find_project(connection, request.project)
    (from_env,) = _environments(connection, [source])
    if request.environments:
        _environments(connection, request.environments)  # fail on a typo before searching
    deployments = connection.get_json(
        connection.space_path("/deployments"),
        what=f"finding what is deployed to {from_env['Name']}",
        params={"projects": project["Id"], "environments": from_env["Id"], "take": 30},
    )
    items = [d for d in deployments.get("Items") or [] if isinstance(d, dict)]
    if request.tenants:
        tenant_ids = {str(t["Id"]) for t in _tenants(connection, project, request.tenants, ())}
        if tenant_ids:
            items = [d for d in items if str(d.get("TenantId")) in tenant_ids] or items
    chosen = None
    if latest_successful and items:
        states = connection.get_json(
            connection.space_path("/tasks"),
            what="reading deployment states",
            params={"ids": ",".join(str(d["TaskId"]) for d in items), "take": len(items)},
        )
        ok = {str(t["Id"]) for t in states.get("Items") or [] if t.get("State") == "Success"}
        chosen = next((d for d in items if str(d.get("TaskId")) in ok), None)
    elif items:
        chosen = items[0]
    if chosen is None:
        which = "successfully " if latest_successful else ""
        raise OctopusNotFoundError(
            f"no release of {project['Name']} has been {which}deployed to {from_env['Name']}, "
            "so there is nothing to promote"
        )
    release = connection.get_json(
        connection.space_path(f"/releases/{chosen['ReleaseId']}"),
        what=f"reading release {chosen['ReleaseId']}",
    )
    version = str(release["Version"])
    targets = list(request.environments)
    if not targets:
        progression = connection.get_json(
            connection.space_path(f"/releases/{release['Id']}/progression"),
            what=f"reading the lifecycle progression of {project['Name']} {version}",
        )
        next_ids = [str(i) for i in progression.get("NextDeployments") or []]
        environments = {
            str(e["Id"]): str(e["Name"])
            for e in _all(connection, "environments", "listing environments")
        }
        targets = [environments[i] for i in next_ids if i in environments]
        if not targets:
            raise InputError(
                f"{project['Name']} {version} has no next environment in its lifecycle; name one "
                "with --to"
            )
    promoted = DeployRequest(
        project=str(project["Name"]),
        environments=tuple(targets),
        release_version=version,
        tenants=request.tenants,
        tenant_tags=request.tenant_tags,
        variables=request.variables,
        guided_failure=request.guided_failure,
        force_package_download=request.force_package_download,
        run_at=request.run_at,
    )
    return version, deploy_release(connection, promoted)


# ---------------------------------------------------------------------------------- runbooks
def run_runbook(
    connection: Connection, request: DeployRequest, *, runbook: str, snapshot: str = ""
) -> list[ServerTask]:
    """Run a runbook (its published snapshot, or ``snapshot``) in environments, optionally for
    tenants and tenant tags."""
    connection.require_version(EXECUTIONS_API_VERSION, "running a runbook (Executions API)")
    plan = plan_deployment(connection, request, need_release=False)
    project = plan.project
    runbooks = connection.get_json(
        connection.space_path(f"/projects/{project['Id']}/runbooks"),
        what=f"listing runbooks of {project['Name']}",
        params={"take": _TAKE_ALL},
    )
    items = [r for r in runbooks.get("Items") or [] if isinstance(r, dict)]
    found = _match(items, runbook)
    if found is None:
        raise _not_found("runbook", [runbook], items, f"project {project['Name']}")
    body = _execution_body(connection, project, request)
    body.update(
        {
            "RunbookName": found["Name"],
            "EnvironmentNames": [e["Name"] for e in plan.environments],
        }
    )
    if request.tenants:
        body["Tenants"] = list(request.tenants)
    if request.tenant_tags:
        body["TenantTags"] = list(request.tenant_tags)
    if snapshot:
        body["Snapshot"] = snapshot
    answer = connection.post_json(
        connection.space_path("/runbook-runs/create/v1"),
        body,
        what=f"running runbook {found['Name']} of {project['Name']}",
        permission="RunbookRunCreate",
    )
    pairs = _tasks_from(answer, "RunbookRunServerTasks", "RunbookRunId")
    if not pairs:
        raise OctopusApiError(f"running runbook {found['Name']}: Octopus queued no run")
    environments = {str(e["Id"]): str(e["Name"]) for e in plan.environments}
    tenants = (
        {str(t["Id"]): str(t["Name"]) for t in _all(connection, "tenants", "listing tenants")}
        if (request.tenants or request.tenant_tags)
        else {}
    )
    tasks = []
    for task_id, run_id in pairs:
        environment = tenant = ""
        try:
            run = connection.get_json(
                connection.space_path(f"/runbookRuns/{run_id}"), what=f"reading {run_id}"
            )
            environment = environments.get(str(run.get("EnvironmentId")), "")
            tenant = tenants.get(str(run.get("TenantId") or ""), "")
        except OctopusApiError:
            pass  # naming the environment is a nicety; the task id is what matters
        tasks.append(ServerTask(task_id, environment, tenant, runbook_run_id=run_id))
    return tasks
