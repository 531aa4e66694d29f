"""The data that flows through octoci: frozen dataclasses, never mutated; copies via ``replace``.

Data flows one way (see ``docs/architecture.md``)::

    environment / CI API -> CIServer -> BuildInformation (+ Artifact) -> PackageSpec -> Package
        -> octoci.octopus -> Octopus -> RunReport -> the CI's outputs, masks and summary
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

__all__ = [
    "Artifact",
    "BuildInformation",
    "BuildInformationRecord",
    "CaptureOptions",
    "Commit",
    "Deployment",
    "DeploymentOrigin",
    "Package",
    "PackageEntry",
    "PackageFormat",
    "PackageOutcome",
    "PackageSpec",
    "PackageWriter",
    "Release",
    "RunReport",
    "VcsType",
]

#: Octopus gives commit links and messages only for these two; anything else is sent as given.
VcsType = Literal["Git", "TFVC"]


@dataclass(frozen=True)
class Commit:
    """One commit (or TFVC changeset) of the build, as Octopus's ``Commits[]`` entries hold it.

    Example::

        Commit(id="9f1c2e0", comment="Fix the login page (#42)")
    """

    id: str
    comment: str = ""

    def to_octopus(self) -> dict[str, str]:
        """The ``{"Id", "Comment"}`` object Octopus expects (``LinkUrl`` is computed by the server)."""
        return {"Id": self.id, "Comment": self.comment}


@dataclass(frozen=True)
class BuildInformation:
    """What a build server knows about the build, mapped 1:1 onto Octopus's ``OctopusBuildInformation``.

    The first eight fields are exactly what Octopus stores (:meth:`to_octopus`); the rest are
    what Octopus does not take but release engineers need (:meth:`extra`): pull-request number,
    source and target branch, tag, the pull request's head commit and the job name.

    Adapters fill it in raw; :func:`octoci.normalize.normalize_build_information` applies the rules
    every adapter shares (clean VcsRoot, branch without ``refs/heads/``, VcsType ``Git``/``TFVC``).

    Example::

        BuildInformation(
            build_environment="GitHub Actions",
            build_number="42",
            build_url="https://github.com/acme/shop/actions/runs/7",
            branch="main",
            vcs_type="Git",
            vcs_root="https://github.com/acme/shop",
            vcs_commit_number="9f1c2e0d",
            commits=(Commit("9f1c2e0d", "Fix the login page"),),
        )
    """

    build_environment: str = ""
    build_number: str = ""
    build_url: str = ""
    branch: str = ""
    vcs_type: str = "Git"
    vcs_root: str = ""
    vcs_commit_number: str = ""
    commits: tuple[Commit, ...] = ()
    # --- not sent to Octopus, but carried for versioning, summaries and outputs ---
    pull_request_number: str = ""
    source_branch: str = ""
    target_branch: str = ""
    tag: str = ""
    head_commit: str = ""
    job_name: str = ""

    def replace(self, **changes: Any) -> BuildInformation:
        """A copy with ``changes`` applied (the dataclass is frozen)."""
        return dataclasses.replace(self, **changes)

    @property
    def is_pull_request(self) -> bool:
        """True for a pull-request (merge-request) build."""
        return bool(self.pull_request_number)

    def to_octopus(self) -> dict[str, Any]:
        """Exactly Octopus's ``OctopusBuildInformation`` object, PascalCase keys, in Octopus's order."""
        return {
            "BuildEnvironment": self.build_environment,
            "BuildNumber": self.build_number,
            "BuildUrl": self.build_url,
            "Branch": self.branch,
            "VcsType": self.vcs_type,
            "VcsRoot": self.vcs_root,
            "VcsCommitNumber": self.vcs_commit_number,
            "Commits": [c.to_octopus() for c in self.commits],
        }

    def extra(self) -> dict[str, str]:
        """What Octopus does not take, PascalCase keys like :meth:`to_octopus`."""
        return {
            "PullRequestNumber": self.pull_request_number,
            "SourceBranch": self.source_branch,
            "TargetBranch": self.target_branch,
            "Tag": self.tag,
            "HeadCommit": self.head_commit,
            "JobName": self.job_name,
        }

    @classmethod
    def from_octopus(
        cls, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None
    ) -> BuildInformation:
        """Read an ``OctopusBuildInformation`` object (the JSON the Octopus CLI uploads).

        Unknown keys are ignored; a key of the wrong type raises ``TypeError`` naming the key.
        """
        values: dict[str, Any] = {}
        for f, key in _OCTOPUS_KEYS.items():
            if key in data and data[key] is not None:
                values[f] = _text(data[key], key)
        commits = data.get("Commits") or []
        if not isinstance(commits, Sequence) or isinstance(commits, str):
            raise TypeError("Commits must be a list of {Id, Comment} objects")
        parsed = []
        for item in commits:
            if not isinstance(item, Mapping) or "Id" not in item:
                raise TypeError("each entry of Commits must be an object with an Id")
            parsed.append(
                Commit(
                    _text(item["Id"], "Commits[].Id"),
                    _text(item.get("Comment") or "", "Commits[].Comment"),
                )
            )
        values["commits"] = tuple(parsed)
        for f, key in _EXTRA_KEYS.items():
            if extra and extra.get(key):
                values[f] = _text(extra[key], key)
        return cls(**values)


_OCTOPUS_KEYS = {
    "build_environment": "BuildEnvironment",
    "build_number": "BuildNumber",
    "build_url": "BuildUrl",
    "branch": "Branch",
    "vcs_type": "VcsType",
    "vcs_root": "VcsRoot",
    "vcs_commit_number": "VcsCommitNumber",
}
_EXTRA_KEYS = {
    "pull_request_number": "PullRequestNumber",
    "source_branch": "SourceBranch",
    "target_branch": "TargetBranch",
    "tag": "Tag",
    "head_commit": "HeadCommit",
    "job_name": "JobName",
}


def _text(value: Any, key: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"{key} must be a string, not {type(value).__name__}")
    return str(value)


@dataclass(frozen=True)
class Artifact:
    """A file or folder the build produced, found by artifact discovery.

    ``package_id`` and ``version`` are set when the file is already an Octopus package
    (``<Id>.<Version>.<ext>``); otherwise the artifact is content to be packed.

    Example::

        Artifact(path=Path("dist/Acme.Web.1.2.3.zip"), package_id="Acme.Web", version="1.2.3")
    """

    path: Path
    package_id: str = ""
    version: str = ""
    source: str = ""
    """Who found it: a plugin name, or ``"artifact-roots"`` for the built-in discovery."""

    @property
    def is_package(self) -> bool:
        """True when the file is already a package Octopus can take as it is."""
        return bool(self.package_id and self.version)


@dataclass(frozen=True)
class PackageSpec:
    """What to pack: one package id, one version, one format, and the files to take.

    Example::

        PackageSpec(id="Acme.Web", version="1.2.3", format="zip", base_path=Path("publish"),
                    include=("**",), exclude=("**/*.pdb",))
    """

    id: str
    version: str
    format: str = "zip"
    base_path: Path = Path()
    include: tuple[str, ...] = ("**",)
    exclude: tuple[str, ...] = ()
    out_folder: Path = Path()
    overwrite: bool = False
    metadata: Mapping[str, str] = field(default_factory=dict)
    """Format-specific metadata, e.g. ``authors`` and ``description`` for a nupkg."""
    compression_level: int | None = None
    """0 (store) to 9 (smallest); ``None`` is the format's default (6 for deflate, 9 for bzip2)."""
    timestamp: int | None = None
    """Seconds since 1970 stamped on every entry (``SOURCE_DATE_EPOCH``); ``None``: 1980-01-01."""
    threads: int | None = None
    """Compression threads; ``None`` is one per core."""
    engine: str = "auto"
    """Deflate engine: ``auto`` (libdeflate when installed, else zlib), ``zlib`` or ``libdeflate``."""


#: What became of a package: ``packed`` (written, not pushed), ``created`` (stored by this push),
#: ``identical`` (already in Octopus with the same content) or ``ignored`` (a different file was
#: already there and IgnoreIfExists kept it).
PackageOutcome = Literal["packed", "created", "identical", "ignored"]
#: Where a deployment came from: ``queued`` (created now), ``recovered`` (created although the
#: answer was lost, found by looking it up) or ``existing`` (the release was already deployed
#: there; not deployed again).
DeploymentOrigin = Literal["queued", "recovered", "existing", "automatic"]
"""``automatic``: Octopus started it itself (a lifecycle phase that deploys automatically)."""


@dataclass(frozen=True)
class Package:
    """A package file ready to push (or pushed), with what the run learned about it.

    Example::

        Package(path=Path("out/Acme.Web.1.2.3.zip"), id="Acme.Web", version="1.2.3",
                size=1_048_576, sha256="9c1f...", outcome="created")
    """

    path: Path
    id: str
    version: str
    size: int = 0
    sha256: str = ""
    outcome: PackageOutcome = "packed"
    sha1: str = ""
    """The SHA-1 of the local file (what Octopus calls the package's ``Hash``)."""
    server_hash: str = ""
    """The ``Hash`` Octopus stored (checked against the bytes sent)."""
    attempts: int = 1
    bytes_sent: int = 0
    """Bytes of package data sent (the delta's size after a delta upload); 0: derived."""
    delta: bool = False
    """True when a delta against an earlier version was sent instead of the file."""
    warnings: tuple[str, ...] = ()
    repository: str = ""
    """The configured repository it was pushed to (``octopus``: the built-in feed); ``""``
    before a push."""
    location: str = ""
    """Where the repository stores it (a URL, ``s3://bucket/key``, a folder's file); never
    holds a credential."""

    @property
    def pushed(self) -> bool | None:
        """True when the server stored it, False when it was already there, None before a push."""
        return None if self.outcome == "packed" else self.outcome == "created"

    @property
    def sent(self) -> int:
        """Bytes of package data sent over the wire (all attempts)."""
        if self.bytes_sent:
            return self.bytes_sent
        if self.outcome == "packed":
            return 0
        return self.size * self.attempts if self.outcome == "created" else self.size

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form of every command."""
        return {
            "Path": self.path.as_posix(),
            "PackageId": self.id,
            "Version": self.version,
            "Size": self.size,
            "Result": self.outcome,
            "Pushed": self.pushed,
            "Hash": self.server_hash or self.sha1,
            "Attempts": self.attempts,
            "BytesSent": self.sent,
            "Delta": self.delta,
            "Repository": self.repository,
            "Location": self.location,
        }


@dataclass(frozen=True)
class BuildInformationRecord:
    """The build information Octopus holds for one package id at one version after a push."""

    package_id: str
    version: str
    outcome: Literal["created", "identical", "ignored"] = "created"
    id: str = ""
    commits: int = 0
    """How many commits the record carries."""

    def to_json(self) -> dict[str, str]:
        """The ``--json`` form."""
        return {
            "PackageId": self.package_id,
            "Version": self.version,
            "Result": self.outcome,
            "Id": self.id,
        }


@dataclass(frozen=True)
class Release:
    """A release created (or found) in Octopus."""

    project: str
    version: str
    id: str = ""
    url: str = ""
    created: bool = True
    automatic: bool = False
    """Created by Octopus itself (automatic release creation) when the run pushed its package."""

    @property
    def created_by(self) -> str:
        """How the release came to be, for result lines: ``created``, ``created by Octopus
        (automatic release creation)`` or ``already existed``."""
        if not self.created:
            return "already existed"
        return "created by Octopus (automatic release creation)" if self.automatic else "created"

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "Project": self.project,
            "Version": self.version,
            "Id": self.id,
            "Created": self.created,
            "Url": self.url,
            "AutomaticReleaseCreation": self.automatic,
        }


@dataclass(frozen=True)
class Deployment:
    """One deployment (or runbook run) Octopus queued, and its task's state as last seen."""

    environment: str = ""
    tenant: str = ""
    task_id: str = ""
    url: str = ""
    state: str = ""
    """Octopus task state: Queued, Executing, Success, Failed, Canceled, TimedOut ..."""
    deployment_id: str = ""
    runbook_run_id: str = ""
    origin: DeploymentOrigin = "queued"
    existing_state: str = ""
    """With ``existing``: the state of that deployment's task when it was found."""
    interrupted: bool = False
    """Octopus waits for a person (guided failure, manual intervention)."""

    def replace(self, **changes: Any) -> Deployment:
        """A copy with ``changes`` applied (the dataclass is frozen)."""
        return dataclasses.replace(self, **changes)

    @property
    def label(self) -> str:
        """``Environment`` or ``Environment/Tenant``."""
        return (self.environment or "unknown environment") + (
            f"/{self.tenant}" if self.tenant else ""
        )

    def announcement(self) -> str:
        """The line that tells what happened to this deployment."""
        created = self.deployment_id or self.runbook_run_id
        if self.origin == "existing":
            return (
                f"already deployed to {self.label}: {self.deployment_id} ({self.task_id}, "
                f"{self.existing_state}); not deploying again (--redeploy deploys anyway)"
            )
        if self.origin == "automatic":
            return (
                f"deployed to {self.label} by Octopus (the lifecycle deploys there "
                f"automatically): {self.deployment_id} ({self.task_id}); not deploying again"
            )
        if self.origin == "recovered":
            return (
                f"queued {self.task_id} ({self.label}): {created} was created although the "
                "answer was lost"
            )
        return f"queued {self.task_id} ({self.label})"

    def state_line(self) -> str:
        """``ServerTasks-1 (Dev): Executing``, saying when Octopus waits for a person."""
        where = self.environment + (f"/{self.tenant}" if self.tenant else "")
        waiting = ""
        if self.interrupted:
            # Octopus waits for a person to answer in its portal: say where.
            waiting = " - waiting for someone in Octopus (guided failure or manual intervention)"
            waiting += f": {self.url}" if self.url else ""
        return f"{self.task_id}{f' ({where})' if where else ''}: {self.state}{waiting}"

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form (the GitHub deploy action's ``server_tasks`` shape, PascalCase)."""
        given = {
            "TenantName": self.tenant,
            "DeploymentId": self.deployment_id,
            "RunbookRunId": self.runbook_run_id,
            "Origin": "" if self.origin == "queued" else self.origin,
        }
        return {
            "ServerTaskId": self.task_id,
            "EnvironmentName": self.environment,
            **{key: value for key, value in given.items() if value},
            "State": self.state or "Queued",
            **({"Url": self.url} if self.url else {}),
        }


@dataclass(frozen=True)
class RunReport:
    """What one octoci run did, for output variables and the job summary.

    Every command builds it step by step (:mod:`octoci.steps`); a failed step leaves what was
    done before it, with ``exit_code`` set.

    Example::

        RunReport(server="github_actions", space="Spaces-1",
                  packages=(Package(Path("a.1.0.0.zip"), "a", "1.0.0", outcome="created"),))
    """

    server: str = "local"
    space: str = ""
    octopus_url: str = ""
    build_information: BuildInformation | None = None
    packages: tuple[Package, ...] = ()
    build_information_records: tuple[BuildInformationRecord, ...] = ()
    """The build information pushed, one record per package id."""
    release: Release | None = None
    deployments: tuple[Deployment, ...] = ()
    warnings: tuple[str, ...] = ()
    failed_packages: tuple[tuple[str, str], ...] = ()
    """``(path, error)`` of each package file that could not be pushed."""
    exit_code: int = 0
    dry_run: bool = False
    requests: tuple[Mapping[str, Any], ...] = ()
    """In a dry run: every request a real run would send (method, path, query, body)."""

    def replace(self, **changes: Any) -> RunReport:
        """A copy with ``changes`` applied (the dataclass is frozen)."""
        return dataclasses.replace(self, **changes)

    @property
    def build_information_pushed(self) -> tuple[str, ...]:
        """Package ids whose build information was pushed."""
        return tuple(r.package_id for r in self.build_information_records)


@dataclass(frozen=True)
class CaptureOptions:
    """How build information and commits are captured.

    Example::

        CaptureOptions(commit_range="v1.2.0..HEAD", strict=True)
    """

    commit_range: str = ""
    """A git range that overrides the server's own commit list (``--commit-range``)."""
    strict: bool = False
    """Fail when the server's commit API fails, instead of warning and falling back to git."""
    max_commits: int = 1000
    """The git fallback stops after this many commits (Octopus warns at 200)."""
    fetch_commits: bool = True
    """False skips the commit list entirely (``--no-commits``)."""


@dataclass(frozen=True)
class PackageEntry:
    """One file to put into a package: where it is on disk and its name inside the archive
    (always ``/``-separated, relative, no ``..``)."""

    source: Path
    name: str


class PackageWriter(Protocol):
    """Writes a package file from its entries; registered through :class:`PackageFormat`."""

    def __call__(
        self, spec: PackageSpec, entries: Sequence[PackageEntry], destination: Path
    ) -> None: ...


@dataclass(frozen=True)
class PackageFormat:
    """A package format a plugin contributes through ``octoci_package_formats``.

    Example::

        PackageFormat(name="zip", extension=".zip", write=write_zip,
                      description="Zip archive, deterministic, parallel deflate")
    """

    name: str
    extension: str
    write: PackageWriter
    description: str = ""
