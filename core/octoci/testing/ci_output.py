"""Parse what an adapter wrote to the job log back into messages, so tests assert on meaning.

Understands TeamCity service messages (``##teamcity[...]``), Azure Pipelines logging commands
(``##vso[...]`` and ``##[group]``), GitHub Actions workflow commands (``::cmd::``), GitLab CI
collapsible sections (``section_start``/``section_end``) and Continua CI messages
(``@@continua[...]``); any other line is a ``text`` message. AppVeyor writes nothing to the log
but calls its build worker API: :func:`parse_appveyor_calls` reads those calls the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CIMessage", "parse_appveyor_calls", "parse_ci_output"]


@dataclass(frozen=True)
class CIMessage:
    """One parsed line of CI output.

    ``protocol`` is ``teamcity``, ``azure``, ``github``, ``gitlab``, ``continua``, ``appveyor``
    or ``text``; ``name`` the
    command (``setParameter``, ``task.setvariable``, ``add-mask``, ``group`` ...); ``value`` the
    single or trailing value; ``properties`` the named attributes, unescaped.
    """

    protocol: str
    name: str
    value: str = ""
    properties: dict[str, str] = field(default_factory=dict)


_TEAMCITY = re.compile(r"^##teamcity\[(?P<name>[\w.]+)(?P<rest>.*)\]\s*$")
_TEAMCITY_SINGLE = re.compile(r"^\s*'(?P<value>(?:[^'|]|\|.)*)'\s*$")
_TEAMCITY_PROP = re.compile(r"(?P<key>[\w.]+)='(?P<value>(?:[^'|]|\|.)*)'")
_AZURE = re.compile(r"^##vso\[(?P<name>[\w.]+)(?P<props>[^\]]*)\](?P<value>.*)$")
_AZURE_SHORT = re.compile(r"^##\[(?P<name>\w+)\](?P<value>.*)$")
_GITHUB = re.compile(r"^::(?P<name>[\w-]+)(?: (?P<props>[^:]*))?::(?P<value>.*)$")
_GITLAB_SECTION = re.compile(
    r"^\x1b\[0Ksection_(?P<kind>start|end):(?P<time>\d+):(?P<name>[^\r\[]+)"
    r"(?:\[(?P<options>[^\]]*)\])?\r\x1b\[0K(?P<title>.*)$"
)
_CONTINUA = re.compile(r"^@@continua\[(?P<name>\w+)(?P<rest>.*)\]\s*$")
_CONTINUA_PROP = re.compile(r"(?P<key>\w+)='(?P<value>(?:[^'\\]|\\.)*)'")

_TEAMCITY_ESCAPES = {
    "|": "|",
    "'": "'",
    "n": "\n",
    "r": "\r",
    "[": "[",
    "]": "]",
    "x": "\u0085",
    "l": "\u2028",
    "p": "\u2029",
}


def _teamcity_unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "|" and i + 1 < len(text):
            if text.startswith("0x", i + 1) and len(text) >= i + 7:
                out.append(chr(int(text[i + 3 : i + 7], 16)))
                i += 7
                continue
            out.append(_TEAMCITY_ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _azure_unescape(text: str, *, prop: bool) -> str:
    text = text.replace("%0D", "\r").replace("%0A", "\n")
    if prop:
        text = text.replace("%3B", ";").replace("%5D", "]")
    return text.replace("%AZP25", "%")


def _github_unescape(text: str, *, prop: bool) -> str:
    text = text.replace("%0D", "\r").replace("%0A", "\n")
    if prop:
        text = text.replace("%3A", ":").replace("%2C", ",")
    return text.replace("%25", "%")


def _continua_unescape(text: str) -> str:
    # \n and \r are line breaks (VSoft documents \n; Cake writes \r); any other escaped
    # character stands for itself.
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), text)


def _parse_line(line: str) -> CIMessage:
    if m := _TEAMCITY.match(line):
        rest = m["rest"]
        if single := _TEAMCITY_SINGLE.match(rest):
            return CIMessage("teamcity", m["name"], _teamcity_unescape(single["value"]))
        props = {p["key"]: _teamcity_unescape(p["value"]) for p in _TEAMCITY_PROP.finditer(rest)}
        return CIMessage("teamcity", m["name"], "", props)
    if m := _AZURE.match(line):
        props = {}
        for part in m["props"].split(";"):
            if "=" in part:
                key, value = part.split("=", 1)
                props[key.strip()] = _azure_unescape(value, prop=True)
        return CIMessage("azure", m["name"], _azure_unescape(m["value"], prop=False), props)
    if m := _AZURE_SHORT.match(line):
        return CIMessage("azure", m["name"], _azure_unescape(m["value"], prop=False))
    if m := _GITHUB.match(line):
        props = {}
        for part in (m["props"] or "").split(","):
            if "=" in part:
                key, value = part.split("=", 1)
                props[key.strip()] = _github_unescape(value, prop=True)
        return CIMessage("github", m["name"], _github_unescape(m["value"], prop=False), props)
    if m := _GITLAB_SECTION.match(line):
        props = {"name": m["name"], "time": m["time"]}
        if m["options"]:
            props["options"] = m["options"]
        return CIMessage("gitlab", f"section_{m['kind']}", m["title"], props)
    if m := _CONTINUA.match(line):
        props = {
            p["key"]: _continua_unescape(p["value"]) for p in _CONTINUA_PROP.finditer(m["rest"])
        }
        return CIMessage("continua", m["name"], "", props)
    return CIMessage("text", "text", line)


def parse_ci_output(text: str) -> list[CIMessage]:
    """Every line of ``text`` as a :class:`CIMessage`, in order (blank lines skipped).

    Example::

        parse_ci_output("##teamcity[setParameter name='a' value='x|'y']")
        # [CIMessage(protocol='teamcity', name='setParameter', value='',
        #            properties={'name': 'a', 'value': "x'y"})]
    """
    # Split on "\n" only: GitLab's section lines carry a "\r" inside them.
    lines = (line.removesuffix("\r") for line in text.split("\n"))
    return [_parse_line(line) for line in lines if line.strip()]


#: Build worker API path (after ``api/``) -> the PowerShell command it stands for (AppVeyor's own names).
_APPVEYOR_CALLS = {
    "build/messages": "AddMessage",
    "build/compilationmessages": "AddCompilationMessage",
    "build/variables": "SetVariable",
    "artifacts": "PushArtifact",
}


def parse_appveyor_calls(calls: Iterable[tuple[str, Mapping[str, Any]]]) -> list[CIMessage]:
    """AppVeyor build worker API calls ``(path, JSON body)`` as :class:`CIMessage` s, in order:
    ``AddMessage`` (value: the message; properties: ``category``, ``details``), ``SetVariable``
    (``name``, ``value``), ``PushArtifact`` (value: the file name) ... Other paths are skipped
    (an artifact's upload and its finalising ``PUT`` carry no message).

    Example::

        parse_appveyor_calls([("/api/build/messages", {"message": "x", "category": "error"})])
        # [CIMessage(protocol='appveyor', name='AddMessage', value='x',
        #            properties={'category': 'error'})]
    """
    messages: list[CIMessage] = []
    for path, body in calls:
        # The worker API's paths, without their api/ prefix (only octoci.octopus spells API paths).
        name = _APPVEYOR_CALLS.get(path.lstrip("/").removeprefix("api/"))
        if name is None or not isinstance(body, Mapping):
            continue
        value = str(body.get("message", body.get("fileName", "")))
        props = {str(k): str(v) for k, v in body.items() if k not in ("message", "fileName") and v}
        messages.append(CIMessage("appveyor", name, value, props))
    return messages
