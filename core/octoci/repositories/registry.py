"""The repository kinds octoci knows, and the repositories a run pushes to.

The core plugin ``octoci.repositories`` registers the built-in kinds, listed once in
:data:`BUILTIN_KINDS` (modules holding a ``KIND``, imported only when the kinds are asked for:
``octoci --help`` imports none of them). Plugins add theirs with ``octoci_repository_kinds``.

:func:`repository_configs` checks the ``[repositories.<name>]`` tables of the configuration
against the kinds (an unknown kind or key is one line naming it and the known ones) and reads
secret keys from ``OCTOCI_REPOSITORY_<NAME>_<KEY>``; :func:`open_repositories` masks those
secrets, then builds each repository; :func:`routing_for` says where each package goes.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from octoci import hookimpl
from octoci.errors import InputError
from octoci.repositories.octopus_feed import BUILTIN_FEED

if TYPE_CHECKING:
    from octoci.config import ResolvedConfig
    from octoci.plugins import OctociPluginManager
    from octoci.redaction import Redactor
    from octoci.repositories.base import PackageRepository, RepositoryConfig, RepositoryKind
    from octoci.server import CIServer

__all__ = [
    "BUILTIN_FEED",
    "BUILTIN_KINDS",
    "Routing",
    "octoci_repository_kinds",
    "open_repositories",
    "repository_configs",
    "repository_secrets",
    "routing_for",
    "secret_variable",
]

#: The modules of the built-in kinds, each holding ``KIND`` (a :class:`RepositoryKind`).
BUILTIN_KINDS: tuple[str, ...] = (
    "octoci.repositories.octopus_feed",
    "octoci.repositories.directory",
    "octoci.repositories.http",
    "octoci.repositories.maven",
    "octoci.repositories.s3",
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@hookimpl
def octoci_repository_kinds() -> Iterable[RepositoryKind]:
    """The built-in kinds (:data:`BUILTIN_KINDS`)."""
    return [importlib.import_module(module).KIND for module in BUILTIN_KINDS]


def secret_variable(repository: str, key: str) -> str:
    """``OCTOCI_REPOSITORY_RELEASES_PASSWORD``: the variable a repository's secret key is read
    from (the name upper-cased, ``-`` as ``_``)."""
    return f"OCTOCI_REPOSITORY_{repository.upper().replace('-', '_')}_{key.upper()}"


def repository_configs(
    tables: Mapping[str, Any],
    kinds: Mapping[str, RepositoryKind],
    env: Mapping[str, str],
    *,
    where: str = "the configuration",
    base_dir: Any = None,
) -> dict[str, RepositoryConfig]:
    """Every configured repository (the built-in feed ``octopus`` always), checked against the
    kinds, secret keys filled from the environment (which wins over the file).

    :param tables: ``[repositories]``: repository name -> its table.
    :param where: the file, for messages (``/repo/octoci.toml: repositories.releases``).
    :raises InputError: an unknown kind or key, a missing kind, a bad name.
    """
    from pathlib import Path

    from octoci.repositories.base import RepositoryConfig
    from octoci.settings.parse import close_match

    known = ", ".join(sorted(kinds))
    configs = {BUILTIN_FEED: RepositoryConfig(BUILTIN_FEED, "octopus", source="built-in")}
    for name, table in tables.items():
        here = f"{where}: repositories.{name}"
        if name == BUILTIN_FEED:
            raise InputError(
                f"{here}: {BUILTIN_FEED!r} is the built-in feed's name; give the repository "
                "another name"
            )
        if not _NAME.match(name):
            raise InputError(
                f"{here}: a repository name is letters, digits, '-' and '_' (e.g. releases)"
            )
        if not isinstance(table, Mapping):
            raise InputError(f'{here} must be a table with at least kind = "..."')
        kind_name = table.get("kind")
        if not isinstance(kind_name, str) or not kind_name.strip():
            raise InputError(f"{here}: kind is required; known kinds: {known}")
        kind = kinds.get(kind_name.strip().lower())
        if kind is None:
            raise InputError(
                f"{here}: unknown kind {kind_name!r}{close_match(kind_name, list(kinds))}; "
                f"known kinds: {known} (a plugin may add others)"
            )
        values = {key: value for key, value in table.items() if key != "kind"}
        for key in values:
            if key not in kind.keys:
                allowed = ", ".join(("kind", *kind.keys))
                raise InputError(
                    f"{here}: unknown key {key!r}{close_match(key, list(kind.keys))} for a "
                    f"{kind.name} repository; its keys: {allowed}"
                )
        for key in kind.secret_keys:
            from_env = env.get(secret_variable(name, key), "")
            if from_env.strip():
                values[key] = from_env
        configs[name] = RepositoryConfig(
            name,
            kind.name,
            values,
            source=here,
            base_dir=Path(base_dir) if base_dir is not None else Path(),
        )
    return configs


def repository_secrets(
    configs: Mapping[str, RepositoryConfig],
    kinds: Mapping[str, RepositoryKind],
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """The values of every configured repository's secret keys (from the file or the
    environment), and of the variables its kind's client reads secrets from by itself
    (:attr:`RepositoryKind.secret_variables`, from ``env``)."""
    values = []
    for config in configs.values():
        kind = kinds[config.kind]
        for key in kind.secret_keys:
            value = config.values.get(key)
            if isinstance(value, str) and value:
                values.append(value)
        for variable in kind.secret_variables:
            value = (env or {}).get(variable, "")
            if value.strip():
                values.append(value)
    return list(dict.fromkeys(values))


def open_repositories(
    pm: OctociPluginManager,
    config: ResolvedConfig,
    env: Mapping[str, str],
    *,
    server: CIServer,
    redactor: Redactor,
) -> dict[str, PackageRepository]:
    """The run's repositories by name, built by their kinds; their secrets are masked (in
    octoci's output and by the build server) before any kind sees them.

    :raises InputError: a bad ``[repositories.<name>]`` table, or one its kind refuses.
    :raises PluginResultError: a kind built something that is not a repository.
    """
    from octoci.contributions import PluginResultError
    from octoci.repositories.base import PackageRepository

    kinds = pm.repository_kinds()
    where = str(config.config_file) if config.config_file else "the configuration"
    base_dir = config.config_file.parent if config.config_file else config.base_dir
    configs = repository_configs(config.repositories, kinds, env, where=where, base_dir=base_dir)
    for secret in repository_secrets(configs, kinds, env):
        # The build server first: its masking must carry the secret before ours replaces it.
        server.mask(secret)
        redactor.add([secret])
    opened: dict[str, PackageRepository] = {}
    for name, repository_config in configs.items():
        repository = kinds[repository_config.kind].create(repository_config)
        if not isinstance(repository, PackageRepository):
            raise PluginResultError(
                f"the repository kind {repository_config.kind!r} built {type(repository).__name__}"
                f" for {name!r}, which is not a PackageRepository (push, find, versions, "
                "feed_problem, describe); fix the plugin that registers the kind"
            )
        opened[name] = repository
    return opened


@dataclass(frozen=True)
class Routing:
    """Where each package goes: its ``[[packages]] repository``, else ``default``.

    Example::

        Routing(repositories, routes={"acme.web": "releases"}).repository_for("Acme.Web")
    """

    repositories: Mapping[str, PackageRepository] = field(default_factory=dict)
    """Repository name -> repository; without the built-in feed, one is made on first use."""
    routes: Mapping[str, str] = field(default_factory=dict)
    """Package id, lower-cased -> repository name."""
    default: str = BUILTIN_FEED

    def name_for(self, package_id: str) -> str:
        """The name of the repository ``package_id`` goes to."""
        return self.routes.get(package_id.lower(), self.default)

    def repository_for(self, package_id: str) -> PackageRepository:
        """The repository ``package_id`` goes to."""
        name = self.name_for(package_id)
        found = self.repositories.get(name)
        if found is not None:
            return found
        if name == BUILTIN_FEED:
            from octoci.repositories.octopus_feed import OctopusFeed

            return OctopusFeed()
        raise InputError(f"no repository is named {name!r}; configured: {self.known()}")

    def known(self) -> str:
        """The configured names, for messages."""
        return ", ".join(sorted({BUILTIN_FEED, *self.repositories}))


def routing_for(config: ResolvedConfig, repositories: Mapping[str, PackageRepository]) -> Routing:
    """Each configured package's repository (its ``repository`` key; a ``--repository`` flag
    or ``OCTOCI_REPOSITORY`` wins over it), the ``repository`` setting for the others.

    :raises InputError: a name no ``[repositories.<name>]`` table configures.
    """
    routing = Routing(repositories, default=config.settings.repository or BUILTIN_FEED)
    source = config.sources.get("repository", "default")
    overridden = source == "flag" or source.startswith("env ")
    named = [] if overridden else [(p.id, p.repository) for p in config.package_configs()]
    named = [(package_id, name) for package_id, name in named if name]
    routing = Routing(repositories, {i.lower(): n for i, n in named}, routing.default)
    for package_id, name in [("", routing.default), *named]:
        if name not in repositories and name != BUILTIN_FEED:
            what = "the repository setting" if not package_id else f"the package {package_id}"
            where = f" in {config.config_file}" if config.config_file else ""
            raise InputError(
                f"{what} names the repository {name!r}, which no [repositories.{name}] table"
                f"{where} configures; configured: {routing.known()}"
            )
    return routing
