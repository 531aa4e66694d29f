"""What the Jenkins, TeamCity, Bamboo, AppVeyor and Continua CI pipeline tests share.

Groovy and Kotlin cannot run here (no Jenkins or TeamCity server), so their shell steps are
taken out of the files by small, strict parsers of exactly the forms we ship: a step written
another way is an error, never silently skipped (each parser counts the step keywords and
fails when it did not read every one). ``pip install`` runs against :func:`pip_shim`, which
checks that octoci is pinned to this release instead of reaching a package index; the installed
``octoci`` is first on ``PATH``. PowerShell and cmd are not on the machine: the Windows forms are
checked statically (:func:`octoci_invocations`, :func:`pins`) against their Linux twins.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from collections.abc import Mapping
from pathlib import Path

import octoci
from octoci.testing.pipelines import Shell

__all__ = [
    "DASH_SH",
    "FAST_POLL",
    "PINNED",
    "groovy_credentials",
    "groovy_environment",
    "groovy_steps",
    "kotlin_parameters",
    "kotlin_scripts",
    "octoci_invocations",
    "pins",
    "pip_shim",
    "teamcity_references",
]

#: The octoci release every native form and example installs.
PINNED = octoci.__version__
#: Overrides of every job: the emulator's tasks end in well under a second, so polling every
#: 0.2 s instead of octoci's 5 s keeps each test short (the setting, not the behaviour, changes).
FAST_POLL = {"OCTOCI_POLL_INTERVAL": "0.2"}
#: Jenkins's ``sh`` step and a script file run by ``/bin/sh`` on Debian/Ubuntu agents: dash
#: (Jenkins adds ``-xe``).
DASH_SH = Shell(("dash", "-xe", "{script}"))

_GROOVY_COMMENT = re.compile(r"^\s*//[^\n]*$", re.MULTILINE)
_GROOVY_STEP = re.compile(
    r"\b(?P<kind>sh|bat)\s+(?:'''(?P<block>.*?)'''|'(?P<line>[^'\n]*)')", re.S
)
_GROOVY_KEYWORD = re.compile(r"\b(?:sh|bat)\b(?=\s*[('\"])")
_GROOVY_ENV_BLOCK = re.compile(r"\benvironment\s*\{(?P<body>[^}]*)\}")
_GROOVY_ASSIGNMENT = re.compile(r"^\s*(?P<name>[A-Z_][A-Z0-9_]*)\s*=\s*'(?P<value>[^'\n]*)'\s*$")
_GROOVY_BINDING = re.compile(r"\b(?:variable|usernameVariable|passwordVariable):\s*'(?P<name>\w+)'")
_KOTLIN_SCRIPT = re.compile(r'scriptContent\s*=\s*"""(?P<body>.*?)"""\.trimIndent\(\)', re.S)
_KOTLIN_PARAMETER = re.compile(r'\b(?:param|password)\("(?P<name>[^"]+)",\s*"(?P<value>[^"]*)"\)')
_TEAMCITY_REFERENCE = re.compile(r"%%|%(?P<name>[\w.]+)%")
#: ``&&``, ``||``, ``;`` or ``|`` outside double quotes: where one command of a line ends.
_SEPARATOR = re.compile(r'(?:&&|\|\||[;|])(?=(?:[^"]*"[^"]*")*[^"]*$)')
_PIN = re.compile(r"octoci\[(?P<extra>\w+)\]==(?P<version>[\w.]+)|\"?octoci (?P<shown>\d[\w.]*)\"?")


def _groovy_code(text: str) -> str:
    """``text`` without whole-line ``//`` comments (which may mention a step)."""
    return _GROOVY_COMMENT.sub("", text)


def groovy_steps(text: str) -> list[tuple[str, str]]:
    """Every ``sh``/``bat`` step of a Jenkinsfile or shared-library step, in order, as
    ``(kind, script)``: ``sh 'one line'`` or ``sh '''block'''`` (Groovy's ``\\\\`` read as one
    backslash). A step in any other form (double quotes: Groovy interpolation) is a
    ``ValueError``."""
    code = _groovy_code(text)
    steps = []
    for match in _GROOVY_STEP.finditer(code):
        script = match["block"] if match["block"] is not None else match["line"]
        steps.append((match["kind"], textwrap.dedent(script.replace("\\\\", "\\")).strip("\n")))
    keywords = len(_GROOVY_KEYWORD.findall(code))
    if keywords != len(steps):
        raise ValueError(f"{keywords} sh/bat steps, {len(steps)} in a form this parser reads")
    return steps


def groovy_environment(text: str) -> dict[str, str]:
    """The declarative ``environment { NAME = 'value' }`` block (literal values only)."""
    match = _GROOVY_ENV_BLOCK.search(_groovy_code(text))
    if match is None:
        return {}
    values = {}
    for line in match["body"].strip().splitlines():
        assignment = _GROOVY_ASSIGNMENT.match(line)
        if assignment is None:
            raise ValueError(f"environment: cannot read {line.strip()!r}")
        values[assignment["name"]] = assignment["value"]
    return values


def groovy_credentials(text: str) -> list[str]:
    """The variables ``withCredentials`` binds (``variable:``, ``usernameVariable:``,
    ``passwordVariable:``), in order."""
    return [m["name"] for m in _GROOVY_BINDING.finditer(_groovy_code(text))]


def kotlin_scripts(text: str) -> list[str]:
    """Every ``scriptContent = \"\"\"...\"\"\".trimIndent()`` of a TeamCity Kotlin DSL file, trimmed
    as ``trimIndent`` does; any other ``scriptContent`` is a ``ValueError``."""
    scripts = [textwrap.dedent(m["body"]).strip("\n") for m in _KOTLIN_SCRIPT.finditer(text)]
    if text.count("scriptContent") != len(scripts):
        raise ValueError("a scriptContent in a form this parser does not read")
    return scripts


def kotlin_parameters(text: str) -> dict[str, str]:
    """``param("name", "value")`` and ``password("name", "value")`` of a build type."""
    return {m["name"]: m["value"] for m in _KOTLIN_PARAMETER.finditer(text)}


def teamcity_references(script: str, parameters: Mapping[str, str]) -> str:
    """``script`` with TeamCity's ``%name%`` references replaced as the agent does (``%%`` is
    one ``%``); a reference to an undefined parameter is a ``KeyError``, as TeamCity refuses to
    start such a step."""

    def replace(match: re.Match[str]) -> str:
        if match["name"] is None:
            return "%"
        return parameters[match["name"]]

    return _TEAMCITY_REFERENCE.sub(replace, script)


def octoci_invocations(script: str) -> list[list[str]]:
    """The arguments of every ``octoci`` command in ``script`` except the ``--version`` check
    (Windows paths and cmd's ``&&`` chains included), to compare a form's variants."""
    found = []
    for line in script.splitlines():
        for part in _SEPARATOR.split(line):
            words = shlex.split(part.strip().strip("()"), posix=False)
            if words[:1] == ["octoci"] and "--version" not in words:
                found.append(words[1:])
    return found


def pins(text: str) -> set[str]:
    """Every octoci version ``text`` installs (``octoci[x]==V``) or expects (``octoci V``)."""
    return {m["version"] or m["shown"] for m in _PIN.finditer(text)}


def pip_shim(folder: Path) -> Path:
    """A folder holding ``pip`` and ``pip3`` that accept only ``install "octoci[<extra>]==PINNED"``
    and record it in ``pip.log`` (octoci itself is already installed): put it first on PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "pip.log"
    script = textwrap.dedent(
        f"""\
        #!/bin/sh
        echo "$*" >> '{log}'
        case "$*" in
          *"octoci["*"]=={PINNED}"*) exit 0 ;;
        esac
        echo "pip shim: expected octoci[<extra>]=={PINNED}, got: $*" >&2
        exit 1
        """
    )
    for name in ("pip", "pip3"):
        path = folder / name
        path.write_text(script, encoding="utf-8")
        path.chmod(0o755)
    return folder
