"""``octoci publish`` settings: from flags, the environment, a checked-in file, and the build server.

Precedence, highest first (``docs/reference/configuration.md`` is generated from :data:`SETTINGS`):

1. a command-line flag (``--deploy-to Dev``);
2. an environment variable (``OCTOCI_DEPLOY_TO=Dev,Test``; lists are comma-separated, booleans
   are ``true``/``false``/``1``/``0``/``yes``/``no``);
3. the configuration file: ``--config PATH`` (or ``OCTOCI_CONFIG``), else ``octoci.toml`` in the
   working folder, else the ``[tool.octoci]`` table of ``pyproject.toml`` there;
4. what the build server provides (its artifact folders; the version hook for the version);
5. the built-in default.

The file may describe several packages (``[[packages]]``, for monorepos), each with its own id,
base path, include/exclude patterns and format; relative paths in the file are relative to the
file's folder, relative paths from flags and variables to the working folder.

Only the standard library is imported here: ``octoci --help`` builds the publish command's
options from :data:`SETTINGS`.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from octoci.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]

__all__ = [
    "CONFIG_FILE",
    "PACKAGE_KEYS",
    "SETTINGS",
    "PackageConfig",
    "PublishConfig",
    "Setting",
    "find_config_file",
    "load_config_file",
    "resolve_config",
]

CONFIG_FILE = "octoci.toml"
Kind = Literal["str", "bool", "float", "int", "list", "path", "choice"]


@dataclass(frozen=True)
class Setting:
    """One publish setting: its flag, environment variable, file key, type and default."""

    name: str
    """The file key and the attribute of :class:`PublishConfig`."""
    kind: Kind
    help: str
    flag: str = ""
    """The command-line flag; empty when the setting has none of its own."""
    env: str = ""
    default: Any = None
    server_default: str = ""
    """What the build server (or ``--emulator``) supplies when nothing else sets it (documentation)."""
    choices: tuple[str, ...] = ()
    metavar: str = ""
    owned_flag: bool = True
    """False when another module defines the flag (the Octopus connection options)."""

    @property
    def file_key(self) -> str:
        """The key in ``octoci.toml`` / ``[tool.octoci]``."""
        return self.name


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "octopus_url",
        "str",
        "Octopus Server URL. Not secret, so it may live in the file; the API key never does "
        "(OCTOPUS_API_KEY, OCTOPUS_ACCESS_TOKEN or OIDC).",
        flag="--octopus-url",
        env="OCTOPUS_URL",
        default="",
        owned_flag=False,
        server_default="`--emulator`: the embedded emulator",
    ),
    Setting(
        "space",
        "str",
        "Space name or id.",
        flag="--space",
        env="OCTOPUS_SPACE",
        default="",
        owned_flag=False,
        server_default="the server's default space",
    ),
    Setting(
        "project",
        "str",
        "Octopus project to create the release in. Without it, publish stops after pushing "
        "packages and build information.",
        flag="--project",
        env="OCTOCI_PROJECT",
        default="",
        metavar="NAME",
    ),
    Setting(
        "version",
        "str",
        "Package version (SemVer or 1.2.3.4).",
        flag="--version",
        env="OCTOCI_VERSION",
        default="",
        server_default="computed as `version_from` says",
    ),
    Setting(
        "version_from",
        "choice",
        "Where the version comes from when not given: `git` (the version hook: the last "
        "version tag, raised, with a pre-release label and the commits since, e.g. "
        "`1.4.1-ci.7`; a plugin may replace it) or `build-number` (a build number that is a "
        "version, or `<version_prefix>.<number>`).",
        flag="--version-from",
        env="OCTOCI_VERSION_FROM",
        default="git",
        choices=("git", "build-number"),
    ),
    Setting(
        "version_prefix",
        "str",
        "With `version_from = build-number` and a plain number as build number: the version is "
        "`<prefix>.<number>`.",
        flag="--version-prefix",
        env="OCTOCI_VERSION_PREFIX",
        default="1.0",
    ),
    Setting(
        "package_id",
        "str",
        "One package to pack (replaces the file's `[[packages]]`).",
        flag="--package-id",
        env="OCTOCI_PACKAGE_ID",
        default="",
        metavar="ID",
    ),
    Setting(
        "base_path",
        "path",
        "With `package_id`: the folder to pack.",
        flag="--base-path",
        env="OCTOCI_BASE_PATH",
        default=".",
    ),
    Setting(
        "include",
        "list",
        "Files to pack, relative to the base path ('**' spans folders). In the file: for the "
        "packages that set none; as a flag or variable: for every package.",
        flag="--include",
        env="OCTOCI_INCLUDE",
        default=("**",),
        metavar="GLOB",
    ),
    Setting(
        "exclude",
        "list",
        "Files to leave out, e.g. '**/*.pdb'. In the file: for the packages that set none; as a "
        "flag or variable: for every package.",
        flag="--exclude",
        env="OCTOCI_EXCLUDE",
        default=(),
        metavar="GLOB",
    ),
    Setting(
        "format",
        "str",
        "Package format: zip, nupkg, tar.gz, tar, tar.bz2 or a plugin's. In the file: for the "
        "packages that set none; as a flag or variable: for every package.",
        flag="--format",
        env="OCTOCI_FORMAT",
        default="zip",
    ),
    Setting(
        "only",
        "list",
        "Publish only these package ids of the configured packages.",
        flag="--only",
        env="OCTOCI_ONLY",
        default=(),
        metavar="ID",
    ),
    Setting(
        "package_files",
        "list",
        "Package files that are already built (paths or globs such as 'dist/*.nupkg'), pushed "
        "as they are, besides what is packed.",
        flag="--package-file",
        env="OCTOCI_PACKAGE_FILES",
        default=(),
        metavar="GLOB",
    ),
    Setting(
        "artifact_paths",
        "list",
        "When nothing is configured to pack or push: folders searched for package files "
        "(`<Id>.<Version>.<ext>`) by the artifact hook.",
        flag="--artifact-path",
        env="OCTOCI_ARTIFACT_PATHS",
        default=(),
        metavar="PATH",
        server_default="the build server's artifact folders (e.g. Build.ArtifactStagingDirectory)",
    ),
    Setting(
        "out_folder",
        "path",
        "Where packages are written.",
        flag="--out-folder",
        env="OCTOCI_OUT_FOLDER",
        default=".octoci/packages",
    ),
    Setting(
        "overwrite_mode",
        "str",
        "Packages and build information already in Octopus: FailIfExists, OverwriteExisting or "
        "IgnoreIfExists. A re-run that sends identical content always succeeds.",
        flag="--overwrite-mode",
        env="OCTOCI_OVERWRITE_MODE",
        default="FailIfExists",
        metavar="MODE",
    ),
    Setting(
        "concurrency",
        "int",
        "How many packages are pushed at once (1-16).",
        flag="--concurrency",
        env="OCTOCI_CONCURRENCY",
        default=3,
    ),
    Setting(
        "delta",
        "bool",
        "Send a package as an Octodiff delta against the nearest earlier version when that is "
        "smaller (falls back to the whole file on its own).",
        flag="--delta/--no-delta",
        env="OCTOCI_DELTA",
        default=True,
    ),
    Setting(
        "build_information",
        "bool",
        "Push build information (build, branch, commits) for every package.",
        flag="--build-info/--no-build-info",
        env="OCTOCI_BUILD_INFORMATION",
        default=True,
    ),
    Setting(
        "create_release",
        "bool",
        "Create a release of `project` (only with a project).",
        flag="--release/--no-release",
        env="OCTOCI_CREATE_RELEASE",
        default=True,
    ),
    Setting(
        "release_version",
        "str",
        "Release version.",
        flag="--release-version",
        env="OCTOCI_RELEASE_VERSION",
        default="",
        server_default="the package version",
    ),
    Setting(
        "channel",
        "str",
        "Channel of the release.",
        flag="--channel",
        env="OCTOCI_CHANNEL",
        default="",
        server_default="the project's default channel",
    ),
    Setting(
        "release_exists",
        "choice",
        "A release of that version already exists (a re-run): `use` it, or `fail`.",
        flag="--release-exists",
        env="OCTOCI_RELEASE_EXISTS",
        default="use",
        choices=("use", "fail"),
    ),
    Setting(
        "deploy_to",
        "list",
        "Deploy the release to these environments.",
        flag="--deploy-to",
        env="OCTOCI_DEPLOY_TO",
        default=(),
        metavar="ENVIRONMENT",
    ),
    Setting(
        "promote_to",
        "list",
        "Once the deployments to `deploy_to` succeeded, promote the release to these "
        "environments (implies `wait`).",
        flag="--promote-to",
        env="OCTOCI_PROMOTE_TO",
        default=(),
        metavar="ENVIRONMENT",
    ),
    Setting(
        "tenants",
        "list",
        "Deploy for these tenants ('*': every connected tenant).",
        flag="--tenant",
        env="OCTOCI_TENANTS",
        default=(),
        metavar="NAME",
    ),
    Setting(
        "tenant_tags",
        "list",
        "Deploy for the tenants with these tags (TagSet/Tag).",
        flag="--tenant-tag",
        env="OCTOCI_TENANT_TAGS",
        default=(),
        metavar="SET/TAG",
    ),
    Setting(
        "wait",
        "bool",
        "Wait for the deployments to finish (a failed one ends with exit code 3).",
        flag="--wait/--no-wait",
        env="OCTOCI_WAIT",
        default=False,
    ),
    Setting(
        "timeout",
        "float",
        "Seconds to wait for deployments before giving up (exit code 4).",
        flag="--timeout",
        env="OCTOCI_TIMEOUT",
        default=600.0,
        metavar="SECONDS",
    ),
    Setting(
        "poll_interval",
        "float",
        "Seconds between task status checks while waiting.",
        flag="--poll-interval",
        env="OCTOCI_POLL_INTERVAL",
        default=5.0,
        metavar="SECONDS",
        server_default="`--emulator`: 0.25",
    ),
    Setting(
        "cancel_on_timeout",
        "bool",
        "Cancel the unfinished deployments when the timeout passes.",
        flag="--cancel-on-timeout/--no-cancel-on-timeout",
        env="OCTOCI_CANCEL_ON_TIMEOUT",
        default=False,
    ),
)

#: Keys of one ``[[packages]]`` entry.
PACKAGE_KEYS: dict[str, str] = {
    "id": "Package id, e.g. Acme.Web (required).",
    "base_path": "Folder to pack, relative to the configuration file (default: its folder).",
    "include": "Files to take (default: the top-level `include`, else '**').",
    "exclude": "Files to leave out (default: the top-level `exclude`).",
    "format": "Package format (default: the top-level `format`, else zip).",
}

_BY_NAME = {s.name: s for s in SETTINGS}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class PackageConfig:
    """One package to pack: id, folder, patterns and format."""

    id: str
    base_path: Path
    include: tuple[str, ...] = ("**",)
    exclude: tuple[str, ...] = ()
    format: str = "zip"


@dataclass(frozen=True)
class PublishConfig:
    """The resolved settings of one ``octoci publish`` run, and where each came from."""

    values: Mapping[str, Any]
    sources: Mapping[str, str]
    """Setting name -> ``flag``, ``env OCTOCI_X``, ``file <path>``, ``server`` or ``default``."""
    packages: tuple[PackageConfig, ...] = ()
    config_file: Path | None = None
    base_dir: Path = field(default_factory=Path)
    """The working folder: flags and variables are relative to it."""

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def text(self, name: str) -> str:
        """A string setting."""
        return str(self.values[name])

    def items(self, name: str) -> tuple[str, ...]:
        """A list setting."""
        return tuple(self.values[name])

    def flag(self, name: str) -> bool:
        """A boolean setting."""
        return bool(self.values[name])

    def number(self, name: str) -> float:
        """A numeric setting."""
        return float(self.values[name])

    def path(self, name: str) -> Path:
        """A path setting, absolute."""
        value = Path(self.values[name])
        return value if value.is_absolute() else self.base_dir / value

    def package_configs(self) -> tuple[PackageConfig, ...]:
        """The packages to pack: ``package_id`` (one package), else the file's ``[[packages]]``
        narrowed to ``only``. A package's own include/exclude/format win over the top-level
        values from the file, but a flag or variable wins over both (flags > env > file)."""
        if self.text("package_id"):
            return (
                PackageConfig(
                    id=self.text("package_id"),
                    base_path=self.path("base_path"),
                    include=self.items("include") or ("**",),
                    exclude=self.items("exclude"),
                    format=self.text("format"),
                ),
            )
        chosen = self.packages
        only = self.items("only")
        if only:
            known = {p.id.lower() for p in chosen}
            missing = [o for o in only if o.lower() not in known]
            if missing:
                raise InputError(
                    f"only names {', '.join(missing)}, which the configuration does not "
                    f"describe; configured: {', '.join(p.id for p in chosen) or 'none'}"
                )
            wanted = {o.lower() for o in only}
            chosen = tuple(p for p in chosen if p.id.lower() in wanted)

        def pick(name: str, own: Any) -> Any:
            overridden = self.sources[name] == "flag" or self.sources[name].startswith("env ")
            return self.values[name] if overridden or not own else own

        return tuple(
            PackageConfig(
                id=p.id,
                base_path=p.base_path,
                include=tuple(pick("include", p.include)) or ("**",),
                exclude=tuple(pick("exclude", p.exclude)),
                format=str(pick("format", p.format)),
            )
            for p in chosen
        )

    def override(self, name: str, value: Any, source: str) -> PublishConfig:
        """A copy with ``name`` set to ``value`` from ``source`` (``--emulator`` replaces the
        server URL)."""
        return replace(
            self, values={**self.values, name: value}, sources={**self.sources, name: source}
        )

    def path_of(self, text: str) -> Path:
        """``text`` as an absolute path (relative ones are relative to the working folder)."""
        value = Path(text)
        return value if value.is_absolute() else self.base_dir / value

    def describe(self) -> list[dict[str, Any]]:
        """Every setting with its value and source, for ``--dry-run`` and ``--json``."""
        rows = []
        for setting in SETTINGS:
            value = self.values[setting.name]
            rows.append(
                {
                    "Name": setting.name,
                    "Value": list(value) if isinstance(value, tuple) else value,
                    "Source": self.sources[setting.name],
                }
            )
        return rows


# ---------------------------------------------------------------------------------- parsing
def _close(name: str, known: Sequence[str]) -> str:
    matches = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _from_env(setting: Setting, raw: str) -> Any:
    where = f"{setting.env}={raw!r}"
    text = raw.strip()
    if setting.kind == "bool":
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise InputError(f"{where} is not a boolean; use true or false")
    if setting.kind == "list":
        return _split_list(text)
    return _convert(setting, text, where)


def _convert(setting: Setting, value: Any, where: str) -> Any:
    """A scalar from the environment or the file, checked against the setting's kind."""
    kind = setting.kind
    if kind in ("float", "int"):
        if isinstance(value, bool):
            raise InputError(f"{where} must be a number")
        try:
            number = float(value) if kind == "float" else int(value)
        except (TypeError, ValueError):
            raise InputError(
                f"{where} is not a{'n integer' if kind == 'int' else ' number'}"
            ) from None
        if number <= 0:
            raise InputError(f"{where} must be greater than 0")
        return number
    if not isinstance(value, str):
        raise InputError(f"{where} must be a string")
    if kind == "choice" and value.strip().lower() not in setting.choices:
        raise InputError(f"{where} must be one of {', '.join(setting.choices)}")
    return value.strip().lower() if kind == "choice" else value.strip()


def _from_file(setting: Setting, value: Any, where: str) -> Any:
    if setting.kind == "bool":
        if not isinstance(value, bool):
            raise InputError(f"{where} must be true or false")
        return value
    if setting.kind == "list":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(f"{where} must be a list of strings")
        return tuple(v.strip() for v in value if v.strip())
    return _convert(setting, value, where)


def find_config_file(cwd: Path, env: Mapping[str, str], explicit: Path | None) -> Path | None:
    """The configuration file: ``explicit``, ``OCTOCI_CONFIG``, ``octoci.toml``, or a
    ``pyproject.toml`` with a ``[tool.octoci]`` table (all relative to ``cwd``)."""
    named = explicit or (
        Path(env["OCTOCI_CONFIG"]) if env.get("OCTOCI_CONFIG", "").strip() else None
    )
    if named is not None:
        path = named if named.is_absolute() else cwd / named
        if not path.is_file():
            raise InputError(f"the configuration file {path} does not exist")
        return path
    candidate = cwd / CONFIG_FILE
    if candidate.is_file():
        return candidate
    pyproject = cwd / "pyproject.toml"
    if (
        pyproject.is_file()
        and "tool" in _read_toml(pyproject)
        and "octoci" in _read_toml(pyproject).get("tool", {})
    ):
        return pyproject
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    from octoci.files import read_text_file

    text = read_text_file(path, "the configuration file")
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"the configuration file {path} is not valid TOML: {exc}") from None
    return data


def load_config_file(path: Path) -> tuple[dict[str, Any], tuple[PackageConfig, ...]]:
    """The settings and packages a file holds, validated (unknown keys and wrong types are
    one-line :class:`~octoci.errors.InputError` naming the file and the key)."""
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("octoci")
        if not isinstance(table, dict):
            raise InputError(f"{path} has no [tool.octoci] table")
        data, prefix = table, "tool.octoci."
    else:
        prefix = ""
    values: dict[str, Any] = {}
    packages_raw = data.pop("packages", None)
    for key, value in data.items():
        setting = _BY_NAME.get(key)
        if setting is None:
            known = [*_BY_NAME, "packages"]
            raise InputError(f"{path}: unknown setting {prefix}{key!r}{_close(key, known)}")
        values[key] = _from_file(setting, value, f"{path}: {prefix}{key}")
    packages: list[PackageConfig] = []
    if packages_raw is not None:
        if not isinstance(packages_raw, list):
            raise InputError(f"{path}: {prefix}packages must be an array of tables ([[packages]])")
        for index, entry in enumerate(packages_raw):
            where = f"{path}: {prefix}packages[{index}]"
            if not isinstance(entry, dict):
                raise InputError(f"{where} must be a table with at least an id")
            for key in entry:
                if key not in PACKAGE_KEYS:
                    raise InputError(
                        f"{where}: unknown key {key!r}{_close(key, list(PACKAGE_KEYS))}"
                    )
            package_id = entry.get("id")
            if not isinstance(package_id, str) or not package_id.strip():
                raise InputError(f"{where}: id is required (a package id such as 'Acme.Web')")
            base = entry.get("base_path", ".")
            if not isinstance(base, str):
                raise InputError(f"{where}: base_path must be a string")
            packages.append(
                PackageConfig(
                    id=package_id.strip(),
                    base_path=_absolute(Path(base), path.parent),
                    include=_package_list(entry, "include", where),
                    exclude=_package_list(entry, "exclude", where),
                    format=_package_text(entry, "format", where),
                )
            )
    # Paths in the file are relative to the file, not to where octoci runs.
    for key in ("base_path", "out_folder"):
        if key in values:
            values[key] = str(_absolute(Path(values[key]), path.parent))
    for key in ("artifact_paths", "package_files"):
        if key in values:
            values[key] = tuple(
                item if Path(item).is_absolute() else (path.parent / item).as_posix()
                for item in values[key]
            )
    return values, tuple(packages)


def _package_list(entry: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    # An empty tuple means "not set here": the top-level value applies.
    if key not in entry:
        return ()
    value = entry[key]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _package_text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        raise InputError(f"{where}: {key} must be a string")
    return value.strip()


def _absolute(path: Path, base: Path) -> Path:
    return path if path.is_absolute() else base / path


# ---------------------------------------------------------------------------------- resolving
def resolve_config(
    *,
    flags: Mapping[str, Any],
    env: Mapping[str, str],
    cwd: Path,
    config_file: Path | None = None,
    server_defaults: Mapping[str, Any] | None = None,
) -> PublishConfig:
    """Every setting from the first source that sets it: flags > env > file > server > default.

    :param flags: setting name -> the flag's value; ``None`` or an empty tuple means "not given".
    :param config_file: an explicit ``--config``; otherwise the file is looked up in ``cwd``.
    :param server_defaults: setting name -> what the build server supplies.

    Example::

        config = resolve_config(flags={"deploy_to": ("Dev",)}, env=os.environ, cwd=Path.cwd())
        config.items("deploy_to")   # ("Dev",)
    """
    path = find_config_file(cwd, env, config_file)
    file_values: dict[str, Any] = {}
    packages: tuple[PackageConfig, ...] = ()
    if path is not None:
        file_values, packages = load_config_file(path)
    server_defaults = server_defaults or {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        flag_value = flags.get(setting.name)
        raw_env = env.get(setting.env, "") if setting.env else ""
        if flag_value is not None and flag_value != ():
            values[setting.name] = tuple(flag_value) if setting.kind == "list" else flag_value
            sources[setting.name] = "flag"
        elif raw_env.strip():
            values[setting.name] = _from_env(setting, raw_env)
            sources[setting.name] = f"env {setting.env}"
        elif setting.name in file_values:
            values[setting.name] = file_values[setting.name]
            sources[setting.name] = f"file {path}"
        elif setting.name in server_defaults and server_defaults[setting.name] not in (
            None,
            "",
            (),
        ):
            values[setting.name] = server_defaults[setting.name]
            sources[setting.name] = "server"
        else:
            values[setting.name] = setting.default
            sources[setting.name] = "default"
    if values["concurrency"] > 16:
        raise InputError("concurrency must be between 1 and 16")
    return PublishConfig(values, sources, packages, path, cwd)
