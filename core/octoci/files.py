"""Reading the files build servers leave for a job: JSON event payloads and Java properties files.

Both raise :class:`~octoci.errors.InputError` with one line naming the file and what is wrong,
so a malformed ``GITHUB_EVENT_PATH`` or TeamCity properties file never ends in a traceback.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from octoci.errors import InputError, OctociError

__all__ = [
    "display_path",
    "parse_properties",
    "printable",
    "read_json_file",
    "read_properties_file",
    "read_text_file",
    "write_text_atomic",
]


_SURROGATES = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` made safe for any UTF-8 stream: the bytes of a name that is not UTF-8 (which
    Python holds as surrogate escapes, U+DC80-U+DCFF) are shown as ``\\xNN``, any other lone
    surrogate (possible in Windows names) as ``\\uNNNN``; text without surrogates is unchanged.
    The file ``b"caf\\xe9.txt"`` (Latin-1, not UTF-8) is shown as ``caf\\xe9.txt``.
    """
    if not _SURROGATES.search(text):
        return text
    return _SURROGATES.sub(_escape_surrogate, text)


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def display_path(path: Path | str) -> str:
    """``path`` as text that can be printed, whatever bytes its name holds (:func:`printable`)."""
    return printable(str(path))


def write_text_atomic(path: Path, text: str, what: str = "file") -> None:
    """Write ``text`` (UTF-8, ``\n`` line ends) to ``path`` so no reader ever sees half of it:
    into a temporary file beside it, then renamed over it. Errors are one-line OctociErrors."""
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            Path(temp).replace(path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OctociError(f"cannot write the {what} {path}: {exc.strerror or exc}") from None


def read_text_file(path: Path, what: str) -> str:
    """The UTF-8 text of ``path``; ``what`` names the file in the error (e.g. ``"GitHub event file"``)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise InputError(f"{what} {path} cannot be read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path} is not UTF-8 (byte {exc.start})") from None


def read_json_file(path: Path, what: str) -> Any:
    """The parsed JSON of ``path``, with a one-line error for a missing or malformed file."""
    text = read_text_file(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what} {path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


def read_properties_file(path: Path, what: str) -> dict[str, str]:
    """A Java ``.properties`` file as a dict (TeamCity's build and configuration properties)."""
    text = read_text_file(path, what)
    try:
        return parse_properties(text)
    except ValueError as exc:
        raise InputError(f"{what} {path} is malformed: {exc}") from None


_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_SIMPLE_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def parse_properties(text: str) -> dict[str, str]:
    """Parse Java properties text: ``key=value``, ``key: value`` or ``key value``, ``#``/``!`` comments,
    backslash line continuations and escapes (``\\:``, ``\\=``, ``\\uXXXX``)."""
    result: dict[str, str] = {}
    logical: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.lstrip()
        if not logical and (not line or line[0] in "#!"):
            continue
        if _ends_with_odd_backslashes(line):
            logical.append(line[:-1])
            continue
        logical.append(line)
        key, value = _split_property("".join(logical), number)
        result[key] = value
        logical = []
    if logical:
        key, value = _split_property("".join(logical), len(text.splitlines()))
        result[key] = value
    return result


def _ends_with_odd_backslashes(line: str) -> bool:
    count = len(line) - len(line.rstrip("\\"))
    return count % 2 == 1


def _split_property(line: str, number: int) -> tuple[str, str]:
    key_chars: list[str] = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            key_chars.append(line[i : i + 2])
            i += 2
            continue
        if ch in "=: \t\f":
            break
        key_chars.append(ch)
        i += 1
    rest = line[i:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    key = _unescape("".join(key_chars), number)
    if not key:
        raise ValueError(f"line {number} has a value but no key")
    return key, _unescape(rest, number)


def _unescape(text: str, number: int) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\" or i + 1 >= len(text):
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u":
            match = _UNICODE_ESCAPE.match(text, i)
            if match is None:
                raise ValueError(f"line {number} has a malformed \\u escape")
            out.append(chr(int(match.group(1), 16)))
            i = match.end()
            continue
        out.append(_SIMPLE_ESCAPES.get(nxt, nxt))
        i += 2
    text = "".join(out)
    # Java writes characters outside the BMP as two \uXXXX escapes (a surrogate pair): join them.
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text
