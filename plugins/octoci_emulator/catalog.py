"""The Octopus model in the store: spaces, environments, lifecycles, projects (with their deployment
process and channels), tenants, tag sets and runbooks, shaped as Octopus's resources.

Creation is idempotent by name, so seeding a persistent ``--data-dir`` twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from octoci_emulator.errors import BadRequest, NotFound
from octoci_emulator.seed import DEFAULT_LIFECYCLE, ChannelSeed, Seed, SpaceSeed
from octoci_emulator.store import Document, Store

__all__ = [
    "apply_seed",
    "default_space",
    "find_named",
    "lifecycle_for",
    "project_steps",
    "slug",
]


def slug(name: str) -> str:
    """Octopus's slug: lower case, runs of anything else than letters and digits become ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _links(space_id: str, collection: str, doc_id: str, **extra: str) -> dict[str, str]:
    base = f"/api/{space_id}/{collection}/{doc_id}"
    return {"Self": base, **{k: base + v for k, v in extra.items()}}


def default_space(store: Store) -> Document:
    """The space marked ``IsDefault`` (404 if there is none, as Octopus answers space-less routes)."""
    for space in store.list("space"):
        if space.get("IsDefault"):
            return space
    raise NotFound("There is no default space; use a route with a space id.")


def find_named(store: Store, kind: str, space_id: str, name_or_id: str, label: str) -> Document:
    """A resource by name (case-insensitive) or id; 400 naming ``label`` if it does not exist.

    The Executions API answers unknown names with a validation error, not 404.
    """
    doc = store.by_key(kind, space_id, name_or_id.strip().lower())
    if doc is None:
        by_id = store.get(kind, name_or_id.strip())
        if by_id is not None and by_id.get("SpaceId") == space_id:
            doc = by_id
    if doc is None:
        raise BadRequest(f"Could not find {label} '{name_or_id}' in this space.")
    return doc


def _create_space(store: Store, seed: SpaceSeed) -> Document:
    existing = store.by_key("space", None, seed.name.lower())
    if existing is not None:
        return existing
    space_id = store.next_id("Spaces")
    links = {
        "Self": f"/api/spaces/{space_id}",
        "SpaceHome": f"/api/{space_id}",
        "Web": f"/app#/{space_id}",
    }
    return store.put(
        "space",
        {
            "Id": space_id,
            "Name": seed.name,
            "Slug": slug(seed.name),
            "Description": seed.description or None,
            "IsDefault": seed.default,
            "TaskQueueStopped": False,
            "SpaceManagersTeams": [],
            "SpaceManagersTeamMembers": [],
            "LastModifiedOn": None,
            "LastModifiedBy": None,
            "Links": links,
        },
        key=seed.name.lower(),
    )


def apply_seed(store: Store, seed: Seed) -> None:
    """Create everything ``seed`` describes that does not exist yet, in one transaction."""
    seed = seed.with_defaults()
    with store.transaction():
        # A persistent data dir keeps the default it has: a later seed adds spaces beside it.
        has_default = any(s.get("IsDefault") for s in store.list("space"))
        for space_seed in seed.spaces:
            if has_default:
                space_seed = replace(space_seed, default=False)
            space = _create_space(store, space_seed)
            _seed_space(store, space["Id"], space_seed)


def _seed_space(store: Store, space_id: str, seed: SpaceSeed) -> None:
    envs: dict[str, str] = {}
    order = len(store.list("environment", space_id))
    for name in seed.environments:
        if store.by_key("environment", space_id, name.lower()) is not None:
            continue  # seeding a persistent data dir again changes nothing
        env_id = store.next_id("Environments")
        store.put(
            "environment",
            {
                "Id": env_id,
                "SpaceId": space_id,
                "Name": name,
                "Slug": slug(name),
                "Description": "",
                "SortOrder": order,
                "UseGuidedFailure": False,
                "AllowDynamicInfrastructure": False,
                "ExtensionSettings": [],
                "Links": _links(space_id, "environments", env_id),
            },
            key=name.lower(),
        )
        order += 1
    for env in store.list("environment", space_id):
        envs.setdefault(env["Name"].lower(), env["Id"])

    lifecycles: dict[str, str] = {}
    for lifecycle in seed.lifecycles:
        key = lifecycle.name.lower()
        if store.by_key("lifecycle", space_id, key) is None:
            doc_id = store.next_id("Lifecycles")
            phases: list[Document] = []
            for phase in lifecycle.phases:
                phases.append(
                    {
                        "Id": f"{doc_id}-phase-{len(phases) + 1}",
                        "Name": phase.name,
                        "AutomaticDeploymentTargets": [envs[e.lower()] for e in phase.automatic],
                        "OptionalDeploymentTargets": [envs[e.lower()] for e in phase.optional],
                        "MinimumEnvironmentsBeforePromotion": phase.minimum,
                        "IsOptionalPhase": phase.is_optional,
                        "ReleaseRetentionPolicy": None,
                        "TentacleRetentionPolicy": None,
                    }
                )
            store.put(
                "lifecycle",
                {
                    "Id": doc_id,
                    "SpaceId": space_id,
                    "Name": lifecycle.name,
                    "Slug": slug(lifecycle.name),
                    "Description": "",
                    "Phases": phases,
                    "ReleaseRetentionPolicy": {
                        "Unit": "Days",
                        "QuantityToKeep": 30,
                        "ShouldKeepForever": False,
                    },
                    "TentacleRetentionPolicy": {
                        "Unit": "Days",
                        "QuantityToKeep": 30,
                        "ShouldKeepForever": False,
                    },
                    "Links": _links(space_id, "lifecycles", doc_id),
                },
                key=key,
            )
        found = store.by_key("lifecycle", space_id, key)
        assert found is not None  # created just above
        lifecycles[key] = found["Id"]
    default_lifecycle = lifecycles[DEFAULT_LIFECYCLE.lower()]

    for project in seed.projects:
        key = project.name.lower()
        if store.by_key("project", space_id, key) is not None:
            continue
        project_id = store.next_id("Projects")
        lifecycle_id = (
            lifecycles[project.lifecycle.lower()] if project.lifecycle else (default_lifecycle)
        )
        steps = [
            {
                "Id": f"{project_id}-step-{i + 1}",
                "Name": package,
                "Actions": [
                    {
                        "Id": f"{project_id}-action-{i + 1}",
                        "Name": package,
                        "ActionType": "Octopus.TentaclePackage",
                        "IsDisabled": False,
                        "Properties": {
                            "Octopus.Action.Package.PackageId": package,
                            "Octopus.Action.Package.FeedId": "feeds-builtin",
                        },
                        "Packages": [
                            {
                                "Id": f"{project_id}-pkg-{i + 1}",
                                "Name": "",
                                "PackageId": package,
                                "FeedId": "feeds-builtin",
                                "AcquisitionLocation": "Server",
                            }
                        ],
                    }
                ],
            }
            for i, package in enumerate(project.packages)
        ]
        process_id = f"deploymentprocess-{project_id}"
        store.put(
            "deploymentprocess",
            {
                "Id": process_id,
                "SpaceId": space_id,
                "ProjectId": project_id,
                "Version": 1,
                "Steps": steps,
                "Links": _links(space_id, "deploymentprocesses", process_id),
            },
        )
        channel_seeds = _with_default_channel(project.channels)
        default_channel = ""
        for channel in channel_seeds:
            channel_id = store.next_id("Channels")
            if channel.default:
                default_channel = channel_id
            store.put(
                "channel",
                {
                    "Id": channel_id,
                    "SpaceId": space_id,
                    "ProjectId": project_id,
                    "Name": channel.name,
                    "Slug": slug(channel.name),
                    "Description": "",
                    "LifecycleId": lifecycles[channel.lifecycle.lower()]
                    if channel.lifecycle
                    else None,
                    "IsDefault": channel.default,
                    "Rules": [],
                    "TenantTags": [],
                    "Links": _links(space_id, "channels", channel_id),
                },
                key=f"{project_id}|{channel.name.lower()}",
            )
        arc = project.auto_create_release
        store.put(
            "project",
            {
                "Id": project_id,
                "SpaceId": space_id,
                "Name": project.name,
                "Slug": slug(project.name),
                "Description": "",
                "LifecycleId": lifecycle_id,
                "ProjectGroupId": "ProjectGroups-1",
                "IsDisabled": False,
                "IsVersionControlled": False,
                "DeploymentProcessId": process_id,
                "VariableSetId": f"variableset-{project_id}",
                "TenantedDeploymentMode": project.tenanted,
                "DefaultGuidedFailureMode": "EnvironmentDefault",
                "AutoCreateRelease": bool(arc),
                "ReleaseCreationStrategy": {
                    "ChannelId": default_channel if arc else None,
                    "ReleaseCreationPackage": {"DeploymentAction": arc, "PackageReference": ""}
                    if arc
                    else None,
                    "ReleaseCreationPackageStepId": None,
                },
                "VersioningStrategy": {
                    "Template": None
                    if arc
                    else "#{Octopus.Version.LastMajor}.#{Octopus.Version.LastMinor}."
                    "#{Octopus.Version.NextPatch}",
                    "DonorPackage": {"DeploymentAction": arc, "PackageReference": ""}
                    if arc
                    else None,
                },
                "Links": _links(
                    space_id,
                    "projects",
                    project_id,
                    Releases="/releases{/version}",
                    Channels="/channels",
                    Runbooks="/runbooks",
                ),
            },
            key=key,
        )
        for runbook in project.runbooks:
            runbook_id = store.next_id("Runbooks")
            store.put(
                "runbook",
                {
                    "Id": runbook_id,
                    "SpaceId": space_id,
                    "ProjectId": project_id,
                    "Name": runbook,
                    "Description": "",
                    "EnvironmentScope": "All",
                    "Environments": [],
                    "MultiTenancyMode": project.tenanted,
                    "PublishedRunbookSnapshotId": f"RunbookSnapshots-{runbook_id.split('-')[1]}",
                    "RunbookProcessId": f"RunbookProcess-{runbook_id}",
                    "Links": _links(space_id, "runbooks", runbook_id),
                },
                key=f"{project_id}|{runbook.lower()}",
            )

    for tenant in seed.tenants:
        key = tenant.name.lower()
        if store.by_key("tenant", space_id, key) is not None:
            continue
        for tag in tenant.tags:
            _ensure_tag(store, space_id, tag)
        tenant_id = store.next_id("Tenants")
        project_envs: dict[str, list[str]] = {}
        for project_name, env_names in tenant.projects:
            project_doc = store.by_key("project", space_id, project_name.lower())
            assert project_doc is not None  # references were checked when the seed was parsed
            project_envs[project_doc["Id"]] = [envs[e.lower()] for e in env_names]
        store.put(
            "tenant",
            {
                "Id": tenant_id,
                "SpaceId": space_id,
                "Name": tenant.name,
                "Description": "",
                "TenantTags": list(tenant.tags),
                "ProjectEnvironments": project_envs,
                "ClonedFromTenantId": None,
                "Links": _links(space_id, "tenants", tenant_id),
            },
            key=key,
        )


def _with_default_channel(channels: Sequence[ChannelSeed]) -> list[ChannelSeed]:
    """The project's channels with Octopus's "Default" channel first; exactly one is default."""
    seeds = list(channels)
    if not any(c.name.lower() == "default" for c in seeds):
        seeds.insert(0, ChannelSeed("Default"))
    if not any(c.default for c in seeds):
        seeds[0] = replace(seeds[0], default=True)
    return seeds


def _ensure_tag(store: Store, space_id: str, canonical: str) -> None:
    set_name, tag_name = canonical.split("/", 1)
    tag_set = store.by_key("tagset", space_id, set_name.lower())
    if tag_set is None:
        tag_set_id = store.next_id("TagSets")
        tag_set = {
            "Id": tag_set_id,
            "SpaceId": space_id,
            "Name": set_name,
            "Description": "",
            "SortOrder": 0,
            "Tags": [],
            "Links": _links(space_id, "tagsets", tag_set_id),
        }
    if not any(t["Name"].lower() == tag_name.lower() for t in tag_set["Tags"]):
        tag_set["Tags"].append(
            {
                "Id": f"{tag_set['Id']}-{len(tag_set['Tags']) + 1}",
                "Name": tag_name,
                "CanonicalTagName": canonical,
                "Color": "#333333",
                "Description": "",
                "SortOrder": len(tag_set["Tags"]),
            }
        )
    store.put("tagset", tag_set, key=set_name.lower())


def lifecycle_for(store: Store, project: Document, channel: Document | None) -> Document:
    """The lifecycle a release in ``channel`` follows (the channel's own, else the project's)."""
    lifecycle_id = (channel or {}).get("LifecycleId") or project["LifecycleId"]
    lifecycle = store.get("lifecycle", lifecycle_id)
    if lifecycle is None:
        raise BadRequest("A lifecycle has not been assigned to this project.")
    return lifecycle


def project_steps(store: Store, project: Document) -> list[tuple[str, str]]:
    """``(step name, package id)`` of every package step of the project's deployment process."""
    process = store.get("deploymentprocess", project["DeploymentProcessId"])
    steps: Sequence[Document] = (process or {}).get("Steps", [])
    return [
        (step["Name"], package["PackageId"])
        for step in steps
        for action in step["Actions"]
        for package in action.get("Packages", [])
    ]
