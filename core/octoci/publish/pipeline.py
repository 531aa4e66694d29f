"""The ``octoci publish`` plan: from settings to the many-step plan of :mod:`octoci.steps` - pack ->
push packages -> push build information -> create a release -> deploy (and wait) -> promote.

Everything a user can get wrong is found before anything is created: :func:`plan_publish` checks
the local side (settings, version, ids, formats, files to pack, package files) and
:func:`octoci.octopus.preflight.check_server` (given :attr:`PublishPlan.needs`) the Octopus side
(space, project, channel, environments, tenants, an existing release) with reads only. Only then
does :func:`execute` run the steps. A failed or timed-out deployment still hands its outputs and
summary to the build server before the run ends with exit code 3 or 4.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from octoci.config import ResolvedConfig, config_search_description
from octoci.errors import InputError, OctociError
from octoci.model import BuildInformation, CaptureOptions, PackageSpec, RunReport
from octoci.octopus.buildinfo import with_branch
from octoci.octopus.connection import Connection
from octoci.octopus.dryrun import DryRunConnection
from octoci.octopus.executions import DeployRequest, ReleaseRequest, validate_release_request
from octoci.octopus.feeds import ExternalPackage
from octoci.octopus.git_refs import with_build_git_reference
from octoci.octopus.packages import OverwriteMode, parse_overwrite_mode, validate_package_files
from octoci.octopus.preflight import ServerNeeds
from octoci.octopus.release_creation import ReleaseCreation
from octoci.package_names import PackageName, validate_version
from octoci.package_paths import expand_package_paths
from octoci.packaging.build import plan_package
from octoci.packaging.selection import Selection, select_entries
from octoci.plugins import OctociPluginManager
from octoci.progress import Progress
from octoci.repositories.base import octopus_package_id
from octoci.repositories.registry import BUILTIN_FEED, Routing
from octoci.server import CIServer
from octoci.settings.requests import check_no_deploy_options, deploy_request, release_request
from octoci.steps.adopt import AdoptRelease
from octoci.steps.build_info import PushBuildInformation
from octoci.steps.deploy import Deploy
from octoci.steps.feed_check import CheckExternalFeeds
from octoci.steps.head_start import HeadStart
from octoci.steps.pack import PackageJob
from octoci.steps.pack_push import PackAndPush
from octoci.steps.plan import Plan, Step, StepContext
from octoci.steps.push import PushPackages
from octoci.steps.release import CreateRelease
from octoci.steps.reporter import Reporter
from octoci.steps.wait import WaitOptions

__all__ = [
    "PublishPlan",
    "compute_version",
    "execute",
    "plan_publish",
    "publish_steps",
]


# ---------------------------------------------------------------------------------- plan
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
    routing: Routing = field(default_factory=Routing)
    """Which repository each package goes to (``[[packages]] repository``, ``repository``)."""
    images: tuple[tuple[str, str], ...] = ()
    """``(image, tag)`` of the container images the job built (``[[packages]] image``): not
    pushed by octoci, but covered by build information and the release."""

    @property
    def package_ids(self) -> list[str]:
        """Every package id the run pushes, in order, once each."""
        ids = [job.plan.spec.id for job in self.to_pack] + [name.id for _, name in self.files]
        return list(dict.fromkeys(ids))

    @property
    def package_versions(self) -> tuple[tuple[str, str], ...]:
        """``(package id, version)`` of every package the run pushes, in order."""
        packed = [(job.plan.spec.id, job.plan.spec.version) for job in self.to_pack]
        return tuple(dict.fromkeys(packed + [(n.id, n.version) for _, n in self.files]))

    @property
    def external_packages(self) -> tuple[ExternalPackage, ...]:
        """The packages the run pushes to repositories other than the built-in feed, with the
        id the feed that reads each repository knows it by.

        :raises InputError: a repository cannot name a package (a Maven id without a group).
        """
        found = []
        for package_id, version in self.package_versions:
            if self.routing.name_for(package_id) == BUILTIN_FEED:
                continue
            repository = self.routing.repository_for(package_id)
            feed_id = octopus_package_id(repository, package_id)
            found.append(ExternalPackage(package_id, version, feed_id, repository))
        return tuple(found)

    def needs(self, *, check_permissions: bool = True) -> ServerNeeds:
        """What the run asks of the server, for the pre-flight."""
        external = self.external_packages
        elsewhere = {e.package_id.lower() for e in external}
        return ServerNeeds(
            package_ids=tuple(i for i in self.package_ids if i.lower() not in elsewhere),
            overwrite_mode=self.overwrite_mode,
            build_information=self.build_information,
            release=self.release,
            deploy=self.deploy,
            promote=self.promote,
            check_permissions=check_permissions,
            package_versions=self.package_versions,
            external=external,
        )

    @property
    def build_information_targets(self) -> tuple[tuple[str, str], ...]:
        """``(package id, version)`` of every package and image build information is pushed
        for, in order; a package in another repository by the id its feed's steps name it by
        (``com.acme:Acme.Web`` in a Maven feed), as Octopus keys build information."""
        feed_ids = {e.package_id.lower(): e.feed_package_id for e in self.external_packages}
        packages = tuple((feed_ids.get(i.lower(), i), v) for i, v in self.package_versions)
        return (*packages, *self.images)

    @property
    def phase_titles(self) -> list[str]:
        """The phases this run goes through, for ``[n/total]`` headings."""
        return [step.phase for step in publish_steps(self)]


def compute_version(
    config: ResolvedConfig, pm: OctociPluginManager, server: CIServer, info: BuildInformation
) -> str:
    """The package version: ``version``, else from the build number or the version hook (git)."""
    version = config.settings.version
    where = "--version"
    if not version and config.settings.version_from == "build-number":
        number = info.build_number.strip()
        if not number:
            raise InputError(
                f"version_from is build-number, but {server.display_name} gives no build "
                "number; pass --version"
            )
        version = f"{config.settings.version_prefix}.{number}" if number.isdigit() else number
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
    config: ResolvedConfig, pm: OctociPluginManager, version: str, timestamp: int | None
) -> list[PackageJob]:
    formats = pm.package_formats()
    out_folder = config.settings.out_folder
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
    config: ResolvedConfig, pm: OctociPluginManager, server: CIServer, packing: bool
) -> list[tuple[Path, PackageName]]:
    paths = expand_package_paths(config.settings.package_files, config.base_dir)
    if not paths and not packing:
        search = [config.path_of(p) for p in config.settings.artifact_paths]
        artifacts = pm.discover_artifacts(server, search)
        paths = [a.path for a in artifacts if a.is_package]
    return validate_package_files(paths) if paths else []


def plan_publish(
    config: ResolvedConfig,
    pm: OctociPluginManager,
    server: CIServer,
    capture: CaptureOptions,
    *,
    timestamp: int | None = None,
) -> PublishPlan:
    """Check everything that needs no server; raise :class:`InputError` (exit code 2) on the
    first problem. Reads files and git; writes nothing."""
    mode = parse_overwrite_mode(config.settings.overwrite_mode)
    build_information = config.settings.build_information
    if not build_information:
        capture = replace(capture, fetch_commits=False)
    info = with_branch(pm.capture(server, capture), config.settings.branch)
    version = compute_version(config, pm, server, info)
    jobs = _package_jobs(config, pm, version, timestamp)
    files = _package_files(config, pm, server, bool(jobs))
    images = tuple((i.image, i.tag or version) for i in config.image_configs())
    if not jobs and not files and not images:
        raise InputError(
            "nothing to publish: configure packages ([[packages]] in octoci.toml, or "
            "--package-id with --base-path), pass --package-file, or put package files in "
            "the artifact folders (--artifact-path)"
            + ("" if config.config_file else f"; {config_search_description(config.base_dir)}")
        )
    seen: dict[str, str] = {}
    for package_id, source in [
        *((j.plan.spec.id, str(j.plan.spec.base_path)) for j in jobs),
        *((n.id, str(p)) for p, n in files),
        *((image, f"the image entry {image}") for image, _ in images),
    ]:
        if package_id.lower() in seen:
            raise InputError(
                f"the package id {package_id} is published twice ({seen[package_id.lower()]} "
                f"and {source}); give each package its own id"
            )
        seen[package_id.lower()] = source
    project = config.settings.project
    deploy_to, promote_to = config.settings.deploy_to, config.settings.promote_to
    wants_release = bool(project) and config.settings.create_release
    if (deploy_to or promote_to) and not wants_release:
        raise InputError(
            "deploying needs a release: set project (--project) and keep create_release on"
        )
    if promote_to and not deploy_to:
        raise InputError("promote_to follows a deployment: set deploy_to (--deploy-to) as well")
    if (config.settings.tenants or config.settings.tenant_tags) and not deploy_to:
        raise InputError("tenants and tenant_tags need deploy_to (--deploy-to)")
    release = None
    if wants_release:
        ids = [j.plan.spec.id for j in jobs] + [n.id for _, n in files]
        file_versions = {n.id: n.version for _, n in files}
        release = release_request(
            config,
            version=config.settings.release_version or version,
            # Each pushed package at the version pushed; other package steps keep Octopus's rule.
            packages=(
                *(f"{i}:{file_versions.get(i, version)}" for i in dict.fromkeys(ids)),
                # An image's tag, as the Docker step selects it (the job pushed the image).
                *(f"{image}:{tag}" for image, tag in images),
            ),
        )
        release = with_build_git_reference(release, info)
        validate_release_request(release)
    deploy = promote = None
    if deploy_to:
        deploy = deploy_request(config, deploy_to, version=release.version if release else "")
    else:
        check_no_deploy_options(config, "--deploy-to")
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
        wait=config.settings.wait or promote is not None,
        build_information=build_information,
        images=images,
    )


# ---------------------------------------------------------------------------------- steps
def publish_steps(
    plan: PublishPlan,
    *,
    concurrency: int = 3,
    delta: bool = True,
    progress: Progress | None = None,
    wait: WaitOptions | None = None,
    release_creation: ReleaseCreation | None = None,
    release_existed: bool = False,
    head_start: HeadStart | None = None,
) -> list[Step]:
    """The steps of the plan, in order: pack and push (each package pushed as soon as it is
    written, :class:`~octoci.steps.pack_push.PackAndPush`), build information, release, deploy,
    promote (each waits with ``wait`` when the plan waits). ``head_start``: one of the packages,
    already being written while Octopus was checked (:mod:`octoci.steps.head_start`).

    With ``release_creation`` (the project creates its release when the run pushes its
    triggering package): build information, pack and push the other packages, the triggering
    package alone and last, adopt the release Octopus created, deploy where the lifecycle did
    not, promote.
    """
    waiting = wait if plan.wait else None
    if release_creation is not None and plan.release is not None:
        return _automatic_release_steps(
            plan, release_creation, release_existed, concurrency, delta, progress, wait, head_start
        )
    push = PushPackages(
        plan.files, plan.overwrite_mode, concurrency, delta, progress, routing=plan.routing
    )
    steps: list[Step] = []
    if plan.to_pack:
        # Each package is pushed as soon as it is written, while the next one is packed.
        steps.append(PackAndPush(plan.to_pack, push, progress, head_start=head_start))
    elif plan.files:
        steps.append(push)
    if plan.build_information:
        # The packages pushed (their versions as pushed), and the images; a package in another
        # repository by the id its feed knows it by.
        external = plan.images or plan.external_packages
        targets = plan.build_information_targets if external else ()
        steps.append(PushBuildInformation(plan.info, plan.overwrite_mode, targets=targets))
    if plan.release is not None:
        external = plan.external_packages
        if external:
            # Octopus must see each version pushed elsewhere before a release selects it.
            steps.append(CheckExternalFeeds(plan.release.project, external))
        # The pre-flight checked the deployment's names and lifecycle already.
        steps.append(CreateRelease(plan.release, external=external))
    return steps + _deployment_steps(plan, waiting)


def _deployment_steps(plan: PublishPlan, waiting: WaitOptions | None) -> list[Step]:
    """The deployment, then the promotion that follows it, as the plan asks."""
    steps: list[Step] = []
    if plan.deploy is not None:
        steps.append(Deploy(plan.deploy, waiting))
    if plan.promote is not None:
        steps.append(Deploy(plan.promote, waiting, verb="Promoting"))
    return steps


def _automatic_release_steps(
    plan: PublishPlan,
    creation: ReleaseCreation,
    existed: bool,
    concurrency: int,
    delta: bool,
    progress: Progress | None,
    wait: WaitOptions | None,
    head_start: HeadStart | None = None,
) -> list[Step]:
    """Build information first (Octopus links what is there when it creates the release; it
    names the plan's versions, so it needs no package written), then the packages packed and
    each pushed as it is ready but the triggering one, which is pushed alone and last, then
    adopt."""
    assert plan.release is not None
    waiting = wait if plan.wait else None
    trigger = (creation.package_id,)
    steps: list[Step] = []
    if plan.build_information:
        steps.append(
            PushBuildInformation(
                plan.info, plan.overwrite_mode, targets=plan.build_information_targets
            )
        )
    push = PushPackages(
        plan.files, plan.overwrite_mode, concurrency, delta, progress, routing=plan.routing
    )
    if plan.to_pack:
        steps.append(
            PackAndPush(plan.to_pack, push, progress, holding=trigger, head_start=head_start)
        )
    elif any(i.lower() != creation.package_id.lower() for i in plan.package_ids):
        steps.append(replace(push, excluding=trigger))
    if plan.external_packages:
        # Octopus selects each package when the trigger arrives: it must see those pushed
        # elsewhere by then.
        steps.append(CheckExternalFeeds(plan.release.project, plan.external_packages))
    steps.append(replace(push, only=trigger, why=" (it triggers automatic release creation)"))
    options = wait or WaitOptions()
    steps.append(
        AdoptRelease(
            plan.release,
            creation,
            # By the ids the steps know them by (a Maven package's group:artifact, an image).
            plan.build_information_targets,
            build_information=plan.build_information,
            existed=existed,
            timeout=options.timeout,
            poll_interval=options.poll_interval,
            wait=waiting,
            deploying=plan.deploy.environments if plan.deploy is not None else (),
        )
    )
    return steps + _deployment_steps(plan, waiting)


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
    release_creation: ReleaseCreation | None = None,
    release_existed: bool = False,
    head_start: HeadStart | None = None,
) -> tuple[RunReport, OctociError | None]:
    """Run the plan against ``connection`` (checked by
    :func:`~octoci.octopus.preflight.check_server` first): the report, and the error that ended
    the run after a step failed part-way (a failed or timed-out deployment), else ``None``.

    With ``dry_run``, packages are written to a temporary folder (removed afterwards) so that
    their sizes and hashes are real, compared with what Octopus holds, and every request that
    would change Octopus is recorded in :attr:`RunReport.requests` instead of sent.

    ``release_creation`` and ``release_existed`` come from the pre-flight
    (:class:`~octoci.octopus.preflight.ServerCheck`): the project creates its release itself.
    ``head_start``: a package already being written, see :mod:`octoci.steps.head_start` (a dry
    run writes its packages into a scratch folder and leaves it unused).
    """
    steps = publish_steps(
        plan,
        concurrency=concurrency,
        delta=delta,
        progress=progress,
        wait=WaitOptions(timeout, poll_interval, cancel_on_timeout),
        release_creation=release_creation,
        release_existed=release_existed,
        head_start=head_start,
    )
    start = RunReport(server=reporter.server.name, dry_run=dry_run)
    if not dry_run:
        report, failure = Plan(steps).run(StepContext(connection, reporter), start)
    else:
        dry = DryRunConnection(connection)
        with tempfile.TemporaryDirectory(prefix="octoci-dry-run-") as temp:
            context = StepContext(dry, reporter, dry_run=True, scratch=Path(temp))
            report, failure = Plan(steps).run(context, start)
        report = report.replace(
            # The temporary folder is gone: the packages are named by their file names.
            packages=tuple(replace(p, path=Path(p.path.name)) for p in report.packages),
            requests=tuple(r.to_json() for r in dry.recorded),
        )
    return report.replace(
        space=connection.space_id() or "", octopus_url=connection.settings.url
    ), failure
