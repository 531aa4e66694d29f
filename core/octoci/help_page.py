"""``octoci --help`` and ``octoci --version`` without importing click.

Importing click costs about four times a bare ``python -c pass``, more than all the rest of the
help page. The root group's options, its description and the commands' one-line summaries are
data here; :mod:`octoci.cli` builds its click group from the same data, and :func:`render_help`
lays the page out the way click does (``tests/core/test_help_page.py`` compares the two at every
width click can choose). :func:`fast_answer` answers only when the answer cannot differ from
click's: exactly ``--help``, ``-h`` or ``--version``, no plugin settings in the environment and
no third-party plugin installed (a plugin may add commands); anything else goes to click.
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "BUILTIN_SUMMARIES",
    "DESCRIPTION",
    "PLUGIN_COMMAND_SUMMARIES",
    "ROOT_OPTIONS",
    "RootOption",
    "fast_answer",
    "render_help",
    "terminal_width",
]

#: The root group's description (its help text).
DESCRIPTION = """octoci connects your build server to Octopus Deploy.

Exit codes: 0 ok, 1 an operation failed, 2 usage error or bad input, 3 a deployment or
runbook run failed, 4 waiting timed out."""


class RootOption:
    """One option of the root group: click's declarations, help, and ``metavar`` for an option
    that takes a value (``NAME``; empty for a flag). A plain class: ``dataclasses`` would cost
    ``--help`` more than the rest of this module."""

    __slots__ = ("decls", "help", "metavar", "multiple")

    def __init__(
        self, decls: tuple[str, ...], help: str, *, metavar: str = "", multiple: bool = False
    ) -> None:
        self.decls = decls
        self.help = help
        self.metavar = metavar
        self.multiple = multiple

    @property
    def switches(self) -> tuple[str, ...]:
        """The declarations that are switches (``-q``, ``--quiet``), not the parameter name."""
        return tuple(d for d in self.decls if d.startswith("-"))

    @property
    def term(self) -> str:
        """The first column of its help row: ``-q, --quiet`` or ``--server NAME``."""
        names = ", ".join(self.switches)
        return f"{names} {self.metavar}" if self.metavar else names


#: The root group's own options, in the order ``--help`` lists them (between ``--version`` and
#: ``-h, --help``, which click adds).
ROOT_OPTIONS: tuple[RootOption, ...] = (
    RootOption(("--debug",), "Show tracebacks and debug logging."),
    RootOption(("-q", "--quiet"), "Show only errors and the final result line."),
    RootOption(("-v", "--verbose"), "Show details (debug logging) without tracebacks."),
    RootOption(("--no-plugins",), "Load no third-party plugins (entry points of group octoci)."),
    RootOption(
        ("--disable-plugin", "disabled_plugins"),
        "Block a plugin by name (repeatable); see also OCTOCI_DISABLE_PLUGINS.",
        metavar="NAME",
        multiple=True,
    ),
    RootOption(
        ("--server",),
        "Use this build-server adapter instead of detecting one (env: OCTOCI_SERVER).",
        metavar="NAME",
    ),
)

_VERSION_ROW = ("--version", "Show the version and exit.")
_HELP_ROW = ("-h, --help", "Show this message and exit.")

#: Each built-in command's one-line summary, which ``octoci --help`` lists without importing the
#: command (a test keeps these equal to the commands' own help).
BUILTIN_SUMMARIES: dict[str, str] = {
    "info": "Show the build server octoci detects and the build information it would send.",
    "plugins": "List the loaded plugins: name, kind, version, distribution and hooks.",
    "pack": "Pack files into a package Octopus accepts: <id>.<version>.<ext>.",
    "push": "Push package files (paths or globs such as 'dist/*.zip') to the built-in feed or "
    "a repository.",
    "build-info": "Push build information for one or more package ids at one version.",
    "release": "Create, deploy and promote releases (Octopus Server 2022.3.5512 or later).",
    "runbook": "Run runbooks (Octopus Server 2022.3.5512 or later).",
    "task": "Work with Octopus server tasks.",
    "login": "Log later steps in to Octopus: OIDC (no API key needed) or an API key.",
    "publish": (
        "Pack, push packages and build information, create a release, deploy, wait, report."
    ),
}

#: The commands the built-in command plugins (``octoci.plugins.COMMAND_PLUGINS``) add, by
#: plugin: command name -> the first paragraph of its help (a test keeps them equal).
PLUGIN_COMMAND_SUMMARIES: dict[str, dict[str, str]] = {
    "emulator": {
        "emulator": ("Run a local Octopus-compatible server for dry runs, demos and tests."),
    },
}

#: Variables that change which plugins load: with any of them set, click answers.
_PLUGIN_VARIABLES = (
    "OCTOCI_DISABLE_PLUGINS",
    "OCTOCI_PLUGINS",
    "OCTOCI_TRACE_PLUGINS",
    "_OCTOCI_COMPLETE",
)


def terminal_width(env: Mapping[str, str]) -> int:
    """The width click lays the page out in: the terminal's columns (``COLUMNS`` first, as
    :func:`shutil.get_terminal_size` reads them) capped at 80, minus 2, at least 50."""
    given = env.get("COLUMNS", "").strip()
    columns = int(given) if given.isdigit() else 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    if columns <= 0:
        columns = 80
    return max(min(columns, 80) - 2, 50)


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Paragraphs (blank-line separated) rewrapped to ``width``, each line led by ``indent``,
    a blank line between paragraphs: what click's ``wrap_text`` does for plain prose."""
    out: list[str] = []
    for number, paragraph in enumerate(p for p in text.split("\n\n") if p.strip()):
        if number:
            out.append("")
        joined = " ".join(line.strip() for line in paragraph.splitlines())
        out.extend(
            textwrap.wrap(
                joined,
                width,
                initial_indent=indent,
                subsequent_indent=indent,
                replace_whitespace=False,
            )
        )
    return out


def _definition_list(rows: Sequence[tuple[str, str]], width: int, indent: int = 2) -> list[str]:
    """Two columns as click's ``write_dl`` writes them (first column at most 30 wide)."""
    first_col = min(max(len(term) for term, _ in rows), 30) + 2
    text_width = max(width - first_col - 2, 10)
    lines: list[str] = []
    for term, text in rows:
        wrapped = _wrap(text, text_width)
        lead = " " * indent + term
        if len(term) <= first_col - 2:
            head = lead + " " * (first_col - len(term))
        else:
            lines.append(lead)
            head = " " * (first_col + indent)
        lines.append(head + (wrapped[0] if wrapped else ""))
        lines.extend(" " * (first_col + indent) + line for line in wrapped[1:])
    return lines


def _short_help(text: str, limit: int) -> str:
    """A command's summary cut to ``limit`` as click cuts it (first sentence, then words)."""
    words = text.partition("\n\n")[0].split()
    for i, word in enumerate(words):
        if word.endswith(".") and (i == len(words) - 1 or not words[i + 1][0].islower()):
            words = words[: i + 1]
            break
    summary = " ".join(words)
    if len(summary) <= limit:
        return summary
    if limit < 3:
        return "..."
    return textwrap.shorten(summary, limit, placeholder="...", break_on_hyphens=False)


def render_help(commands: Mapping[str, str], width: int) -> str:
    """The root ``--help`` page for ``commands`` (name -> summary) at ``width``."""
    options = [_VERSION_ROW, *((o.term, o.help) for o in ROOT_OPTIONS), _HELP_ROW]
    limit = width - 6 - max(len(name) for name in commands)
    listing = [(name, _short_help(commands[name], limit)) for name in sorted(commands)]
    lines = [
        "Usage: octoci [OPTIONS] COMMAND [ARGS]...",
        "",
        *_wrap(DESCRIPTION, width, "  "),
        "",
        "Options:",
        *_definition_list(options, width),
        "",
        "Commands:",
        *_definition_list(listing, width),
    ]
    return "\n".join(lines) + "\n"


def fast_answer(argv: Sequence[str], env: Mapping[str, str]) -> str | None:
    """The page for ``--help``/``-h``, the line for ``--version``, or ``None`` when click must
    answer (other arguments, plugin variables set, a third-party plugin installed)."""
    if len(argv) != 1 or argv[0] not in ("--help", "-h", "--version"):
        return None
    if any(name in env for name in _PLUGIN_VARIABLES):
        return None
    from octoci import __version__

    if argv[0] == "--version":
        return f"octoci {__version__}\n"
    from octoci.entry_point_scan import may_have_entry_points

    if may_have_entry_points("octoci"):
        return None
    commands = dict(BUILTIN_SUMMARIES)
    for added in PLUGIN_COMMAND_SUMMARIES.values():
        commands.update(added)
    return render_help(commands, terminal_width(env))
