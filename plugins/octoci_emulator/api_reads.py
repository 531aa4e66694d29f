"""Read-only routes Octopus's clients rely on besides the model collections: ``/api/capabilities``,
``dashboard`` and ``environments/v2`` (the feeds are :mod:`octoci_emulator.api_feeds`).

Shapes follow Octopus's Swagger document (2021.2) and, for routes newer than it, the clients'
sources (``capabilities`` and ``environments/v2`` in api-client.ts).
"""

from __future__ import annotations

from octoci.package_names import version_key
from octoci_emulator.errors import NotFound
from octoci_emulator.resources import public
from octoci_emulator.routes import Request, Response, Router
from octoci_emulator.store import Document

__all__ = ["CAPABILITIES", "register", "serves_capabilities"]

#: What ``/api/capabilities`` lists: the request and command names clients look for
#: (api-client.ts checks ``CreateReleaseCommandV1`` and friends before using the Executions API).
CAPABILITIES = (
    "GetAllSpacesRequest",
    "CreateReleaseCommandV1",
    "CreateDeploymentUntenantedCommandV1",
    "CreateDeploymentTenantedCommandV1",
    "CreateRunbookRunCommandV1",
    "CreateExecutionCommandV1",
)

#: The first Octopus version that serves ``/api/capabilities`` (and the Executions API).
_CAPABILITIES_SINCE = "2022.3"


def serves_capabilities(version: str) -> bool:
    """True when an Octopus of ``version`` has ``/api/capabilities`` (2022.3 and later)."""
    return version_key(version) >= version_key(_CAPABILITIES_SINCE)


def _capabilities(request: Request) -> Response:
    """404 on an emulator seeded with an older ``version``, as such a server answers."""
    if not serves_capabilities(request.app.config.version):
        raise NotFound("There is no resource at /api/capabilities.")
    return Response(body={"Capabilities": list(CAPABILITIES)})


def _dashboard_item(deployment: Document, task: Document, release: Document) -> Document:
    return {
        "Id": deployment["Id"],
        "ProjectId": deployment["ProjectId"],
        "EnvironmentId": deployment["EnvironmentId"],
        "ReleaseId": deployment["ReleaseId"],
        "DeploymentId": deployment["Id"],
        "TaskId": task["Id"],
        "TenantId": deployment["TenantId"],
        "ChannelId": deployment["ChannelId"],
        "ReleaseVersion": release["Version"],
        "Created": deployment["Created"],
        "QueueTime": task["QueueTime"],
        "StartTime": task["StartTime"],
        "CompletedTime": task["CompletedTime"],
        "State": task["State"],
        "HasPendingInterruptions": task["HasPendingInterruptions"],
        "HasWarningsOrErrors": task["HasWarningsOrErrors"],
        "ErrorMessage": task["ErrorMessage"],
        "Duration": task["Duration"],
        "IsCurrent": True,
        "IsPrevious": False,
        "IsCompleted": task["IsCompleted"],
        "LastModifiedOn": None,
        "LastModifiedBy": None,
        "Links": {
            "Self": f"/api/{deployment['SpaceId']}/deployments/{deployment['Id']}",
            "Release": f"/api/{deployment['SpaceId']}/releases/{deployment['ReleaseId']}",
            "Task": f"/api/tasks/{task['Id']}",
        },
    }


def _summary(doc: Document, collection: str, **fields: object) -> Document:
    """A dashboard's short form of a project, group, environment or tenant."""
    return {
        "Id": doc["Id"],
        "Name": doc["Name"],
        **fields,
        "LastModifiedOn": None,
        "LastModifiedBy": None,
        "Links": {"Self": f"{collection}/{doc['Id']}"},
    }


def _dashboard(request: Request) -> Response:
    """The latest deployment per project, environment and tenant (``Items``, ``IsCurrent``) and
    the one before it (``PreviousItems``), as ``octo promote-release`` reads it."""
    store = request.app.store
    space_id = request.space_id
    projects = store.list("project", space_id)
    environments = sorted(
        store.list("environment", space_id), key=lambda e: (e["SortOrder"], e["Id"])
    )
    latest: dict[tuple[str, str, str], list[Document]] = {}
    for deployment in store.list("deployment", space_id):
        key = (deployment["ProjectId"], deployment["EnvironmentId"], deployment["TenantId"] or "")
        latest.setdefault(key, []).append(deployment)
    items: list[Document] = []
    previous: list[Document] = []
    for history in latest.values():
        for position, deployment in enumerate(reversed(history[-2:])):
            task = store.get("task", deployment["TaskId"])
            release = store.get("release", deployment["ReleaseId"])
            if task is None or release is None:
                continue
            item = _dashboard_item(deployment, task, release)
            if position == 0:
                items.append(item)
            else:
                previous.append({**item, "IsCurrent": False, "IsPrevious": True})
    groups = store.list("projectgroup", space_id)
    environment_ids = [e["Id"] for e in environments]
    body = {
        "Id": None,
        "Projects": [
            _summary(
                p,
                f"/api/{space_id}/projects",
                Slug=p["Slug"],
                ProjectGroupId=p["ProjectGroupId"],
                EnvironmentIds=environment_ids,
                TenantedDeploymentMode=p["TenantedDeploymentMode"],
                CanPerformUntenantedDeployment=p["TenantedDeploymentMode"] != "Tenanted",
                IsDisabled=p["IsDisabled"],
            )
            for p in projects
        ],
        "ProjectGroups": [
            _summary(g, f"/api/{space_id}/projectgroups", EnvironmentIds=environment_ids)
            for g in groups
        ],
        "Environments": [_summary(e, f"/api/{space_id}/environments") for e in environments],
        "Tenants": [
            _summary(
                t,
                f"/api/{space_id}/tenants",
                ProjectEnvironments=t["ProjectEnvironments"],
                TenantTags=t["TenantTags"],
            )
            for t in store.list("tenant", space_id)
        ],
        "Items": items,
        "PreviousItems": previous,
        "IsFiltered": False,
        "ProjectLimit": None,
        "LastModifiedOn": None,
        "LastModifiedBy": None,
        "Links": {"Self": f"/api/{space_id}/dashboard"},
    }
    return Response(body=body)


def _environments_v2(request: Request) -> Response:
    """``environments/v2{?ids,partialName,type,skip,take}``: every emulated environment is a
    ``Static`` one (api-client.ts's ``StaticDeploymentEnvironment``)."""
    environments = request.app.store.list("environment", request.space_id)
    ids = {i.strip().lower() for i in request.arg("ids").split(",") if i.strip()}
    partial = request.arg("partialName").lower()
    wanted_type = request.arg("type").lower()
    items = [
        {**public(e), "Type": "Static"}
        for e in environments
        if (not ids or e["Id"].lower() in ids)
        and (not partial or partial in e["Name"].lower())
        and (not wanted_type or wanted_type == "static")
    ]
    return Response(
        body=request.page(
            items, "DeploymentEnvironmentV2", f"/api/{request.space_id}/environments/v2"
        )
    )


def register(router: Router) -> None:
    """Add the read-only routes (before the model's ``{collection}/{id}`` routes, so that
    ``environments/v2`` is not read as an environment id)."""
    router.add("GET", "/api/capabilities", _capabilities, scoped=False)
    router.add("GET", "/dashboard", _dashboard)
    router.add("GET", "/environments/v2", _environments_v2)
