"""Looking up the Octopus model in the store, and seeding it: a seed file becomes the same calls
to :mod:`octoci_emulator.model_writes` that the REST API's writes make.

Seeding is idempotent by name, so seeding a persistent ``--data-dir`` twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from octoci.errors import InputError
from octoci_emulator import model_writes
from octoci_emulator.errors import ApiError, BadRequest, NotFound
from octoci_emulator.execution_options import seed_machines
from octoci_emulator.feeds import BUILT_IN_FEED, space_feeds
from octoci_emulator.model_process import create_runbook_snapshot, package_step, update_process
from octoci_emulator.model_writes import slug
from octoci_emulator.seed import (
    DEFAULT_LIFECYCLE,
    ChannelSeed,
    FeedSeed,
    ManualInterventionSeed,
    ProjectSeed,
    Seed,
    SpaceSeed,
)
from octoci_emulator.store import Document, Store
from octoci_emulator.version_control import persistence_settings

__all__ = [
    "apply_seed",
    "default_space",
    "find_named",
    "lifecycle_for",
    "project_step_feeds",
    "project_steps",
    "slug",
]


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


def apply_seed(store: Store, seed: Seed) -> None:
    """Create everything ``seed`` describes that does not exist yet, in one transaction.

    The seed goes through the same model functions as the REST API's writes, in the order a
    client configuring Octopus would call them.
    """
    seed = seed.with_defaults()
    try:
        _apply(store, seed)
    except ApiError as exc:
        # The seed was checked when it was read; what the model refuses beyond that (against a
        # persistent data dir, say) is still one line, and the transaction left nothing behind.
        raise InputError(
            f"the seed cannot be applied: {' '.join(exc.errors) or exc.message}"
        ) from exc


def _apply(store: Store, seed: Seed) -> None:
    with store.transaction():
        # A persistent data dir keeps the default it has: a later seed adds spaces beside it.
        has_default = any(s.get("IsDefault") for s in store.list("space"))
        for space_seed in seed.spaces:
            if has_default:
                space_seed = replace(space_seed, default=False)
            space = store.by_key("space", None, space_seed.name.lower())
            fresh = space is None
            if space is None:
                space = model_writes.create(
                    store,
                    "spaces",
                    None,
                    {
                        "Name": space_seed.name,
                        "Description": space_seed.description,
                        "IsDefault": space_seed.default,
                    },
                )
            _seed_space(store, space["Id"], space_seed, fresh=fresh)


def _missing(store: Store, kind: str, space_id: str, key: str) -> bool:
    # Seeding a persistent data dir again changes nothing: what exists by name is kept.
    return store.by_key(kind, space_id, key) is None


def _create(store: Store, collection: str, space_id: str, body: Document) -> Document:
    return model_writes.create(store, collection, space_id, body)


def _seed_space(store: Store, space_id: str, seed: SpaceSeed, *, fresh: bool) -> None:
    guided = {e.lower() for e in seed.guided_failure}
    for name in seed.environments:
        if _missing(store, "environment", space_id, name.lower()):
            body = {"Name": name, "UseGuidedFailure": name.lower() in guided}
            _create(store, "environments", space_id, body)
    envs = {e["Name"].lower(): e["Id"] for e in store.list("environment", space_id)}
    seed_machines(store, space_id, seed.machines, envs)
    for feed in seed.feeds:
        if _missing(store, "feed", space_id, feed.name.lower()):
            _create(store, "feeds", space_id, _feed_body(feed))

    for lifecycle in seed.lifecycles:
        existing = store.by_key("lifecycle", space_id, lifecycle.name.lower())
        # A new space comes with a phase-less "Default Lifecycle"; a seed may give it phases.
        if existing is None or (fresh and lifecycle.phases):
            phases = [
                {
                    "Name": phase.name,
                    "AutomaticDeploymentTargets": [envs[e.lower()] for e in phase.automatic],
                    "OptionalDeploymentTargets": [envs[e.lower()] for e in phase.optional],
                    "MinimumEnvironmentsBeforePromotion": phase.minimum,
                    "IsOptionalPhase": phase.is_optional,
                }
                for phase in lifecycle.phases
            ]
            body = {"Name": lifecycle.name, "Phases": phases}
            if existing is None:
                _create(store, "lifecycles", space_id, body)
            else:
                model_writes.modify(store, "lifecycles", space_id, existing["Id"], body)
    lifecycles = {lc["Name"].lower(): lc["Id"] for lc in store.list("lifecycle", space_id)}
    group = store.list("projectgroup", space_id)[0]

    for project in seed.projects:
        if _missing(store, "project", space_id, project.name.lower()):
            _seed_project(store, space_id, project, lifecycles, group["Id"], envs)

    for tenant in seed.tenants:
        if not _missing(store, "tenant", space_id, tenant.name.lower()):
            continue
        for tag in tenant.tags:
            _ensure_tag(store, space_id, tag)
        connections = {}
        for project_name, env_names in tenant.projects:
            project_doc = store.by_key("project", space_id, project_name.lower())
            assert project_doc is not None  # references were checked when the seed was parsed
            connections[project_doc["Id"]] = [envs[e.lower()] for e in env_names]
        _create(
            store,
            "tenants",
            space_id,
            {
                "Name": tenant.name,
                "TenantTags": list(tenant.tags),
                "ProjectEnvironments": connections,
            },
        )


def _seed_project(
    store: Store,
    space_id: str,
    seed: ProjectSeed,
    lifecycles: dict[str, str],
    group_id: str,
    envs: dict[str, str],
) -> None:
    lifecycle_id = lifecycles[(seed.lifecycle or DEFAULT_LIFECYCLE).lower()]
    body: Document = {
        "Name": seed.name,
        "LifecycleId": lifecycle_id,
        "ProjectGroupId": group_id,
        "TenantedDeploymentMode": seed.tenanted,
        "DefaultGuidedFailureMode": seed.guided_failure,
    }
    if seed.version_controlled:
        body["IsVersionControlled"] = True
        body["PersistenceSettings"] = persistence_settings(
            seed.version_controlled, seed.default_branch, f".octopus/{slug(seed.name)}"
        )
    project = _create(store, "projects", space_id, body)
    # Manual interventions first: the deployment waits for approval before it deploys.
    steps = [_manual_step(step, envs) for step in seed.manual_interventions]
    feeds = {f["Name"].lower(): f["Id"] for f in space_feeds(store, space_id)}
    feed_of = {package.lower(): feeds[feed.lower()] for package, feed in seed.package_feeds}
    steps += [
        package_step(package, package, feed_of.get(package.lower(), BUILT_IN_FEED))
        for package in seed.packages
    ]
    if steps:
        update_process(store, space_id, project["DeploymentProcessId"], {"Steps": steps})
    default_channel = ""
    # The Default channel the project was created with is changed last, so that a seed making
    # another channel the default never leaves the project without one in between.
    channels = sorted(
        _with_default_channel(seed.channels), key=lambda c: c.name.lower() == "default"
    )
    for channel in channels:
        channel_body = {
            "ProjectId": project["Id"],
            "Name": channel.name,
            "LifecycleId": lifecycles[channel.lifecycle.lower()] if channel.lifecycle else None,
            "IsDefault": channel.default,
            "Rules": [
                {
                    "ActionPackages": [
                        {"DeploymentAction": step, "PackageReference": ""} for step in rule.steps
                    ],
                    "VersionRange": rule.version_range,
                    "Tag": rule.tag,
                }
                for rule in channel.rules
            ],
        }
        existing = store.by_key("channel", space_id, f"{project['Id']}|{channel.name.lower()}")
        if existing is None:
            stored = _create(store, "channels", space_id, channel_body)
        else:
            stored = model_writes.modify(store, "channels", space_id, existing["Id"], channel_body)
        if channel.default:
            default_channel = stored["Id"]
    arc = seed.auto_create_release
    if arc:
        model_writes.modify(
            store,
            "projects",
            space_id,
            project["Id"],
            {
                **body,
                "AutoCreateRelease": True,
                "ReleaseCreationStrategy": {
                    "ChannelId": default_channel,
                    "ReleaseCreationPackage": {"DeploymentAction": arc, "PackageReference": ""},
                },
                "VersioningStrategy": {
                    "DonorPackage": {"DeploymentAction": arc, "PackageReference": ""}
                },
            },
        )
    for runbook in seed.runbooks:
        created = _create(
            store,
            "runbooks",
            space_id,
            {
                "ProjectId": project["Id"],
                "Name": runbook,
                "MultiTenancyMode": seed.tenanted,
                "DefaultGuidedFailureMode": seed.guided_failure,
            },
        )
        create_runbook_snapshot(
            store, space_id, {"RunbookId": created["Id"], "ProjectId": project["Id"]}, publish=True
        )


def _feed_body(seed: FeedSeed) -> Document:
    """The ``FeedResource`` a client would post for a seeded feed (only its type's fields)."""
    body: Document = {
        "Name": seed.name,
        "FeedType": seed.feed_type,
        "FeedUri": seed.uri,
        "Username": seed.username or None,
        "Password": seed.password or None,
        "Repository": seed.repository,
        "LayoutRegex": seed.layout_regex or None,
        "Region": seed.region or None,
        "AccessKey": seed.access_key or None,
        "SecretKey": seed.secret_key or None,
        "UseMachineCredentials": seed.use_machine_credentials,
    }
    return body


def _manual_step(seed: ManualInterventionSeed, envs: dict[str, str]) -> dict[str, object]:
    """A manual intervention step (``Octopus.Manual``) as the Octopus UI creates it."""
    return {
        "Name": seed.name,
        "Actions": [
            {
                "Name": seed.name,
                "ActionType": "Octopus.Manual",
                "Environments": [envs[e.lower()] for e in seed.environments],
                "Properties": {
                    "Octopus.Action.Manual.Instructions": seed.instructions,
                    "Octopus.Action.Manual.BlockConcurrentDeployments": "False",
                    "Octopus.Action.RunOnServer": "true",
                },
            }
        ],
    }


def _with_default_channel(channels: Sequence[ChannelSeed]) -> list[ChannelSeed]:
    """The project's channels with Octopus's "Default" channel first; exactly one is default."""
    seeds = list(channels)
    if not any(c.name.lower() == "default" for c in seeds):
        seeds.insert(0, ChannelSeed("Default"))
    if not any(c.default for c in seeds):
        seeds[0] = replace(seeds[0], default=True)
    return seeds


def _ensure_tag(store: Store, space_id: str, canonical: str) -> None:
    """Create the tag set and the tag ``canonical`` (``Set/Tag``) names, if they are missing."""
    set_name, tag_name = canonical.split("/", 1)
    tag_set = store.by_key("tagset", space_id, set_name.lower())
    if tag_set is None:
        _create(store, "tagsets", space_id, {"Name": set_name, "Tags": [{"Name": tag_name}]})
    elif not any(t["Name"].lower() == tag_name.lower() for t in tag_set["Tags"]):
        tags = [*tag_set["Tags"], {"Name": tag_name}]
        model_writes.modify(store, "tagsets", space_id, tag_set["Id"], {**tag_set, "Tags": tags})


def lifecycle_for(store: Store, project: Document, channel: Document | None) -> Document:
    """The lifecycle a release in ``channel`` follows (the channel's own, else the project's)."""
    lifecycle_id = (channel or {}).get("LifecycleId") or project["LifecycleId"]
    lifecycle = store.get("lifecycle", lifecycle_id)
    if lifecycle is None:
        raise BadRequest("A lifecycle has not been assigned to this project.")
    return lifecycle


def project_steps(store: Store, project: Document) -> list[tuple[str, str]]:
    """``(action name, package id)`` of every package of the project's deployment process
    (releases select packages by action name, as in Octopus); disabled actions take none."""
    process = store.get("deploymentprocess", project["DeploymentProcessId"])
    steps: Sequence[Document] = (process or {}).get("Steps", [])
    return [
        (action["Name"], package["PackageId"])
        for step in steps
        for action in step["Actions"]
        if not action.get("IsDisabled")
        for package in action.get("Packages", [])
    ]


def project_step_feeds(store: Store, project: Document) -> dict[str, str]:
    """The feed id of each package action of the project's process, by lower-case action name
    (the same actions as :func:`project_steps`)."""
    process = store.get("deploymentprocess", project["DeploymentProcessId"])
    steps: Sequence[Document] = (process or {}).get("Steps", [])
    return {
        action["Name"].lower(): str(package.get("FeedId") or BUILT_IN_FEED)
        for step in steps
        for action in step["Actions"]
        if not action.get("IsDisabled")
        for package in action.get("Packages", [])
    }
