"""Releases, deployments and runbook runs: the rules Octopus applies when they are created, and the
automation (automatic release creation on package push, automatic deployment by lifecycle phase).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from octoci.package_names import canonical_version, validate_version, version_key
from octoci_emulator import version_control
from octoci_emulator.catalog import lifecycle_for, project_step_feeds, project_steps
from octoci_emulator.channel_rules import accepts, check_selected_packages
from octoci_emulator.errors import BadRequest
from octoci_emulator.execution_options import (
    ExecutionOptions,
    ReleaseOptions,
    annotate_task,
    has_prerelease_tag,
    recorded_fields,
    release_fields,
)
from octoci_emulator.feeds import BUILT_IN_FEED, feed_holds, feed_versions, find_feed
from octoci_emulator.lifecycle import progression
from octoci_emulator.resources import iso_time
from octoci_emulator.store import Document

if TYPE_CHECKING:
    from octoci_emulator.app import EmulatorApp

__all__ = [
    "DeployOptions",
    "auto_create_release",
    "check_all_deployable",
    "check_deployable",
    "create_release",
    "deploy",
    "find_release",
    "manual_interventions",
    "run_runbook",
    "uses_guided_failure",
]

log = logging.getLogger("octoci.emulator")

_RELEASE_VERSION_HELP = (
    "The release number '{0}' does not appear to be a valid version number. The version must "
    "consist of between 1 and 4 number only parts before the optional pre-release part. e.g. 2, "
    "2.1, 2.4.0.23, 2.4-beta and 1-beta.2"
)


#: What a stored build information document has that a release's snapshot of it
#: (``ReleasePackageVersionBuildInformationResource``) does not.
_NOT_IN_RELEASE_SNAPSHOT = frozenset(
    {
        "Id",
        "SpaceId",
        "Links",
        "Created",
        "IncompleteDataWarning",
        "LastModifiedOn",
        "LastModifiedBy",
    }
)


def _snapshot_variables(app: EmulatorApp, project: Document, release_id: str) -> str:
    """Freeze the project's variable set for a release (as Octopus snapshots it, so that later
    changes do not alter what the release deploys); the snapshot's id, which
    ``GET variables/{id}`` serves."""
    snapshot_id = f"{project['VariableSetId']}-s-{release_id}"
    variable_set = app.store.get("variableset", project["VariableSetId"])
    if variable_set is not None:
        base = f"/api/{project['SpaceId']}/variables/{snapshot_id}"
        app.store.put("variableset", {**variable_set, "Id": snapshot_id, "Links": {"Self": base}})
    return snapshot_id


def _release_key(project_id: str, version: str) -> str:
    try:
        return f"{project_id}|{canonical_version(version).lower()}"
    except ValueError:
        return f"{project_id}|{version.lower()}"


def find_release(app: EmulatorApp, project: Document, version: str) -> Document | None:
    """The project's release ``version`` (versions compare as Octopus compares them)."""
    return app.store.by_key("release", project["SpaceId"], _release_key(project["Id"], version))


def _latest_package(
    app: EmulatorApp, space_id: str, package_id: str, accept: Callable[[str], bool] | None = None
) -> str | None:
    versions = [
        p["Version"]
        for p in app.store.list(
            "package", space_id, lambda p: p["PackageId"].lower() == package_id.lower()
        )
        if accept is None or accept(p["Version"])
    ]
    return max(versions, key=version_key) if versions else None


def _accepted(in_channel: Callable[[str], bool], prerelease: str, version: str) -> bool:
    return in_channel(version) and has_prerelease_tag(version, prerelease)


def _select_packages(
    app: EmulatorApp,
    project: Document,
    package_version: str,
    packages: Sequence[str],
    channel: Document | None = None,
    prerelease: str = "",
) -> list[Document]:
    """``SelectedPackages`` from the Executions API's ``PackageVersion`` and ``Packages`` rules;
    a step without a version gets its latest package that ``channel``'s rules accept."""
    # (who, version): the version is after the last ":"; who is a step or package name, or
    # StepName:PackageReferenceName (a Maven package id has a ":" of its own: group:artifact).
    explicit: list[tuple[str, str]] = []
    known = {n.lower() for pair in project_steps(app.store, project) for n in pair}
    for spec in packages:
        who, _, wanted = spec.rpartition(":")
        # More than three parts only where the step or package name has a ":" of its own.
        has_colons = who.lower() in known or who.lower().rpartition(":")[0] in known
        if not who or not wanted or (who.count(":") > 1 and not has_colons):
            raise BadRequest(
                f"The package '{spec}' is not in the form StepName:Version, PackageId:Version or "
                "StepName:PackageReferenceName:Version."
            )
        explicit.append((who, wanted))
    selected = []
    feed_ids = project_step_feeds(app.store, project)
    for step, package_id in project_steps(app.store, project):
        feed = find_feed(app.store, project["SpaceId"], feed_ids.get(step.lower(), BUILT_IN_FEED))
        if feed is None:
            raise BadRequest(
                f"Could not find a feed with ID {feed_ids.get(step.lower())}, which is used by "
                f"step: {step}"
            )
        external = feed["Id"] != BUILT_IN_FEED
        version = ""
        names = {step.lower(), package_id.lower()}
        for who, wanted in explicit:
            if who == "*" or who.lower() in names or who.lower().rpartition(":")[0] in names:
                version = wanted
        version = version or package_version
        if not version:
            # PackagePrerelease narrows the channel's versions to those with that tag.
            in_channel = partial(accepts, channel, step, "")
            wanted_here = partial(_accepted, in_channel, prerelease)
            if external:
                # An external feed is asked now, as Octopus asks it (newest first).
                latest = next(
                    iter(feed_versions(app.store, feed, package_id, accept=wanted_here)), None
                )
            else:
                latest = _latest_package(app, project["SpaceId"], package_id, wanted_here)
            if latest is None:
                raise BadRequest(
                    f"Could not find a version of package '{package_id}' for step '{step}' in "
                    f"the feed '{feed['Name']}'. Push the package first, or specify its version."
                )
            version = latest
        elif external and not feed_holds(app.store, feed, package_id, version):
            # Octopus's words for a selected version its feed does not have (its release page
            # says "The package X version Y was not found in the feed").
            raise BadRequest(
                f"The package {package_id} version {version} was not found in the feed "
                f"'{feed['Name']}' (step '{step}'). Push it to the repository the feed reads, "
                "or select a version the feed holds."
            )
        problem = validate_version(version) if not external or feed["FeedType"] != "Maven" else None
        if problem is not None:
            raise BadRequest(
                f"The version '{version}' of package '{package_id}' is not valid: {problem}."
            )
        selected.append(
            {
                "ActionName": step,
                "StepName": step,
                "PackageReferenceName": "",
                "Version": version,
                "_PackageId": package_id,
                "_FeedId": feed["Id"],
            }
        )
    return selected


def _next_version(app: EmulatorApp, project: Document, selected: Sequence[Document]) -> str:
    donor = (project.get("VersioningStrategy") or {}).get("DonorPackage") or {}
    for package in selected:
        if donor and package["ActionName"].lower() == str(donor.get("DeploymentAction")).lower():
            return str(package["Version"])
    versions = [
        r["Version"]
        for r in app.store.list(
            "release", project["SpaceId"], lambda r: r["ProjectId"] == project["Id"]
        )
    ]
    if not versions:
        return "0.0.1"
    latest = max(versions, key=version_key)
    numbers = [int(p) for p in latest.partition("-")[0].partition("+")[0].split(".")]
    numbers += [0] * (3 - len(numbers))
    return f"{numbers[0]}.{numbers[1]}.{numbers[2] + 1}"


def _channel(app: EmulatorApp, project: Document, name: str) -> Document:
    channels = app.store.list(
        "channel", project["SpaceId"], lambda c: c["ProjectId"] == project["Id"]
    )
    if name:
        for channel in channels:
            if name.lower() in {channel["Name"].lower(), channel["Id"].lower()}:
                return channel
        raise BadRequest(f"Could not find channel '{name}' in project '{project['Name']}'.")
    default = next((c for c in channels if c["IsDefault"]), None)
    if default is None:
        raise BadRequest(
            "A channelId must be provided for a release when more than one exists for that "
            "project and no default channel has been specified."
        )
    return default


def create_release(
    app: EmulatorApp,
    project: Document,
    *,
    version: str = "",
    channel_name: str = "",
    package_version: str = "",
    packages: Sequence[str] = (),
    release_notes: str = "",
    ignore_if_exists: bool = False,
    selected: Sequence[Document] | None = None,
    git_ref: str = "",
    git_commit: str = "",
    ignore_channel_rules: bool = False,
    options: ReleaseOptions | None = None,
) -> tuple[Document, bool]:
    """Create a release (``(release, True)``), or return the existing one with ``ignore_if_exists``
    (``(release, False)``); then deploy it wherever its lifecycle deploys automatically.

    A version-controlled project needs ``git_ref`` (and records it with its commit); a project
    stored in the database refuses one (:mod:`octoci_emulator.version_control`)."""
    if project.get("IsDisabled"):
        raise BadRequest("The project is disabled, so releases cannot be created.")
    git_reference = version_control.reference(project, git_ref, git_commit)
    channel = _channel(app, project, channel_name)
    chosen = (
        list(selected)
        if selected is not None
        else _select_packages(
            app,
            project,
            package_version,
            packages,
            None if ignore_channel_rules else channel,
            options.package_prerelease if options else "",
        )
    )
    version = version.strip() or _next_version(app, project, chosen)
    if validate_version(version) is not None:
        raise BadRequest(_RELEASE_VERSION_HELP.format(version))
    with app.store.transaction():
        existing = find_release(app, project, version)
        if existing is not None:
            if ignore_if_exists:
                return existing, False
            raise BadRequest(
                f"Release '{version}' already exists for this project. Please use a different "
                "version, or look at using a mask to auto-increment the number."
            )
        if not ignore_channel_rules:
            check_selected_packages(project, channel, chosen)
        release_id = app.store.next_id("Releases")
        space_id = project["SpaceId"]
        build_information = []
        for package in chosen:
            info = app.store.by_key(
                "buildinfo",
                space_id,
                f"{package['_PackageId'].lower()}|{canonical_version(package['Version'])}",
            )
            if info is not None:
                build_information.append(
                    {k: v for k, v in info.items() if k not in _NOT_IN_RELEASE_SNAPSHOT}
                )
        release = {
            "Id": release_id,
            "SpaceId": space_id,
            "ProjectId": project["Id"],
            "ChannelId": channel["Id"],
            "Version": version,
            "ReleaseNotes": release_notes or None,
            "Assembled": iso_time(),
            "IgnoreChannelRules": ignore_channel_rules,
            "SelectedPackages": [
                {k: v for k, v in p.items() if not k.startswith("_")} for p in chosen
            ],
            "SelectedGitResources": [],
            "BuildInformation": build_information,
            "ProjectDeploymentProcessSnapshotId": f"deploymentprocess-{project['Id']}-s1",
            "ProjectVariableSetSnapshotId": _snapshot_variables(app, project, release_id),
            "LibraryVariableSetSnapshotIds": [],
            "VersionControlReference": git_reference,
            "LastModifiedOn": None,
            "LastModifiedBy": None,
            "Links": {
                "Self": f"/api/{space_id}/releases/{release_id}",
                "Project": f"/api/{space_id}/projects/{project['Id']}",
                "Progression": f"/api/{space_id}/releases/{release_id}/progression",
                "Deployments": f"/api/{space_id}/releases/{release_id}/deployments{{?skip,take}}",
            },
            "_Packages": {p["_PackageId"].lower(): p["Version"] for p in chosen},
            # The feed each step's package comes from (a deployment takes it from there).
            "_PackageFeeds": {p["ActionName"]: p.get("_FeedId", BUILT_IN_FEED) for p in chosen},
            **release_fields(options),
        }
        app.store.put("release", release, key=_release_key(project["Id"], version))
    auto_deploy(app, release)
    return release, True


@dataclass(frozen=True)
class DeployOptions:
    """Options of a deployment that the emulator records and echoes back."""

    use_guided_failure: bool | None = None
    force_package_download: bool = False
    variables: Mapping[str, str] = field(default_factory=dict)
    comments: str = ""
    run_at: float | None = None
    #: Who asked (the ``DeployedBy`` of the deployment or runbook run).
    deployed_by: str = ""
    #: Steps to skip, targets, expiry, snapshot update, freeze override.
    extra: ExecutionOptions = field(default_factory=ExecutionOptions)


def uses_guided_failure(
    requested: bool | None, owner: Mapping[str, object], environment: Document
) -> bool:
    """Octopus's rule: the request's ``UseGuidedFailure`` when it says one, else the project's
    (or runbook's) ``DefaultGuidedFailureMode`` (``On``/``Off``), else the environment's
    ``UseGuidedFailure``."""
    if requested is not None:
        return requested
    mode = str(owner.get("DefaultGuidedFailureMode") or "EnvironmentDefault")
    if mode in {"On", "Off"}:
        return mode == "On"
    return bool(environment.get("UseGuidedFailure"))


def manual_interventions(
    app: EmulatorApp, project: Document, environment_id: str
) -> list[dict[str, str]]:
    """The enabled ``Octopus.Manual`` actions of the project's process that apply in
    ``environment_id`` (an action without environments applies everywhere), in order."""
    process = app.store.get("deploymentprocess", project["DeploymentProcessId"]) or {}
    found = []
    for step in process.get("Steps", []):
        for action in step.get("Actions", []):
            if action.get("ActionType") != "Octopus.Manual" or action.get("IsDisabled"):
                continue
            scope = action.get("Environments") or []
            excluded = action.get("ExcludedEnvironments") or []
            if (scope and environment_id not in scope) or environment_id in excluded:
                continue
            properties = action.get("Properties") or {}
            found.append(
                {
                    "Name": str(action.get("Name") or step.get("Name")),
                    "Instructions": str(properties.get("Octopus.Action.Manual.Instructions", "")),
                }
            )
    return found


def _execution_fields(options: DeployOptions, task: Document) -> Document:
    """Properties deployments and runbook runs share (``DeploymentResource``/``RunbookRunResource``)."""
    return {
        "Comments": options.comments or None,
        "Created": iso_time(),
        "QueueTime": task["QueueTime"] if options.run_at else None,
        "QueueTimeExpiry": None,
        "FormValues": dict(options.variables),
        "ForcePackageDownload": options.force_package_download,
        "SkipActions": [],
        "SpecificMachineIds": [],
        "ExcludedMachineIds": [],
        "DeployedToMachineIds": [],
        "FailureEncountered": False,
        "DeployedBy": options.deployed_by or None,
        "DeployedById": "Users-1" if options.deployed_by else None,
        "TentacleRetentionPeriod": {
            "Unit": "Days",
            "QuantityToKeep": 30,
            "ShouldKeepForever": False,
        },
        "LastModifiedOn": None,
        "LastModifiedBy": None,
    }


def _tenant_ok(tenant: Document, project_id: str, environment_id: str) -> bool:
    return environment_id in tenant.get("ProjectEnvironments", {}).get(project_id, [])


def check_deployable(
    app: EmulatorApp, release: Document, environment: Document, tenant: Document | None = None
) -> Document:
    """The release's project, when Octopus would deploy ``release`` to ``environment`` (for
    ``tenant``) now; else the 400 it answers (tenancy, then the lifecycle). A request for several
    environments or tenants checks each before it creates any (:func:`check_all_deployable`)."""
    store = app.store
    project = store.get("project", release["ProjectId"])
    assert project is not None  # a release always belongs to a project
    mode = project["TenantedDeploymentMode"]
    if tenant is None and mode == "Tenanted":
        raise BadRequest(
            f"Project '{project['Name']}' can only be deployed to tenants; use the "
            "tenanted deployment endpoint."
        )
    if tenant is not None and mode == "Untenanted":
        raise BadRequest(f"Project '{project['Name']}' does not support tenanted deployments.")
    if tenant is not None and not _tenant_ok(tenant, project["Id"], environment["Id"]):
        raise BadRequest(
            f"Tenant '{tenant['Name']}' is not connected to project '{project['Name']}' in "
            f"environment '{environment['Name']}'."
        )
    channel = store.get("channel", release["ChannelId"])
    lifecycle = lifecycle_for(store, project, channel)
    state = progression(store, release, lifecycle)
    if state.phase_of(environment["Id"]) is None:
        raise BadRequest(
            f"Release '{release['Version']}' of project '{project['Name']}' cannot be deployed to "
            f"environment '{environment['Name']}' because the lifecycle '{lifecycle['Name']}' "
            "does not include that environment."
        )
    if not state.allowed(environment["Id"]):
        blocking = state.blocking_phase()
        phase_name = blocking.phase["Name"] if blocking else "an earlier"
        raise BadRequest(
            f"Release '{release['Version']}' of project '{project['Name']}' cannot be deployed to "
            f"environment '{environment['Name']}' yet: the lifecycle '{lifecycle['Name']}' "
            f"requires the '{phase_name}' phase to be complete first."
        )
    return project


def check_all_deployable(
    app: EmulatorApp, release: Document, targets: Sequence[tuple[Document, Document | None]]
) -> None:
    """Refuse a many-environment (or many-tenant) request as a whole: every ``(environment,
    tenant)`` is checked before the first deployment is created, and every refusal is answered."""
    errors: list[str] = []
    for environment, tenant in targets:
        try:
            check_deployable(app, release, environment, tenant)
        except BadRequest as exc:
            errors += [e for e in exc.errors if e not in errors]
    if errors:
        raise BadRequest(*errors)


def deploy(
    app: EmulatorApp,
    release: Document,
    environment: Document,
    tenant: Document | None = None,
    options: DeployOptions | None = None,
) -> Document:
    """Create a deployment and its queued task, after the lifecycle and tenant checks."""
    options = options or DeployOptions()
    store = app.store
    project = check_deployable(app, release, environment, tenant)
    space_id = release["SpaceId"]
    guided_failure = uses_guided_failure(options.use_guided_failure, project, environment)
    process_id = project["DeploymentProcessId"]
    extra = recorded_fields(store, options.extra, environment, process_id)
    with store.transaction():
        if options.extra.update_variable_snapshot:
            _snapshot_variables(app, project, release["Id"])
        deployment_id = store.next_id("Deployments")
        tenant_part = f" for {tenant['Name']}" if tenant else ""
        description = (
            f"Deploy {project['Name']} release {release['Version']} to "
            f"{environment['Name']}{tenant_part}"
        )
        task = app.tasks.create(
            space_id,
            "Deploy",
            description,
            {"DeploymentId": deployment_id},
            {
                "project": project["Name"],
                "environment": environment["Name"],
                "tenant": tenant["Name"] if tenant else "",
            },
            project_id=project["Id"],
            run_at=options.run_at,
            guided_failure=guided_failure,
            interventions=manual_interventions(app, project, environment["Id"]),
            related=[
                deployment_id,
                project["Id"],
                environment["Id"],
                release["Id"],
                tenant["Id"] if tenant else "",
            ],
        )
        deployment = {
            "Id": deployment_id,
            "SpaceId": space_id,
            "ProjectId": project["Id"],
            "ReleaseId": release["Id"],
            "ChannelId": release["ChannelId"],
            "EnvironmentId": environment["Id"],
            "TenantId": tenant["Id"] if tenant else None,
            "TaskId": task["Id"],
            "Name": f"Deploy to {environment['Name']}{tenant_part}",
            **_execution_fields(options, task),
            "UseGuidedFailure": guided_failure,
            "ForcePackageRedeployment": False,
            "DeploymentProcessId": release["ProjectDeploymentProcessSnapshotId"],
            "ManifestVariableSetId": release["ProjectVariableSetSnapshotId"],
            "Changes": [],
            "ChangesMarkdown": None,
            "Links": {
                "Self": f"/api/{space_id}/deployments/{deployment_id}",
                "Release": f"/api/{space_id}/releases/{release['Id']}",
                "Environment": f"/api/{space_id}/environments/{environment['Id']}",
                "Project": f"/api/{space_id}/projects/{project['Id']}",
                "Task": f"/api/tasks/{task['Id']}",
                "Interruptions": f"/api/{space_id}/interruptions?regarding={deployment_id}",
                "Web": f"/app#/{space_id}/deployments/{deployment_id}",
            },
        }
        deployment.update(extra)
        annotate_task(store, task, options.extra, process_id)
        store.put("deployment", deployment)
    return deployment


def auto_deploy(app: EmulatorApp, release: Document) -> list[Document]:
    """Deploy ``release`` to the automatic environments of its open lifecycle phases."""
    store = app.store
    project = store.get("project", release["ProjectId"])
    if project is None:
        return []
    lifecycle = lifecycle_for(store, project, store.get("channel", release["ChannelId"]))
    started = []
    existing = {
        d["EnvironmentId"]
        for d in store.list(
            "deployment", release["SpaceId"], lambda d: d["ReleaseId"] == release["Id"]
        )
    }
    for environment_id in progression(store, release, lifecycle).automatic_targets():
        if environment_id in existing:
            continue
        environment = store.get("environment", environment_id)
        if environment is None:
            continue
        tenants: list[Document | None] = [None]
        if project["TenantedDeploymentMode"] == "Tenanted":
            tenants = [
                t
                for t in store.list("tenant", release["SpaceId"])
                if _tenant_ok(t, project["Id"], environment_id)
            ]
        for tenant in tenants:
            try:
                started.append(deploy(app, release, environment, tenant))
            except BadRequest as exc:
                log.warning(
                    "automatic deployment of %s to %s failed: %s",
                    release["Id"],
                    environment["Name"],
                    exc.errors,
                )
    return started


def after_task(app: EmulatorApp, task: Document) -> None:
    """When a deployment succeeds, the next phase may open: deploy its automatic environments."""
    deployment_id = task.get("Arguments", {}).get("DeploymentId")
    if task["State"] != "Success" or not deployment_id:
        return
    deployment = app.store.get("deployment", deployment_id)
    if deployment is None:
        return
    release = app.store.get("release", deployment["ReleaseId"])
    if release is not None:
        auto_deploy(app, release)


def auto_create_release(app: EmulatorApp, package: Document) -> list[Document]:
    """Automatic release creation (Octopus's built-in package repository trigger): a pushed
    package creates a release in every project whose release-creation package it is, in the
    trigger's channel, with that package and the latest versions of the other packages, and the
    build information stored at that moment; its version follows the project's release
    versioning (the donor package's version, else the next patch). A release of that version
    that exists already is left alone, as Octopus does. The release then deploys itself by its
    lifecycle."""
    created = []
    space_id = package["SpaceId"]
    for project in app.store.list("project", space_id, lambda p: bool(p.get("AutoCreateRelease"))):
        strategy = project.get("ReleaseCreationStrategy") or {}
        step = (strategy.get("ReleaseCreationPackage") or {}).get("DeploymentAction") or ""
        steps = dict(project_steps(app.store, project))
        if steps.get(step, "").lower() != package["PackageId"].lower():
            continue
        try:
            channel = app.store.get("channel", strategy.get("ChannelId") or "")
            if not accepts(
                channel or _channel(app, project, ""), step, "", str(package["Version"])
            ):
                # As Octopus: a version the channel's rules refuse creates no release.
                log.info(
                    "no automatic release of %s: %s %s does not satisfy the channel's rules",
                    project["Name"],
                    package["PackageId"],
                    package["Version"],
                )
                continue
            selected = _select_packages(app, project, "", [f"{step}:{package['Version']}"], channel)
            version = _next_version(app, project, selected)
            if find_release(app, project, version) is not None:
                continue
            release, _ = create_release(
                app,
                project,
                version=version,
                channel_name=channel["Name"] if channel else "",
                selected=selected,
            )
            created.append(release)
        except BadRequest as exc:
            log.warning("automatic release creation for %s failed: %s", project["Name"], exc.errors)
    return created


def run_runbook(
    app: EmulatorApp,
    project: Document,
    runbook_name: str,
    environment: Document,
    tenant: Document | None,
    options: DeployOptions,
    git_reference: Document | None = None,
) -> Document:
    """Create a runbook run and its queued task (``git_reference``: a Git runbook's
    ``{GitRef, GitCommit}``, recorded as the run's ``GitReference``)."""
    store = app.store
    runbook = next(
        (
            r
            for r in store.list("runbook", project["SpaceId"])
            if r["ProjectId"] == project["Id"]
            and runbook_name.lower() in {r["Name"].lower(), r["Id"].lower()}
        ),
        None,
    )
    if runbook is None:
        raise BadRequest(f"Could not find runbook '{runbook_name}' in project '{project['Name']}'.")
    scope = runbook.get("Environments") or []
    if runbook.get("EnvironmentScope") == "Specified" and environment["Id"] not in scope:
        raise BadRequest(
            f"Runbook '{runbook['Name']}' cannot run in environment '{environment['Name']}'."
        )
    if tenant is not None and not _tenant_ok(tenant, project["Id"], environment["Id"]):
        raise BadRequest(
            f"Tenant '{tenant['Name']}' is not connected to project '{project['Name']}' in "
            f"environment '{environment['Name']}'."
        )
    space_id = project["SpaceId"]
    guided_failure = uses_guided_failure(options.use_guided_failure, runbook, environment)
    process_id = str(runbook.get("RunbookProcessId") or "")
    extra = recorded_fields(store, options.extra, environment, process_id)
    with store.transaction():
        run_id = store.next_id("RunbookRuns")
        task = app.tasks.create(
            space_id,
            "RunbookRun",
            f"Run {runbook['Name']} in {environment['Name']}",
            {"RunbookRunId": run_id},
            {
                "project": project["Name"],
                "environment": environment["Name"],
                "runbook": runbook["Name"],
                "tenant": tenant["Name"] if tenant else "",
            },
            project_id=project["Id"],
            run_at=options.run_at,
            guided_failure=guided_failure,
            related=[run_id, project["Id"], environment["Id"], tenant["Id"] if tenant else ""],
        )
        run = {
            "Id": run_id,
            "SpaceId": space_id,
            "ProjectId": project["Id"],
            "RunbookId": runbook["Id"],
            "RunbookSnapshotId": runbook["PublishedRunbookSnapshotId"],
            "EnvironmentId": environment["Id"],
            "TenantId": tenant["Id"] if tenant else None,
            "TaskId": task["Id"],
            "Name": f"Run {runbook['Name']}",
            **_execution_fields(options, task),
            "UseGuidedFailure": guided_failure,
            "FrozenRunbookProcessId": f"{runbook['RunbookProcessId']}-s1",
            # Only a Git runbook's run has one (Octopus 2021.2's RunbookRunResource has none).
            **({"GitReference": git_reference} if git_reference else {}),
            "ManifestVariableSetId": f"variableset-{project['Id']}-s1",
            "Links": {
                "Self": f"/api/{space_id}/runbookRuns/{run_id}",
                "Task": f"/api/tasks/{task['Id']}",
                "Runbook": f"/api/{space_id}/runbooks/{runbook['Id']}",
                "Environment": f"/api/{space_id}/environments/{environment['Id']}",
            },
        }
        run.update(extra)
        annotate_task(store, task, options.extra, process_id)
        store.put("runbookrun", run)
    return run
