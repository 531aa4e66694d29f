"""Talking back to GitLab: a dotenv report for later jobs, and collapsible log sections.

**Dotenv report.** A job hands variables to later jobs through a file declared as
``artifacts: reports: dotenv: octoci.env``. GitLab reads it line by line with
``/^(.*?)=(.*)$/`` and strips both sides (``Ci::ParseDotenvArtifactService``): quotes are kept as
they are, there are no escapes, no comments and no empty lines, and keys are ASCII letters,
digits and ``_``. So a value that is not one line, or that starts or ends with blanks, cannot
travel through it unchanged; :func:`dotenv_line` refuses such values rather than send a
different one. GitLab also rejects a file over 5 KiB (and more variables than the instance
allows, 20 by default), so the writer warns as the file approaches that size.

**Sections.** ``\\e[0Ksection_start:<unix time>:<name>[collapsed=true]\\r\\e[0K<title>`` opens a
collapsible section and ``\\e[0Ksection_end:<unix time>:<name>\\r\\e[0K`` closes it; the name may
hold letters, digits, ``_``, ``.`` and ``-`` only.
"""

from __future__ import annotations

import re
from pathlib import Path

from octoci.errors import InputError, OctociError

__all__ = [
    "DOTENV_NAME",
    "DotenvReport",
    "UnrepresentableValueError",
    "dotenv_line",
    "parse_dotenv",
    "section_end",
    "section_start",
]


DOTENV_NAME = "octoci.env"
#: GitLab refuses a dotenv report of this size or more.
DOTENV_SIZE_LIMIT = 5 * 1024
#: What Ruby's ``String#strip`` removes, which GitLab applies to both sides of a line.
RUBY_BLANKS = " \t\n\v\f\r\x00"
_KEY = re.compile(r"^[A-Za-z0-9_]+$")
_LINE = re.compile(r"^(.*?)=(.*)$")
_SECTION_NAME = re.compile(r"[^A-Za-z0-9_.\-]")
_ESC = "\x1b[0K"


class UnrepresentableValueError(InputError):
    """A value GitLab's dotenv report cannot carry unchanged (several lines, outer blanks, size)."""


def dotenv_line(name: str, value: str) -> str:
    """``name=value`` for a dotenv report; an :class:`InputError` for a name GitLab refuses and
    an :class:`UnrepresentableValueError` for a value GitLab could not read back exactly.

    >>> dotenv_line("RELEASE", "1.2.3")
    'RELEASE=1.2.3'
    """
    if not _KEY.match(name):
        raise InputError(
            f"output name {name!r} cannot go into GitLab's dotenv report: "
            "use only ASCII letters, digits and '_'"
        )
    if "\n" in value or "\r" in value:
        raise UnrepresentableValueError(
            f"output {name} is several lines, which GitLab's dotenv report cannot hold"
        )
    if "\x00" in value:
        raise UnrepresentableValueError(f"output {name} holds a NUL character")
    # Ruby's strip (GitLab's parser) drops " \t\n\v\f\r\0"; Python's drops every Unicode blank.
    if value != value.strip() or value != value.strip(RUBY_BLANKS):
        raise UnrepresentableValueError(
            f"output {name} starts or ends with blanks, which GitLab's dotenv report drops"
        )
    return f"{name}={value}"


def parse_dotenv(text: str) -> dict[str, str]:
    """A dotenv report read the way GitLab reads it (last value of a name wins)."""
    values: dict[str, str] = {}
    for line in text.split("\n"):
        match = _LINE.match(line)
        if match:
            values[match.group(1).strip(RUBY_BLANKS)] = match.group(2).strip(RUBY_BLANKS)
    return values


class DotenvReport:
    """The job's dotenv report file: each :meth:`set` merges one value and rewrites the file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, str]:
        """The values written so far in this job (none when the file does not exist yet)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8"
            raise InputError(f"cannot read the dotenv report {self.path}: {reason}") from None
        return parse_dotenv(text)

    def set(self, name: str, value: str) -> None:
        """Add (or replace) ``name`` and rewrite the file."""
        line = dotenv_line(name, value)
        values = self.read()
        values[name] = value
        text = "".join(dotenv_line(k, v) + "\n" for k, v in values.items())
        size = len(text.encode("utf-8"))
        if size >= DOTENV_SIZE_LIMIT:
            raise UnrepresentableValueError(
                f"output {line.partition('=')[0]} would make the dotenv report {self.path} "
                f"{size} bytes; GitLab refuses reports of {DOTENV_SIZE_LIMIT} bytes or more"
            )
        _write(self.path, text)


def _write(path: Path, text: str) -> None:
    # A plain rewrite: GitLab reads the report only after the job's script has ended.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise OctociError(f"cannot write the dotenv report {path}: {exc.strerror or exc}") from None


def section_name(text: str) -> str:
    """``text`` reduced to the characters GitLab allows in a section name."""
    return _SECTION_NAME.sub("_", text) or "section"


def section_start(name: str, title: str, timestamp: int, *, collapsed: bool = False) -> str:
    """The line that opens section ``name`` (without the newline); ``title`` is shown as one line.

    >>> section_start("octoci_1", "Pushing", 1700000000)
    '\\x1b[0Ksection_start:1700000000:octoci_1\\r\\x1b[0KPushing'
    """
    options = "[collapsed=true]" if collapsed else ""
    title = " ".join(title.split())
    return f"{_ESC}section_start:{timestamp}:{section_name(name)}{options}\r{_ESC}{title}"


def section_end(name: str, timestamp: int) -> str:
    """The line that closes section ``name`` (without the newline)."""
    return f"{_ESC}section_end:{timestamp}:{section_name(name)}\r{_ESC}"
