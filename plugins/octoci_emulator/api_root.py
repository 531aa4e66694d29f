"""Discovery (``/api``, space roots, spaces), the current user, OIDC discovery and token exchange,
and the emulator's own control routes under ``/__emulator``."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from octoci.errors import InputError
from octoci_emulator.catalog import default_space
from octoci_emulator.errors import BadRequest, NotFound
from octoci_emulator.resources import public
from octoci_emulator.routes import Request, Response, Router
from octoci_emulator.store import Document

if TYPE_CHECKING:
    from octoci_emulator.auth import Principal

__all__ = ["register", "space_links", "user_resource"]


def space_links(space_id: str, version: str = "") -> dict[str, str]:
    """The space-scoped links of a root document; the delta upload links only on servers of a
    ``version`` that has them (all by default)."""
    from octoci_emulator.api_delta import delta_links, supports_delta

    base = f"/api/{space_id}"
    delta = delta_links(space_id) if supports_delta(version) else {}
    return {
        **delta,
        "SpaceHome": base,
        "PackageUpload": f"{base}/packages/raw{{?overwriteMode}}",
        "Packages": f"{base}/packages{{/id}}{{?nuGetPackageId,filter,latest,skip,take,"
        "includeNotes}",
        "BuildInformation": f"{base}/build-information{{/id}}{{?packageId,filter,latest,skip,"
        "take,overwriteMode}",
        "Projects": f"{base}/projects{{/id}}{{?name,skip,ids,clone,take,partialName}}",
        "ProjectsAll": f"{base}/projects/all",
        "Environments": f"{base}/environments{{/id}}{{?name,skip,ids,take,partialName}}",
        "Lifecycles": f"{base}/lifecycles{{/id}}{{?skip,take,ids,partialName}}",
        "Channels": f"{base}/channels{{/id}}{{?skip,take,ids,partialName}}",
        "Tenants": f"{base}/tenants{{/id}}{{?skip,projectId,name,tags,take,ids,partialName}}",
        "Runbooks": f"{base}/runbooks{{/id}}{{?skip,take,ids,partialName,projectIds}}",
        "Releases": f"{base}/releases{{/id}}{{?skip,take,ids}}",
        "CreateReleaseCommandV1": f"{base}/releases/create/v1",
        "Deployments": f"{base}/deployments{{/id}}{{?skip,take,ids,projects,environments,"
        "tenants,channels,taskState}",
        "CreateDeploymentUntenantedCommandV1": f"{base}/deployments/create/untenanted/v1",
        "CreateDeploymentTenantedCommandV1": f"{base}/deployments/create/tenanted/v1",
        "CreateRunbookRunCommandV1": f"{base}/runbook-runs/create/v1",
        "RunbookRuns": f"{base}/runbookRuns{{/id}}{{?skip,take,ids,projects,environments,"
        "tenants,runbooks}",
        "Interruptions": f"{base}/interruptions{{/id}}{{?skip,take,regarding,pendingOnly,ids}}",
        "Feeds": f"{base}/feeds{{/id}}{{?skip,take,ids,partialName,feedType}}",
        "ProjectGroups": f"{base}/projectgroups{{/id}}{{?skip,take,ids,partialName}}",
        "DeploymentProcesses": f"{base}/deploymentprocesses{{/id}}{{?skip,take,ids}}",
        "Variables": f"{base}/variables{{/id}}{{?ids}}",
        "Dashboard": f"{base}/dashboard{{?projectId,releaseId,selectedTenants,selectedTags,"
        "showAll,highestLatestVersionPerProjectAndEnvironment,projectName}",
        "EnvironmentsV2": f"{base}/environments/v2{{?ids,partialName,type,skip,take}}",
        "Tasks": f"{base}/tasks{{/id}}{{?skip,active,environment,tenant,runbook,project,name,"
        "node,running,states,hasPendingInterruptions,hasWarningsOrErrors,take,ids,"
        "partialName,spaces,includeSystem,fromCompletedDate,toCompletedDate,"
        "fromQueueDate,toQueueDate,fromStartDate,toStartDate}",
    }


def _root(request: Request) -> Response:
    app = request.app
    links: dict[str, str] = {
        "Self": "/api",
        "Spaces": "/api/spaces{/id}{?skip,ids,take,partialName}",
        "CurrentUser": "/api/users/me",
        "Tasks": "/api/tasks{/id}{?skip,active,environment,project,name,node,running,states,"
        "take,ids,partialName,spaces}",
    }
    from octoci_emulator.api_reads import serves_capabilities

    if serves_capabilities(app.config.version):
        links["Capabilities"] = "/api/capabilities"
    # Without a default space the root document carries only the system links.
    with contextlib.suppress(NotFound):
        links.update(space_links(default_space(app.store)["Id"], app.config.version))
    return Response(
        body={
            "Application": "Octopus Deploy",
            "Version": app.config.version,
            "ApiVersion": "3.0.0",
            "InstallationId": app.installation_id,
            "HasLongTermSupport": False,
            "IsEarlyAccessProgram": False,
            "Links": links,
        }
    )


def _space_root(request: Request) -> Response:
    space = request.space
    assert space is not None
    links = space_links(space["Id"], request.app.config.version)
    return Response(body={"Links": {"Self": f"/api/{space['Id']}", **links}})


def _spaces(request: Request) -> Response:
    spaces = request.app.store.list("space")
    partial = request.arg("partialName").lower()
    ids = {i.lower() for i in request.arg("ids").split(",") if i}
    if partial:
        spaces = [s for s in spaces if partial in s["Name"].lower()]
    if ids:
        spaces = [s for s in spaces if s["Id"].lower() in ids]
    return Response(body=request.page(spaces, "Space", "/api/spaces"))


def _spaces_all(request: Request) -> Response:
    return Response(body=[public(s) for s in request.app.store.list("space")])


def _space(request: Request) -> Response:
    ident = request.params["id"]
    store = request.app.store
    space = store.get("space", ident) or store.by_key("space", None, ident.lower())
    if space is None:
        raise NotFound(f"The space '{ident}' was not found.")
    return Response(body=public(space))


def user_resource(principal: Principal | None) -> Document:
    """The ``UserResource`` of the caller (every key acts as one user, ``Users-1``)."""
    name = principal.name if principal else "anonymous"
    return {
        "Id": "Users-1",
        "Username": name,
        "DisplayName": name,
        "IsActive": True,
        "IsService": principal is not None and principal.key is None,
        "IsRequestor": True,
        "CanPasswordBeEdited": False,
        "Password": None,
        "Identities": [],
        "EmailAddress": None,
        "LastModifiedOn": None,
        "LastModifiedBy": None,
        "Links": {"Self": "/api/users/Users-1", "Spaces": "/api/users/Users-1/spaces"},
    }


def _me(request: Request) -> Response:
    return Response(body=user_resource(request.principal))


def _my_spaces(request: Request) -> Response:
    return Response(body=[public(s) for s in request.app.store.list("space")])


def _openid(request: Request) -> Response:
    url = request.app.public_url + request.base_path
    return Response(
        body={
            "issuer": url,
            "token_endpoint": f"{url}/token/v1",
            "grant_types_supported": ["urn:ietf:params:oauth:grant-type:token-exchange"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["HS256"],
        }
    )


def _token(request: Request) -> Response:
    body = request.json()
    issuer = request.app.public_url + request.base_path
    return Response(body=request.app.auth.exchange(body, issuer))


def _require_full_access(request: Request) -> None:
    """Fault rules change what every client sees: only a full-access key may read or set them."""
    if request.principal is not None:
        request.principal.require_full_access()


def _fault_add(request: Request) -> Response:
    from octoci_emulator.seed import parse_fault

    _require_full_access(request)

    try:
        rule = parse_fault(request.json().raw(), "fault", "request")
    except InputError as exc:
        raise BadRequest(str(exc)) from exc
    request.app.faults.add(rule)
    return Response(status=201, body={"Rules": len(request.app.faults.rules())})


def _fault_clear(request: Request) -> Response:
    _require_full_access(request)
    request.app.faults.clear()
    return Response(status=204)


def _fault_list(request: Request) -> Response:
    _require_full_access(request)
    rules: list[dict[str, Any]] = [vars(r) for r in request.app.faults.rules()]
    return Response(body=rules)


def _finish_task(request: Request) -> Response:
    body = request.json()
    task = request.app.tasks.finish(
        request.params["id"], body.text("State", "Success"), body.text("ErrorMessage")
    )
    return Response(body=public(task))


def register(router: Router) -> None:
    """Add the discovery, identity and control routes."""
    router.add("GET", "/api", _root, scoped=False, anonymous=True)
    router.add("GET", "", _space_root)
    router.add("GET", "/api/spaces", _spaces, scoped=False)
    router.add("GET", "/api/spaces/all", _spaces_all, scoped=False)
    router.add("GET", "/api/spaces/{id}", _space, scoped=False)
    router.add("GET", "/api/users/me", _me, scoped=False)
    router.add("GET", "/api/users/{id}/spaces", _my_spaces, scoped=False)
    router.add("GET", "/.well-known/openid-configuration", _openid, scoped=False, anonymous=True)
    router.add("POST", "/token/v1", _token, scoped=False, anonymous=True)
    router.add("POST", "/api/token/v1", _token, scoped=False, anonymous=True)
    router.add("GET", "/__emulator/faults", _fault_list, scoped=False)
    router.add("POST", "/__emulator/faults", _fault_add, scoped=False)
    router.add("DELETE", "/__emulator/faults", _fault_clear, scoped=False)
    router.add("POST", "/__emulator/tasks/{id}/finish", _finish_task, scoped=False)
