"""The one settings system of every octoci command: the table (:class:`Settings`, whose fields are
the settings), how values are read from flags, variables and files, and plugins' own settings.

Only the standard library is imported here: ``octoci --help`` builds every command's options
from the table.
"""

from __future__ import annotations

from octoci.settings.plugin import PluginSettings, plugin_setting
from octoci.settings.table import (
    COMMANDS,
    OCTOPUS_COMMANDS,
    SETTINGS,
    WAITING_COMMANDS,
    Kind,
    Setting,
    Settings,
    setting,
    settings_for,
    settings_of,
)

__all__ = [
    "COMMANDS",
    "OCTOPUS_COMMANDS",
    "SETTINGS",
    "WAITING_COMMANDS",
    "Kind",
    "PluginSettings",
    "Setting",
    "Settings",
    "plugin_setting",
    "setting",
    "settings_for",
    "settings_of",
]
