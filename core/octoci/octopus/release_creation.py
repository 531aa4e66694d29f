"""Automatic release creation (Octopus's "built-in package repository trigger", formerly ARC):
a project that creates its own release when one package step's package is pushed to the built-in
feed, in one channel, with the latest versions of its other packages and the build information
present at that moment. A run that publishes to such a project pushes build information first and
the triggering package last, then adopts the release Octopus created (:func:`wait_for_release`),
checks it (:func:`release_problems`) and follows the deployments the lifecycle starts by itself
(:func:`automatic_deployments`).

Example::

    creation = read_release_creation(connection, project)
    if creation is not None and creation.triggered_by(["Acme.Web", "Acme.Api"]):
        ...  # push Acme.Api and build information, then Acme.Web
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from octoci.model import Deployment
from octoci.octopus.connection import Connection
from octoci.octopus.executions import _all, _release_deployments, _task_of, project_releases
from octoci.octopus.lifecycles import _lifecycle_of
from octoci.package_names import canonical_version

__all__ = [
    "AUTOMATIC_RELEASE_WAIT",
    "ReleaseCreation",
    "automatic_deployments",
    "predicted_automatic_environments",
    "read_release_creation",
    "release_problems",
    "wait_for_release",
]

#: At most this many seconds (and at most ``--timeout``) for Octopus to create the release after
#: the triggering package was pushed: it does so as part of the push, or moments after.
AUTOMATIC_RELEASE_WAIT = 60.0
#: How many of the project's newest releases are searched for the one Octopus created.
_RECENT = 30


@dataclass(frozen=True)
class ReleaseCreation:
    """A project's automatic release creation, as its settings and deployment process say."""

    project: str
    step: str
    """The package step (action) whose package triggers it."""
    package_id: str
    channel_id: str
    channel_name: str
    version_from_package: bool
    """The project's release versioning takes the triggering package's version (a donor
    package); otherwise Octopus numbers the release by the project's version template."""
    step_packages: tuple[tuple[str, str], ...] = ()
    """``(action name, package id)`` of every package step of the deployment process."""

    def triggered_by(self, package_ids: Iterable[str]) -> bool:
        """True when ``package_ids`` (a run's packages) include the triggering package."""
        return self.package_id.lower() in {p.lower() for p in package_ids}

    def package_of(self, action: str) -> str:
        """The package id of the package step ``action`` (``""`` when it has none)."""
        return next((p for a, p in self.step_packages if a.lower() == action.lower()), "")


def _same_version(left: str, right: str) -> bool:
    try:
        return canonical_version(left).lower() == canonical_version(right).lower()
    except ValueError:
        return left.lower() == right.lower()


def _process_packages(connection: Connection, project: dict[str, Any]) -> list[tuple[str, str]]:
    process_id = project.get("DeploymentProcessId")
    if not process_id:
        return []  # a version-controlled project: its process lives in Git
    process = connection.get_json(
        connection.space_path(f"/deploymentprocesses/{process_id}"),
        what=f"reading the deployment process of {project['Name']}",
    )
    return [
        (str(action.get("Name") or ""), str(package.get("PackageId") or ""))
        for step in process.get("Steps") or []
        for action in step.get("Actions") or []
        for package in action.get("Packages") or []
        if package.get("PackageId")
    ]


def read_release_creation(
    connection: Connection, project: dict[str, Any]
) -> ReleaseCreation | None:
    """The project's automatic release creation, or ``None`` when it is off (or names no package
    step octoci can read: a version-controlled project's process is left to Octopus)."""
    strategy = project.get("ReleaseCreationStrategy") or {}
    package = strategy.get("ReleaseCreationPackage") or {}
    step = str(package.get("DeploymentAction") or "")
    if not project.get("AutoCreateRelease") or not step:
        return None
    packages = _process_packages(connection, project)
    package_id = next((p for a, p in packages if a.lower() == step.lower()), "")
    if not package_id:
        return None
    channels = connection.get_json(
        connection.space_path(f"/projects/{project['Id']}/channels"),
        what=f"listing channels of {project['Name']}",
        params={"take": 2147483647},
    )
    items = [c for c in channels.get("Items") or [] if isinstance(c, dict)]
    wanted = str(strategy.get("ChannelId") or "")
    channel = next((c for c in items if wanted and c.get("Id") == wanted), None) or next(
        (c for c in items if c.get("IsDefault")), {}
    )
    donor = ((project.get("VersioningStrategy") or {}).get("DonorPackage") or {}).get(
        "DeploymentAction"
    )
    return ReleaseCreation(
        project=str(project["Name"]),
        step=step,
        package_id=package_id,
        channel_id=str(channel.get("Id") or ""),
        channel_name=str(channel.get("Name") or ""),
        version_from_package=str(donor or "").lower() == step.lower(),
        step_packages=tuple(packages),
    )


def _selected_version(release: Mapping[str, Any], action: str) -> str:
    for selected in release.get("SelectedPackages") or []:
        if str(selected.get("ActionName") or "").lower() == action.lower():
            return str(selected.get("Version") or "")
    return ""


def find_created_release(
    connection: Connection, project: dict[str, Any], creation: ReleaseCreation, version: str
) -> dict[str, Any] | None:
    """The release of ``creation``'s channel whose triggering step holds package ``version``
    (newest first), read whole; ``None`` when there is none yet."""
    for item in project_releases(connection, project, take=_RECENT):
        if creation.channel_id and item.get("ChannelId") != creation.channel_id:
            continue
        if _same_version(_selected_version(item, creation.step), version):
            release = connection.get_json(
                connection.space_path(f"/releases/{item['Id']}"),
                what=f"reading release {item.get('Version')} of {project['Name']}",
            )
            return release if isinstance(release, dict) else item
    return None


def wait_for_release(
    connection: Connection,
    project: dict[str, Any],
    creation: ReleaseCreation,
    version: str,
    *,
    timeout: float,
    poll_interval: float,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any] | None:
    """Poll for the release Octopus creates when package ``version`` of the triggering step was
    pushed, for at most ``timeout`` seconds; ``None`` when it did not appear in that time."""
    deadline = time.monotonic() + timeout
    while True:
        release = find_created_release(connection, project, creation, version)
        if release is not None or time.monotonic() >= deadline:
            return release
        sleep(max(0.01, min(poll_interval, deadline - time.monotonic())))


def release_problems(
    release: Mapping[str, Any],
    creation: ReleaseCreation,
    pushed: Mapping[str, str],
    *,
    build_information: bool,
) -> list[str]:
    """What is wrong with the release Octopus created, given the packages the run pushed
    (``{package id: version}``): each package step of the run's packages at another version,
    and (with ``build_information``) each such package without its build information."""
    by_id = {k.lower(): v for k, v in pushed.items()}
    linked = {
        (str(b.get("PackageId") or "").lower(), str(b.get("Version") or ""))
        for b in release.get("BuildInformation") or []
        if isinstance(b, dict)
    }
    problems = []
    for selected in release.get("SelectedPackages") or []:
        package_id = creation.package_of(str(selected.get("ActionName") or ""))
        wanted = by_id.get(package_id.lower())
        if wanted is None:
            continue  # not one of this run's packages: Octopus's choice stands
        held = str(selected.get("Version") or "")
        if not _same_version(held, wanted):
            problems.append(f"{package_id} at {held} (this run pushed {wanted})")
        elif build_information and not any(
            i == package_id.lower() and _same_version(v, wanted) for i, v in linked
        ):
            problems.append(f"{package_id} {wanted} without its build information")
    return problems


def _automatic_targets(phases: Sequence[Mapping[str, Any]], *, new: bool) -> list[str]:
    """The automatic environments of the open phases: of a progression (``Progress`` other
    than ``Pending``), or of a lifecycle for a new release (up to the first mandatory phase)."""
    targets: list[str] = []
    for phase in phases:
        if not new and phase.get("Progress") == "Pending":
            continue
        targets += [str(e) for e in phase.get("AutomaticDeploymentTargets") or []]
        environments = [
            *(phase.get("AutomaticDeploymentTargets") or []),
            *(phase.get("OptionalDeploymentTargets") or []),
        ]
        if new and environments and not phase.get("IsOptionalPhase"):
            break
    return list(dict.fromkeys(targets))


def _environment_names(connection: Connection) -> dict[str, str]:
    return {
        str(e["Id"]): str(e["Name"])
        for e in _all(connection, "environments", "listing environments")
        if "Id" in e
    }


def predicted_automatic_environments(
    connection: Connection, project: dict[str, Any], channel: str
) -> list[str]:
    """The environments a new release of ``channel`` is deployed to by itself (for a dry run)."""
    lifecycle = _lifecycle_of(connection, project, channel)
    phases = [p for p in (lifecycle or {}).get("Phases") or [] if isinstance(p, dict)]
    names = _environment_names(connection)
    return [names.get(e, e) for e in _automatic_targets(phases, new=True)]


def automatic_deployments(
    connection: Connection,
    release: dict[str, Any],
    *,
    timeout: float,
    poll_interval: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[Deployment], list[str]]:
    """The deployments Octopus started by itself for ``release`` (its open phases' automatic
    environments), waiting at most ``timeout`` seconds for each to appear: the deployments, and
    the names of automatic environments where none appeared."""
    progression = connection.get_json(
        connection.space_path(f"/releases/{release['Id']}/progression"),
        what=f"reading the lifecycle progression of release {release.get('Version')}",
    )
    phases = [p for p in progression.get("Phases") or [] if isinstance(p, dict)]
    wanted = _automatic_targets(phases, new=False)
    if not wanted:
        return [], []
    names = _environment_names(connection)
    deadline = time.monotonic() + timeout
    while True:
        found = [
            d for d in _release_deployments(connection, release) if _environment_of(d) in wanted
        ]
        missing = [e for e in wanted if e not in {_environment_of(d) for d in found}]
        if not missing or time.monotonic() >= deadline:
            break
        sleep(max(0.01, min(poll_interval, deadline - time.monotonic())))
    tenants = {}
    if any(d.get("TenantId") for d in found):
        tenants = {
            str(t["Id"]): str(t["Name"]) for t in _all(connection, "tenants", "listing tenants")
        }
    found.reverse()  # oldest first, the order Octopus started them
    return (
        [_task_of(connection, d, names, tenants, "automatic") for d in found],
        [names.get(e, e) for e in missing],
    )


def _environment_of(deployment: Mapping[str, Any]) -> str:
    return str(deployment.get("EnvironmentId") or "")
