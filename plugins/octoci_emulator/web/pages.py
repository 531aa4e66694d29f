"""The pages a signed-in browser reads: the dashboard (projects x environments), a project's
releases, a release (packages, build information, notes, progression with its deploy and promote
buttons), a deployment and a task with its log.

Every page reads the same store the API answers from, so what it shows is what a client sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote

from octoci_emulator.catalog import lifecycle_for, project_steps
from octoci_emulator.errors import NotFound
from octoci_emulator.executions import find_release
from octoci_emulator.lifecycle import Progression, progression
from octoci_emulator.routes import Response, Router
from octoci_emulator.store import Document
from octoci_emulator.tasks import FINAL_STATES
from octoci_emulator.web.context import WebContext, signed_in_page
from octoci_emulator.web.deploy import deploy_buttons
from octoci_emulator.web.interruptions import interruption_forms
from octoci_emulator.web.layout import redirect, state_badge
from octoci_emulator.web.markup import Child, Html, el

__all__ = ["register", "release_page_path"]


def _when(timestamp: object) -> str:
    """``2026-01-02T03:04:05.000+00:00`` as ``2026-01-02 03:04:05 UTC``."""
    if not isinstance(timestamp, str) or len(timestamp) < 19:
        return ""
    return f"{timestamp[:10]} {timestamp[11:19]} UTC"


def _param(context: WebContext, name: str) -> str:
    return unquote(context.request.params[name])


def _environments(context: WebContext, space_id: str) -> list[Document]:
    return sorted(
        context.request.app.store.list("environment", space_id),
        key=lambda e: (e["SortOrder"], e["Id"]),
    )


def _project(context: WebContext, space_id: str, ref: str) -> Document:
    """A project by slug (as Octopus's links name it), id or name."""
    wanted = ref.lower()
    for project in context.request.app.store.list("project", space_id):
        if wanted in {project["Slug"].lower(), project["Id"].lower(), project["Name"].lower()}:
            return project
    raise NotFound(f"There is no project '{ref}' in this space.")


def _task(context: WebContext, task_id: str) -> Document:
    task = context.request.app.store.get("task", task_id)
    if task is None:
        raise NotFound(f"There is no task '{task_id}'.")
    return task


def _task_state(context: WebContext, deployment: Document) -> str:
    task = context.request.app.store.get("task", deployment["TaskId"])
    return str(task["State"]) if task else "Queued"


def release_page_path(context: WebContext, project: Document, release: Document) -> str:
    """The release page's path."""
    return context.path(
        project["SpaceId"], "projects", project["Slug"], "releases", release["Version"]
    )


def _deployment_link(context: WebContext, deployment: Document, text: str) -> Html:
    return el(
        "span",
        el("a", text, href=context.path(deployment["SpaceId"], "deployments", deployment["Id"])),
        " ",
        state_badge(_task_state(context, deployment)),
    )


# -- the dashboard ------------------------------------------------------------------------------


def _dashboard_default(context: WebContext) -> Response:
    return redirect(context.path(context.default_space()["Id"]))


def _dashboard(context: WebContext) -> Response:
    space = context.space(_param(context, "space"))
    store = context.request.app.store
    space_id = space["Id"]
    environments = _environments(context, space_id)
    releases: dict[str, Document] = {}
    for doc in store.list("release", space_id):
        releases[doc["ProjectId"]] = doc  # oldest first: the last one stays
    latest: dict[tuple[str, str], Document] = {}
    for doc in store.list("deployment", space_id):
        latest[(doc["ProjectId"], doc["EnvironmentId"])] = doc
    rows = []
    for project in store.list("project", space_id):
        release = releases.get(project["Id"])
        cells: list[Child] = [
            el(
                "td",
                el("a", project["Name"], href=context.path(space_id, "projects", project["Slug"])),
            ),
            el(
                "td",
                el("a", release["Version"], href=release_page_path(context, project, release))
                if release
                else el("span", "no release yet", class_="muted"),
            ),
        ]
        for environment in environments:
            deployment = latest.get((project["Id"], environment["Id"]))
            version = ""
            if deployment is not None:
                deployed = store.get("release", deployment["ReleaseId"])
                version = deployed["Version"] if deployed else deployment["ReleaseId"]
            cells.append(
                el("td", _deployment_link(context, deployment, version) if deployment else None)
            )
        rows.append(el("tr", cells))
    header = el(
        "tr",
        el("th", "Project"),
        el("th", "Latest release"),
        [el("th", e["Name"]) for e in environments],
    )
    content: Child = (
        el("table", el("thead", header), el("tbody", rows), id="dashboard")
        if rows
        else el("p", "This space has no projects yet.", class_="muted")
    )
    active = any(_task_state(context, d) not in FINAL_STATES for d in latest.values())
    return context.render(f"{space['Name']}: dashboard", content, refresh=active)


# -- projects and releases ----------------------------------------------------------------------


def _project_page(context: WebContext) -> Response:
    space = context.space(_param(context, "space"))
    project = _project(context, space["Id"], _param(context, "project"))
    store = context.request.app.store
    releases = store.list("release", space["Id"], lambda r: r["ProjectId"] == project["Id"])
    releases.reverse()
    rows = [
        el(
            "tr",
            el("td", el("a", r["Version"], href=release_page_path(context, project, r))),
            el("td", _when(r["Assembled"])),
            el("td", (store.get("channel", r["ChannelId"]) or {}).get("Name", "")),
        )
        for r in releases
    ]
    content = (
        el(
            "table",
            el("tr", el("th", "Release"), el("th", "Created"), el("th", "Channel")),
            rows,
            id="releases",
        )
        if rows
        else el("p", "No releases yet.", class_="muted")
    )
    return context.render(project["Name"], content)


def _find_release(context: WebContext, project: Document, ref: str) -> Document:
    """A release of ``project`` by version, or by id (the links octoci prints use the id)."""
    release = find_release(context.request.app, project, ref)
    if release is None:
        by_id = context.request.app.store.get("release", ref)
        if by_id is not None and by_id["ProjectId"] == project["Id"]:
            release = by_id
    if release is None:
        raise NotFound(f"Project '{project['Name']}' has no release '{ref}'.")
    return release


def _release_redirect(context: WebContext) -> Response:
    """Octopus's own link form (``projects/{slug}/deployments/releases/{version}``)."""
    space = context.space(_param(context, "space"))
    project = _project(context, space["Id"], _param(context, "project"))
    release = _find_release(context, project, _param(context, "release"))
    return redirect(release_page_path(context, project, release))


def _deployment_redirect(context: WebContext) -> Response:
    """Octopus's deployment link (``.../releases/{version}/deployments/{id}``)."""
    space = context.space(_param(context, "space"))
    return redirect(context.path(space["Id"], "deployments", _param(context, "deployment")))


def _packages(context: WebContext, project: Document, release: Document) -> Html:
    package_of = dict(project_steps(context.request.app.store, project))
    rows = [
        el(
            "tr",
            el("td", str(p.get("ActionName", ""))),
            el("td", package_of.get(str(p.get("ActionName", "")), "")),
            el("td", str(p.get("Version", ""))),
        )
        for p in release.get("SelectedPackages", [])
    ]
    if not rows:
        return el("p", "This release has no packages.", class_="muted")
    return el(
        "table",
        el("tr", el("th", "Step"), el("th", "Package"), el("th", "Version")),
        rows,
        id="packages",
    )


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _build_information(entries: Sequence[Document]) -> Html:
    if not entries:
        return el("p", "No build information was pushed for these packages.", class_="muted")
    blocks = []
    for info in entries:
        commits = [
            el(
                "li",
                el("a", _text(c.get("Id"))[:12], href=_text(c.get("LinkUrl")) or None),
                " ",
                el("span", _text(c.get("Comment")), class_="comment"),
            )
            for c in info.get("Commits") or []
        ]
        items = [
            el(
                "li",
                el("a", _text(w.get("Id")), href=_text(w.get("LinkUrl")) or None),
                " ",
                _text(w.get("Description")) if w.get("Description") != w.get("Id") else None,
            )
            for w in info.get("WorkItems") or []
        ]
        commit_number = _text(info.get("VcsCommitNumber"))
        blocks.append(
            el(
                "div",
                el("h3", f"{_text(info.get('PackageId'))} {_text(info.get('Version'))}"),
                el(
                    "table",
                    el("tr", el("th", "Branch"), el("td", _text(info.get("Branch")))),
                    el(
                        "tr",
                        el("th", "Build"),
                        el(
                            "td",
                            el(
                                "a",
                                _text(info.get("BuildNumber")) or "build",
                                href=_text(info.get("BuildUrl")) or None,
                            ),
                            f" ({_text(info.get('BuildEnvironment'))})",
                        ),
                    ),
                    el(
                        "tr",
                        el("th", "Commit"),
                        el(
                            "td",
                            el("a", commit_number, href=_text(info.get("VcsCommitUrl")) or None),
                        ),
                    ),
                ),
                el("h4", "Commits"),
                el("ul", commits) if commits else el("p", "none", class_="muted"),
                el("h4", "Work items"),
                el("ul", items) if items else el("p", "none", class_="muted"),
                class_="buildinfo",
            )
        )
    return el("div", blocks, id="build-information")


def _progression(
    context: WebContext, project: Document, release: Document, state: Progression
) -> Html:
    store = context.request.app.store
    deployments = store.list(
        "deployment", release["SpaceId"], lambda d: d["ReleaseId"] == release["Id"]
    )
    names = {e["Id"]: e["Name"] for e in _environments(context, release["SpaceId"])}
    boxes = []
    for index, phase in enumerate(state.phases):
        rows = []
        for environment_id in phase.environments:
            mine = [d for d in deployments if d["EnvironmentId"] == environment_id]
            rows.append(
                el(
                    "li",
                    el("strong", names.get(environment_id, environment_id)),
                    " ",
                    _deployment_link(context, mine[-1], mine[-1]["Name"]) if mine else None,
                    deploy_buttons(
                        context, project, release, environment_id, first_phase=index == 0
                    )
                    if state.allowed(environment_id)
                    else None,
                )
            )
        boxes.append(
            el(
                "div",
                el("h3", phase.phase["Name"], " ", state_badge(phase.progress)),
                el("ul", rows),
                class_="phase",
                data_phase=phase.phase["Name"],
            )
        )
    return el("div", boxes, id="progression")


def _release_page(context: WebContext) -> Response:
    space = context.space(_param(context, "space"))
    project = _project(context, space["Id"], _param(context, "project"))
    release = _find_release(context, project, _param(context, "version"))
    store = context.request.app.store
    state = progression(
        store, release, lifecycle_for(store, project, store.get("channel", release["ChannelId"]))
    )
    deployments = store.list("deployment", space["Id"], lambda d: d["ReleaseId"] == release["Id"])
    deployments.reverse()
    notes = release.get("ReleaseNotes")
    content = [
        el(
            "p",
            el("a", project["Name"], href=context.path(space["Id"], "projects", project["Slug"])),
            f" - channel {(store.get('channel', release['ChannelId']) or {}).get('Name', '')}"
            f" - created {_when(release['Assembled'])}",
            class_="muted",
        ),
        el("h2", "Progression"),
        _progression(context, project, release, state),
        el("h2", "Packages"),
        _packages(context, project, release),
        el("h2", "Build information"),
        _build_information(release.get("BuildInformation") or []),
        el("h2", "Release notes"),
        el("div", str(notes), class_="notes", id="notes")
        if notes
        else el("p", "No release notes.", class_="muted"),
        el("h2", "Deployments"),
        el(
            "ul",
            [el("li", _deployment_link(context, d, d["Name"])) for d in deployments],
            id="deployments",
        )
        if deployments
        else el("p", "Not deployed yet.", class_="muted"),
    ]
    active = any(_task_state(context, d) not in FINAL_STATES for d in deployments)
    return context.render(
        f"{project['Name']} release {release['Version']}", content, refresh=active
    )


# -- deployments and tasks ----------------------------------------------------------------------


def _task_log(task: Document) -> Html:
    lines = "".join(
        f"{_when(when)}  {category:<8} {text}\n" for when, category, text in task.get("_Log", [])
    )
    return el("div", lines, class_="log", id="task-log")


def _task_summary(task: Document) -> Html:
    rows = [
        ("State", state_badge(task["State"])),
        ("Queued", _when(task.get("QueueTime"))),
        ("Started", _when(task.get("StartTime"))),
        ("Finished", _when(task.get("CompletedTime"))),
        ("Duration", _text(task.get("Duration"))),
        ("Error", _text(task.get("ErrorMessage")) or None),
    ]
    return el("table", [el("tr", el("th", name), el("td", value)) for name, value in rows if value])


def _task_sections(context: WebContext, task: Document) -> list[Child]:
    """What the deployment and task pages show of a task: its summary, what it waits for (with
    the buttons that answer it) and its log."""
    return [
        _task_summary(task),
        interruption_forms(context, task),
        el("h2", "Task log"),
        _task_log(task),
    ]


def _deployment_page(context: WebContext) -> Response:
    space = context.space(_param(context, "space"))
    store = context.request.app.store
    deployment = store.get("deployment", _param(context, "id"))
    if deployment is None or deployment["SpaceId"] != space["Id"]:
        raise NotFound(f"There is no deployment '{_param(context, 'id')}' in this space.")
    project = store.get("project", deployment["ProjectId"]) or {}
    release = store.get("release", deployment["ReleaseId"]) or {}
    environment = store.get("environment", deployment["EnvironmentId"]) or {}
    tenant = store.get("tenant", deployment["TenantId"] or "") or {}
    task = _task(context, deployment["TaskId"])
    content = [
        el(
            "table",
            el("tr", el("th", "Project"), el("td", project.get("Name", ""))),
            el(
                "tr",
                el("th", "Release"),
                el(
                    "td",
                    el(
                        "a",
                        release.get("Version", ""),
                        href=release_page_path(context, project, release)
                        if project and release
                        else None,
                    ),
                ),
            ),
            el("tr", el("th", "Environment"), el("td", environment.get("Name", ""))),
            el("tr", el("th", "Tenant"), el("td", tenant.get("Name", ""))) if tenant else None,
            el("tr", el("th", "Created"), el("td", _when(deployment.get("Created")))),
            el(
                "tr",
                el("th", "Task"),
                el("td", el("a", task["Id"], href=context.path(space["Id"], "tasks", task["Id"]))),
            ),
        ),
        el("h2", "Task"),
        *_task_sections(context, task),
    ]
    return context.render(deployment["Name"], content, refresh=task["State"] not in FINAL_STATES)


def _task_page(context: WebContext) -> Response:
    space = context.space(_param(context, "space"))
    task = _task(context, _param(context, "id"))
    if task["SpaceId"] != space["Id"]:
        raise NotFound(f"There is no task '{task['Id']}' in this space.")
    arguments = task.get("Arguments") or {}
    deployment_id = arguments.get("DeploymentId")
    content = [
        el(
            "p",
            el("a", "The deployment", href=context.path(space["Id"], "deployments", deployment_id)),
        )
        if deployment_id
        else None,
        *_task_sections(context, task),
    ]
    return context.render(task["Description"], content, refresh=task["State"] not in FINAL_STATES)


def _task_without_space(context: WebContext) -> Response:
    """``/app#//tasks/{id}`` (a link printed without a space): the task's own space."""
    task = _task(context, _param(context, "id"))
    return redirect(context.path(task["SpaceId"], "tasks", task["Id"]))


def register(router: Router) -> None:
    """Add the pages (after the sign-in routes, whose paths they would otherwise match)."""
    pages = {
        "/app/dashboard": _dashboard_default,
        "/app/tasks/{id}": _task_without_space,
        "/app/{space}": _dashboard,
        "/app/{space}/dashboard": _dashboard,
        "/app/{space}/projects/{project}": _project_page,
        "/app/{space}/projects/{project}/releases/{version}": _release_page,
        "/app/{space}/projects/{project}/deployments/releases/{release}": _release_redirect,
        "/app/{space}/projects/{project}/deployments/releases/{release}/deployments/{deployment}": (
            _deployment_redirect
        ),
        "/app/{space}/deployments/{id}": _deployment_page,
        "/app/{space}/tasks/{id}": _task_page,
    }
    for pattern, handler in pages.items():
        router.add("GET", pattern, signed_in_page(handler), scoped=False, anonymous=True)
