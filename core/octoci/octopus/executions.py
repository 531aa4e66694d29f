"""Releases, deployments, promotion and runbook runs through the Executions API (server
2022.3.5512 or later).

Every name (project, channel, environments, tenants, tenant tags, runbook, release) is checked
*before* anything is created, so a typo in a deploy request never leaves a stray release behind;
a name that does not exist is reported with the closest existing names.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from octoci.errors import InputError
from octoci.model import Deployment, DeploymentOrigin, Release
from octoci.octopus.at_most_once import LostAnswer, RetryBudget, post_create
from octoci.octopus.connection import EXECUTIONS_API_VERSION, Connection, close_matches
from octoci.octopus.errors import (
    OctopusApiError,
    OctopusNotFoundError,
    UnknownNameError,
)
from octoci.octopus.git_refs import GitChoice, git_reference, runbooks_in_git
from octoci.octopus.lifecycles import check_lifecycle
from octoci.octopus.links import release_url, task_url
from octoci.package_names import validate_version

__all__ = [
    "DeployRequest",
    "ReleaseRequest",
    "create_release",
    "deploy_release",
    "find_channel",
    "find_project",
    "find_release",
    "parse_variables",
    "project_releases",
    "promote_release",
    "run_runbook",
]

log = logging.getLogger("octoci")
_TAKE_ALL = 2147483647
#: How many of the newest releases or runbook runs a lost-answer check compares.
_RECENT = 100


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
    build_git_ref: str = ""
    """The build's ref (``refs/heads/<branch>``, ``refs/tags/<tag>``): the default ``git_ref``
    of a version-controlled project, never sent for a project stored in the database."""
    build_git_commit: str = ""
    ignore_channel_rules: bool = False
    """Create the release even where the channel's version rules would refuse it."""
    custom_fields: Mapping[str, str] = field(default_factory=dict)
    """The release's custom fields (the channel defines them; newer servers)."""
    git_resources: tuple[str, ...] = ()
    """``StepName:GitRef`` or ``StepName:GitResourceName:GitRef``: the ref a step's Git
    resource is taken from."""
    package_prerelease: str = ""
    """Take each package's latest version with this pre-release tag (e.g. ``beta``)."""

    @property
    def git_choice(self) -> GitChoice:
        """The ref and commit given, and the build's (see :mod:`octoci.octopus.git_refs`)."""
        return GitChoice(self.git_ref, self.git_commit, self.build_git_ref, self.build_git_commit)


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
    skip_steps: tuple[str, ...] = ()
    """Step names to skip (``SkipStepNames``)."""
    specific_machines: tuple[str, ...] = ()
    """Deploy to these deployment targets only (``SpecificMachineNames``)."""
    excluded_machines: tuple[str, ...] = ()
    """Deploy to every target but these (``ExcludedMachineNames``)."""
    no_run_after: str = ""
    """With ``run_at``: the task expires if it has not started by then (``NoRunAfter``)."""
    update_variable_snapshot: bool = False
    """Refresh the release's variable snapshot from the project first (deployments only)."""
    freeze_names: tuple[str, ...] = ()
    """Deployment freezes to override (``DeploymentFreezeNames``; needs ``freeze_reason``)."""
    freeze_reason: str = ""
    """Why the freezes are overridden (``DeploymentFreezeOverrideReason``)."""


def parse_variables(items: Sequence[str], flag: str = "--variable") -> dict[str, str]:
    """Prompted variables (or custom fields, named by ``flag``) from ``Name:Value`` items; the
    value may contain colons (split at the first one), e.g. ``Url:https://x:8443``."""
    variables: dict[str, str] = {}
    for item in items:
        name, colon, value = item.partition(":")
        if not colon or not name.strip():
            raise InputError(f"{flag} {item!r}: write NAME:VALUE (the value may contain ':')")
        variables[name.strip()] = value
    return variables


# ---------------------------------------------------------------------------------- lookups
def unique_names(names: Sequence[str]) -> tuple[str, ...]:
    """``names`` without blanks and without repeats that differ only in case (first kept):
    ``--deploy-to Dev --deploy-to dev`` deploys once (Octopus names are case-insensitive)."""
    seen: dict[str, str] = {}
    for name in names:
        if name.strip() and name.strip().lower() not in seen:
            seen[name.strip().lower()] = name.strip()
    return tuple(seen.values())


def _unique_documents(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    # "Dev" and "Environments-1" are one environment: merged by id once resolved.
    return list({str(i["Id"]): i for i in items}.values())


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
    return _unique_documents(found)


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
    return _unique_documents(
        [t for t in (_match(tenants, n) for n in names if n != "*") if t is not None]
    )


def find_channel(connection: Connection, project: dict[str, Any], name: str) -> dict[str, Any]:
    """The project's channel called ``name`` (or with that id or slug)."""
    channels = connection.get_json(
        connection.space_path(f"/projects/{project['Id']}/channels"),
        what=f"listing channels of {project['Name']}",
        params={"take": _TAKE_ALL},
    )
    items = [c for c in channels.get("Items") or [] if isinstance(c, dict)]
    channel = _match(items, name)
    if channel is None:
        raise _not_found("channel", [name], items, f"project {project['Name']}")
    return channel


def find_release(
    connection: Connection, project: dict[str, Any], version: str
) -> dict[str, Any] | None:
    """The project's release of ``version``, or ``None``."""
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


def _release_options(request: ReleaseRequest) -> dict[str, Any]:
    """The optional fields of ``CreateReleaseCommandV1`` that ``request`` sets (unset ones are
    left out, so that an older server never sees a field it does not know)."""
    optional: dict[str, Any] = {
        "ReleaseVersion": request.version,
        "ChannelName": request.channel,
        "PackageVersion": request.package_version,
        "GitRef": request.git_ref,
        "GitCommit": request.git_commit,
        "ReleaseNotes": request.release_notes,
        "Packages": list(request.packages),
        "IgnoreChannelRules": request.ignore_channel_rules,
        "CustomFields": dict(request.custom_fields),
        "GitResources": list(request.git_resources),
        "PackagePrerelease": request.package_prerelease,
    }
    return {k: v for k, v in optional.items() if v}


def project_releases(
    connection: Connection, project: Mapping[str, Any], *, skip: int = 0, take: int = _RECENT
) -> list[dict[str, Any]]:
    """One page of the project's releases, newest first (as Octopus lists them): the newest
    ``take`` by default."""
    page = connection.get_json(
        connection.space_path(f"/projects/{project['Id']}/releases"),
        what=f"listing releases of {project['Name']}",
        params={"skip": skip, "take": take},
    )
    return [r for r in page.get("Items") or [] if isinstance(r, dict)]


def _recent_release_ids(connection: Connection, project: dict[str, Any]) -> set[str]:
    return {str(r.get("Id")) for r in project_releases(connection, project)}


def _new_release(
    connection: Connection,
    project: dict[str, Any],
    before: set[str],
    channel: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """The release created since ``before`` was listed (a request without a version)."""
    new = [
        r
        for r in project_releases(connection, project)
        if str(r.get("Id")) not in before
        and (channel is None or r.get("ChannelId") == channel.get("Id"))
    ]
    if len(new) > 1:
        raise OctopusApiError(
            f"the answer to creating a release of {project['Name']} was lost and "
            f"{len(new)} new releases appeared meanwhile "
            f"({', '.join(str(r.get('Version')) for r in new)}); check which one is yours"
        )
    return new[0] if new else None


def create_release(
    connection: Connection, request: ReleaseRequest, *, project: dict[str, Any] | None = None
) -> Release:
    """Create a release (``releases/create/v1``), after checking the project and channel.

    When the answer is lost (or is 500/502/504), the release is looked up (by version, or, without
    a version, as the project's release that did not exist before the request) and reported when
    it is there; the request is sent again only when it is not, within the retry budget.
    """
    validate_release_request(request)
    connection.require_version(EXECUTIONS_API_VERSION, "creating a release (Executions API)")
    project = project or find_project(connection, request.project)
    # Version-controlled projects: the given ref or the build's; none for database projects.
    git = git_reference(project, request.git_choice, "a release")
    request = replace(request, git_ref=git.ref if git else "", git_commit=git.commit if git else "")
    channel = find_channel(connection, project, request.channel) if request.channel else None
    existed = find_release(connection, project, request.version) if request.version else None
    before = set() if request.version else _recent_release_ids(connection, project)
    body: dict[str, Any] = {
        **_space_fields(connection),
        "ProjectName": project["Name"],
        "IgnoreIfAlreadyExists": request.ignore_if_exists,
    }
    body.update(_release_options(request))
    what = f"creating a release of {project['Name']}" + (
        f" ({request.version})" if request.version else ""
    )
    budget = RetryBudget(connection, what)
    while True:
        answer = post_create(
            connection, "/releases/create/v1", body, what=what, permission="ReleaseCreate"
        )
        if not isinstance(answer, LostAnswer):
            break
        problem = answer.problem
        log.warning("%s; checking whether the release was created", problem)
        if request.version:
            found = find_release(connection, project, request.version)
            if found is not None and existed is not None and not request.ignore_if_exists:
                found = None  # it was there before: sending again gets Octopus's own refusal
        else:
            found = _new_release(connection, project, before, channel)
        if found is not None:
            log.warning(
                "release %s %s was created although the answer was lost: %s",
                project["Name"],
                found.get("Version"),
                found.get("Id"),
            )
            answer = {"ReleaseId": found["Id"], "ReleaseVersion": found["Version"]}
            break
        name = f"release {request.version}" if request.version else "a new release"
        budget.wait(problem, f"{name} of {project['Name']}")
    release_id = str(answer.get("ReleaseId") or answer.get("releaseId") or "")
    version = str(answer.get("ReleaseVersion") or answer.get("releaseVersion") or request.version)
    return Release(
        project=str(project["Name"]),
        version=version,
        id=release_id,
        created=existed is None,
        url=release_url(connection, project, release_id),
    )


# ---------------------------------------------------------------------------------- deployments
@dataclass(frozen=True)
class _Plan:
    project: dict[str, Any]
    environments: list[dict[str, Any]]
    tenants: list[dict[str, Any]]
    release: dict[str, Any] | None = None
    """The release, when it exists (``None`` before ``release create`` made it, or in a dry run)."""


#: Task states of a deployment that count as "deployed there" for a re-run: it is on its way or
#: it succeeded. Failed, canceled or timed-out deployments are deployed again.
_DEPLOYED_STATES = frozenset({"Queued", "Executing", "Success"})


def plan_deployment(
    connection: Connection, request: DeployRequest, *, need_release: bool = True
) -> _Plan:
    """Resolve and check every name of ``request`` (nothing is created). Repeated names
    (``Dev`` and ``dev``) are merged. The release is looked up when the request names its
    version; it must exist when ``need_release``."""
    connection.require_version(EXECUTIONS_API_VERSION, "deploying (Executions API)")
    if not unique_names(request.environments):
        raise InputError("name at least one environment (--environment)")
    project = find_project(connection, request.project)
    environments = _environments(connection, unique_names(request.environments))
    tenants = _tenants(
        connection, project, unique_names(request.tenants), unique_names(request.tenant_tags)
    )
    release = None
    if need_release and not request.release_version:
        raise InputError("name the release version (--version)")
    if request.release_version:
        release = find_release(connection, project, request.release_version)
        if need_release and release is None:
            raise UnknownNameError(
                f"release {request.release_version!r} of project {project['Name']!r} was not found"
            )
    return _Plan(project, environments, tenants, release)


def check_deployment_lifecycle(
    connection: Connection, plan: _Plan, request: DeployRequest, *, channel: str = ""
) -> None:
    """Refuse (exit code 2) before anything is created when the lifecycle does not let the
    release (or the release about to be created in ``channel``) go to every environment."""
    check_lifecycle(
        connection,
        project=plan.project,
        environments=plan.environments,
        release=plan.release,
        version=request.release_version,
        channel=channel,
        tenanted=bool(request.tenants or request.tenant_tags),
    )


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
    optional: dict[str, Any] = {
        "RunAt": request.run_at,
        "NoRunAfter": request.no_run_after,
        "SkipStepNames": list(request.skip_steps),
        "SpecificMachineNames": list(request.specific_machines),
        "ExcludedMachineNames": list(request.excluded_machines),
        "DeploymentFreezeNames": list(request.freeze_names),
        "DeploymentFreezeOverrideReason": request.freeze_reason,
    }
    body.update({k: v for k, v in optional.items() if v})
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


#: ``(environment id, tenant id or "")``: one deployment.
_Target = tuple[str, str]


def _targets(
    connection: Connection, plan: _Plan, request: DeployRequest
) -> dict[str, list[dict[str, Any] | None]]:
    """Each environment's deployments: ``[None]`` untenanted, else the tenants it goes to (the
    named ones, ``*`` and tenant tags resolved here, so that each is checked and sent by name)."""
    if not (request.tenants or request.tenant_tags):
        return {str(e["Id"]): [None] for e in plan.environments}
    every = _all(connection, "tenants", "listing tenants")
    tags = {t.lower() for t in request.tenant_tags}
    project_id = str(plan.project["Id"])
    targets: dict[str, list[dict[str, Any] | None]] = {}
    unconnected = []
    for environment in plan.environments:
        env_id = str(environment["Id"])
        chosen = {str(t["Id"]): t for t in plan.tenants}

        def connected(tenant: dict[str, Any], env_id: str = env_id) -> bool:
            links = tenant.get("ProjectEnvironments") or {}
            return env_id in (links.get(project_id) or [])

        # A named tenant Octopus would refuse in one environment must stop the run before the
        # other environments are deployed (one request per environment).
        unconnected += [
            f"{t['Name']} in {environment['Name']}"
            for t in plan.tenants
            if "ProjectEnvironments" in t and not connected(t)
        ]
        for tenant in every:
            wildcard = "*" in request.tenants
            tagged = bool(tags & {str(t).lower() for t in tenant.get("TenantTags") or []})
            if (wildcard or tagged) and connected(tenant):
                chosen.setdefault(str(tenant["Id"]), tenant)
        if not chosen:
            raise InputError(
                f"no tenant connected to {plan.project['Name']} in {environment['Name']} matches "
                "the tenants and tags given; nothing was deployed"
            )
        targets[env_id] = list(chosen.values())
    if unconnected:
        raise InputError(
            f"tenant {', '.join(unconnected)} is not connected to {plan.project['Name']}; "
            "connect it in Octopus or leave it out; nothing was deployed"
        )
    return targets


def _release_deployments(connection: Connection, release: dict[str, Any]) -> list[dict[str, Any]]:
    page = connection.get_json(
        connection.space_path(f"/releases/{release['Id']}/deployments"),
        what=f"listing the deployments of release {release['Version']}",
        params={"skip": 0, "take": _TAKE_ALL},
    )
    return [d for d in page.get("Items") or [] if isinstance(d, dict)]


def _task_states(connection: Connection, task_ids: Sequence[str]) -> dict[str, str]:
    if not task_ids:
        return {}
    found = connection.get_json(
        connection.space_path("/tasks"),
        what="reading deployment states",
        params={"ids": ",".join(task_ids), "skip": 0, "take": len(task_ids)},
    )
    return {str(t.get("Id")): str(t.get("State")) for t in found.get("Items") or []}


def _target_of(deployment: dict[str, Any]) -> _Target:
    return (str(deployment.get("EnvironmentId")), str(deployment.get("TenantId") or ""))


def _task_of(
    connection: Connection,
    deployment: dict[str, Any],
    names: Mapping[str, str],
    tenant_names: Mapping[str, str],
    origin: DeploymentOrigin,
    state: str = "",
) -> Deployment:
    environment, tenant = _target_of(deployment)
    task_id = str(deployment.get("TaskId"))
    return Deployment(
        task_id=task_id,
        url=task_url(connection, task_id),
        environment=names.get(environment, ""),
        tenant=tenant_names.get(tenant, ""),
        deployment_id=str(deployment.get("Id")),
        origin=origin,
        existing_state=state,
    )


def deploy_release(
    connection: Connection,
    request: DeployRequest,
    *,
    plan: _Plan | None = None,
    redeploy: bool = False,
    lifecycle_check: bool = True,
) -> list[Deployment]:
    """Deploy a release to environments (untenanted), or to tenants and tenant tags in each
    environment (tenanted: one request per environment, as the API takes one).

    At most once: every environment is checked against the lifecycle before the first request;
    an environment (and tenant) where this release already has a deployment that is queued,
    running or succeeded is not deployed again unless ``redeploy`` (a re-run of a CI job
    deploys nothing new); and when an answer is lost, the deployments created since just before
    the request are looked up and reported, and only the missing ones are requested again.
    ``lifecycle_check=False`` leaves the lifecycle to Octopus (a dry run's promotion, which
    depends on a deployment that was never made).
    """
    plan = plan or plan_deployment(connection, request)
    project = plan.project
    release = plan.release
    if release is None and request.release_version:
        release = find_release(connection, project, request.release_version)
        plan = replace(plan, release=release)
    if lifecycle_check:
        check_deployment_lifecycle(connection, plan, request)
    names = {str(e["Id"]): str(e["Name"]) for e in plan.environments}
    targets = _targets(connection, plan, request)
    tenant_names = {
        str(t["Id"]): str(t["Name"]) for ts in targets.values() for t in ts if t is not None
    }
    what = f"deploying {project['Name']} {request.release_version}"
    tasks: list[Deployment] = []
    known: set[str] = set()
    if release is not None:
        deployments = _release_deployments(connection, release)
        known = {str(d.get("Id")) for d in deployments}
        asked = {(env, t) for env, ts in targets.items() for t in _tenant_ids(ts)}
        relevant = [d for d in deployments if _target_of(d) in asked]
        if not redeploy and relevant:
            states = _task_states(connection, [str(d.get("TaskId")) for d in relevant])
            for deployment in relevant:  # newest first
                environment, tenant = _target_of(deployment)
                state = states.get(str(deployment.get("TaskId")), "")
                wanted = targets.get(environment, [])
                ids = _tenant_ids(wanted)
                if tenant in ids and state in _DEPLOYED_STATES:
                    del wanted[ids.index(tenant)]
                    tasks.append(
                        _task_of(connection, deployment, names, tenant_names, "existing", state)
                    )
    pending = {env: ts for env, ts in targets.items() if ts}
    if not pending and not tasks:
        raise OctopusApiError(f"{what}: nothing to deploy")
    tenanted = bool(request.tenants or request.tenant_tags)
    groups = (
        [{env: ts} for env, ts in pending.items()] if tenanted else ([pending] if pending else [])
    )
    for group in groups:
        tasks.extend(
            _deploy_once(connection, request, plan, group, names, tenant_names, known, what)
        )
    if not tasks:
        raise OctopusApiError(f"{what}: Octopus queued no deployment")
    return tasks


def _deploy_once(
    connection: Connection,
    request: DeployRequest,
    plan: _Plan,
    group: dict[str, list[dict[str, Any] | None]],
    names: Mapping[str, str],
    tenant_names: Mapping[str, str],
    known: set[str],
    what: str,
) -> list[Deployment]:
    """One create request (all environments untenanted, or one environment's tenants); after a
    lost answer, what it created is looked up and only the rest is asked for again."""
    wanted = {(env, str(t["Id"]) if t else "") for env, ts in group.items() for t in ts}
    tasks: list[Deployment] = []
    budget = RetryBudget(connection, what)
    while True:
        environments = [
            env for env in group if any((env, t) in wanted for t in _tenant_ids(group[env]))
        ]
        where = ", ".join(names[e] for e in environments)
        body = _execution_body(connection, plan.project, request)
        body["ReleaseVersion"] = request.release_version
        if request.update_variable_snapshot:
            body["UpdateVariableSnapshot"] = True
        if request.tenants or request.tenant_tags:
            (env,) = environments
            body["EnvironmentName"] = names[env]
            body["Tenants"] = [tenant_names[t] for e, t in sorted(wanted) if e == env]
            body["TenantTags"] = []
            path = "/deployments/create/tenanted/v1"
        else:
            body["EnvironmentNames"] = [names[e] for e in environments]
            path = "/deployments/create/untenanted/v1"
        answer = post_create(
            connection, path, body, what=f"{what} to {where}", permission="DeploymentCreate"
        )
        if not isinstance(answer, LostAnswer):
            pairs = _tasks_from(answer, "DeploymentServerTasks", "DeploymentId")
            return tasks + _describe(connection, pairs, names)
        problem = answer.problem
        if plan.release is None:
            raise answer.error  # nothing to look in (the release was never read)
        log.warning("%s; checking whether the deployments were created", problem)
        for deployment in _release_deployments(connection, plan.release):
            target = _target_of(deployment)
            if str(deployment.get("Id")) in known or target not in wanted:
                continue
            known.add(str(deployment.get("Id")))
            wanted.discard(target)
            task = _task_of(connection, deployment, names, tenant_names, "recovered")
            log.warning(
                "the deployment to %s was created although the answer was lost: %s",
                task.label,
                task.deployment_id,
            )
            tasks.append(task)
        if not wanted:
            return tasks
        missing = ", ".join(
            names[e] + (f"/{tenant_names[t]}" if t else "") for e, t in sorted(wanted)
        )
        budget.wait(problem, f"a deployment to {missing}")


def _tenant_ids(tenants: Sequence[dict[str, Any] | None]) -> list[str]:
    return [str(t["Id"]) if t else "" for t in tenants]


def _describe(
    connection: Connection, pairs: list[tuple[str, str]], environments: Mapping[str, str]
) -> list[Deployment]:
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
            Deployment(
                task_id=task_id,
                url=task_url(connection, task_id),
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
    redeploy: bool = False,
) -> tuple[Release, list[Deployment]]:
    """Deploy the release that is in ``source`` to ``request.environments`` (or, when empty, to
    the next environments its lifecycle allows). Returns the release (``created`` False) and the
    deployments."""
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
    # Every option of the request goes with the promotion's deployment.
    promoted = replace(
        request, project=str(project["Name"]), environments=tuple(targets), release_version=version
    )
    found = Release(
        project=str(project["Name"]),
        version=version,
        id=str(release["Id"]),
        url=release_url(connection, project, str(release["Id"])),
        created=False,
    )
    return found, deploy_release(connection, promoted, redeploy=redeploy)


# ---------------------------------------------------------------------------------- runbooks
def _recent_runs(connection: Connection, project: dict[str, Any]) -> list[dict[str, Any]]:
    page = connection.get_json(
        connection.space_path(f"/projects/{project['Id']}/runbookRuns"),
        what=f"listing runbook runs of {project['Name']}",
        params={"skip": 0, "take": _RECENT},
    )
    return [r for r in page.get("Items") or [] if isinstance(r, dict)]


def run_runbook(
    connection: Connection,
    request: DeployRequest,
    *,
    runbook: str,
    snapshot: str = "",
    git: GitChoice = GitChoice(),  # noqa: B008 - frozen, so one shared default is safe
) -> list[Deployment]:
    """Run a runbook (its published snapshot, or ``snapshot``) in environments, optionally for
    tenants and tenant tags.

    At most once per run: when the answer is lost, the project's runbook runs that appeared
    since just before the request (for this runbook and these environments) are reported, and
    only environments without one are asked for again. A re-run of a CI job runs the runbook
    again: running a runbook is not "reaching a state" the way deploying a release is.

    A project whose runbooks are in Git runs them through ``runbook-runs/git/create/v1`` at
    ``git``'s ref (or the build's), as the Octopus CLI does.
    """
    connection.require_version(EXECUTIONS_API_VERSION, "running a runbook (Executions API)")
    plan = plan_deployment(connection, replace(request, release_version=""), need_release=False)
    project = plan.project
    git_ref = git_reference(project, git, f"runbook {runbook}", in_git=runbooks_in_git(project))
    if git_ref is not None and snapshot:
        raise InputError(
            "--snapshot is for runbooks kept in Octopus; a Git runbook runs at --git-ref"
        )
    runbooks = connection.get_json(
        connection.space_path(f"/projects/{project['Id']}/runbooks"),
        what=f"listing runbooks of {project['Name']}",
        params={"take": _TAKE_ALL},
    )
    items = [r for r in runbooks.get("Items") or [] if isinstance(r, dict)]
    found = _match(items, runbook)
    if found is None:
        raise _not_found("runbook", [runbook], items, f"project {project['Name']}")
    environments = {str(e["Id"]): str(e["Name"]) for e in plan.environments}
    tenants = (
        {str(t["Id"]): str(t["Name"]) for t in _all(connection, "tenants", "listing tenants")}
        if (request.tenants or request.tenant_tags)
        else {}
    )
    what = f"running runbook {found['Name']} of {project['Name']}"
    known = {str(r.get("Id")) for r in _recent_runs(connection, project)}
    remaining = list(environments)
    tasks: list[Deployment] = []
    budget = RetryBudget(connection, what)
    while True:
        body = _execution_body(connection, project, request)
        body.update(
            {"RunbookName": found["Name"], "EnvironmentNames": [environments[e] for e in remaining]}
        )
        if request.tenants:
            body["Tenants"] = list(unique_names(request.tenants))
        if request.tenant_tags:
            body["TenantTags"] = list(unique_names(request.tenant_tags))
        if snapshot:
            body["Snapshot"] = snapshot
        if git_ref is not None:
            body["GitRef"] = git_ref.ref
        route = "/runbook-runs/create/v1" if git_ref is None else "/runbook-runs/git/create/v1"
        answer = post_create(connection, route, body, what=what, permission="RunbookRunCreate")
        if not isinstance(answer, LostAnswer):
            break
        problem = answer.problem
        log.warning("%s; checking whether the runbook runs were created", problem)
        for run in _recent_runs(connection, project):
            env_id = str(run.get("EnvironmentId"))
            if str(run.get("Id")) in known or run.get("RunbookId") != found["Id"]:
                continue
            if env_id not in remaining and env_id not in {
                e for e in environments if any(t.environment == environments[e] for t in tasks)
            }:
                continue
            known.add(str(run.get("Id")))
            task = Deployment(
                task_id=str(run.get("TaskId")),
                url=task_url(connection, str(run.get("TaskId"))),
                environment=environments.get(env_id, ""),
                tenant=tenants.get(str(run.get("TenantId") or ""), ""),
                runbook_run_id=str(run.get("Id")),
                origin="recovered",
            )
            log.warning(
                "the run of %s in %s was created although the answer was lost: %s",
                found["Name"],
                task.label,
                task.runbook_run_id,
            )
            tasks.append(task)
        done = {e for e in environments if any(t.environment == environments[e] for t in tasks)}
        remaining = [e for e in remaining if e not in done]
        if not remaining:
            return tasks
        budget.wait(
            problem,
            f"a run of {found['Name']} in {', '.join(environments[e] for e in remaining)}",
        )
    pairs = _tasks_from(answer, "RunbookRunServerTasks", "RunbookRunId")
    if not pairs and not tasks:
        raise OctopusApiError(f"running runbook {found['Name']}: Octopus queued no run")
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
        tasks.append(
            Deployment(
                task_id=task_id,
                url=task_url(connection, task_id),
                environment=environment,
                tenant=tenant,
                runbook_run_id=run_id,
            )
        )
    return tasks
