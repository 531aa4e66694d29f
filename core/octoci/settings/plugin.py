"""Plugins' own settings: declared through the ``octoci_add_settings`` hook as a frozen
dataclass of :func:`plugin_setting` fields, read from ``[tool.octoci.<plugin>]`` in
``pyproject.toml`` or ``[<plugin>]`` in ``octoci.toml`` (and, where the plugin asks for it, an
``OCTOCI_<PLUGIN>_<NAME>`` variable), and handed back to the plugin as an instance of its class.

Example (in the plugin ``acme``)::

    @dataclass(frozen=True)
    class AcmeSettings:
        webhook: str = plugin_setting("", "Where to post the summary.", env=True)
        retries: int = plugin_setting(3, "How often to try.")

    @octoci.hookimpl
    def octoci_add_settings():
        return PluginSettings("acme", AcmeSettings)

    # later, in any hook or command of the plugin:
    settings = plugin_manager.plugin_settings(AcmeSettings)   # an AcmeSettings, typed
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from octoci.errors import InputError, PluginLoadError
from octoci.settings.parse import close_match, from_env, from_file
from octoci.settings.table import SETTINGS, Kind, Setting, setting, settings_of

__all__ = ["PluginSettings", "check_declarations", "plugin_setting", "resolve_plugin_table"]

_AUTO_ENV = "<OCTOCI_PLUGIN_NAME>"
_NAME = re.compile(r"[a-z][a-z0-9_-]*\Z")
_PLUGIN_KINDS = ("str", "bool", "int", "float", "list")
#: Top-level keys a plugin table must not shadow.
RESERVED = frozenset([*(s.name for s in SETTINGS), "packages", "tool"])


def plugin_setting(default: Any, help: str, *, env: bool = False, kind: Kind | None = None) -> Any:
    """A field of a plugin's settings dataclass: its default (whose type is the setting's
    type: str, bool, int, float or a tuple of str), help, and whether an
    ``OCTOCI_<PLUGIN>_<NAME>`` variable may set it."""
    return setting(default, help, kind=kind, env=_AUTO_ENV if env else "", commands=())


@dataclass(frozen=True)
class PluginSettings:
    """What ``octoci_add_settings`` returns: the plugin's table name and its settings class."""

    plugin: str
    """The table: ``[tool.octoci.<plugin>]`` / ``[<plugin>]``; lowercase, ``a-z0-9_-``."""
    settings_class: type[Any]
    """A frozen dataclass of :func:`plugin_setting` fields."""

    def settings(self) -> tuple[Setting, ...]:
        """The declared settings, each with its environment variable spelled out."""
        prefix = "OCTOCI_" + re.sub(r"[^A-Z0-9]", "_", self.plugin.upper()) + "_"
        return tuple(
            replace(s, env=prefix + s.name.upper()) if s.env == _AUTO_ENV else s
            for s in settings_of(self.settings_class)
        )


def check_declarations(declared: list[tuple[str, Any]]) -> dict[str, PluginSettings]:
    """The declarations by table name, checked: ``declared`` is (registered plugin name, what
    its hook returned). A wrong declaration is a :class:`~octoci.errors.PluginLoadError`
    naming the plugin."""
    tables: dict[str, PluginSettings] = {}
    owners: dict[str, str] = {}
    for owner, value in declared:
        where = f"the plugin {owner!r}: octoci_add_settings"
        if not isinstance(value, PluginSettings):
            raise PluginLoadError(f"{where} returned {value!r}, not a PluginSettings")
        if not _NAME.match(value.plugin) or value.plugin in RESERVED:
            raise PluginLoadError(
                f"{where}: {value.plugin!r} cannot name a settings table (lowercase a-z, 0-9, "
                "'_' and '-', starting with a letter, and not a core setting)"
            )
        cls = value.settings_class
        if not (dataclasses.is_dataclass(cls) and isinstance(cls, type)):
            raise PluginLoadError(f"{where}: {cls!r} is not a dataclass")
        declared_fields = dataclasses.fields(cls)
        settings = value.settings()
        if len(settings) != len(declared_fields) or any(
            s.kind not in _PLUGIN_KINDS for s in settings
        ):
            raise PluginLoadError(
                f"{where}: every field of {cls.__name__} must be a plugin_setting(...) of type "
                "str, bool, int, float or tuple of str"
            )
        if value.plugin in tables:
            raise PluginLoadError(
                f"the plugins {owners[value.plugin]!r} and {owner!r} both declare the settings "
                f"table {value.plugin!r}"
            )
        tables[value.plugin] = value
        owners[value.plugin] = owner
    return tables


def resolve_plugin_table(
    declaration: PluginSettings,
    table: Mapping[str, Any] | None,
    env: Mapping[str, str],
    where: str,
) -> tuple[Any, dict[str, str]]:
    """The plugin's settings instance and each value's source: its variable > the file's
    ``table`` (``where`` names it, e.g. ``pyproject.toml: tool.octoci.acme``) > the default.
    An unknown key in the table is an error naming the plugin and the close match."""
    settings = declaration.settings()
    by_name = {s.name: s for s in settings}
    for key in table or {}:
        if key not in by_name:
            raise InputError(
                f"{where}: the plugin {declaration.plugin!r} has no setting {key!r}"
                f"{close_match(key, list(by_name))}; its settings: "
                f"{', '.join(by_name) or 'none'}"
            )
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for item in settings:
        raw = env.get(item.env, "") if item.env else ""
        if raw.strip():
            values[item.name], sources[item.name] = from_env(item, raw), f"env {item.env}"
        elif table is not None and item.name in table:
            values[item.name] = from_file(item, table[item.name], f"{where}.{item.name}")
            sources[item.name] = f"file {where.split(': ', 1)[0]}"
        else:
            values[item.name], sources[item.name] = item.default, "default"
    return declaration.settings_class(**values), sources
