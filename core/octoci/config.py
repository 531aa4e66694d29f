"""Settings of every octoci command: from flags, the environment, a checked-in file, and the
build server.

Precedence, highest first (``docs/reference/configuration.md`` is generated from
:data:`~octoci.settings.SETTINGS`):

1. a command-line flag (``--deploy-to Dev``);
2. an environment variable (``OCTOCI_DEPLOY_TO=Dev,Test``; lists are comma-separated, booleans
   are ``true``/``false``/``1``/``0``/``yes``/``no``);
3. the configuration file: ``--config PATH`` (or ``OCTOCI_CONFIG``), else ``octoci.toml`` in the
   working folder, else the ``[tool.octoci]`` table of ``pyproject.toml`` there, else the same
   in each folder above, up to the repository root;
4. what the build server provides (its artifact folders; the version hook for the version);
5. the built-in default (some commands have their own, e.g. ``poll_interval``).

Each setting names the commands it applies to; the others ignore it (the file is shared by every
command), but an unknown key is an error. Plugins add tables of their own (``[<plugin>]``,
``[tool.octoci.<plugin>]``; :mod:`octoci.settings.plugin`).

The file may describe several packages (``[[packages]]``, for monorepos), each with its own id,
base path, include/exclude patterns and format; relative paths in the file are relative to the
file's folder, relative paths from flags and variables to the working folder.

Only the standard library is imported here: ``octoci --help`` builds every command's options
from the table.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from octoci.errors import InputError
from octoci.images import image_problem, tag_problem
from octoci.settings import SETTINGS, PluginSettings, Setting, Settings, settings_for
from octoci.settings.parse import close_match, from_env, from_file
from octoci.settings.plugin import resolve_plugin_table

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]

__all__ = [
    "CONFIG_FILE",
    "PACKAGE_KEYS",
    "SETTINGS",
    "ConfigFile",
    "ImageConfig",
    "PackageConfig",
    "ResolvedConfig",
    "Setting",
    "Settings",
    "config_search_description",
    "config_search_folders",
    "find_config_file",
    "load_config_file",
    "resolve_config",
]

CONFIG_FILE = "octoci.toml"

#: Keys of one ``[[packages]]`` entry.
PACKAGE_KEYS: dict[str, str] = {
    "id": "Package id, e.g. Acme.Web (required).",
    "base_path": "Folder to pack, relative to the configuration file (default: its folder).",
    "include": "Files to take (default: the top-level `include`, else '**').",
    "exclude": "Files to leave out (default: the top-level `exclude`).",
    "format": "Package format (default: the top-level `format`, else zip).",
    "repository": "Where it is pushed: a `[repositories.<name>]` table's name (default: the "
    "top-level `repository`, else `octopus`, the built-in feed).",
    "image": "Instead of `id`: a container image the job built and pushed itself (docker, "
    "buildah, kaniko), e.g. acme/shop-web, as the Docker step in Octopus names it (no registry "
    "host, no tag). Not packed or pushed: its build information is pushed and the release "
    "selects its tag.",
    "tag": "The image's tag, a version (default: the run's package version).",
}
#: Keys an ``image`` entry may have.
_IMAGE_KEYS = ("image", "tag")

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class PackageConfig:
    """One package to pack: id, folder, patterns and format."""

    id: str
    base_path: Path
    include: tuple[str, ...] = ("**",)
    exclude: tuple[str, ...] = ()
    format: str = "zip"
    repository: str = ""
    """The name of the repository it is pushed to; ``""``: the ``repository`` setting."""


@dataclass(frozen=True)
class ImageConfig:
    """A container image of ``[[packages]]`` (``image``, ``tag``): built and pushed by the job,
    covered by build information and the release's package selection."""

    image: str
    tag: str = ""
    """``""``: the run's package version."""


@dataclass(frozen=True)
class ConfigFile:
    """What a configuration file holds, validated."""

    path: Path
    values: dict[str, Any]
    """Core setting name -> value (paths made absolute against the file's folder)."""
    packages: tuple[PackageConfig, ...] = ()
    plugin_tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Plugin table name -> its keys (checked against the plugins' declarations later)."""
    prefix: str = ""
    """``tool.octoci.`` for ``pyproject.toml``: how keys are named in messages."""
    repositories: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``[repositories.<name>]``: name -> its table (checked against the kinds when a command
    pushes, :mod:`octoci.repositories.registry`)."""
    images: tuple[ImageConfig, ...] = ()
    """The ``[[packages]]`` entries with ``image`` instead of ``id``."""


@dataclass(frozen=True)
class ResolvedConfig:
    """The resolved settings of one command run, and where each came from.

    Read settings as typed attributes of :attr:`settings` (``config.settings.deploy_to``).
    """

    settings: Settings
    sources: Mapping[str, str]
    """Setting name -> ``flag``, ``env OCTOCI_X``, ``file <path>``, ``server`` or ``default``."""
    packages: tuple[PackageConfig, ...] = ()
    config_file: Path | None = None
    base_dir: Path = field(default_factory=Path)
    """The working folder: flags and variables are relative to it."""
    command: str = "publish"
    plugins: Mapping[str, Any] = field(default_factory=dict)
    """Plugin table name -> the instance of its settings class."""
    plugin_sources: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    repositories: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """The file's ``[repositories.<name>]`` tables by name."""
    images: tuple[ImageConfig, ...] = ()
    """The file's container images (``[[packages]] image``)."""

    # ------------------------------------------------------------ the packages
    def package_configs(self) -> tuple[PackageConfig, ...]:
        """The packages to pack: ``package_id`` (one package), else the file's ``[[packages]]``
        narrowed to ``only``. A package's own include/exclude/format win over the top-level
        values from the file, but a flag or variable wins over both (flags > env > file)."""
        settings = self.settings
        if settings.package_id:
            return (
                PackageConfig(
                    id=settings.package_id,
                    base_path=settings.base_path,
                    include=settings.include or ("**",),
                    exclude=settings.exclude,
                    format=settings.format,
                ),
            )
        chosen = self.packages
        if settings.only:
            named = [p.id for p in chosen] + [i.image for i in self.images]
            known = {n.lower() for n in named}
            missing = [o for o in settings.only if o.lower() not in known]
            if missing:
                raise InputError(
                    f"only names {', '.join(missing)}, which the configuration does not "
                    f"describe; configured: {', '.join(named) or 'none'}"
                )
            wanted = {o.lower() for o in settings.only}
            chosen = tuple(p for p in chosen if p.id.lower() in wanted)

        def overridden(name: str) -> bool:
            return self.sources[name] == "flag" or self.sources[name].startswith("env ")

        def pick(name: str, own: Any) -> Any:
            return getattr(settings, name) if overridden(name) or not own else own

        return tuple(
            PackageConfig(
                id=p.id,
                base_path=p.base_path,
                include=tuple(pick("include", p.include)) or ("**",),
                exclude=tuple(pick("exclude", p.exclude)),
                format=str(pick("format", p.format)),
                repository=p.repository,
            )
            for p in chosen
        )

    def image_configs(self) -> tuple[ImageConfig, ...]:
        """The container images of ``[[packages]]``, narrowed to ``only``; none when
        ``package_id`` describes the one package on the command line."""
        if self.settings.package_id:
            return ()
        if not self.settings.only:
            return self.images
        wanted = {o.lower() for o in self.settings.only}
        return tuple(i for i in self.images if i.image.lower() in wanted)

    def override(self, name: str, value: Any, source: str) -> ResolvedConfig:
        """A copy with ``name`` set to ``value`` from ``source`` (``--emulator`` replaces the
        server URL)."""
        return replace(
            self,
            settings=replace(self.settings, **{name: value}),
            sources={**self.sources, name: source},
        )

    def path_of(self, text: str) -> Path:
        """``text`` as an absolute path (relative ones are relative to the working folder)."""
        value = Path(text)
        return value if value.is_absolute() else self.base_dir / value

    def describe(self) -> list[dict[str, Any]]:
        """The running command's settings (then the plugins') with value and source, for
        ``--dry-run`` and ``--json``."""
        rows = [
            _row(s.name, _shown(s, getattr(self.settings, s.name)), self.sources[s.name])
            for s in settings_for(self.command)
        ]
        for plugin, instance in sorted(self.plugins.items()):
            for item in fields(instance):
                rows.append(
                    _row(
                        f"{plugin}.{item.name}",
                        getattr(instance, item.name),
                        self.plugin_sources[plugin][item.name],
                    )
                )
        return rows


#: The name ``octoci publish`` code has always used.


def _shown(setting: Setting, value: Any) -> Any:
    """A masked setting's items as ``NAME:***`` (prompted variables may be secrets)."""
    if setting.masked and isinstance(value, tuple):
        return tuple(f"{str(item).partition(':')[0]}:***" for item in value)
    return value


def _row(name: str, value: Any, source: str) -> dict[str, Any]:
    if isinstance(value, tuple):
        value = list(value)
    elif isinstance(value, Path):
        value = str(value)
    return {"Name": name, "Value": value, "Source": source}


# ---------------------------------------------------------------------------------- the file
def find_config_file(cwd: Path, env: Mapping[str, str], explicit: Path | None) -> Path | None:
    """The configuration file: ``explicit``, ``OCTOCI_CONFIG`` (both relative to ``cwd``), else
    the nearest ``octoci.toml`` or ``pyproject.toml`` with a ``[tool.octoci]`` table in ``cwd``
    or a folder above it, up to the repository root (:func:`config_search_folders`)."""
    named = explicit or (
        Path(env["OCTOCI_CONFIG"]) if env.get("OCTOCI_CONFIG", "").strip() else None
    )
    if named is not None:
        path = named if named.is_absolute() else cwd / named
        if not path.is_file():
            raise InputError(f"the configuration file {path} does not exist")
        return path
    for folder in config_search_folders(cwd):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "octoci" in _read_toml(pyproject).get("tool", {}):
            return pyproject
    return None


def config_search_folders(cwd: Path) -> list[Path]:
    """The folders searched for a configuration file, nearest first: ``cwd`` and each folder
    above it up to the repository root (the nearest folder holding ``.git``: a checkout's
    folder or a worktree's file). Outside a repository only ``cwd``: a file in a home folder
    above it belongs to no build."""
    folders: list[Path] = []
    for folder in [cwd, *cwd.parents]:
        folders.append(folder)
        if (folder / ".git").exists():
            return folders
    return [cwd]


def config_search_description(cwd: Path) -> str:
    """Where :func:`find_config_file` looked, for an error that found nothing there:
    ``no octoci.toml (or pyproject.toml with [tool.octoci]) in /repo/app or /repo``."""
    folders = config_search_folders(cwd)
    where = str(folders[0]) if len(folders) == 1 else f"{folders[0]} up to {folders[-1]}"
    return f"no {CONFIG_FILE} (or pyproject.toml with [tool.octoci]) in {where}"


def _read_toml(path: Path) -> dict[str, Any]:
    from octoci.files import read_text_file

    text = read_text_file(path, "the configuration file")
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"the configuration file {path} is not valid TOML: {exc}") from None
    return data


def load_config_file(path: Path) -> ConfigFile:
    """The settings, packages and plugin tables a file holds, validated (unknown keys and wrong
    types are one-line :class:`~octoci.errors.InputError` naming the file and the key; the keys
    of plugin tables are checked when the plugins' declarations are known)."""
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("octoci")
        if not isinstance(table, dict):
            raise InputError(f"{path} has no [tool.octoci] table")
        data, prefix = table, "tool.octoci."
    else:
        prefix = ""
    values: dict[str, Any] = {}
    plugin_tables: dict[str, dict[str, Any]] = {}
    packages_raw = data.pop("packages", None)
    repositories = _repository_tables(data.pop("repositories", {}), path, prefix)
    for key, value in data.items():
        setting = _BY_NAME.get(key)
        if setting is None and isinstance(value, dict):
            plugin_tables[key] = value  # a plugin's table: [acme] / [tool.octoci.acme]
            continue
        if setting is None:
            known = [*_BY_NAME, "packages", "repositories"]
            raise InputError(f"{path}: unknown setting {prefix}{key!r}{close_match(key, known)}")
        values[key] = from_file(setting, value, f"{path}: {prefix}{key}")
    packages: list[PackageConfig] = []
    images: list[ImageConfig] = []
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
                        f"{where}: unknown key {key!r}{close_match(key, list(PACKAGE_KEYS))}"
                    )
            if "image" in entry or "tag" in entry:
                images.append(_image_entry(entry, where))
                continue
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
                    repository=_package_text(entry, "repository", where),
                )
            )
    # Paths in the file are relative to the file, not to where octoci runs.
    for key in ("base_path", "out_folder"):
        if key in values:
            values[key] = str(_absolute(Path(values[key]), path.parent))
    if values.get("release_notes_file"):
        values["release_notes_file"] = str(
            _absolute(Path(values["release_notes_file"]), path.parent)
        )
    for key in ("artifact_paths", "package_files"):
        if key in values:
            values[key] = tuple(
                item if Path(item).is_absolute() else (path.parent / item).as_posix()
                for item in values[key]
            )
    return ConfigFile(
        path, values, tuple(packages), plugin_tables, prefix, repositories, tuple(images)
    )


def _image_entry(entry: Mapping[str, Any], where: str) -> ImageConfig:
    """A ``[[packages]]`` entry naming a container image: ``image`` and maybe ``tag``, nothing
    that only a package octoci packs has."""
    others = [k for k in entry if k not in _IMAGE_KEYS]
    if others:
        raise InputError(
            f"{where}: an image entry has image and tag only, not {', '.join(others)} (octoci "
            "does not pack or push images); describe a package to pack in its own entry"
        )
    image, tag = entry.get("image"), entry.get("tag", "")
    if not isinstance(image, str) or not image.strip():
        raise InputError(f"{where}: tag needs image (the image's name, such as 'acme/shop-web')")
    if not isinstance(tag, str):
        raise InputError(f"{where}: tag must be a string")
    problem = image_problem(image.strip())
    if problem:
        raise InputError(f"{where}: image {image!r}: {problem}")
    if tag.strip():
        problem = tag_problem(tag.strip())
        if problem:
            raise InputError(f"{where}: tag {tag!r}: {problem}")
    return ImageConfig(image.strip(), tag.strip())


def _repository_tables(raw: Any, path: Path, prefix: str) -> dict[str, dict[str, Any]]:
    """``[repositories.<name>]`` tables, each a table (their keys are checked against their
    kind later: the kinds come from plugins)."""
    if not isinstance(raw, dict):
        raise InputError(
            f"{path}: {prefix}repositories must hold tables ([{prefix}repositories.<name>] "
            'with kind = "...")'
        )
    for name, table in raw.items():
        if not isinstance(table, dict):
            raise InputError(
                f"{path}: {prefix}repositories.{name} must be a table "
                f'([{prefix}repositories.{name}] with kind = "...")'
            )
    return raw


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
    command: str = "publish",
    plugins: Mapping[str, PluginSettings] | None = None,
    ignore_table: Callable[[str], bool] | None = None,
) -> ResolvedConfig:
    """Every setting ``command`` uses from the first source that sets it: flags > env > file >
    server > default; the settings of other commands hold their defaults.

    :param flags: setting name -> the flag's value; ``None`` or an empty tuple means "not given".
    :param config_file: an explicit ``--config``; otherwise the file is looked up in ``cwd``.
    :param server_defaults: setting name -> what the build server supplies.
    :param command: the running command (``"push"``, ``"release deploy"``...).
    :param plugins: the plugins' declarations by table name (``octoci_add_settings``).
    :param ignore_table: true for a table whose plugin was switched off (``--no-plugins``, a
        blocked name): its table is skipped. Any other unknown table is an error.

    Example::

        config = resolve_config(flags={"deploy_to": ("Dev",)}, env=os.environ, cwd=Path.cwd())
        config.settings.deploy_to   # ("Dev",)
    """
    path = find_config_file(cwd, env, config_file)
    loaded = load_config_file(path) if path is not None else ConfigFile(cwd, {})
    server_defaults = server_defaults or {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        value, source = _resolve_one(setting, command, flags, env, loaded, server_defaults)
        if setting.kind == "path":
            value = _absolute(Path(value), cwd)
        values[setting.name], sources[setting.name] = value, source
    if values["concurrency"] > 16:
        raise InputError("concurrency must be between 1 and 16")
    plugin_values, plugin_sources = _resolve_plugins(
        loaded, plugins or {}, env, ignore_table or (lambda _name: False)
    )
    return ResolvedConfig(
        Settings(**values),
        sources,
        loaded.packages,
        path,
        cwd,
        command,
        plugin_values,
        plugin_sources,
        loaded.repositories,
        loaded.images,
    )


def _resolve_one(
    setting: Setting,
    command: str,
    flags: Mapping[str, Any],
    env: Mapping[str, str],
    loaded: ConfigFile,
    server_defaults: Mapping[str, Any],
) -> tuple[Any, str]:
    """One setting's value and its source."""
    if not setting.applies_to(command):
        # Another command's setting: its variable and file key are not this command's business.
        return setting.default_in(command), "default"
    flag_value = flags.get(setting.name)
    raw_env = env.get(setting.env, "") if setting.env else ""
    if flag_value is not None and flag_value != ():
        return (tuple(flag_value) if setting.kind == "list" else flag_value), "flag"
    if raw_env.strip():
        return from_env(setting, raw_env), f"env {setting.env}"
    if setting.name in loaded.values:
        return loaded.values[setting.name], f"file {loaded.path}"
    if server_defaults.get(setting.name) not in (None, "", ()):
        return server_defaults[setting.name], "server"
    return setting.default_in(command), "default"


def _resolve_plugins(
    loaded: ConfigFile,
    plugins: Mapping[str, PluginSettings],
    env: Mapping[str, str],
    ignore_table: Callable[[str], bool],
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Every declared plugin's settings; a table no loaded plugin declares is an error."""
    for name in loaded.plugin_tables:
        if name not in plugins and not ignore_table(name):
            known = [*plugins, *_BY_NAME]
            declared = ", ".join(sorted(plugins)) or "none"
            raise InputError(
                f"{loaded.path}: [{loaded.prefix}{name}] is not a setting, and no installed "
                f"plugin declares settings named {name!r}{close_match(name, known)}; plugins "
                f"with settings: {declared} (install the plugin, or remove the table)"
            )
    values: dict[str, Any] = {}
    sources: dict[str, dict[str, str]] = {}
    for name, declaration in plugins.items():
        table = loaded.plugin_tables.get(name)
        where = f"{loaded.path}: {loaded.prefix}{name}"
        values[name], sources[name] = resolve_plugin_table(declaration, table, env, where)
    return values, sources
