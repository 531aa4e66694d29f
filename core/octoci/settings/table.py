"""The settings table: :class:`Settings` is a frozen dataclass whose fields ARE the settings.

Each field carries a :class:`Setting` as metadata: its flag, environment variable, kind, help,
the commands it applies to and, where a command had its own wording or default before the
commands shared this table, that command's help and default. ``docs/reference/configuration.md``
and every command's options are generated from it, so flags, variables, file keys and docs cannot
disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "COMMANDS",
    "OCTOPUS_COMMANDS",
    "SETTINGS",
    "WAITING_COMMANDS",
    "Kind",
    "Setting",
    "Settings",
    "setting",
    "settings_for",
    "settings_of",
]

Kind = Literal["str", "bool", "float", "int", "list", "path", "choice"]
_METADATA_KEY = "octoci.setting"

PUBLISH = ("publish",)
#: The commands that create a release.
RELEASING = ("publish", "release create")
#: The commands that deploy (or run a runbook), and so take the deployment options.
DEPLOYING = ("publish", "release create", "release deploy", "release promote", "runbook run")
#: The commands that deploy a release (not a runbook).
RELEASE_DEPLOYING = DEPLOYING[:-1]
#: The commands that wait for server tasks (and so take ``timeout``, ``poll_interval``...).
WAITING_COMMANDS = (
    "release create",
    "release deploy",
    "release promote",
    "runbook run",
    "task wait",
)
#: The commands that only read what is in Octopus (``octoci release list|show``, ``task show``).
RELEASE_READING = ("release list", "release show")
READING_COMMANDS = (*RELEASE_READING, "task show")
#: Every command that talks to Octopus (and so takes ``octopus_url`` and ``space``).
OCTOPUS_COMMANDS = ("publish", "push", "build-info", *WAITING_COMMANDS, "login", *READING_COMMANDS)
#: Every built-in command that reads settings (``octoci pack`` packs what its flags say only).
COMMANDS = OCTOPUS_COMMANDS


@dataclass(frozen=True)
class Setting:
    """One setting: its flag, environment variable, file key, type, default and commands."""

    name: str
    """The file key and the attribute of :class:`Settings`."""
    kind: Kind
    help: str
    flag: str = ""
    """The command-line flag; empty when the setting has none of its own."""
    env: str = ""
    default: Any = None
    commands: tuple[str, ...] = PUBLISH
    """The commands that use the setting; the others ignore it (the file is shared)."""
    server_default: str = ""
    """What the build server (or ``--emulator``) supplies when nothing else sets it (documentation)."""
    choices: tuple[str, ...] = ()
    metavar: str = ""
    owned_flag: bool = True
    """False when another module defines the flag (the Octopus connection options)."""
    help_for: Mapping[str, str] = field(default_factory=dict)
    """Command -> its own help text (the wording that command has always had)."""
    default_for: Mapping[str, Any] = field(default_factory=dict)
    """Command -> its own default, where it differs."""
    aliases: tuple[str, ...] = ()
    """Other spellings of the flag: the Octopus CLI's, so that a migrating pipeline works."""
    switches: Mapping[str, Any] = field(default_factory=dict)
    """Flags that take no value and set the setting to one (``--ignore-existing`` -> ``use``)."""
    masked: bool = False
    """Its values are shown masked (``NAME:***``) where settings are listed: prompted variables
    may be sensitive."""

    @property
    def file_key(self) -> str:
        """The key in ``octoci.toml`` / ``[tool.octoci]``."""
        return self.name

    def applies_to(self, command: str) -> bool:
        """Whether ``command`` reads this setting."""
        return command in self.commands

    def help_in(self, command: str) -> str:
        """The help text ``command`` shows for this setting."""
        return self.help_for.get(command, self.help)

    def default_in(self, command: str) -> Any:
        """The default ``command`` uses."""
        return self.default_for.get(command, self.default)


def _kind_of(default: Any) -> Kind:
    # bool first: it is a subclass of int.
    for python_type, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if isinstance(default, python_type):
            return kind  # type: ignore[return-value]
    if isinstance(default, tuple):
        return "list"
    if isinstance(default, Path):
        return "path"
    raise TypeError(
        f"a setting's default must be str, bool, int, float, tuple or Path: {default!r}"
    )


def setting(default: Any, help: str, *, kind: Kind | None = None, **details: Any) -> Any:
    """A dataclass field that is a setting: ``timeout: float = setting(600.0, "Seconds...")``.

    ``kind`` is taken from the default unless given (``choice`` and ``path`` need saying);
    ``details`` are the other :class:`Setting` attributes (flag, env, commands, choices...).
    """
    meta = Setting(name="", kind=kind or _kind_of(default), help=help, default=default, **details)
    return field(default=default, metadata={_METADATA_KEY: meta})


def settings_of(cls: type[Any]) -> tuple[Setting, ...]:
    """The :class:`Setting` of every field of the settings dataclass ``cls``, in field order."""
    return tuple(
        replace(f.metadata[_METADATA_KEY], name=f.name)
        for f in fields(cls)
        if _METADATA_KEY in f.metadata
    )


def _each(commands: tuple[str, ...], text: str) -> dict[str, str]:
    return dict.fromkeys(commands, text)


_WAIT_HELP = "With --wait: "


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one command, read as typed attributes (``settings.timeout``).

    A setting that does not apply to the running command holds its default.
    """

    octopus_url: str = setting(
        "",
        "Octopus Server URL. Not secret, so it may live in the file; the API key never does "
        "(OCTOPUS_API_KEY, OCTOPUS_ACCESS_TOKEN or OIDC).",
        flag="--octopus-url",
        env="OCTOPUS_URL",
        commands=OCTOPUS_COMMANDS,
        owned_flag=False,
        server_default="`--emulator`: the embedded emulator",
    )
    space: str = setting(
        "",
        "Space name or id.",
        flag="--space",
        env="OCTOPUS_SPACE",
        commands=OCTOPUS_COMMANDS,
        owned_flag=False,
        server_default="the server's default space",
    )
    project: str = setting(
        "",
        "Octopus project to create the release in. Without it, publish stops after pushing "
        "packages and build information.",
        flag="--project",
        env="OCTOCI_PROJECT",
        metavar="NAME",
        commands=(*DEPLOYING, *RELEASE_READING),
        help_for=_each((*DEPLOYING[1:], *RELEASE_READING), "Project name (or id, or slug)."),
    )
    version: str = setting(
        "",
        "Package version (SemVer or 1.2.3.4).",
        flag="--version",
        env="OCTOCI_VERSION",
        server_default="computed as `version_from` says",
    )
    version_from: str = setting(
        "git",
        "Where the version comes from when not given: `git` (the version hook: the last "
        "version tag, raised, with a pre-release label and the commits since, e.g. "
        "`1.4.1-ci.7`; a plugin may replace it) or `build-number` (a build number that is a "
        "version, or `<version_prefix>.<number>`).",
        kind="choice",
        flag="--version-from",
        env="OCTOCI_VERSION_FROM",
        choices=("git", "build-number"),
    )
    version_prefix: str = setting(
        "1.0",
        "With `version_from = build-number` and a plain number as build number: the version is "
        "`<prefix>.<number>`.",
        flag="--version-prefix",
        env="OCTOCI_VERSION_PREFIX",
    )
    package_id: str = setting(
        "",
        "One package to pack (replaces the file's `[[packages]]`).",
        flag="--package-id",
        env="OCTOCI_PACKAGE_ID",
        metavar="ID",
    )
    # setting() is a dataclasses.field (and Path is immutable): not a call per instance.
    base_path: Path = setting(  # noqa: RUF009
        Path(),
        "With `package_id`: the folder to pack.",
        flag="--base-path",
        env="OCTOCI_BASE_PATH",
    )
    include: tuple[str, ...] = setting(
        ("**",),
        "Files to pack, relative to the base path ('**' spans folders). In the file: for the "
        "packages that set none; as a flag or variable: for every package.",
        flag="--include",
        env="OCTOCI_INCLUDE",
        metavar="GLOB",
    )
    exclude: tuple[str, ...] = setting(
        (),
        "Files to leave out, e.g. '**/*.pdb'. In the file: for the packages that set none; as a "
        "flag or variable: for every package.",
        flag="--exclude",
        env="OCTOCI_EXCLUDE",
        metavar="GLOB",
    )
    format: str = setting(
        "zip",
        "Package format: zip, nupkg, tar.gz, tar, tar.bz2 or a plugin's. In the file: for the "
        "packages that set none; as a flag or variable: for every package.",
        flag="--format",
        env="OCTOCI_FORMAT",
    )
    only: tuple[str, ...] = setting(
        (),
        "Publish only these package ids of the configured packages.",
        flag="--only",
        env="OCTOCI_ONLY",
        metavar="ID",
    )
    package_files: tuple[str, ...] = setting(
        (),
        "Package files that are already built (paths or globs such as 'dist/*.nupkg'), pushed "
        "as they are, besides what is packed.",
        flag="--package-file",
        env="OCTOCI_PACKAGE_FILES",
        metavar="GLOB",
    )
    artifact_paths: tuple[str, ...] = setting(
        (),
        "When nothing is configured to pack or push: folders searched for package files "
        "(`<Id>.<Version>.<ext>`) by the artifact hook.",
        flag="--artifact-path",
        env="OCTOCI_ARTIFACT_PATHS",
        metavar="PATH",
        server_default="the build server's artifact folders (e.g. Build.ArtifactStagingDirectory)",
    )
    out_folder: Path = setting(  # noqa: RUF009
        Path(".octoci/packages"),
        "Where packages are written.",
        flag="--out-folder",
        env="OCTOCI_OUT_FOLDER",
    )
    overwrite_mode: str = setting(
        "FailIfExists",
        "Packages and build information already in Octopus: FailIfExists, OverwriteExisting or "
        "IgnoreIfExists. A re-run that sends identical content always succeeds.",
        flag="--overwrite-mode",
        env="OCTOCI_OVERWRITE_MODE",
        metavar="MODE",
        commands=("publish", "push", "build-info"),
        help_for={
            "push": "FailIfExists, OverwriteExisting or IgnoreIfExists (also fail, overwrite, "
            "ignore). A re-run whose file is identical to the stored one always succeeds.",
            "build-info": "FailIfExists, OverwriteExisting or IgnoreIfExists. Pushing the same "
            "record again always succeeds.",
        },
    )
    repository: str = setting(
        "octopus",
        "Where packages are pushed: `octopus` (the built-in feed) or the name of a "
        "`[repositories.<name>]` table. In the file: for the packages that set none; as a "
        "flag or variable: for every package.",
        flag="--repository",
        env="OCTOCI_REPOSITORY",
        metavar="NAME",
        commands=("publish", "push"),
        help_for={
            "push": "Push the files to this repository: `octopus` (the built-in feed) or the "
            "name of a `[repositories.<name>]` table in octoci.toml."
        },
    )
    concurrency: int = setting(
        3,
        "How many packages are pushed at once (1-16).",
        flag="--concurrency",
        env="OCTOCI_CONCURRENCY",
        commands=("publish", "push"),
        help_for={"push": "How many packages are sent at once."},
    )
    delta: bool = setting(
        True,
        "Send a package as an Octodiff delta against the nearest earlier version when that is "
        "smaller (falls back to the whole file on its own).",
        flag="--delta/--no-delta",
        env="OCTOCI_DELTA",
        commands=("publish", "push"),
        help_for={
            "push": "--no-delta: always send whole files. By default, when Octopus has an earlier "
            "version of a package, only a delta against it is sent if that is under 95% of the "
            "file."
        },
    )
    build_information: bool = setting(
        True,
        "Push build information (build, branch, commits) for every package.",
        flag="--build-info/--no-build-info",
        env="OCTOCI_BUILD_INFORMATION",
    )
    create_release: bool = setting(
        True,
        "Create a release of `project` (only with a project).",
        flag="--release/--no-release",
        env="OCTOCI_CREATE_RELEASE",
    )
    release_version: str = setting(
        "",
        "Release version.",
        flag="--release-version",
        env="OCTOCI_RELEASE_VERSION",
        server_default="the package version",
    )
    channel: str = setting(
        "",
        "Channel of the release.",
        flag="--channel",
        env="OCTOCI_CHANNEL",
        server_default="the project's default channel",
        commands=(*RELEASING, "release list"),
        help_for={
            "release create": "Channel (default: the best one for the packages).",
            "release list": "Only the releases of this channel (default: every channel).",
        },
    )
    release_exists: str = setting(
        "use",
        "A release of that version already exists (a re-run): `use` it, or `fail`.",
        kind="choice",
        flag="--release-exists",
        env="OCTOCI_RELEASE_EXISTS",
        choices=("use", "fail"),
        commands=RELEASING,
        default_for={"release create": "fail"},
        switches={
            "--ignore-existing": "use",
            "--ignore-if-exists": "use",
            "--ignoreExisting": "use",
        },
        help_for={
            "release create": "A release of that version already exists: `use` it (succeed "
            "with it, as --ignore-if-exists or --ignore-existing), or `fail`."
        },
    )
    deploy_to: tuple[str, ...] = setting(
        (),
        "Deploy the release to these environments.",
        flag="--deploy-to",
        env="OCTOCI_DEPLOY_TO",
        metavar="ENVIRONMENT",
    )
    promote_to: tuple[str, ...] = setting(
        (),
        "Once the deployments to `deploy_to` succeeded, promote the release to these "
        "environments (implies `wait`).",
        flag="--promote-to",
        env="OCTOCI_PROMOTE_TO",
        metavar="ENVIRONMENT",
    )
    tenants: tuple[str, ...] = setting(
        (),
        "Deploy for these tenants ('*': every connected tenant).",
        flag="--tenant",
        env="OCTOCI_TENANTS",
        metavar="NAME",
        commands=DEPLOYING,
        help_for=_each(DEPLOYING[1:], "Deploy for this tenant ('*' is every connected tenant)."),
    )
    tenant_tags: tuple[str, ...] = setting(
        (),
        "Deploy for the tenants with these tags (TagSet/Tag).",
        flag="--tenant-tag",
        env="OCTOCI_TENANT_TAGS",
        metavar="SET/TAG",
        commands=DEPLOYING,
        aliases=("--tenantTag",),
        help_for=_each(DEPLOYING[1:], "Deploy for the tenants with this tag, e.g. Tier/Gold."),
    )
    # -- what a release, deployment or runbook run asks Octopus for (the official tools' options)
    variables: tuple[str, ...] = setting(
        (),
        "Prompted variables, NAME:VALUE (the value may contain ':'; in the variable, items are "
        "comma-separated, so a value with a comma needs the flag or the file). Values are "
        "masked where settings are listed.",
        flag="--variable",
        env="OCTOCI_VARIABLES",
        metavar="NAME:VALUE",
        commands=DEPLOYING,
        masked=True,
        help_for=_each(DEPLOYING[1:], "A prompted variable; the value may contain ':'."),
    )
    guided_failure: bool | None = setting(
        None,
        "Use guided failure: a failing step waits for a person (default: the project's, else "
        "the environment's setting).",
        kind="bool",
        flag="--guided-failure/--no-guided-failure",
        env="OCTOCI_GUIDED_FAILURE",
        commands=DEPLOYING,
        aliases=("--guidedFailure",),
    )
    force_package_download: bool = setting(
        False,
        "Download packages again even if they are already on the targets.",
        flag="--force-package-download/--no-force-package-download",
        env="OCTOCI_FORCE_PACKAGE_DOWNLOAD",
        commands=DEPLOYING,
        aliases=("--forcePackageDownload",),
    )
    deploy_at: str = setting(
        "",
        "Queue for later: ISO 8601, e.g. 2026-12-01T22:00:00+01:00 (no offset: local time).",
        flag="--deploy-at",
        env="OCTOCI_DEPLOY_AT",
        metavar="DATETIME",
        commands=DEPLOYING,
        aliases=("--deployAt", "--when"),
    )
    deploy_at_expiry: str = setting(
        "",
        "With --deploy-at: the task times out if it has not started by then (ISO 8601).",
        flag="--deploy-at-expiry",
        env="OCTOCI_DEPLOY_AT_EXPIRY",
        metavar="DATETIME",
        commands=DEPLOYING,
        aliases=("--deploy-at-expire", "--noDeployAfter"),
    )
    skip_steps: tuple[str, ...] = setting(
        (),
        "Steps to skip, by name.",
        flag="--skip",
        env="OCTOCI_SKIP_STEPS",
        metavar="STEP",
        commands=DEPLOYING,
    )
    deployment_targets: tuple[str, ...] = setting(
        (),
        "Deploy to these deployment targets only, by name.",
        flag="--deployment-target",
        env="OCTOCI_DEPLOYMENT_TARGETS",
        metavar="NAME",
        commands=DEPLOYING,
        aliases=("--target", "--specificMachines"),
    )
    excluded_targets: tuple[str, ...] = setting(
        (),
        "Deploy to every deployment target but these, by name.",
        flag="--exclude-deployment-target",
        env="OCTOCI_EXCLUDED_TARGETS",
        metavar="NAME",
        commands=DEPLOYING,
        aliases=("--exclude-target", "--excludeMachines"),
    )
    update_variables: bool = setting(
        False,
        "Refresh the release's variable snapshot from the project's variables before deploying "
        "(this changes the release, for later deployments too).",
        flag="--update-variables/--no-update-variables",
        env="OCTOCI_UPDATE_VARIABLES",
        commands=RELEASE_DEPLOYING,
        aliases=("--updateVariables",),
    )
    freeze_names: tuple[str, ...] = setting(
        (),
        "Deployment freezes to override (needs --deployment-freeze-override-reason; servers that "
        "have deployment freezes).",
        flag="--deployment-freeze-name",
        env="OCTOCI_DEPLOYMENT_FREEZE_NAMES",
        metavar="NAME",
        commands=DEPLOYING,
    )
    freeze_reason: str = setting(
        "",
        "Why the deployment freezes (--deployment-freeze-name) are overridden (recorded by Octopus).",
        flag="--deployment-freeze-override-reason",
        env="OCTOCI_DEPLOYMENT_FREEZE_OVERRIDE_REASON",
        metavar="TEXT",
        commands=DEPLOYING,
    )
    release_notes: str = setting(
        "",
        "Release notes (Markdown).",
        flag="--release-notes",
        env="OCTOCI_RELEASE_NOTES",
        metavar="TEXT",
        commands=RELEASING,
        aliases=("--releaseNotes",),
    )
    release_notes_file: str = setting(
        "",
        "Read the release notes from this UTF-8 file (not with --release-notes).",
        flag="--release-notes-file",
        env="OCTOCI_RELEASE_NOTES_FILE",
        metavar="PATH",
        commands=RELEASING,
        aliases=("--releaseNotesFile", "--releaseNoteFile"),
    )
    ignore_channel_rules: bool = setting(
        False,
        "Create the release even where the channel's version rules would refuse its packages.",
        flag="--ignore-channel-rules/--no-ignore-channel-rules",
        env="OCTOCI_IGNORE_CHANNEL_RULES",
        commands=RELEASING,
        aliases=("--ignoreChannelRules",),
    )
    custom_fields: tuple[str, ...] = setting(
        (),
        "Custom fields of the release, NAME:VALUE (the channel defines them; newer servers).",
        flag="--custom-field",
        env="OCTOCI_CUSTOM_FIELDS",
        metavar="NAME:VALUE",
        commands=RELEASING,
    )
    git_resources: tuple[str, ...] = setting(
        (),
        "The Git ref a step's Git resource is taken from: STEP:REF, or STEP:RESOURCE:REF for "
        "a step's other Git resources.",
        flag="--git-resource",
        env="OCTOCI_GIT_RESOURCES",
        metavar="STEP:REF",
        commands=RELEASING,
    )
    package_prerelease: str = setting(
        "",
        "Package steps without a version given: take the latest version with this pre-release "
        "tag (e.g. beta).",
        flag="--package-prerelease",
        env="OCTOCI_PACKAGE_PRERELEASE",
        metavar="TAG",
        commands=RELEASING,
        aliases=("--packagePrerelease",),
    )
    branch: str = setting(
        "",
        "The branch the build information names, instead of the build server's.",
        flag="--branch",
        env="OCTOCI_BRANCH",
        metavar="NAME",
        commands=("publish", "build-info"),
        server_default="the build server's branch",
    )
    wait: bool = setting(
        False,
        "Wait for the deployments to finish (a failed one ends with exit code 3).",
        flag="--wait/--no-wait",
        env="OCTOCI_WAIT",
        # `task wait` always waits: it has no --wait.
        commands=("publish", *(c for c in WAITING_COMMANDS if c != "task wait")),
        help_for=_each(WAITING_COMMANDS, "Wait for the tasks to finish."),
    )
    timeout: float = setting(
        600.0,
        "Seconds to wait for deployments before giving up (exit code 4).",
        flag="--timeout",
        env="OCTOCI_TIMEOUT",
        metavar="SECONDS",
        commands=("publish", *WAITING_COMMANDS),
        help_for=_each(WAITING_COMMANDS, _WAIT_HELP + "give up after this long (exit code 4)."),
    )
    poll_interval: float = setting(
        5.0,
        "Seconds between task status checks while waiting.",
        flag="--poll-interval",
        env="OCTOCI_POLL_INTERVAL",
        metavar="SECONDS",
        server_default="`--emulator`: 0.25",
        commands=("publish", *WAITING_COMMANDS),
        help_for=_each(WAITING_COMMANDS, _WAIT_HELP + "seconds between status checks."),
        default_for=dict.fromkeys(WAITING_COMMANDS, 10.0),
    )
    cancel_on_timeout: bool = setting(
        False,
        "Cancel the unfinished deployments when the timeout passes.",
        flag="--cancel-on-timeout/--no-cancel-on-timeout",
        env="OCTOCI_CANCEL_ON_TIMEOUT",
        commands=("publish", *WAITING_COMMANDS),
        help_for=_each(
            WAITING_COMMANDS, _WAIT_HELP + "cancel the unfinished tasks when the timeout passes."
        ),
    )
    # --- version-controlled (config-as-code) projects (issue 14, item 2) ---------------------
    # Used only where the project is version-controlled (its document says so); a project
    # stored in the database gets neither, and refuses one that is given.
    git_ref: str = setting(
        "",
        "Version-controlled projects: the branch, tag or commit Octopus reads the project from "
        "(refs/heads/main, main, refs/tags/v1.2.0). Without it: the build's branch or tag; "
        "none found is an error before anything is created.",
        flag="--git-ref",
        env="OCTOCI_GIT_REF",
        metavar="REF",
        commands=("publish", "release create", "runbook run"),
        server_default="the build's branch (`refs/heads/<branch>`) or tag (`refs/tags/<tag>`)",
        help_for={
            "runbook run": "Runbooks kept in Git: the branch, tag or commit to run them from. "
            "Without it: the build's branch or tag."
        },
    )
    git_commit: str = setting(
        "",
        "Version-controlled projects: the commit of `git_ref` (needs `git_ref`).",
        flag="--git-commit",
        env="OCTOCI_GIT_COMMIT",
        metavar="SHA",
        commands=("publish", "release create"),
        server_default="with the build's ref: the build's commit",
    )
    # --- packages as build artifacts (issue 16, item 4) --------------------------------------
    publish_artifacts: bool = setting(
        False,
        "Publish the packages the run pushed as build artifacts of the job, where the build "
        "server has a way (TeamCity publishArtifacts, Azure DevOps artifact.upload, AppVeyor's "
        "artifact API). Without it: on for TeamCity and AppVeyor, as their Octopus "
        "integrations do, off elsewhere.",
        flag="--publish-artifacts/--no-publish-artifacts",
        env="OCTOCI_PUBLISH_ARTIFACTS",
        commands=("publish", "push"),
        server_default="TeamCity, AppVeyor: on",
    )


SETTINGS: tuple[Setting, ...] = settings_of(Settings)
"""Every core setting, in the order of :class:`Settings`."""


def settings_for(command: str) -> tuple[Setting, ...]:
    """The core settings ``command`` uses (``"push"``, ``"release deploy"``...)."""
    return tuple(s for s in SETTINGS if s.applies_to(command))
