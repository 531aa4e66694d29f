"""The plugin manager: which plugins load, in what order, and a typed facade over the hooks.

Load order (also in ``docs/plugins/load-order.md``):

1. the hook specifications (:mod:`octoci.hookspecs`), then the historic ``octoci_addhooks`` call;
2. the block list: ``disabled=`` (``--disable-plugin``) and ``OCTOCI_DISABLE_PLUGINS=a,b``;
3. the core's own plugins (:data:`CORE_PLUGINS`: ``octoci.defaults`` ...), essential, never blocked;
4. the built-in plugins, by short name: those of :data:`octoci_plugins.BUILTIN_PLUGINS` in that
   order, then those of :data:`BUILTIN_PACKAGES` (``emulator``); each can be blocked by its name;
5. entry points of the group ``octoci``, sorted by name, unless ``--no-plugins`` or
   ``OCTOCI_DISABLE_PLUGIN_AUTOLOAD=1``; with ``OCTOCI_PLUGINS=a,b`` only those (empty: none);
6. ``check_pending()``: an ``octoci_*`` function that matches no hook is an error.

pluggy calls implementations last-registered-first, so third-party plugins run before built-ins,
which run before the core's ``trylast`` defaults: a third-party plugin can override anything.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import pluggy

from octoci import contributions, hookspecs
from octoci.errors import InputError, OctociError, PluginLoadError, UnknownServerError

if TYPE_CHECKING:
    # Types only at import time: `octoci --help` builds a manager for the plugin commands and
    # must not pay for the data model, the adapters' base class or importlib.metadata.
    from importlib import metadata

    import click

    from octoci.config import ResolvedConfig
    from octoci.context import RunContext
    from octoci.local_octopus import LocalOctopus
    from octoci.model import Artifact, BuildInformation, CaptureOptions, PackageFormat, RunReport
    from octoci.repositories import RepositoryKind
    from octoci.server import CIServer
    from octoci.settings import PluginSettings

_SettingsT = TypeVar("_SettingsT")

__all__ = [
    "BUILTIN_PACKAGES",
    "COMMAND_PLUGINS",
    "DEFAULTS_NAME",
    "ENTRY_POINT_GROUP",
    "OctociPluginManager",
    "PluginInfo",
    "create_plugin_manager",
]

ENTRY_POINT_GROUP = "octoci"
DEFAULTS_NAME = "octoci.defaults"
#: The core's own plugins: name -> module. Essential: registered first and never blocked.
CORE_PLUGINS: dict[str, str] = {
    DEFAULTS_NAME: "octoci._defaults",
    "octoci.packaging": "octoci.packaging.plugin",
    "octoci.repositories": "octoci.repositories.registry",
}
#: Built-in plugins that are packages of their own (shipped in octoci's wheel, beside
#: ``octoci_plugins``): name -> module. The core names them here only to register them; it never
#: imports from them, and reaches them only through their hooks (a test enforces it).
BUILTIN_PACKAGES: dict[str, str] = {"emulator": "octoci_emulator.plugin"}
#: The core's and built-in plugins that implement ``octoci_add_commands`` (a test keeps this
#: list true). Listing the commands (``octoci --help``) loads only these and the third-party
#: plugins, not the 25 adapters: start-up stays a few times ``python -c pass``.
COMMAND_PLUGINS: frozenset[str] = frozenset({"emulator"})
log = logging.getLogger("octoci")


@dataclass(frozen=True)
class PluginInfo:
    """One registered plugin, for ``octoci plugins``."""

    name: str
    kind: str
    """``core``, ``builtin``, ``entry-point`` or ``other`` (registered by hand, or a blocked name)."""
    distribution: str
    version: str
    hooks: tuple[str, ...]
    blocked: bool = False


def _split_names(value: str | None) -> list[str]:
    return [n.strip() for n in (value or "").split(",") if n.strip()]


class OctociPluginManager(pluggy.PluginManager):
    """pluggy's manager with octoci's load order and typed methods for every hook call.

    Build it with :func:`create_plugin_manager`, never at import time.
    """

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.distributions: dict[str, tuple[str, str]] = {}
        """Plugin name -> (distribution, version) for plugins loaded from entry points."""
        self.builtin_names: list[str] = []
        self.builtin_candidates: set[str] = set()
        self.skipped_builtins: set[str] = set()
        """Built-ins not blocked but left out on purpose (``commands_only``)."""
        self.shadowed: dict[str, str] = {}
        """Entry-point names skipped because a built-in has that name -> their distribution."""
        self.adapter_plugins: dict[type[CIServer], str] = {}
        """Adapter class -> the name of the plugin that registered it (for errors)."""
        self.hook.octoci_addhooks.call_historic(kwargs={"pluginmanager": self})

    # ------------------------------------------------------------------ loading
    def load_builtins(self, names: Iterable[str], *, only: Collection[str] | None = None) -> None:
        """Import and register each built-in not blocked: ``octoci_plugins.<name>``, or the
        module :data:`BUILTIN_PACKAGES` names; with ``only``, just those of them (the others
        are noted in :attr:`skipped_builtins`)."""
        for name in names:
            self.builtin_candidates.add(name)
            if self.is_blocked(name):
                continue
            if only is not None and name not in only:
                self.skipped_builtins.add(name)
                continue
            try:
                module = importlib.import_module(
                    BUILTIN_PACKAGES.get(name) or f"octoci_plugins.{name}"
                )
            except Exception as exc:  # a broken built-in is a bug, but say which one
                raise PluginLoadError(
                    f"the built-in plugin {name!r} failed to import: {exc}"
                ) from exc
            self.register(module, name=name)
            self.builtin_names.append(name)

    def load_entrypoints(self, allow: Sequence[str] | None) -> None:
        """Load the ``octoci`` entry points (only ``allow`` when given), failing loudly on errors."""
        seen: set[str] = set()
        for ep in sorted(_installed_entry_points(), key=lambda e: e.name):
            if ep.name in seen:
                continue
            seen.add(ep.name)
            dist = ep.dist.name if ep.dist is not None else "an unknown distribution"
            version = ep.dist.version if ep.dist is not None else ""
            if allow is not None and ep.name not in allow:
                continue
            if self.is_blocked(ep.name):
                self.distributions[ep.name] = (dist, version)
                continue
            if self.has_plugin(ep.name):
                self.shadowed[ep.name] = dist
                log.warning(
                    "the plugin %r from %s is ignored: a built-in plugin has that name",
                    ep.name,
                    dist,
                )
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginLoadError(
                    f"the plugin {ep.name!r} from the distribution {dist} failed to load "
                    f"({type(exc).__name__}: {exc}); upgrade or uninstall {dist}, or skip it with "
                    f"OCTOCI_DISABLE_PLUGINS={ep.name}"
                ) from exc
            self._register_external(plugin, ep.name, dist)
            self.distributions[ep.name] = (dist, version)
        if allow:
            missing = sorted(set(allow) - seen - set(self.builtin_names) - self.skipped_builtins)
            if missing:
                raise InputError(
                    f"OCTOCI_PLUGINS names {', '.join(missing)}, but no installed plugin has "
                    f"that name; installed: {', '.join(sorted(seen)) or 'none'}"
                )

    def _register_external(self, plugin: object, name: str, dist: str) -> None:
        try:
            self.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginLoadError(
                f"the plugin {name!r} from the distribution {dist} is invalid: {exc}"
            ) from exc

    def verify(self) -> None:
        """Fail when a plugin implements a hook that does not exist (a misspelt ``octoci_*``)."""
        try:
            self.check_pending()
        except pluggy.PluginValidationError as exc:
            plugin_name = self.get_name(exc.plugin) or repr(exc.plugin)
            dist = self.distributions.get(plugin_name, (plugin_name, ""))[0]
            raise PluginLoadError(f"the plugin {plugin_name!r} (from {dist}): {exc}") from exc

    def describe(self) -> list[PluginInfo]:
        """Every registered plugin: name, kind, distribution, version and the hooks it implements."""
        from octoci import __version__

        infos = []
        for name, plugin in sorted(self.list_name_plugin(), key=lambda item: item[0]):
            blocked = plugin is None
            callers = () if plugin is None else self.get_hookcallers(plugin) or ()
            hooks = tuple(sorted(h.name for h in callers))
            if name in CORE_PLUGINS:
                kind, dist, version = "core", "octoci", __version__
            elif name in self.distributions:
                kind = "entry-point"
                dist, version = self.distributions[name]
            elif name in self.builtin_candidates:
                kind, dist, version = "builtin", "octoci", __version__
            else:  # a blocked name that matches no installed plugin
                kind, dist, version = "other", "", ""
            infos.append(PluginInfo(name, kind, dist, version, hooks, blocked))
        return infos

    def label(self, name: str) -> str:
        """How errors and warnings name a plugin: ``'acme' (from acme-octoci 1.2)``, the core's
        and built-in plugins ``(from octoci <version>)``, one registered by hand just its name."""
        from octoci import __version__

        if name in self.distributions:
            dist, version = self.distributions[name]
        elif name in CORE_PLUGINS or name in self.builtin_names:
            dist, version = "octoci", __version__
        else:
            return repr(name)
        return f"{name!r} (from {' '.join(filter(None, (dist, version)))})"

    # ------------------------------------------------------------------ typed hook calls
    def server_classes(self) -> dict[str, type[CIServer]]:
        """Every registered adapter by name; two plugins registering one name is an error."""
        found: dict[str, type[CIServer]] = {}
        for plugin, result in contributions.servers(self):
            for server in result:
                self.adapter_plugins.setdefault(server, plugin)
                other = found.get(server.name)
                if other is not None and other is not server:
                    raise PluginLoadError(
                        f"two build-server adapters are named {server.name!r}: "
                        f"{other.__module__}.{other.__qualname__} and "
                        f"{server.__module__}.{server.__qualname__}"
                    )
                found[server.name] = server
        return found

    def server_class(self, env: Mapping[str, str], *, name: str | None = None) -> type[CIServer]:
        """The active adapter's class: the one ``name`` forces, else the detected one (local if
        none)."""
        servers = self.server_classes()
        if name:
            chosen = servers.get(name.strip().lower())
            if chosen is None:
                raise UnknownServerError(
                    f"unknown build server {name!r}; known: {', '.join(sorted(servers))}"
                )
            return chosen
        detected: type[CIServer] | None = self.hook.octoci_detect_server(
            env=env, servers=list(servers.values())
        )
        if detected is None:
            raise PluginLoadError("no plugin decided the build server (octoci.defaults blocked?)")
        return detected

    def select_server(
        self,
        env: Mapping[str, str],
        stream: TextIO,
        *,
        name: str | None = None,
        cwd: Path | None = None,
    ) -> CIServer:
        """The active adapter (:meth:`server_class`), masking its :meth:`~CIServer.secrets`
        and those of ``octoci_secrets``."""
        chosen = self.server_class(env, name=name)
        server = chosen(env, stream, cwd=cwd)
        # The adapter masks its own secrets (asked once, now) and the plugins' in everything it
        # writes from the start, and registers them with the server's masking command.
        plugin = self.adapter_plugins.get(chosen, chosen.__module__)
        for secret in [*contributions.server_secrets(self, plugin, server), *self.secrets(env)]:
            server.mask(secret)
        return server

    def capture(self, server: CIServer, options: CaptureOptions | None = None) -> BuildInformation:
        """Build information with commits, normalised: what ``octoci info`` shows and pushes."""
        from octoci.model import BuildInformation, CaptureOptions
        from octoci.normalize import normalize_build_information

        options = options or CaptureOptions()
        info = self.hook.octoci_build_information(server=server)
        if not isinstance(info, BuildInformation):
            raise PluginLoadError(f"octoci_build_information returned {info!r}")
        info = normalize_build_information(info)
        commits = self.hook.octoci_commits(server=server, info=info, options=options) or ()
        return normalize_build_information(info.replace(commits=tuple(commits)))

    def package_version(self, server: CIServer, info: BuildInformation) -> str:
        """The package version from the first plugin that computes one."""
        version = self.hook.octoci_package_version(server=server, info=info)
        if not version:
            raise OctociError("no plugin computed a package version; pass --version")
        return str(version)

    def discover_artifacts(self, server: CIServer, search_paths: Sequence[Path]) -> list[Artifact]:
        """Artifacts from every plugin, sorted by path, each path absolute (a relative one is
        relative to ``server.cwd``, the build's folder). When two plugins report the same file,
        the one called first wins: a third-party or built-in plugin over the core's default."""
        seen: dict[Path, Artifact] = {}
        results = contributions.artifacts(self, server=server, search_paths=list(search_paths))
        for result in results:
            for artifact in result:
                if not artifact.path.is_absolute():
                    # Relative to the build, not to wherever this process happens to run.
                    artifact = replace(artifact, path=server.cwd / artifact.path)
                seen.setdefault(artifact.path.resolve(), artifact)
        return sorted(seen.values(), key=lambda a: a.path.as_posix())

    def package_formats(self) -> dict[str, PackageFormat]:
        """Every registered package format by name; a name registered twice is an error."""
        formats: dict[str, PackageFormat] = {}
        for result in contributions.package_formats(self):
            for fmt in result:
                key = fmt.name.lower()
                if key in formats and formats[key] is not fmt:
                    raise PluginLoadError(f"two plugins register the package format {fmt.name!r}")
                formats[key] = fmt
        return formats

    def repository_kinds(self) -> dict[str, RepositoryKind]:
        """Every registered package repository kind by name; a name registered twice is an
        error naming both plugins."""
        kinds: dict[str, RepositoryKind] = {}
        owners: dict[str, str] = {}
        for plugin, result in contributions.repository_kinds(self):
            for kind in result:
                key = kind.name.lower()
                if key in kinds and kinds[key] is not kind:
                    raise PluginLoadError(
                        f"two plugins register the repository kind {kind.name!r}: "
                        f"{self.label(owners[key])} and {self.label(plugin)}; disable one with "
                        f"OCTOCI_DISABLE_PLUGINS"
                    )
                kinds[key], owners[key] = kind, plugin
        return kinds

    def secrets(self, env: Mapping[str, str]) -> list[str]:
        """Every secret value plugins know of, longest first, without empties."""
        values = {s for result in contributions.secrets(self, env=env) for s in result if s}
        return sorted(values, key=len, reverse=True)

    def id_token(self, server: CIServer, audience: str) -> str | None:
        """An OIDC ID token for ``audience`` from the first plugin that gives one."""
        token = self.hook.octoci_id_token(server=server, audience=audience)
        return str(token) if token else None

    def outputs(self, report: RunReport) -> dict[str, str]:
        """Output variables merged from every plugin; conflicting values are an error."""
        merged: dict[str, str] = {}
        for result in reversed(contributions.outputs(self, report=report)):
            for key, value in result.items():
                if key in merged and merged[key] != value:
                    raise PluginLoadError(f"two plugins set the output {key!r} to different values")
                merged[key] = value
        return merged

    def summary(self, report: RunReport) -> str:
        """The job summary: every plugin's section, the core's first."""
        return "\n".join(s for s in reversed(contributions.summaries(self, report=report)) if s)

    def start_local_octopus(
        self,
        seed: Mapping[str, Any] | None = None,
        *,
        data_dir: Path | None = None,
        source: str = "<seed>",
    ) -> LocalOctopus:
        """A running local Octopus server from the first plugin that starts one (the built-in
        ``emulator``); the caller stops it. None provides one: an error saying what to install."""
        from octoci.local_octopus import NO_LOCAL_OCTOPUS, LocalOctopus

        server = self.hook.octoci_start_local_octopus(
            seed=dict(seed or {}), data_dir=data_dir, source=source
        )
        if server is None:
            raise InputError(NO_LOCAL_OCTOPUS)
        if not isinstance(server, LocalOctopus):
            stop = getattr(server, "stop", None)
            if callable(stop):  # nothing left running behind the error
                stop()
            raise PluginLoadError(
                f"octoci_start_local_octopus returned {server!r}, which is not a local Octopus "
                "server (url, api_key, space_id, headers, serve_forever(), stop())"
            )
        return server

    def add_commands(self, cli: click.Group) -> None:
        """Let every plugin add its CLI commands."""
        self.hook.octoci_add_commands(cli=cli)

    # ------------------------------------------------------------------ plugin settings
    resolved_settings: ResolvedConfig | None = None
    """The settings the running command resolved (:func:`octoci.cli.options.resolve_settings`)."""

    def settings_declarations(self) -> dict[str, PluginSettings]:
        """Every plugin's ``octoci_add_settings`` declaration by table name, checked (a wrong
        one is an error naming the plugin)."""
        from octoci.settings.plugin import check_declarations

        # Called one implementation at a time: an error must name the plugin that made it.
        declared = [
            (impl.plugin_name, impl.function())
            for impl in self.hook.octoci_add_settings.get_hookimpls()
        ]
        return check_declarations([(name, value) for name, value in declared if value is not None])

    def is_installed_but_not_loaded(self, name: str) -> bool:
        """True for an installed plugin this run does not load (a blocked name, an entry point
        left out by ``--no-plugins``, ``OCTOCI_PLUGINS`` or ``OCTOCI_DISABLE_PLUGIN_AUTOLOAD``)."""
        if self.is_blocked(name):
            return True
        return any(ep.name == name for ep in _installed_entry_points())

    def use_settings(self, config: ResolvedConfig) -> None:
        """Remember the running command's settings, for :meth:`plugin_settings`."""
        self.resolved_settings = config

    def plugin_settings(self, settings_class: type[_SettingsT]) -> _SettingsT:
        """A plugin's own settings, as an instance of the class it declared through
        ``octoci_add_settings`` (typed: ``pm.plugin_settings(AcmeSettings).webhook`` is a
        ``str`` to mypy).

        Example::

            settings = plugin_manager.plugin_settings(AcmeSettings)
        """
        config = self.resolved_settings
        if config is None:
            raise PluginLoadError(
                f"{settings_class.__name__} was asked for before the command resolved its "
                "settings (a plugin command calls octoci.cli.options.resolve_settings first)"
            )
        for instance in config.plugins.values():
            if type(instance) is settings_class:
                return instance
        raise PluginLoadError(
            f"{settings_class.__name__} is not declared by any plugin's octoci_add_settings"
        )

    def run_finished(self, report: RunReport, exit_code: int, context: RunContext) -> None:
        """Tell every plugin the run is over; a plugin that raises is a warning naming it, and
        the other plugins are still told."""
        failures = contributions.call_each_guarded(
            self, "octoci_run_finished", report=report, exit_code=exit_code, context=context
        )
        for name, error in failures:
            log.warning(
                "the plugin %s failed in octoci_run_finished (%s: %s); the exit code is unchanged",
                self.label(name),
                type(error).__name__,
                " ".join(str(error).split()),
            )
            log.debug("octoci_run_finished failed", exc_info=error)


def _installed_entry_points() -> Sequence[metadata.EntryPoint]:
    """The entry points of the group ``octoci``; importlib.metadata (a good part of start-up)
    is imported only when a distribution on ``sys.path`` may declare one."""
    from octoci.entry_point_scan import may_have_entry_points

    if not may_have_entry_points(ENTRY_POINT_GROUP):
        return ()
    from importlib import metadata

    return tuple(metadata.entry_points(group=ENTRY_POINT_GROUP))


def _trace(pm: OctociPluginManager, stream: TextIO) -> None:
    def before(hook_name: str, impls: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        names = ", ".join(impl.plugin_name for impl in impls)
        stream.write(f"octoci: trace: {hook_name} -> {names}\n")

    def after(outcome: Any, hook_name: str, impls: Sequence[Any], kwargs: Any) -> None:
        pass

    pm.add_hookcall_monitoring(before, after)


def create_plugin_manager(
    *,
    env: Mapping[str, str] | None = None,
    load_entrypoints: bool = True,
    disabled: Iterable[str] = (),
    builtins: Sequence[str] | None = None,
    trace_stream: TextIO | None = None,
    commands_only: bool = False,
) -> OctociPluginManager:
    """Build a plugin manager in the documented load order (module docstring).

    :param env: environment for ``OCTOCI_DISABLE_PLUGINS``, ``OCTOCI_PLUGINS``,
        ``OCTOCI_DISABLE_PLUGIN_AUTOLOAD`` and ``OCTOCI_TRACE_PLUGINS`` (default: none set).
    :param load_entrypoints: False skips third-party plugins (``--no-plugins``, tests).
    :param disabled: plugin names to block, in addition to ``OCTOCI_DISABLE_PLUGINS``.
    :param builtins: built-in plugin names (default: ``octoci_plugins.BUILTIN_PLUGINS``, then
        :data:`BUILTIN_PACKAGES`).
    :param commands_only: of the core's and built-in plugins, load only the
        :data:`COMMAND_PLUGINS` (third-party plugins as usual): enough to list and find the
        commands plugins add, for nothing else.

    Example::

        pm = create_plugin_manager(env=os.environ, load_entrypoints=False)
        server = pm.select_server(os.environ, sys.stdout)
    """
    env = env or {}
    pm = OctociPluginManager()
    blocked = [*disabled, *_split_names(env.get("OCTOCI_DISABLE_PLUGINS"))]
    essential = sorted(set(blocked) & set(CORE_PLUGINS))
    if essential:
        raise InputError(f"{essential[0]} is essential to octoci and cannot be disabled")
    for name in blocked:
        pm.set_blocked(name)
    for name, module in CORE_PLUGINS.items():
        if not commands_only or name in COMMAND_PLUGINS:
            pm.register(importlib.import_module(module), name=name)
    if builtins is None:
        from octoci_plugins import BUILTIN_PLUGINS

        builtins = (*BUILTIN_PLUGINS, *BUILTIN_PACKAGES)
    pm.load_builtins(builtins, only=COMMAND_PLUGINS if commands_only else None)
    autoload_off = env.get("OCTOCI_DISABLE_PLUGIN_AUTOLOAD", "").strip() not in ("", "0")
    if load_entrypoints and not autoload_off:
        allow = _split_names(env["OCTOCI_PLUGINS"]) if "OCTOCI_PLUGINS" in env else None
        pm.load_entrypoints(allow)
    pm.verify()
    if env.get("OCTOCI_TRACE_PLUGINS", "").strip() not in ("", "0"):
        _trace(pm, trace_stream or sys.stderr)
    return pm
