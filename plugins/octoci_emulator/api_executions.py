"""The Executions API (``releases/create/v1``, ``deployments/create/{untenanted,tenanted}/v1``,
``runbook-runs/create/v1`` and, for Git runbooks, ``runbook-runs/git/create/v1``), the older
``POST releases`` and ``POST deployments``, and reading releases, their progression and
deployments, and a project's runbook runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from octoci_emulator import version_control
from octoci_emulator.catalog import find_named, lifecycle_for
from octoci_emulator.errors import BadRequest, NotFound
from octoci_emulator.execution_options import check_targets, execution_options, release_options
from octoci_emulator.executions import (
    DeployOptions,
    check_all_deployable,
    create_release,
    deploy,
    find_release,
    run_runbook,
)
from octoci_emulator.jsonbody import CIDict
from octoci_emulator.lifecycle import progression
from octoci_emulator.resources import public
from octoci_emulator.routes import Request, Response, Router
from octoci_emulator.store import Document

__all__ = ["register"]


def _check_space(request: Request, body: CIDict) -> None:
    """``SpaceId``/``SpaceIdOrName`` may be omitted (the route names the space) but must not
    name another space. api-client.ts sends the space *name* in ``SpaceIdOrName``."""
    space = request.space
    assert space is not None
    names = {space["Id"].lower(), space["Name"].lower()}
    for key in ("SpaceId", "SpaceIdOrName"):
        value = body.text(key).strip().lower()
        if value and value not in names:
            raise BadRequest(
                f"The {key} '{body.text(key)}' does not match the space of the "
                f"route ('{space['Id']}')."
            )


def _required(body: CIDict, key: str) -> str:
    value = body.text(key).strip()
    if not value:
        raise BadRequest(f"The {key} field is required.")
    return value


def _project(request: Request, body: CIDict) -> Document:
    return find_named(
        request.app.store, "project", request.space_id, _required(body, "ProjectName"), "project"
    )


def _create_release_v1(request: Request) -> Response:
    request.require("ReleaseCreate")
    body = request.json()
    _check_space(request, body)
    project = _project(request, body)
    release, _created = create_release(
        request.app,
        project,
        version=body.text("ReleaseVersion"),
        channel_name=body.text("ChannelName"),
        package_version=body.text("PackageVersion"),
        packages=body.strings("Packages"),
        release_notes=body.text("ReleaseNotes"),
        ignore_if_exists=body.flag("IgnoreIfAlreadyExists"),
        git_ref=body.text("GitRef"),
        git_commit=body.text("GitCommit"),
        ignore_channel_rules=body.flag("IgnoreChannelRules"),
        options=release_options(body),
    )
    return Response(
        status=201, body={"ReleaseId": release["Id"], "ReleaseVersion": release["Version"]}
    )


def _create_release_legacy(request: Request) -> Response:
    request.require("ReleaseCreate")
    body = request.json()
    project_id = body.text("ProjectId")
    if not project_id:
        raise BadRequest("No project ID was specified.")
    project = request.app.store.get("project", project_id)
    if project is None or project["SpaceId"] != request.space_id:
        raise BadRequest(f"Could not find project '{project_id}' in this space.")
    selected = []
    for item in body.objects("SelectedPackages"):
        step = item.text("ActionName") or item.text("StepName")
        version = item.text("Version")
        if not version:
            raise BadRequest("A version must be specified for every included package.")
        selected.append(f"{step}:{version}")
    channel = ""
    if body.text("ChannelId"):
        doc = request.app.store.get("channel", body.text("ChannelId"))
        if doc is None or doc["ProjectId"] != project["Id"]:
            raise BadRequest(
                f"The channel {body.text('ChannelId')} specified for this release "
                "does not belong to the same project as the release."
            )
        channel = doc["Name"]
    reference = body.obj("VersionControlReference")
    release, _ = create_release(
        request.app,
        project,
        version=_required(body, "Version"),
        channel_name=channel,
        packages=selected,
        release_notes=body.text("ReleaseNotes"),
        git_ref=reference.text("GitRef") if reference else "",
        git_commit=reference.text("GitCommit") if reference else "",
        # POST releases?ignoreChannelRules=true, as the older clients send it.
        ignore_channel_rules=request.arg("ignoreChannelRules").lower() == "true",
    )
    return Response(status=201, body=public(release))


def _caller(request: Request) -> str:
    return request.principal.name if request.principal is not None else ""


def _requested_guided_failure(body: CIDict) -> bool | None:
    # null or absent means "the project's or environment's default", as in Octopus.
    return None if body.get("UseGuidedFailure") is None else body.flag("UseGuidedFailure")


def _options(request: Request, body: CIDict) -> DeployOptions:
    variables = body.obj("Variables")
    run_at = None
    if body.text("RunAt"):
        try:
            run_at = datetime.fromisoformat(body.text("RunAt").replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise BadRequest(f"The RunAt value '{body.text('RunAt')}' is not a date.") from None
    return DeployOptions(
        use_guided_failure=_requested_guided_failure(body),
        force_package_download=body.flag("ForcePackageDownload"),
        variables={k: str(v) for k, v in (variables or {}).items()},
        run_at=run_at,
        deployed_by=_caller(request),
        extra=execution_options(body),
    )


def _release_for(request: Request, body: CIDict, project: Document) -> Document:
    version = _required(body, "ReleaseVersion")
    release = find_release(request.app, project, version)
    if release is None:
        raise BadRequest(f"Could not find release '{version}' of project '{project['Name']}'.")
    return release


def _tenants(
    request: Request, body: CIDict, project: Document, environment: Document
) -> list[Document]:
    store = request.app.store
    names = body.strings("Tenants")
    tags = {t.lower() for t in body.strings("TenantTags")}
    if not names and not tags:
        raise BadRequest("At least one of Tenants or TenantTags is required.")
    all_tenants = store.list("tenant", request.space_id)
    chosen: dict[str, Document] = {}
    for name in names:
        if name == "*":
            for tenant in all_tenants:
                if environment["Id"] in tenant["ProjectEnvironments"].get(project["Id"], []):
                    chosen[tenant["Id"]] = tenant
            continue
        tenant = find_named(store, "tenant", request.space_id, name, "tenant")
        chosen[tenant["Id"]] = tenant
    if tags:
        for tenant in all_tenants:
            if tags & {t.lower() for t in tenant["TenantTags"]} and environment["Id"] in (
                tenant["ProjectEnvironments"].get(project["Id"], [])
            ):
                chosen[tenant["Id"]] = tenant
    if not chosen:
        raise BadRequest(
            f"No tenants connected to project '{project['Name']}' in environment "
            f"'{environment['Name']}' match the given tenants and tags."
        )
    return list(chosen.values())


def _deploy_untenanted(request: Request) -> Response:
    request.require("DeploymentCreate")
    body = request.json()
    _check_space(request, body)
    project = _project(request, body)
    release = _release_for(request, body, project)
    store = request.app.store
    environments = [
        find_named(store, "environment", request.space_id, name, "environment")
        for name in body.strings("EnvironmentNames")
    ]
    options = _options(request, body)
    check_all_deployable(request.app, release, [(e, None) for e in environments])
    check_targets(store, options.extra, environments)
    results = []
    for environment in environments:
        deployment = deploy(request.app, release, environment, None, options)
        results.append({"DeploymentId": deployment["Id"], "ServerTaskId": deployment["TaskId"]})
    return Response(body={"DeploymentServerTasks": results})


def _deploy_tenanted(request: Request) -> Response:
    request.require("DeploymentCreate")
    body = request.json()
    _check_space(request, body)
    project = _project(request, body)
    release = _release_for(request, body, project)
    environment = find_named(
        request.app.store,
        "environment",
        request.space_id,
        _required(body, "EnvironmentName"),
        "environment",
    )
    options = _options(request, body)
    tenants = _tenants(request, body, project, environment)
    check_all_deployable(request.app, release, [(environment, t) for t in tenants])
    check_targets(request.app.store, options.extra, [environment])
    results = []
    for tenant in tenants:
        deployment = deploy(request.app, release, environment, tenant, options)
        results.append({"DeploymentId": deployment["Id"], "ServerTaskId": deployment["TaskId"]})
    return Response(body={"DeploymentServerTasks": results})


def _run_runbook(request: Request) -> Response:
    return _run_runbook_at(request, git_route=False)


def _run_git_runbook(request: Request) -> Response:
    """``runbook-runs/git/create/v1``: a Git runbook of a version-controlled project, at
    ``GitRef``."""
    return _run_runbook_at(request, git_route=True)


def _run_runbook_at(request: Request, *, git_route: bool) -> Response:
    request.require("RunbookRunCreate")
    body = request.json()
    _check_space(request, body)
    project = _project(request, body)
    runbook = _required(body, "RunbookName")
    git_reference = _runbook_git_reference(project, body, git_route=git_route)
    store = request.app.store
    environments = [
        find_named(store, "environment", request.space_id, name, "environment")
        for name in body.strings("EnvironmentNames")
    ]
    if not environments:
        raise BadRequest("The EnvironmentNames field is required.")
    options = _options(request, body)
    check_targets(store, options.extra, environments)
    results = []
    for environment in environments:
        tenants: list[Document | None] = [None]
        if body.strings("Tenants") or body.strings("TenantTags"):
            tenants = list(_tenants(request, body, project, environment))
        for tenant in tenants:
            run = run_runbook(
                request.app, project, runbook, environment, tenant, options, git_reference
            )
            results.append({"RunbookRunId": run["Id"], "ServerTaskId": run["TaskId"]})
    return Response(body={"RunbookRunServerTasks": results})


def _runbook_git_reference(project: Document, body: CIDict, *, git_route: bool) -> Document | None:
    """The Git runbook's ``{GitRef, GitCommit}`` on the git route; a project's runbooks are in
    Git or in the database, and each route serves only its own kind."""
    in_git = version_control.runbooks_in_git(project)
    if not git_route:
        if in_git:
            raise BadRequest(
                f"The runbooks of project '{project['Name']}' are stored in version control; "
                "run them through runbook-runs/git/create/v1 with a GitRef."
            )
        return None
    git_ref = _required(body, "GitRef")
    if not in_git:
        raise BadRequest(
            f"The runbooks of project '{project['Name']}' are not stored in version control; "
            "run them through runbook-runs/create/v1."
        )
    return version_control.reference(project, git_ref)


def _deploy_legacy(request: Request) -> Response:
    request.require("DeploymentCreate")
    body = request.json()
    store = request.app.store
    release = store.get("release", _required(body, "ReleaseId"))
    environment = store.get("environment", _required(body, "EnvironmentId"))
    if release is None or release["SpaceId"] != request.space_id:
        raise BadRequest(f"Could not find release '{body.text('ReleaseId')}'.")
    if environment is None or environment["SpaceId"] != request.space_id:
        raise BadRequest(f"Could not find environment '{body.text('EnvironmentId')}'.")
    tenant = None
    if body.text("TenantId"):
        tenant = store.get("tenant", body.text("TenantId"))
        if tenant is None:
            raise BadRequest(f"Could not find tenant '{body.text('TenantId')}'.")
    options = DeployOptions(
        use_guided_failure=_requested_guided_failure(body),
        force_package_download=body.flag("ForcePackageDownload"),
        variables={k: str(v) for k, v in (body.obj("FormValues") or {}).items()},
        comments=body.text("Comments"),
        deployed_by=_caller(request),
    )
    deployment = deploy(request.app, release, environment, tenant, options)
    return Response(status=201, body=public(deployment))


def _release(request: Request) -> Document:
    release = request.path_resource("release", "Release")
    return release


def _get_release(request: Request) -> Response:
    return Response(body=public(_release(request)))


def _list_releases(request: Request) -> Response:
    releases = request.app.store.list("release", request.space_id)
    ids = {i.lower() for i in request.arg("ids").split(",") if i}
    if ids:
        releases = [r for r in releases if r["Id"].lower() in ids]
    releases.reverse()  # newest first, as Octopus lists them
    return Response(body=request.page(releases, "Release", f"/api/{request.space_id}/releases"))


def _project_releases(request: Request) -> Response:
    project = request.path_project()
    releases = request.app.store.list(
        "release", request.space_id, lambda r: r["ProjectId"] == project["Id"]
    )
    search = request.arg("searchByVersion").lower()
    if search:
        releases = [r for r in releases if search in r["Version"].lower()]
    releases.reverse()
    return Response(
        body=request.page(
            releases, "Release", f"/api/{request.space_id}/projects/{project['Id']}/releases"
        )
    )


def _project_release(request: Request) -> Response:
    project = request.path_project()
    release = find_release(request.app, project, request.params["version"])
    if release is None:
        raise NotFound(f"Release '{request.params['version']}' was not found.")
    return Response(body=public(release))


def _progression(request: Request) -> Response:
    release = _release(request)
    store = request.app.store
    project = store.get("project", release["ProjectId"])
    assert project is not None
    lifecycle = lifecycle_for(store, project, store.get("channel", release["ChannelId"]))
    body = progression(store, release, lifecycle).resource()
    body["Id"] = release["Id"]
    return Response(body=body)


def _newest_first(
    kind: str, item_type: str, segment: str, filters: dict[str, str]
) -> Callable[[Request], Response]:
    """A list handler: newest first, paged, each query ``arg`` of ``filters`` keeping the
    documents whose ``field`` is one of its comma-separated ids."""

    def handler(request: Request) -> Response:
        docs = request.app.store.list(kind, request.space_id)
        for arg, field in filters.items():
            wanted = {v.strip().lower() for v in request.arg(arg).split(",") if v.strip()}
            if wanted:
                docs = [d for d in docs if str(d.get(field) or "").lower() in wanted]
        docs.reverse()
        return Response(body=request.page(docs, item_type, f"/api/{request.space_id}/{segment}"))

    return handler


#: ``GET deployments?ids&projects&environments&tenants&channels``.
_deployments = _newest_first(
    "deployment",
    "Deployment",
    "deployments",
    {
        "ids": "Id",
        "projects": "ProjectId",
        "environments": "EnvironmentId",
        "tenants": "TenantId",
        "channels": "ChannelId",
    },
)

#: ``GET runbookRuns?ids&projects&environments&runbooks&tenants`` (the official run-runbook
#: action reads its runs this way).
_runbook_runs = _newest_first(
    "runbookrun",
    "RunbookRun",
    "runbookRuns",
    {
        "ids": "Id",
        "projects": "ProjectId",
        "environments": "EnvironmentId",
        "runbooks": "RunbookId",
        "tenants": "TenantId",
    },
)


def _release_deployments(request: Request) -> Response:
    release = _release(request)
    docs = request.app.store.list(
        "deployment", request.space_id, lambda d: d["ReleaseId"] == release["Id"]
    )
    docs.reverse()
    return Response(
        body=request.page(
            docs, "Deployment", f"/api/{request.space_id}/releases/{release['Id']}/deployments"
        )
    )


def _deployment(request: Request) -> Response:
    return Response(body=public(request.path_resource("deployment", "Deployment")))


def _runbook_run(request: Request) -> Response:
    return Response(body=public(request.path_resource("runbookrun", "Runbook run")))


def _project_runbook_runs(request: Request) -> Response:
    """``GET projects/{id}/runbookRuns``: the project's runbook runs, newest first, paged."""
    project = request.path_project()
    runs = request.app.store.list(
        "runbookrun", request.space_id, lambda r: r["ProjectId"] == project["Id"]
    )
    runs.reverse()
    return Response(
        body=request.page(
            runs, "RunbookRun", f"/api/{request.space_id}/projects/{project['Id']}/runbookRuns"
        )
    )


def register(router: Router) -> None:
    """Add the release, deployment and runbook-run routes."""
    router.add("POST", "/releases/create/v1", _create_release_v1)
    router.add("POST", "/releases", _create_release_legacy)
    router.add("GET", "/releases", _list_releases)
    router.add("GET", "/releases/{id}", _get_release)
    router.add("GET", "/releases/{id}/progression", _progression)
    router.add("GET", "/releases/{id}/deployments", _release_deployments)
    router.add("GET", "/projects/{id}/releases", _project_releases)
    router.add("GET", "/projects/{id}/releases/{version}", _project_release)
    router.add("POST", "/deployments/create/untenanted/v1", _deploy_untenanted)
    router.add("POST", "/deployments/create/tenanted/v1", _deploy_tenanted)
    router.add("POST", "/deployments", _deploy_legacy)
    router.add("GET", "/deployments", _deployments)
    router.add("GET", "/deployments/{id}", _deployment)
    router.add("POST", "/runbook-runs/create/v1", _run_runbook)
    router.add("POST", "/runbook-runs/git/create/v1", _run_git_runbook)
    router.add("GET", "/runbookRuns", _runbook_runs)
    router.add("GET", "/runbookRuns/{id}", _runbook_run)
    router.add("GET", "/projects/{id}/runbookRuns", _project_runbook_runs)
