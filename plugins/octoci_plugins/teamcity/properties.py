"""TeamCity's two Java properties files, where most of a build's facts live.

The agent exports few environment variables; ``TEAMCITY_BUILD_PROPERTIES_FILE`` names the build
properties file (system properties: ``build.number``, ``teamcity.auth.userId`` and
``teamcity.auth.password`` ...), which names the configuration properties file
(``teamcity.configuration.properties.file``: ``teamcity.build.id``, ``teamcity.serverUrl``,
``teamcity.build.branch``, ``vcsroot.url`` ...). Both exist only while the build runs, on the
agent. On a Windows agent the paths inside are ``C\\:\\\\BuildAgent\\\\temp\\\\...``; the
properties parser unescapes them and :func:`resolve_path` keeps them in the agent's own style.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from octoci.files import read_properties_file

__all__ = ["TeamCityProperties", "build_id_from", "resolve_path"]

BUILD_PROPERTIES_FILE = "TEAMCITY_BUILD_PROPERTIES_FILE"
CONFIGURATION_POINTER = "teamcity.configuration.properties.file"
log = logging.getLogger("octoci")
_AUTH_USER = re.compile(r"^TeamCityBuildId=(?P<id>\d+)$")


def resolve_path(value: str, base: PurePath) -> PurePath:
    """``value`` as a path in ``base``'s flavour: absolute as given (``/opt/...``, ``C:\\...``),
    relative to ``base`` otherwise.

    The flavour (and class) comes from ``base``, so a Windows agent's ``C:\\BuildAgent\\temp``
    is absolute on Windows, and tests can check both styles with ``PureWindowsPath`` and
    ``PurePosixPath`` on any platform.
    """
    path = type(base)(value)
    return path if path.is_absolute() else base / path


def _exists(path: Path, kind: str, quiet: bool) -> bool:
    if path.exists():
        return True
    if quiet:
        return False
    log.warning(
        "the TeamCity %s properties file %s does not exist (it lives only while the build runs, "
        "on the agent); branch, build URL and commits from TeamCity are missing",
        kind,
        path,
    )
    return False


def build_id_from(build: Mapping[str, str], config: Mapping[str, str]) -> str:
    """The internal build id (not the build number): ``teamcity.build.id``, else the number in
    the temporary user name ``TeamCityBuildId=<id>``."""
    if config.get("teamcity.build.id", "").strip():
        return config["teamcity.build.id"].strip()
    match = _AUTH_USER.match(build.get("teamcity.auth.userId", "").strip())
    return match["id"] if match else ""


@dataclass(frozen=True)
class TeamCityProperties:
    """The build (system) and configuration properties of the running build."""

    build: Mapping[str, str] = field(default_factory=dict)
    config: Mapping[str, str] = field(default_factory=dict)
    build_file: Path | None = None

    @classmethod
    def load(cls, env: Mapping[str, str], *, quiet: bool = False) -> TeamCityProperties:
        """Read both files named by ``env``; empty when the agent exported no file.

        A file that is unreadable, not UTF-8 or malformed is a one-line
        :class:`~octoci.errors.InputError`. A file that does not exist (octoci run outside the
        build's lifetime, or in a container without the agent's temp folder) is a warning: the
        environment still gives the build number and commit. ``quiet`` skips that warning.
        """
        name = env.get(BUILD_PROPERTIES_FILE, "").strip()
        if not name:
            return cls()
        build_file = Path(name)
        if not _exists(build_file, "build", quiet):
            return cls()
        build = read_properties_file(build_file, "TeamCity build properties file")
        config: dict[str, str] = {}
        pointer = build.get(CONFIGURATION_POINTER, "").strip()
        if pointer:
            config_file = Path(resolve_path(pointer, build_file.parent))
            if _exists(config_file, "configuration", quiet):
                config = read_properties_file(config_file, "TeamCity configuration properties file")
        return cls(build=build, config=config, build_file=build_file)

    def get(self, key: str) -> str:
        """A configuration parameter, else a build (system) property, stripped; ``""`` if unset."""
        return (self.config.get(key) or self.build.get(key) or "").strip()

    @property
    def build_id(self) -> str:
        """The internal build id that REST URLs and ``viewLog.html`` take."""
        return build_id_from(self.build, self.config)

    @property
    def auth(self) -> tuple[str, str] | None:
        """The build's temporary REST credentials, valid while the build runs."""
        user = self.build.get("teamcity.auth.userId", "").strip()
        password = self.build.get("teamcity.auth.password", "").strip()
        return (user, password) if user and password else None
