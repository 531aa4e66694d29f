"""Creating, changing and deleting the Octopus model: one function per operation, shared by the
REST API's write routes and the seed file (so both build the same model).

Each kind has a builder that reads an Octopus-shaped body (``EnvironmentResource``,
``ProjectResource`` ... as the Swagger document describes them), checks every reference and
returns the document to store. A write runs in one transaction and checks everything before it
stores anything: a bad body is one 400 listing every problem, and nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from octoci_emulator.channel_rules import check_rules
from octoci_emulator.errors import BadRequest, NotFound
from octoci_emulator.feeds import BUILT_IN_FEED, build_feed, feed_dependents, withhold_secret
from octoci_emulator.jsonbody import CIDict
from octoci_emulator.model_checks import Checks, as_body, plain
from octoci_emulator.store import Document, Store

__all__ = [
    "BUILT_IN_FEED",
    "KINDS",
    "KindSpec",
    "create",
    "delete",
    "modify",
    "space_links",
]

TENANTED_MODES = ("Untenanted", "Tenanted", "TenantedOrUntenanted")
GUIDED_FAILURE_MODES = ("EnvironmentDefault", "Off", "On")
_RETENTION = {"Unit": "Days", "QuantityToKeep": 30, "ShouldKeepForever": False}
#: Who changed a resource last and when: Octopus's audit fields, which the emulator leaves empty.
AUDIT: dict[str, None] = {"LastModifiedOn": None, "LastModifiedBy": None}


def slug(name: str) -> str:
    """Octopus's slug: lower case, runs of anything else than letters and digits become ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def links(space_id: str, collection: str, doc_id: str, **extra: str) -> dict[str, str]:
    """A resource's ``Links``: ``Self`` plus ``extra`` paths below it."""
    base = f"/api/{space_id}/{collection}/{doc_id}"
    return {"Self": base, **{k: base + v for k, v in extra.items()}}


def space_links(space_id: str) -> dict[str, str]:
    """A space resource's ``Links``."""
    return {
        "Self": f"/api/spaces/{space_id}",
        "SpaceHome": f"/api/{space_id}",
        "Web": f"/app#/{space_id}",
    }


@dataclass(frozen=True)
class Built:
    """What a builder returns: the document, its unique key, and work to do once it is stored."""

    doc: Document
    key: str | None
    after: Callable[[Store, Document], None] | None = None


Builder = Callable[[Checks, CIDict, "Document | None"], Built]


@dataclass(frozen=True)
class KindSpec:
    """One writable collection: the store kind, its id prefix and how its documents are made."""

    kind: str
    prefix: str
    label: str
    build: Builder
    #: What refers to a document (non-empty refuses the delete), and what goes with it.
    dependents: Callable[[Store, Document], list[str]] = lambda store, doc: []
    cascade: Callable[[Store, Document], None] = lambda store, doc: None


def _fresh_id(store: Store, spec: KindSpec, existing: Document | None) -> str:
    # A refused write rolls its transaction back, counters included: no id is used up.
    return str(existing["Id"]) if existing else store.next_id(spec.prefix)


def create(store: Store, collection: str, space_id: str | None, body: Any) -> Document:
    """Create one resource of ``collection`` (``environments`` ...) from an Octopus body."""
    spec = KINDS[collection]
    with store.transaction():
        built = spec.build(Checks(store, space_id), as_body(body), None)
        built.doc.update(AUDIT)
        store.put(spec.kind, built.doc, key=built.key)
        if built.after is not None:
            built.after(store, built.doc)
    return built.doc


def modify(store: Store, collection: str, space_id: str | None, doc_id: str, body: Any) -> Document:
    """Replace resource ``doc_id`` with ``body`` (what Octopus does on ``PUT``); 404 if unknown."""
    spec = KINDS[collection]
    with store.transaction():
        existing = find(store, spec, space_id, doc_id)
        built = spec.build(Checks(store, space_id), as_body(body), existing)
        built.doc.update(AUDIT)
        store.put(spec.kind, built.doc, key=built.key)
        if built.after is not None:
            built.after(store, built.doc)
    return built.doc


def delete(store: Store, collection: str, space_id: str | None, doc_id: str) -> None:
    """Delete resource ``doc_id`` and what belongs to it; 400 if something still refers to it."""
    spec = KINDS[collection]
    with store.transaction():
        existing = find(store, spec, space_id, doc_id)
        users = spec.dependents(store, existing)
        if users:
            raise BadRequest(
                f"The {spec.label.title()} has dependent resources and cannot be deleted.", *users
            )
        spec.cascade(store, existing)
        store.delete(spec.kind, existing["Id"])


def find(store: Store, spec: KindSpec, space_id: str | None, doc_id: str) -> Document:
    """The ``spec`` document ``doc_id`` in ``space_id``; 404 otherwise."""
    doc = store.get(spec.kind, doc_id)
    if doc is None or doc.get("SpaceId") != space_id:
        raise NotFound(f"The {spec.label.title()} '{doc_id}' doesn't exist.")
    return doc


def _names(docs: list[Document], label: str) -> list[str]:
    return [f"It is used by {label} '{d['Name']}'." for d in docs]


# -- spaces -------------------------------------------------------------------------------------


def _space(checks: Checks, body: CIDict, existing: Document | None) -> Built:
    store = checks.store
    name = checks.name(body, "space")
    checks.unique(
        "space",
        name.lower(),
        (existing or {}).get("Id", ""),
        f"A space with the name '{name}' already exists. Please choose a different name.",
    )
    is_default = checks.flag(body, "IsDefault", bool((existing or {}).get("IsDefault")))
    if existing and existing.get("IsDefault") and not is_default:
        checks.fail("There must be a default space: make another space the default instead.")
    doc: Document = {
        "Id": "",
        "Name": name,
        "Slug": checks.text(body, "Slug") or slug(name),
        "Description": checks.text(body, "Description") or None,
        "IsDefault": is_default,
        "TaskQueueStopped": checks.flag(body, "TaskQueueStopped"),
        "SpaceManagersTeams": checks.strings(body, "SpaceManagersTeams"),
        "SpaceManagersTeamMembers": checks.strings(body, "SpaceManagersTeamMembers"),
        "LastModifiedOn": None,
        "LastModifiedBy": None,
    }
    checks.done()
    doc["Id"] = _fresh_id(store, KINDS["spaces"], existing)
    doc["Links"] = space_links(doc["Id"])

    def after(store: Store, space: Document) -> None:
        if space["IsDefault"]:
            for other in store.list("space"):
                if other["Id"] != space["Id"] and other.get("IsDefault"):
                    store.put("space", {**other, "IsDefault": False}, key=other["Name"].lower())
        if existing is None:
            # Octopus gives every new space a project group and a lifecycle to start from.
            create(store, "projectgroups", space["Id"], {"Name": "Default Project Group"})
            create(store, "lifecycles", space["Id"], {"Name": "Default Lifecycle"})

    return Built(doc, name.lower(), after)


#: Everything that lives in a space, removed with it (package files are removed by the route).
SPACE_CONTENTS = (
    "environment",
    "lifecycle",
    "projectgroup",
    "project",
    "deploymentprocess",
    "variableset",
    "channel",
    "tenant",
    "tagset",
    "runbook",
    "runbooksnapshot",
    "release",
    "deployment",
    "runbookrun",
    "buildinfo",
    "package",
    "task",
    "feed",
)
_ACTIVE_TASK_STATES = {"Queued", "Executing", "Cancelling"}


def _space_dependents(store: Store, space: Document) -> list[str]:
    problems = []
    if space.get("IsDefault"):
        problems.append("The default space cannot be deleted: make another space the default.")
    if not space.get("TaskQueueStopped"):
        problems.append("Stop the space's task queue first (set TaskQueueStopped to true).")
    active = store.list("task", space["Id"], lambda t: t.get("State") in _ACTIVE_TASK_STATES)
    problems += [f"Task '{t['Id']}' is still running." for t in active]
    return problems


def _space_cascade(store: Store, space: Document) -> None:
    for kind in SPACE_CONTENTS:
        for doc in store.list(kind, space["Id"]):
            store.delete(kind, doc["Id"])


# -- project groups, environments, lifecycles, tag sets ------------------------------------------


def _named(checks: Checks, body: CIDict, existing: Document | None, kind: str, label: str) -> str:
    name = checks.name(body, label)
    checks.unique(
        kind,
        name.lower(),
        (existing or {}).get("Id", ""),
        f"A {label} with the name '{name}' already exists in this space.",
    )
    return name


def _project_group(checks: Checks, body: CIDict, existing: Document | None) -> Built:
    name = _named(checks, body, existing, "projectgroup", "project group")
    environment_ids = checks.all_existing(
        "environment", checks.strings(body, "EnvironmentIds"), "environment"
    )
    description = checks.text(body, "Description")
    checks.done()
    doc_id = _fresh_id(checks.store, KINDS["projectgroups"], existing)
    space_id = str(checks.space_id)
    doc = {
        "Id": doc_id,
        "SpaceId": space_id,
        "Name": name,
        "Slug": slug(name),
        "Description": description,
        "EnvironmentIds": environment_ids,
        "RetentionPolicyId": None,
        "Links": links(space_id, "projectgroups", doc_id, Projects="/projects"),
    }
    return Built(doc, name.lower())


def _environment(checks: Checks, body: CIDict, existing: Document | None) -> Built:
    store = checks.store
    space_id = str(checks.space_id)
    name = _named(checks, body, existing, "environment", "environment")
    order = len(store.list("environment", space_id))
    doc = {
        "Id": "",
        "SpaceId": space_id,
        "Name": name,
        "Slug": checks.text(body, "Slug") or slug(name),
        "Description": checks.text(body, "Description"),
        "SortOrder": checks.integer(body, "SortOrder", (existing or {}).get("SortOrder", order)),
        "UseGuidedFailure": checks.flag(body, "UseGuidedFailure"),
        "AllowDynamicInfrastructure": checks.flag(body, "AllowDynamicInfrastructure"),
        "ExtensionSettings": plain(checks.objects(body, "ExtensionSettings")),
    }
    checks.done()
    doc["Id"] = _fresh_id(store, KINDS["environments"], existing)
    doc["Links"] = links(space_id, "environments", doc["Id"])
    return Built(doc, name.lower())


def _environment_dependents(store: Store, env: Document) -> list[str]:
    space_id, env_id = env["SpaceId"], env["Id"]
    lifecycles = store.list(
        "lifecycle",
        space_id,
        lambda lc: any(
            env_id in (*p["AutomaticDeploymentTargets"], *p["OptionalDeploymentTargets"])
            for p in lc["Phases"]
        ),
    )
    tenants = store.list(
        "tenant", space_id, lambda t: any(env_id in e for e in t["ProjectEnvironments"].values())
    )
    runbooks = store.list("runbook", space_id, lambda r: env_id in r.get("Environments", []))
    return [
        *_names(lifecycles, "lifecycle"),
        *_names(tenants, "tenant"),
        *_names(runbooks, "runbook"),
    ]


def _lifecycle(checks: Checks, body: CIDict, existing: Document | None) -> Built:
    store = checks.store
    space_id = str(checks.space_id)
    name = _named(checks, body, existing, "lifecycle", "lifecycle")
    doc_id = _fresh_id(store, KINDS["lifecycles"], existing)
    phases: list[Document] = []
    placed: dict[str, str] = {}
    for number, phase in enumerate(checks.objects(body, "Phases"), start=1):
        phase_name = checks.name(phase, "phase")
        targets = {}
        for field in ("AutomaticDeploymentTargets", "OptionalDeploymentTargets"):
            targets[field] = checks.all_existing(
                "environment", checks.strings(phase, field), "environment"
            )
            for env_id in targets[field]:
                if env_id in placed:
                    checks.fail(
                        f"The environment '{env_id}' is in more than one phase "
                        f"('{placed[env_id]}' and '{phase_name}')."
                    )
                placed[env_id] = phase_name
        phases.append(
            {
                "Id": checks.text(phase, "Id") or f"{doc_id}-phase-{number}",
                "Name": phase_name,
                **targets,
                "MinimumEnvironmentsBeforePromotion": checks.integer(
                    phase, "MinimumEnvironmentsBeforePromotion", 0
                ),
                "IsOptionalPhase": checks.flag(phase, "IsOptionalPhase"),
                "ReleaseRetentionPolicy": plain(checks.obj(phase, "ReleaseRetentionPolicy")),
                "TentacleRetentionPolicy": plain(checks.obj(phase, "TentacleRetentionPolicy")),
            }
        )
    doc = {
        "Id": doc_id,
        "SpaceId": space_id,
        "Name": name,
        "Slug": checks.text(body, "Slug") or slug(name),
        "Description": checks.text(body, "Description"),
        "Phases": phases,
        "ReleaseRetentionPolicy": plain(checks.obj(body, "ReleaseRetentionPolicy")) or _RETENTION,
        "TentacleRetentionPolicy": plain(checks.obj(body, "TentacleRetentionPolicy")) or _RETENTION,
        "Links": links(space_id, "lifecycles", doc_id),
    }
    checks.done()
    return Built(doc, name.lower())


def _lifecycle_dependents(store: Store, lifecycle: Document) -> list[str]:
    space_id, lifecycle_id = lifecycle["SpaceId"], lifecycle["Id"]
    projects = store.list("project", space_id, lambda p: p["LifecycleId"] == lifecycle_id)
    channels = store.list("channel", space_id, lambda c: c.get("LifecycleId") == lifecycle_id)
    return [*_names(projects, "project"), *_names(channels, "channel")]


def _tag_set(checks: Checks, body: CIDict, existing: Document | None) -> Built:
    space_id = str(checks.space_id)
    name = _named(checks, body, existing, "tagset", "tag set")
    if "/" in name:
        checks.fail("A tag set name cannot contain '/'.")
    doc_id = _fresh_id(checks.store, KINDS["tagsets"], existing)
    old_ids = {t["Name"].lower(): t["Id"] for t in (existing or {}).get("Tags", [])}
    tags: list[Document] = []
    used = set(old_ids.values())
    for order, tag in enumerate(checks.objects(body, "Tags")):
        tag_name = checks.name(tag, "tag")
        tag_id = old_ids.get(tag_name.lower())
        if tag_id is None:  # a new tag: the next free "TagSets-N-M"
            number = len(used) + 1
            while f"{doc_id}-{number}" in used:
                number += 1
            tag_id = f"{doc_id}-{number}"
        used.add(tag_id)
        tags.append(
            {
                "Id": tag_id,
                "Name": tag_name,
                "CanonicalTagName": f"{name}/{tag_name}",
                "Color": checks.text(tag, "Color", "#333333"),
                "Description": checks.text(tag, "Description"),
                "SortOrder": order,
            }
        )
    if len({t["Name"].lower() for t in tags}) != len(tags):
        checks.fail(f"Two tags of the tag set '{name}' have the same name.")
    doc = {
        "Id": doc_id,
        "SpaceId": space_id,
        "Name": name,
        "Description": checks.text(body, "Description"),
        "SortOrder": checks.integer(body, "SortOrder", 0),
        "Tags": tags,
        "Links": links(space_id, "tagsets", doc_id),
    }
    checks.done()
    return Built(doc, name.lower())


def _tag_set_dependents(store: Store, tag_set: Document) -> list[str]:
    canonical = {t["CanonicalTagName"].lower() for t in tag_set["Tags"]}
    tenants = store.list(
        "tenant",
        tag_set["SpaceId"],
        lambda t: any(tag.lower() in canonical for tag in t["TenantTags"]),
    )
    return _names(tenants, "tenant")


# -- projects and what belongs to them ----------------------------------------------------------


def _project(checks: Checks, body: CIDict, existing: Document | None) -> Built:
    from octoci_emulator import model_process

    store = checks.store
    space_id = str(checks.space_id)
    name = _named(checks, body, existing, "project", "project")
    lifecycle = checks.existing("lifecycle", checks.text(body, "LifecycleId"), "lifecycle")
    group = checks.existing("projectgroup", checks.text(body, "ProjectGroupId"), "project group")
    persistence = plain(checks.obj(body, "PersistenceSettings")) or {"Type": "Database"}
    password = _withhold_password(persistence, (existing or {}).get("_VcsPassword"))
    doc_id = _fresh_id(store, KINDS["projects"], existing)
    doc: Document = {
        "Id": doc_id,
        "SpaceId": space_id,
        "Name": name,
        "Slug": checks.text(body, "Slug") or slug(name),
        "Description": checks.text(body, "Description"),
        "LifecycleId": (lifecycle or {}).get("Id", ""),
        "ProjectGroupId": (group or {}).get("Id", ""),
        "IsDisabled": checks.flag(body, "IsDisabled"),
        "IsVersionControlled": checks.flag(body, "IsVersionControlled"),
        "PersistenceSettings": persistence,
        "DeploymentProcessId": f"deploymentprocess-{doc_id}",
        "VariableSetId": f"variableset-{doc_id}",
        "IncludedLibraryVariableSetIds": checks.strings(body, "IncludedLibraryVariableSetIds"),
        "TenantedDeploymentMode": checks.choice(
            body, "TenantedDeploymentMode", TENANTED_MODES, "Untenanted"
        ),
        "DefaultGuidedFailureMode": checks.choice(
            body, "DefaultGuidedFailureMode", GUIDED_FAILURE_MODES, "EnvironmentDefault"
        ),
        "AutoCreateRelease": checks.flag(body, "AutoCreateRelease"),
        "AutoDeployReleaseOverrides": plain(checks.objects(body, "AutoDeployReleaseOverrides")),
        "ClonedFromProjectId": (existing or {}).get("ClonedFromProjectId"),
        "DefaultToSkipIfAlreadyInstalled": checks.flag(body, "DefaultToSkipIfAlreadyInstalled"),
        "DeploymentChangesTemplate": checks.text(body, "DeploymentChangesTemplate") or None,
        "DiscreteChannelRelease": checks.flag(body, "DiscreteChannelRelease"),
        "ExtensionSettings": plain(checks.objects(body, "ExtensionSettings")),
        "ProjectConnectivityPolicy": plain(checks.obj(body, "ProjectConnectivityPolicy"))
        or {
            "AllowDeploymentsToNoTargets": False,
            "ExcludeUnhealthyTargets": False,
            "SkipMachineBehavior": "None",
            "TargetRoles": [],
        },
        "ReleaseNotesTemplate": checks.text(body, "ReleaseNotesTemplate") or None,
        "Templates": plain(checks.objects(body, "Templates")),
        "ReleaseCreationStrategy": model_process.release_creation_strategy(checks, body, doc_id),
        "VersioningStrategy": model_process.versioning_strategy(checks, body),
        "Links": links(
            space_id,
            "projects",
            doc_id,
            Releases="/releases{/version}",
            Channels="/channels",
            Runbooks="/runbooks",
            DeploymentProcess="/deploymentprocesses",
            Variables="/variables",
        ),
    }
    if password is not None:
        doc["_VcsPassword"] = password
    if existing is not None and doc["AutoCreateRelease"]:
        model_process.check_auto_create_release(checks, doc)
    elif doc["AutoCreateRelease"]:
        checks.fail("A package step must be provided to enable Automatic Release Creation.")
    checks.done()
    return Built(doc, name.lower(), None if existing else _new_project_parts)


def _withhold_password(persistence: Document, kept: str | None) -> str | None:
    """Take the repository password out of version-control settings (Octopus answers only
    that it has one); the value sent, or ``kept`` when the client sent back what it was shown."""
    credentials = persistence.get("Credentials")
    if not isinstance(credentials, dict) or "Password" not in credentials:
        return None
    credentials["Password"], value = withhold_secret(credentials["Password"], kept)
    return value


def _new_project_parts(store: Store, project: Document) -> None:
    """What Octopus creates with a project: its process, its variables, a Default channel."""
    from octoci_emulator.model_process import new_process, new_variable_set

    store.put("deploymentprocess", new_process(project))
    store.put("variableset", new_variable_set(project))
    create(
        store,
        "channels",
        project["SpaceId"],
        {"ProjectId": project["Id"], "Name": "Default", "IsDefault": True},
    )


def _project_cascade(store: Store, project: Document) -> None:
    space_id, project_id = project["SpaceId"], project["Id"]
    for kind in ("channel", "runbook", "runbooksnapshot", "release", "deployment", "runbookrun"):
        for doc in store.list(kind, space_id, lambda d: d.get("ProjectId") == project_id):
            store.delete(kind, doc["Id"])
    store.delete("deploymentprocess", project["DeploymentProcessId"])
    store.delete("variableset", project["VariableSetId"])
    # Octopus disconnects the project's tenants rather than refusing the delete.
    for tenant in store.list("tenant", space_id, lambda t: project_id in t["ProjectEnvironments"]):
        envs = {k: v for k, v in tenant["ProjectEnvironments"].items() if k != project_id}
        store.put("tenant", {**tenant, "ProjectEnvironments": envs}, key=tenant["Name"].lower())


def _project_group_dependents(store: Store, group: Document) -> list[str]:
    projects = store.list("project", group["SpaceId"], lambda p: p["ProjectGroupId"] == group["Id"])
    return _names(projects, "project")


def _child_project(checks: Checks, body: CIDict, existing: Document | None) -> Document | None:
    project_id = checks.text(body, "ProjectId") or (existing or {}).get("ProjectId", "")
    if existing is not None and project_id.lower() != existing["ProjectId"].lower():
        checks.fail("The ProjectId of an existing resource cannot be changed.")
    return checks.existing("project", project_id, "project")


def _channel(checks: Checks, body: CIDict, existing: Document | None) -> Built:
    store = checks.store
    space_id = str(checks.space_id)
    project = _child_project(checks, body, existing)
    name = checks.name(body, "channel")
    project_id = (project or {}).get("Id", "")
    checks.unique(
        "channel",
        f"{project_id}|{name.lower()}",
        (existing or {}).get("Id", ""),
        f"A channel with the name '{name}' already exists in this project.",
    )
    lifecycle_id = checks.text(body, "LifecycleId")
    if lifecycle_id:
        lifecycle_id = (checks.existing("lifecycle", lifecycle_id, "lifecycle") or {}).get("Id", "")
    is_default = checks.flag(body, "IsDefault")
    if existing and existing["IsDefault"] and not is_default:
        checks.fail("A project needs a default channel: make another channel the default.")
    doc = {
        "Id": "",
        "SpaceId": space_id,
        "ProjectId": project_id,
        "Name": name,
        "Slug": checks.text(body, "Slug") or slug(name),
        "Description": checks.text(body, "Description"),
        "LifecycleId": lifecycle_id or None,
        "IsDefault": is_default,
        "Rules": plain(checks.objects(body, "Rules")),
        "TenantTags": checks.strings(body, "TenantTags"),
    }
    check_rules(checks, doc["Rules"])
    checks.done()
    doc["Id"] = _fresh_id(store, KINDS["channels"], existing)
    doc["Links"] = links(space_id, "channels", doc["Id"])

    def after(store: Store, channel: Document) -> None:
        if channel["IsDefault"]:
            for other in store.list(
                "channel", space_id, lambda c: c["ProjectId"] == project_id and c["IsDefault"]
            ):
                if other["Id"] != channel["Id"]:
                    store.put(
                        "channel",
                        {**other, "IsDefault": False},
                        key=f"{project_id}|{other['Name'].lower()}",
                    )

    return Built(doc, f"{project_id}|{name.lower()}", after)


def _channel_dependents(store: Store, channel: Document) -> list[str]:
    if channel["IsDefault"]:
        return ["You cannot delete the default channel."]
    return []


def _tenant(checks: Checks, body: CIDict, existing: Document | None) -> Built:
    store = checks.store
    space_id = str(checks.space_id)
    name = _named(checks, body, existing, "tenant", "tenant")
    known_tags = {
        t["CanonicalTagName"].lower(): t["CanonicalTagName"]
        for tag_set in store.list("tagset", space_id)
        for t in tag_set["Tags"]
    }
    tags = []
    for tag in checks.strings(body, "TenantTags"):
        if tag.lower() not in known_tags:
            checks.fail(f"The tag '{tag}' does not exist in this space (write it 'TagSet/Tag').")
        else:
            tags.append(known_tags[tag.lower()])
    connections: dict[str, list[str]] = {}
    environments = checks.obj(body, "ProjectEnvironments") or CIDict({})
    for project_key in environments:
        project = checks.existing("project", project_key, "project")
        env_ids = checks.all_existing(
            "environment", checks.strings(environments, project_key), "environment"
        )
        if project is not None:
            if project["TenantedDeploymentMode"] == "Untenanted":
                checks.fail(
                    f"The project '{project['Name']}' does not allow tenanted deployments; "
                    "set its TenantedDeploymentMode before connecting tenants."
                )
            connections[project["Id"]] = env_ids
    doc: Document = {
        "Id": "",
        "SpaceId": space_id,
        "Name": name,
        "Description": checks.text(body, "Description"),
        "TenantTags": tags,
        "ProjectEnvironments": connections,
        "ClonedFromTenantId": (existing or {}).get("ClonedFromTenantId"),
    }
    checks.done()
    doc["Id"] = _fresh_id(store, KINDS["tenants"], existing)
    doc["Links"] = links(space_id, "tenants", doc["Id"])
    return Built(doc, name.lower())


def _runbook(checks: Checks, body: CIDict, existing: Document | None) -> Built:
    store = checks.store
    space_id = str(checks.space_id)
    project = _child_project(checks, body, existing)
    project_id = (project or {}).get("Id", "")
    name = checks.name(body, "runbook")
    checks.unique(
        "runbook",
        f"{project_id}|{name.lower()}",
        (existing or {}).get("Id", ""),
        f"A runbook with the name '{name}' already exists in this project.",
    )
    scope = checks.choice(
        body, "EnvironmentScope", ("All", "Specified", "FromProjectLifecycles"), "All"
    )
    environments = checks.all_existing(
        "environment", checks.strings(body, "Environments"), "environment"
    )
    published = checks.text(body, "PublishedRunbookSnapshotId") or None
    if published and store.get("runbooksnapshot", published) is None:
        checks.fail(f"The runbook snapshot '{published}' does not exist.")
    doc = {
        "Id": "",
        "SpaceId": space_id,
        "ProjectId": project_id,
        "Name": name,
        "Description": checks.text(body, "Description"),
        "EnvironmentScope": scope,
        "Environments": environments,
        "MultiTenancyMode": checks.choice(
            body,
            "MultiTenancyMode",
            TENANTED_MODES,
            (project or {}).get("TenantedDeploymentMode") or "Untenanted",
        ),
        "DefaultGuidedFailureMode": checks.choice(
            body, "DefaultGuidedFailureMode", GUIDED_FAILURE_MODES, "EnvironmentDefault"
        ),
        "RunRetentionPolicy": plain(checks.obj(body, "RunRetentionPolicy"))
        or {"QuantityToKeep": 100, "ShouldKeepForever": False},
        "ConnectivityPolicy": plain(checks.obj(body, "ConnectivityPolicy"))
        or {
            "AllowDeploymentsToNoTargets": True,
            "ExcludeUnhealthyTargets": False,
            "SkipMachineBehavior": "None",
            "TargetRoles": [],
        },
        "PublishedRunbookSnapshotId": published,
    }
    checks.done()
    doc["Id"] = _fresh_id(store, KINDS["runbooks"], existing)
    doc["RunbookProcessId"] = f"RunbookProcess-{doc['Id']}"
    doc["Links"] = links(space_id, "runbooks", doc["Id"])
    return Built(doc, f"{project_id}|{name.lower()}")


def _runbook_cascade(store: Store, runbook: Document) -> None:
    for snapshot in store.list(
        "runbooksnapshot", runbook["SpaceId"], lambda s: s["RunbookId"] == runbook["Id"]
    ):
        store.delete("runbooksnapshot", snapshot["Id"])


KINDS: dict[str, KindSpec] = {
    "spaces": KindSpec(
        "space", "Spaces", "space", _space, _space_dependents, cascade=_space_cascade
    ),
    "projectgroups": KindSpec(
        "projectgroup", "ProjectGroups", "project group", _project_group, _project_group_dependents
    ),
    "environments": KindSpec(
        "environment", "Environments", "environment", _environment, _environment_dependents
    ),
    "lifecycles": KindSpec(
        "lifecycle", "Lifecycles", "lifecycle", _lifecycle, _lifecycle_dependents
    ),
    "tagsets": KindSpec("tagset", "TagSets", "tag set", _tag_set, _tag_set_dependents),
    "projects": KindSpec("project", "Projects", "project", _project, cascade=_project_cascade),
    "channels": KindSpec("channel", "Channels", "channel", _channel, _channel_dependents),
    "tenants": KindSpec("tenant", "Tenants", "tenant", _tenant),
    "runbooks": KindSpec("runbook", "Runbooks", "runbook", _runbook, cascade=_runbook_cascade),
    "feeds": KindSpec("feed", "Feeds", "feed", build_feed, feed_dependents),
}
