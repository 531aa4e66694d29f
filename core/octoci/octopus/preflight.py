"""The pre-flight: everything a run will ask of Octopus, checked with reads only, before anything
is created - who the key belongs to and what it may do, the space, the project and channel, the
environments and tenants of a deployment and a promotion, the deployment process's other
packages, the feeds of the steps that take packages this run pushes to other repositories
(each must read the repository its package goes to) and an existing release.

Example::

    check = check_server(connection, ServerNeeds(package_ids=("Acme.Web",),
                                                 release=ReleaseRequest(project="Shop")))
    check.project["Name"], check.release_exists, check.notes
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from octoci.errors import InputError, OctociError
from octoci.octopus.channels import check_release_packages
from octoci.octopus.connection import Connection
from octoci.octopus.errors import (
    OctopusApiError,
    OctopusAuthError,
    ServerTooOldError,
)
from octoci.octopus.executions import (
    DeployRequest,
    ReleaseRequest,
    check_deployment_lifecycle,
    find_channel,
    find_project,
    find_release,
    plan_deployment,
)
from octoci.octopus.feeds import (
    ExternalPackage,
    external_problems,
    external_selection,
    step_feeds,
)
from octoci.octopus.git_refs import git_reference
from octoci.octopus.lifecycles import check_lifecycle
from octoci.octopus.packages import OverwriteMode
from octoci.octopus.release_creation import (
    ReleaseCreation,
    read_release_creation,
    release_problems,
)

__all__ = [
    "ServerCheck",
    "ServerNeeds",
    "check_server",
    "missing_permissions",
    "required_permissions",
    "who_am_i",
]


@dataclass(frozen=True)
class ServerNeeds:
    """What a run will do, as far as the server is concerned."""

    package_ids: tuple[str, ...] = ()
    """The packages it pushes to the built-in feed (a release's other package steps must find
    theirs in the feed; these trigger automatic release creation)."""
    overwrite_mode: OverwriteMode = "FailIfExists"
    build_information: bool = False
    release: ReleaseRequest | None = None
    deploy: DeployRequest | None = None
    promote: DeployRequest | None = None
    check_permissions: bool = True
    """False skips the permission check (an embedded emulator's key may do everything)."""
    package_versions: tuple[tuple[str, str], ...] = ()
    """``(package id, version)`` of every package it pushes (automatic release creation)."""
    external: tuple[ExternalPackage, ...] = ()
    """The packages it pushes to other repositories: the steps that take them must do so from a
    feed that reads that repository."""


@dataclass(frozen=True)
class ServerCheck:
    """What the server said about the run (reads only)."""

    space_id: str
    space_name: str
    project: dict[str, Any] | None = None
    release_exists: bool = False
    notes: tuple[str, ...] = ()
    release_creation: ReleaseCreation | None = None
    """The project's automatic release creation, when this run's packages trigger it."""


def who_am_i(connection: Connection, what: str = "reading the current user") -> dict[str, Any]:
    """The user (or service account) the connection's credentials belong to (``users/me``)."""
    me = connection.get_json("/api/users/me", what=what)
    return me if isinstance(me, dict) else {}


def check_server(connection: Connection, needs: ServerNeeds) -> ServerCheck:
    """Resolve and check every name ``needs`` uses, creating nothing; raise on the first problem.

    :raises ServerTooOldError: build information is wanted and the server has no such API.
    :raises OctopusAuthError: the key lacks a permission the run needs.
    :raises UnknownNameError: a project, channel, environment or tenant does not exist.
    :raises OctociError: the release exists and ``ignore_if_exists`` is off.
    """
    connection.root()
    space_id = connection.space_id() or ""
    notes = []
    if needs.build_information and not connection.link("BuildInformation"):
        raise ServerTooOldError(
            f"{connection.settings.url} does not offer build information (Octopus Server "
            "2019.10 or later); pass --no-build-info"
        )
    listing = _permissions(connection) if needs.check_permissions else {"SpacePermissions": None}
    missing = missing_permissions(listing, space_id, required_permissions(needs))
    if missing is None and needs.check_permissions:
        notes.append("permissions not checked: the server does not list the key's permissions")
    elif missing:
        raise OctopusAuthError(
            f"the API key (or access token) lacks {', '.join(missing)} in space "
            f"{connection.space_name or space_id}, which this run needs; nothing was changed"
        )
    project = None
    exists = False
    release = needs.release
    if release is not None:
        if needs.deploy is not None:
            deployment = plan_deployment(connection, needs.deploy, need_release=False)
            project = deployment.project
            # A refused environment must leave nothing behind: no package pushed for nothing,
            # no release. (The release may exist already, with release_exists = use.)
            check_deployment_lifecycle(
                connection, deployment, needs.deploy, channel=release.channel
            )
        else:
            project = find_project(connection, release.project)
        if needs.promote is not None:
            promotion = plan_deployment(connection, needs.promote, need_release=False)
            if needs.deploy is not None:
                _check_promotion_lifecycle(
                    connection,
                    promotion,
                    deployment,
                    needs.promote.release_version,
                    release.channel,
                )
        # A version-controlled project without a ref is refused here, before any push.
        git = git_reference(project, release.git_choice, "a release")
        if git is not None:
            notes.append(
                f"{project['Name']} is version-controlled: the release uses {git.describe()}"
            )
        if release.channel:
            find_channel(connection, project, release.channel)
        exists = bool(release.version) and (
            find_release(connection, project, release.version) is not None
        )
        if not exists:
            selection = _check_external_feeds(connection, project, release, needs.external, notes)
            _check_other_package_steps(connection, project, needs.package_ids)
            check_release_packages(
                connection,
                project,
                selection,
                present=[
                    *_pushed_versions(release, needs.package_ids),
                    # Pushed before the release is created, and then checked in the feed.
                    *((e.feed_package_id, e.version) for e in needs.external),
                ],
                pushed_ids=needs.package_ids,
            )
        if exists and not release.ignore_if_exists:
            raise OctociError(
                f"release {release.version} of {project['Name']} already exists; pass "
                "--release-version with a new version, or --release-exists use to deploy it"
            )
        if exists:
            notes.append(
                f"release {release.version} of {project['Name']} already exists and will be "
                "used as it is"
            )
        creation = _check_release_creation(connection, project, release, needs, notes)
        if creation is not None and exists:
            _check_existing_automatic_release(connection, project, release, creation, needs)
    else:
        creation = None
    return ServerCheck(space_id, connection.space_name, project, exists, tuple(notes), creation)


def _check_release_creation(
    connection: Connection,
    project: dict[str, Any],
    release: ReleaseRequest,
    needs: ServerNeeds,
    notes: list[str],
) -> ReleaseCreation | None:
    """The project's automatic release creation when this run's packages trigger it (else
    ``None``, with a note when it is on for a package the run does not push); refuses the
    release settings it would not honour (exit code 2)."""
    creation = read_release_creation(connection, project)
    if creation is None:
        return None
    name, package = project["Name"], creation.package_id
    if not creation.triggered_by(needs.package_ids):
        notes.append(
            f"automatic release creation is on for {package}, which this run does not push: "
            "octoci creates the release"
        )
        return None
    channel = creation.channel_name
    if release.channel and release.channel.lower() not in {
        channel.lower(),
        creation.channel_id.lower(),
    }:
        raise InputError(
            f"the project {name} creates its releases by itself in channel {channel} when "
            f"{package} is pushed (automatic release creation), not in channel "
            f"{release.channel}; drop --channel, or change the channel of the project's "
            "built-in package repository trigger"
        )
    version = next((v for i, v in needs.package_versions if i.lower() == package.lower()), "")
    if creation.version_from_package and version and release.version != version:
        raise InputError(
            f"the project {name} creates release {version} by itself when {package} {version} "
            f"is pushed (automatic release creation), so release {release.version} would be a "
            "second release; drop --release-version, or turn the project's built-in package "
            "repository trigger off"
        )
    notes.append(
        f"automatic release creation is on: Octopus creates the release in channel {channel} "
        f"when {package} is pushed; octoci pushes build information and the other packages "
        f"first, {package} last, and adopts that release"
    )
    return creation


def _check_existing_automatic_release(
    connection: Connection,
    project: dict[str, Any],
    release: ReleaseRequest,
    creation: ReleaseCreation,
    needs: ServerNeeds,
) -> None:
    """A release that exists already (a re-run, or Octopus created it when the triggering
    package was pushed before this run) is used only when it holds this run's package versions
    and build information; otherwise refuse before anything is pushed (exit code 1)."""
    document = find_release(connection, project, release.version) or {}
    problems = release_problems(
        document,
        creation,
        dict(needs.package_versions),
        build_information=needs.build_information,
    )
    if problems:
        raise OctociError(
            f"release {release.version} of {project['Name']} exists already and holds "
            f"{'; '.join(problems)}: Octopus created it (automatic release creation) when "
            f"{creation.package_id} was pushed before the other packages; nothing was pushed: "
            "publish a new version (--version), or create the release with 'octoci release "
            "create --package <id>:<version>'"
        )


def required_permissions(needs: ServerNeeds) -> list[str]:
    """The Octopus permissions the run's requests need, in the order the run needs them."""
    overwrite = needs.overwrite_mode == "OverwriteExisting"
    # Packages that all go to other repositories need no push permission in Octopus.
    needed = []
    if needs.package_ids or not needs.external:
        needed += ["BuiltInFeedPush"] + (["BuiltInFeedAdminister"] if overwrite else [])
    if needs.build_information:
        needed += ["BuildInformationPush"] + (["BuildInformationAdminister"] if overwrite else [])
    if needs.release is not None:
        needed.append("ReleaseCreate")
    if needs.deploy is not None:
        needed.append("DeploymentCreate")
    return needed


def missing_permissions(
    listing: dict[str, Any] | None, space_id: str, needed: Sequence[str]
) -> list[str] | None:
    """The permissions of ``needed`` that Octopus's ``UserPermissionSet`` does not grant in
    ``space_id`` (``None`` when the server gave no listing).

    Lenient on purpose: a permission granted in the space counts even when restricted to some
    projects or environments; Octopus itself refuses what the restriction excludes.

    Example::

        missing_permissions({"SpacePermissions": {"ReleaseCreate": [{"SpaceId": "Spaces-1"}]}},
                            "Spaces-1", ["ReleaseCreate", "DeploymentCreate"])
        # ["DeploymentCreate"]
    """
    if listing is None:
        return None
    granted = listing.get("SpacePermissions")
    if not isinstance(granted, dict):
        return None
    missing = []
    for permission in needed:
        entries = granted.get(permission) or []
        spaces = {str(e.get("SpaceId") or "") for e in entries if isinstance(e, dict)}
        # No SpaceId: a grant that applies to every space (servers before spaces).
        if not (spaces & {space_id, ""}):
            missing.append(permission)
    return missing


def _permissions(connection: Connection) -> dict[str, Any] | None:
    """The caller's ``UserPermissionSet``, or ``None`` where not offered."""
    try:
        user_id = str(who_am_i(connection).get("Id") or "")
        if not user_id:
            return None
        listing = connection.get_json(
            f"/api/users/{user_id}/permissions", what="reading the current user's permissions"
        )
    except OctopusApiError as exc:
        if isinstance(exc, OctopusAuthError) and exc.status == 401:
            raise
        return None  # 404 (emulators, old servers) or 403 (may not read its own permissions)
    return listing if isinstance(listing, dict) else None


def _check_other_package_steps(
    connection: Connection, project: dict[str, Any], published: Sequence[str]
) -> None:
    """Octopus refuses a release when a package step's package has no version in the feed: find
    that before pushing anything, not after. Version-controlled projects (no deployment
    process resource) and external feeds are left to Octopus."""
    process_id = project.get("DeploymentProcessId")
    if not process_id:
        return
    process = connection.get_json(
        connection.space_path(f"/deploymentprocesses/{process_id}"),
        what=f"reading the deployment process of {project['Name']}",
    )
    ours = {p.lower() for p in published}
    missing = []
    for step in process.get("Steps") or []:
        for action in step.get("Actions") or []:
            for package in action.get("Packages") or []:
                package_id = str(package.get("PackageId") or "")
                feed = str(package.get("FeedId") or "feeds-builtin").lower()
                if not package_id or package_id.lower() in ours or feed != "feeds-builtin":
                    continue
                found = connection.get_json(
                    connection.space_path("/packages"),
                    what=f"looking up package {package_id}",
                    params={"nuGetPackageId": package_id, "take": 1},
                )
                if not (found.get("Items") or []):
                    missing.append(f"{package_id} (step {step.get('Name')!r})")
    if missing:
        raise InputError(
            f"the project {project['Name']} needs {', '.join(missing)}, which this run does not "
            "publish and the built-in feed does not hold, so Octopus would refuse the release; "
            "publish it too (drop --only), or push it first"
        )


def _check_external_feeds(
    connection: Connection,
    project: dict[str, Any],
    release: ReleaseRequest,
    external: Sequence[ExternalPackage],
    notes: list[str],
) -> ReleaseRequest:
    """Each step that takes a package this run pushes to another repository must take it from a
    feed that reads that repository (else one line, exit code 2, before anything is pushed);
    the release's selection then names those steps (:func:`external_selection`)."""
    if not external:
        return release
    steps = step_feeds(connection, project)
    problems = external_problems(steps, external)
    if problems:
        raise InputError(
            f"the project {project['Name']} cannot deploy what this run pushes: "
            f"{'; '.join(problems)}; nothing was pushed"
        )
    for package in external:
        if not any(package.taken_by(step) for step in steps):
            notes.append(
                f"no step of {project['Name']} takes {package.feed_package_id} (pushed to "
                f"{package.repository.describe()}): the release selects nothing for it"
            )
    return external_selection(release, steps, external)


def _pushed_versions(release: ReleaseRequest, pushed: Sequence[str]) -> list[tuple[str, str]]:
    """``(package id, version)`` of the release's ``PackageId:Version`` items for the packages
    the run pushes: present in the feed by the time the release is created."""
    ours = {p.lower() for p in pushed}
    items = [spec.split(":") for spec in release.packages]
    return [(parts[0], parts[1]) for parts in items if len(parts) == 2 and parts[0].lower() in ours]


def _check_promotion_lifecycle(
    connection: Connection, promotion: Any, deployment: Any, version: str, channel: str
) -> None:
    """A promotion follows the run's deployment: its environments are checked as if that
    deployment had succeeded, so a refusal (Production before Test) stops the run - and is
    predicted by a dry run - before anything is pushed or created."""
    release = promotion.release
    check_lifecycle(
        connection,
        project=promotion.project,
        environments=promotion.environments,
        release=release,
        version=version,
        channel=channel,
        tenanted=release is not None and bool(promotion.tenants),
        after=deployment.environments,
    )
