"""Errors that end a run with one clear line and a documented exit code.

Every failure a user can cause is an :class:`OctociError`. The CLI prints ``octoci: error: <message>``
on one line (no traceback unless ``--debug``) and exits with :attr:`OctociError.exit_code`:

====  ===================================================================
0     success
1     an operation failed (Octopus rejected something, a tool failed, ...)
2     usage error or bad input (unknown option, malformed file, bad value)
====  ===================================================================

Later commands add more specific codes; they are listed in ``docs/reference/exit-codes.md``.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "AmbiguousServerError",
    "InputError",
    "MissingExtraError",
    "OctociError",
    "PluginLoadError",
    "UnknownServerError",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class OctociError(Exception):
    """Base class of every error meant for a person.

    The message is one line: what is wrong, and what to do about it.

    Example::

        raise OctociError("git is not installed; install git or pass --commit-range")
    """

    exit_code: ClassVar[int] = EXIT_FAILURE


class InputError(OctociError):
    """Bad input: a value, a file or an environment variable that cannot be used (exit code 2)."""

    exit_code: ClassVar[int] = EXIT_USAGE


class UnknownServerError(InputError):
    """``--server`` names a build server no plugin provides."""


class AmbiguousServerError(InputError):
    """Two or more build-server adapters claim the same environment."""


class PluginLoadError(OctociError):
    """A plugin (built-in or from an entry point) could not be imported or registered (exit code 1)."""


class MissingExtraError(OctociError):
    """An adapter needs a library that its pip extra brings, and the extra is not installed.

    Example::

        raise MissingExtraError("jenkins", "jenkins")
        # -> the Jenkins plugin needs the 'jenkins' module: pip install "octoci[jenkins]"
    """

    def __init__(self, module: str, extra: str, *, what: str | None = None) -> None:
        self.module = module
        self.extra = extra
        subject = what or f"the {extra} plugin"
        super().__init__(
            f"{subject} needs the {module!r} module, which is not installed: "
            f'pip install "octoci[{extra}]"'
        )
