"""The ``octoci publish`` pipeline: plan (local checks) -> check the server -> pack -> push packages
-> push build information -> create a release -> deploy -> wait -> promote -> report.

Everything a user can get wrong is found before anything is created: :func:`plan_publish` checks
the local side (settings, version, ids, formats, files to pack, package files) and
:func:`check_server` the Octopus side (space, project, channel, environments, tenants, an
existing release) with reads only. Only then does :func:`execute` write packages and talk to
Octopus. A failed or timed-out deployment still hands its outputs and summary to the build
server before the run ends with exit code 3 or 4.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from octoci.config import PublishConfig
from octoci.errors import InputError, OctociError
from octoci.model import (
    BuildInformation,
    CaptureOptions,
    Deployment,
    Package,
    PackageEntry,
    PackageSpec,
    Release,
    RunReport,
)
from octoci.octopus.connection import Connection
from octoci.octopus.errors import (
    OctopusAuthError,
    TaskFailedError,
    TaskTimeoutError,
    UnknownNameError,
)
from octoci.octopus.executions import (
    DeployRequest,
    ReleaseRequest,
    ServerTask,
    check_deployment_lifecycle,
    create_release,
    deploy_release,
    find_project,
    plan_deployment,
    validate_release_request,
)
from octoci.octopus.packages import OverwriteMode, parse_overwrite_mode
from octoci.octopus.progress import Progress
from octoci.package_names import PackageName, parse_package_filename, validate_version
from octoci.packaging.build import PackagePlan, plan_package, write_package
from octoci.packaging.selection import Selection, select_entries
from octoci.plugins import OctociPluginManager
from octoci.server import CIServer

__all__ = [
    "PackageJob",
    "PublishOutcome",
    "PublishPlan",
    "Reporter",
    "ServerCheck",
    "check_server",
    "compute_version",
    "execute",
    "plan_publish",
]


# ---------------------------------------------------------------------------------- plan
@dataclass(frozen=True)
class PackageJob:
    """One package to pack: its validated plan and the files it takes."""

    plan: PackagePlan
    entries: tuple[PackageEntry, ...]


@dataclass(frozen=True)
class PublishPlan:
    """Everything the run will do, checked locally; nothing has been created yet."""

    info: BuildInformation
    version: str
    to_pack: tuple[PackageJob, ...]
    files: tuple[tuple[Path, PackageName], ...]
    """Package files pushed as they are (``package_files`` and discovered artifacts)."""
    overwrite_mode: OverwriteMode
    release: ReleaseRequest | None
    deploy: DeployRequest | None
    promote: DeployRequest | None
    wait: bool
    build_information: bool

    @property
    def package_ids(self) -> list[str]:
        """Every package id the run pushes, in order, once each."""
        ids = [job.plan.spec.id for job in self.to_pack] + [name.id for _, name in self.files]
        return list(dict.fromkeys(ids))

    @property
    def phase_titles(self) -> list[str]:
        """The phases this run goes through, for ``[n/total]`` headings."""
        titles = []
        if self.to_pack:
            titles.append("pack")
        titles.append("push")
        if self.build_information:
            titles.append("build-info")
        if self.release is not None:
            titles.append("release")
        if self.deploy is not None:
            titles.append("deploy")
        if self.promote is not None:
            titles.append("promote")
        return titles


def compute_version(
    config: PublishConfig, pm: OctociPluginManager, server: CIServer, info: BuildInformation
) -> str:
    """The package version: ``version``, else from the build number or the version hook (git)."""
    version = config.text("version")
    where = "--version"
    if not version and config.text("version_from") == "build-number":
        number = info.build_number.strip()
        if not number:
            raise InputError(
                f"version_from is build-number, but {server.display_name} gives no build "
                "number; pass --version"
            )
        version = f"{config.text('version_prefix')}.{number}" if number.isdigit() else number
        where = f"the build number {number!r}"
    elif not version:
        version = pm.package_version(server, info)
        where = "the version hook"
    problem = validate_version(version)
    if problem:
        raise InputError(
            f"the version {version!r} from {where} is not valid: {problem}; pass --version "
            "with a version like 1.2.3 or 1.2.3-beta.1"
        )
    return version


def _package_jobs(
    config: PublishConfig, pm: OctociPluginManager, version: str, timestamp: int | None
) -> list[PackageJob]:
    formats = pm.package_formats()
    out_folder = config.path("out_folder")
    jobs = []
    for package in config.package_configs():
        exclude = list(package.exclude)
        # Packages of earlier runs lie in the out folder: never pack them into this one.
        with contextlib.suppress(ValueError):
            inside = out_folder.resolve().relative_to(package.base_path.resolve())
            if inside.parts:
                exclude.append(f"{inside.as_posix()}/**")
        spec = PackageSpec(
            id=package.id,
            version=version,
            format=package.format or "zip",
            base_path=package.base_path,
            include=package.include,
            exclude=tuple(exclude),
            out_folder=out_folder,
            # Packages are reproducible: a re-run writes the same bytes over the same name.
            overwrite=True,
            timestamp=timestamp,
        )
        plan = plan_package(spec, formats)
        selection = Selection(spec.base_path, spec.include, spec.exclude)
        entries = select_entries(selection, skip={plan.destination.resolve()})
        jobs.append(PackageJob(plan, tuple(entries)))
    return jobs


def _package_files(
    config: PublishConfig, pm: OctociPluginManager, server: CIServer, packing: bool
) -> list[tuple[Path, PackageName]]:
    from octoci.cli.push import expand_package_paths
    from octoci.octopus.packages import validate_package_files

    paths = expand_package_paths(config.items("package_files"), config.base_dir)
    if not paths and not packing:
        search = [config.path_of(p) for p in config.items("artifact_paths")]
        artifacts = pm.discover_artifacts(server, search)
        paths = [a.path for a in artifacts if a.is_package]
    return validate_package_files(paths) if paths else []


def plan_publish(
    config: PublishConfig,
    pm: OctociPluginManager,
    server: CIServer,
    capture: CaptureOptions,
    *,
    timestamp: int | None = None,
) -> PublishPlan:
    """Check everything that needs no server; raise :class:`InputError` (exit code 2) on the
    first problem. Reads files and git; writes nothing."""
    mode = parse_overwrite_mode(config.text("overwrite_mode"))
    build_information = config.flag("build_information")
    if not build_information:
        capture = replace(capture, fetch_commits=False)
    info = pm.capture(server, capture)
    version = compute_version(config, pm, server, info)
    jobs = _package_jobs(config, pm, version, timestamp)
    files = _package_files(config, pm, server, bool(jobs))
    if not jobs and not files:
        raise InputError(
            "nothing to publish: configure packages ([[packages]] in octoci.toml, or "
            "--package-id with --base-path), pass --package-file, or put package files in "
            "the artifact folders (--artifact-path)"
        )
    seen: dict[str, str] = {}
    for package_id, source in [(j.plan.spec.id, str(j.plan.spec.base_path)) for j in jobs] + [
        (n.id, str(p)) for p, n in files
    ]:
        if package_id.lower() in seen:
            raise InputError(
                f"the package id {package_id} is published twice ({seen[package_id.lower()]} "
                f"and {source}); give each package its own id"
            )
        seen[package_id.lower()] = source
    project = config.text("project")
    deploy_to, promote_to = config.items("deploy_to"), config.items("promote_to")
    wants_release = bool(project) and config.flag("create_release")
    if (deploy_to or promote_to) and not wants_release:
        raise InputError(
            "deploying needs a release: set project (--project) and keep create_release on"
        )
    if promote_to and not deploy_to:
        raise InputError("promote_to follows a deployment: set deploy_to (--deploy-to) as well")
    if (config.items("tenants") or config.items("tenant_tags")) and not deploy_to:
        raise InputError("tenants and tenant_tags need deploy_to (--deploy-to)")
    release = None
    if wants_release:
        release_version = config.text("release_version") or version
        ids = [j.plan.spec.id for j in jobs] + [n.id for _, n in files]
        file_versions = {n.id: n.version for _, n in files}
        release = ReleaseRequest(
            project=project,
            version=release_version,
            channel=config.text("channel"),
            # Each pushed package at the version pushed; other package steps keep Octopus's rule.
            packages=tuple(f"{i}:{file_versions.get(i, version)}" for i in dict.fromkeys(ids)),
            ignore_if_exists=config.text("release_exists") == "use",
        )
        validate_release_request(release)
    deploy = promote = None
    if deploy_to:
        deploy = DeployRequest(
            project=project,
            environments=deploy_to,
            release_version=release.version if release else "",
            tenants=config.items("tenants"),
            tenant_tags=config.items("tenant_tags"),
        )
    if promote_to and deploy is not None:
        promote = replace(deploy, environments=promote_to)
    return PublishPlan(
        info=info,
        version=version,
        to_pack=tuple(jobs),
        files=tuple(files),
        overwrite_mode=mode,
        release=release,
        deploy=deploy,
        promote=promote,
        # Promotion follows a successful deployment, so it has to wait for it.
        wait=config.flag("wait") or promote is not None,
        build_information=build_information,
    )


# ---------------------------------------------------------------------------------- server checks
@dataclass(frozen=True)
class ServerCheck:
    """What the server said about the plan (reads only)."""

    space_id: str
    space_name: str
    project: dict[str, Any] | None = None
    release_exists: bool = False
    notes: tuple[str, ...] = ()


def check_server(
    connection: Connection, plan: PublishPlan, *, permissions: bool = True
) -> ServerCheck:
    """Resolve and check every name the plan uses, creating nothing: the space, the project and
    channel, the environments and tenants of the deployment and promotion, the build
    information API, and an existing release when that would fail the run. ``permissions=False``
    skips the permission check (the embedded emulator's key may do everything)."""
    from octoci.octopus.errors import ServerTooOldError

    connection.root()
    space_id = connection.space_id() or ""
    notes = []
    if plan.build_information and not connection.link("BuildInformation"):
        raise ServerTooOldError(
            f"{connection.settings.url} does not offer build information (Octopus Server "
            "2019.10 or later); pass --no-build-info"
        )
    listing = _permissions(connection) if permissions else {"SpacePermissions": None}
    missing = missing_permissions(listing, space_id, required_permissions(plan))
    if missing is None and permissions:
        notes.append("permissions not checked: the server does not list the key's permissions")
    elif missing:
        raise OctopusAuthError(
            f"the API key (or access token) lacks {', '.join(missing)} in space "
            f"{connection.space_name or space_id}, which this run needs; nothing was changed"
        )
    project = None
    exists = False
    if plan.release is not None:
        if plan.deploy is not None:
            deployment = plan_deployment(connection, plan.deploy, need_release=False)
            project = deployment.project
            # A refused environment must leave nothing behind: no package pushed for nothing,
            # no release. (The release may exist already, with release_exists = use.)
            check_deployment_lifecycle(
                connection, deployment, plan.deploy, channel=plan.release.channel
            )
        else:
            project = find_project(connection, plan.release.project)
        if plan.promote is not None:
            plan_deployment(connection, plan.promote, need_release=False)
        if plan.release.channel:
            _check_channel(connection, project, plan.release.channel)
        exists = _release_exists(connection, project, plan.release.version)
        if not exists:
            _check_other_package_steps(connection, project, plan.package_ids)
        if exists and not plan.release.ignore_if_exists:
            raise OctociError(
                f"release {plan.release.version} of {project['Name']} already exists; pass "
                "--release-version with a new version, or --release-exists use to deploy it"
            )
        if exists:
            notes.append(
                f"release {plan.release.version} of {project['Name']} already exists and will be "
                "used as it is"
            )
    return ServerCheck(space_id, connection.space_name, project, exists, tuple(notes))


def required_permissions(plan: PublishPlan) -> list[str]:
    """The Octopus permissions the plan's requests need, in the order the run needs them."""
    overwrite = plan.overwrite_mode == "OverwriteExisting"
    needed = ["BuiltInFeedPush"] + (["BuiltInFeedAdminister"] if overwrite else [])
    if plan.build_information:
        needed += ["BuildInformationPush"] + (["BuildInformationAdminister"] if overwrite else [])
    if plan.release is not None:
        needed.append("ReleaseCreate")
    if plan.deploy is not None:
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
    """``GET /api/users/{id}/permissions`` of the caller, or ``None`` where not offered."""
    from octoci.octopus.errors import OctopusApiError

    try:
        me = connection.get_json("/api/users/me", what="reading the current user")
        user_id = str(me.get("Id") or "") if isinstance(me, dict) else ""
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


def _check_channel(connection: Connection, project: dict[str, Any], name: str) -> None:
    from octoci.octopus.connection import close_matches

    channels = connection.get_json(
        connection.space_path(f"/projects/{project['Id']}/channels"),
        what=f"listing channels of {project['Name']}",
        params={"take": 2147483647},
    )
    items = [c for c in channels.get("Items") or [] if isinstance(c, dict)]
    wanted = name.strip().lower()
    if not any(
        wanted in (str(c.get("Name", "")).lower(), str(c.get("Id", "")).lower()) for c in items
    ):
        names = [str(c.get("Name")) for c in items]
        raise UnknownNameError(
            f"channel {name!r} was not found{close_matches(name, names)} (project "
            f"{project['Name']})"
        )


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


def _release_exists(connection: Connection, project: dict[str, Any], version: str) -> bool:
    from octoci.octopus.errors import OctopusNotFoundError

    try:
        connection.get_json(
            connection.space_path(f"/projects/{project['Id']}/releases/{version}"),
            what=f"looking up release {version} of {project['Name']}",
        )
    except OctopusNotFoundError:
        return False
    return True


# ---------------------------------------------------------------------------------- reporting
@dataclass
class Reporter:
    """Phase headings as the build server's collapsible log groups, and result lines.

    ``say`` writes a line for people (standard output, or standard error with ``--json``).
    """

    server: CIServer
    say_line: Callable[[str], None]
    total: int = 0
    number: int = 0
    live: TextIO | None = None
    """A terminal for a status line redrawn in place while waiting (never a CI log: there every
    redraw would be a line of its own)."""
    _status_shown: bool = False

    def say(self, line: str) -> None:
        """A result line (after clearing the status line, if one is shown)."""
        self.clear()
        self.say_line(line)

    def status(self, text: str) -> None:
        """Redraw the live status line (only on a terminal)."""
        if self.live is None:
            return
        self.live.write(f"\r{text}\x1b[K")
        self.live.flush()
        self._status_shown = True

    def clear(self) -> None:
        """Remove the status line so that the next line starts clean."""
        if self.live is not None and self._status_shown:
            self.live.write("\r\x1b[K")
            self.live.flush()
            self._status_shown = False

    @contextlib.contextmanager
    def phase(self, title: str) -> Iterator[None]:
        """``[n/total] title`` as a log group around the phase."""
        self.number += 1
        self.clear()
        with self.server.group(f"[{self.number}/{self.total}] {title}"):
            yield


@dataclass
class PublishOutcome:
    """What :func:`execute` did (or, in a dry run, would do)."""

    packages: list[Package] = field(default_factory=list)
    build_information: list[str] = field(default_factory=list)
    release: Release | None = None
    tasks: list[ServerTask] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    payloads: list[dict[str, Any]] = field(default_factory=list)
    failure: OctociError | None = None

    def report(self, server: str, connection: Connection, info: BuildInformation) -> RunReport:
        """The :class:`RunReport` for outputs and the job summary."""
        space = connection.space_id() or ""
        deployments = tuple(
            Deployment(
                environment=t.environment,
                tenant=t.tenant,
                task_id=t.task_id,
                url=f"{connection.settings.url}/app#/{space}/tasks/{t.task_id}",
                state=self.states.get(t.task_id, "Queued"),
            )
            for t in self.tasks
        )
        return RunReport(
            server=server,
            space=space,
            octopus_url=connection.settings.url,
            build_information=info if self.build_information else None,
            packages=tuple(self.packages),
            build_information_pushed=tuple(self.build_information),
            release=self.release,
            deployments=deployments,
            warnings=tuple(self.warnings),
            exit_code=self.failure.exit_code if self.failure else 0,
        )


# ---------------------------------------------------------------------------------- execution
def _pack(plan: PublishPlan, reporter: Reporter, out_folder: Path | None) -> list[Package]:
    """Write every package (to ``out_folder`` instead of the configured one in a dry run)."""
    packages = []
    for job in plan.to_pack:
        job_plan = job.plan
        if out_folder is not None:
            spec = replace(job_plan.spec, out_folder=out_folder)
            job_plan = replace(
                job_plan, spec=spec, destination=out_folder / job_plan.destination.name
            )
        package = write_package(job_plan, job.entries)
        reporter.say(
            f"packed {package.path.name}: {len(job.entries)} files, {package.size:,} bytes"
        )
        packages.append(package)
    return packages


def execute(
    plan: PublishPlan,
    connection: Connection,
    reporter: Reporter,
    *,
    dry_run: bool = False,
    concurrency: int = 3,
    delta: bool = True,
    progress: Progress | None = None,
    timeout: float = 600.0,
    poll_interval: float = 5.0,
    cancel_on_timeout: bool = False,
) -> PublishOutcome:
    """Run the plan against ``connection`` (checked by :func:`check_server` first).

    With ``dry_run``, packages are written to a temporary folder (removed afterwards) so that
    their sizes and hashes are real, compared with what Octopus holds, and every request that
    would change Octopus is recorded in :attr:`PublishOutcome.payloads` instead of sent.
    """
    from octoci.octopus.packages import push_packages

    outcome = PublishOutcome()
    reporter.total = len(plan.phase_titles)
    work = connection
    dry: Any = None
    if dry_run:
        from octoci.publish.dryrun import DryRunConnection

        dry = DryRunConnection(connection)
        work = dry
    with contextlib.ExitStack() as stack:
        temp = (
            Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="octoci-dry-run-")))
            if dry_run
            else None
        )
        packed: list[Package] = []
        if plan.to_pack:
            with reporter.phase(f"Packing {_count(len(plan.to_pack), 'package')}"):
                packed = _pack(plan, reporter, temp)
        files = [(p.path, _name_of(p)) for p in packed] + list(plan.files)
        with reporter.phase(f"Pushing {_count(len(files), 'package')}"):
            if dry_run:
                outcome.packages = _dry_run_push(
                    work, files, plan.overwrite_mode, reporter, outcome
                )
            else:
                results, failures = push_packages(
                    connection,
                    files,
                    mode=plan.overwrite_mode,
                    concurrency=concurrency,
                    progress=progress,
                    delta=delta,
                )
                sizes = {p.path: p for p in packed}
                for result in results:
                    verb = {
                        "created": "pushed",
                        "identical": "already in Octopus, identical",
                        "ignored": "already in Octopus with DIFFERENT content, kept (IgnoreIfExists)",
                    }[result.outcome]
                    reporter.say(f"{result.path.name}: {verb}")
                    package = result.to_package()
                    if result.path in sizes:
                        package = replace(package, sha256=sizes[result.path].sha256)
                    outcome.packages.append(package)
                    for warning in result.warnings:
                        reporter.server.annotate("warning", warning)
                        outcome.warnings.append(warning)
                if failures:
                    if len(failures) == 1 and not results:
                        raise failures[0].error
                    details = "; ".join(f"{f.path.name}: {f.error}" for f in failures)
                    raise OctociError(f"{len(failures)} of {len(files)} packages failed: {details}")
        ids_versions = list(dict.fromkeys((name.id, name.version) for _, name in files))
        if plan.build_information:
            _push_build_information(plan, work, reporter, outcome, ids_versions, dry_run)
        if plan.release is not None:
            with reporter.phase(
                f"Creating release {plan.release.version} of {plan.release.project}"
            ):
                created = create_release(work, plan.release)
                outcome.release = Release(
                    created.project, created.version, created.id, created.url, created.created
                )
                if dry_run:
                    verb = "would be created" if created.created else "exists, would be used"
                    reporter.say(f"release {created.project} {created.version} {verb}")
                else:
                    verb = "created" if created.created else "already existed"
                    reporter.say(
                        f"release {created.project} {created.version} {verb} ({created.id}) "
                        f"{created.url}"
                    )
        if plan.deploy is not None:
            _deploy(
                plan.deploy,
                "Deploying",
                work,
                reporter,
                outcome,
                plan,
                dry_run,
                timeout,
                poll_interval,
                cancel_on_timeout,
            )
        if plan.promote is not None and outcome.failure is None:
            _deploy(
                plan.promote,
                "Promoting",
                work,
                reporter,
                outcome,
                plan,
                dry_run,
                timeout,
                poll_interval,
                cancel_on_timeout,
            )
    if dry is not None:
        outcome.payloads.extend(r.to_json() for r in dry.recorded)
    return outcome


def _name_of(package: Package) -> PackageName:
    # plan_package checked that Octopus reads the file name back as this id and version.
    name = parse_package_filename(package.path.name)
    assert name is not None
    return name


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _dry_run_push(
    connection: Connection,
    files: Sequence[tuple[Path, PackageName]],
    mode: OverwriteMode,
    reporter: Reporter,
    outcome: PublishOutcome,
) -> list[Package]:
    """What pushing would do: compare each file with the package Octopus holds."""
    from octoci.octopus.packages import file_sha1, find_package

    packages = []
    for path, name in files:
        size = path.stat().st_size
        sha1 = file_sha1(path)
        stored = find_package(connection, name)
        if stored is None:
            verdict, pushed = "would be pushed", True
        elif str(stored.get("Hash") or "").lower() == sha1:
            verdict, pushed = "already in Octopus, identical", False
        elif mode == "FailIfExists":
            raise OctociError(
                f"{name.id} {name.version} is already in Octopus with different content (stored "
                f"SHA1 {stored.get('Hash') or '?'}, local {sha1}); a real run would fail: pass "
                "--overwrite-mode OverwriteExisting, or a new --version"
            )
        else:
            verdict, pushed = (
                f"already in Octopus with different content ({mode})",
                mode == "OverwriteExisting",
            )
        reporter.say(f"{path.name}: {verdict} ({size:,} bytes, sha1 {sha1})")
        outcome.payloads.append(
            {
                "Method": "POST",
                "Path": connection.space_path("/packages/raw"),
                "Query": {"overwriteMode": mode},
                "Body": {"multipart/form-data": {"file": path.name, "Size": size, "Sha1": sha1}},
            }
        )
        packages.append(
            Package(path=path, id=name.id, version=name.version, size=size, pushed=pushed)
        )
    return packages


def _push_build_information(
    plan: PublishPlan,
    connection: Connection,
    reporter: Reporter,
    outcome: PublishOutcome,
    ids_versions: Sequence[tuple[str, str]],
    dry_run: bool,
) -> None:
    from octoci.octopus.buildinfo import build_information_warnings, push_build_information

    ids = [i for i, _ in ids_versions]
    commits = len(plan.info.commits)
    with reporter.phase(f"Pushing build information for {_count(len(ids), 'package')}"):
        for warning in build_information_warnings(ids, plan.info):
            reporter.server.annotate("warning", warning)
            outcome.warnings.append(warning)
        for package_id, version in ids_versions:
            (result,) = push_build_information(
                connection, [package_id], version, plan.info, mode=plan.overwrite_mode
            )
            verb = {
                "created": "pushed",
                "identical": "already in Octopus, identical",
                "ignored": "already in Octopus with different content, kept",
            }[result.outcome]
            if dry_run:
                verb = "would be pushed"
            reporter.say(
                f"build information for {package_id} {version}: {verb} "
                f"({_count(commits, 'commit')})"
            )
            outcome.build_information.append(package_id)


def _deploy(
    request: DeployRequest,
    verb: str,
    connection: Connection,
    reporter: Reporter,
    outcome: PublishOutcome,
    plan: PublishPlan,
    dry_run: bool,
    timeout: float,
    poll_interval: float,
    cancel_on_timeout: bool,
) -> None:
    from octoci.octopus.tasks import TaskState, wait_for_tasks

    assert outcome.release is not None
    request = replace(request, release_version=outcome.release.version)
    where = ", ".join(request.environments)
    with reporter.phase(f"{verb} {outcome.release.project} {outcome.release.version} to {where}"):
        # In a dry run the release was never created (unless it existed before).
        deployment_plan = plan_deployment(connection, request, need_release=not dry_run)
        tasks = deploy_release(
            connection,
            request,
            plan=deployment_plan,
            # A dry run's promotion follows a deployment that was never made: no prediction.
            lifecycle_check=not (dry_run and verb == "Promoting"),
        )
        if dry_run:
            already = [t for t in tasks if t.origin == "existing"]
            for task in already:
                reporter.say(task.announcement())
            if len(already) < len(tasks) or not already:
                reporter.say(f"would deploy to {where}")
            return
        for task in tasks:
            reporter.say(task.announcement())
        outcome.tasks.extend(tasks)
        if not plan.wait:
            return
        labels = {t.task_id: _label(t) for t in tasks}

        def changed(state: TaskState) -> None:
            outcome.states[state.id] = state.state
            reporter.say(f"{state.id} ({labels.get(state.id, '')}): {state.state}")

        started = time.monotonic()

        def pause(seconds: float) -> None:
            # Between polls: on a terminal, a status line with the time waited so far.
            states = ", ".join(f"{labels[t]} {outcome.states.get(t, 'Queued')}" for t in labels)
            reporter.status(f"waiting {time.monotonic() - started:.0f} s: {states}")
            time.sleep(seconds)

        try:
            wait_for_tasks(
                connection,
                [t.task_id for t in tasks],
                timeout=timeout,
                poll_interval=poll_interval,
                cancel_on_timeout=cancel_on_timeout,
                on_change=changed,
                sleep=pause,
            )
        except (TaskFailedError, TaskTimeoutError) as exc:
            outcome.failure = exc
        finally:
            reporter.clear()


def _label(task: ServerTask) -> str:
    return (task.environment or "?") + (f"/{task.tenant}" if task.tenant else "")
