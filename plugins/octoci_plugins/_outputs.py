"""Output variables as files, for build servers without a stdout protocol for them (Jenkins,
Bamboo, Bitbucket Pipelines): ``octoci-outputs.json`` and ``octoci-outputs.properties`` with the
same content. Jenkins reads them with ``readJSON``/``readProperties``, Bamboo with the "Inject
Bamboo variables" task, Bitbucket as step artifacts.

Each call rewrites both files from the merged values, so several octoci steps in one build
accumulate their outputs. The properties file is written with Java's ``Properties.store``
escaping, so any value (newlines, ``=``, ``:``, ``#``, non-ASCII) reads back exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from octoci.errors import InputError
from octoci.files import write_text_atomic

__all__ = [
    "JSON_NAME",
    "OutputFiles",
    "escape_properties_key",
    "escape_properties_value",
    "to_properties",
]

JSON_NAME = "octoci-outputs.json"
PROPERTIES_NAME = "octoci-outputs.properties"


def _escape(text: str, *, key: bool) -> str:
    out: list[str] = []
    for index, ch in enumerate(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\f":
            out.append("\\f")
        elif ch in "=:#!":
            out.append("\\" + ch)
        elif ch == " " and (key or index == 0):
            # A space ends a key, and a leading space of a value would be skipped by the reader.
            out.append("\\ ")
        elif ord(ch) < 0x20 or ord(ch) > 0x7E:
            # \\uXXXX keeps the file ASCII, readable whatever charset the reader assumes
            # (java.util.Properties.load(InputStream) reads ISO-8859-1); characters outside the
            # BMP become a surrogate pair, as Java stores them.
            for unit in _utf16_units(ch):
                out.append(f"\\u{unit:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _utf16_units(ch: str) -> list[int]:
    data = ch.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def escape_properties_key(key: str) -> str:
    """``key`` escaped for the key part of a ``.properties`` line."""
    return _escape(key, key=True)


def escape_properties_value(value: str) -> str:
    """``value`` escaped for the value part of a ``.properties`` line."""
    return _escape(value, key=False)


def to_properties(values: Mapping[str, str]) -> str:
    """``values`` as ``.properties`` text, one ``key=value`` line each, sorted by key."""
    return "".join(
        f"{escape_properties_key(k)}={escape_properties_value(v)}\n"
        for k, v in sorted(values.items())
    )


class OutputFiles:
    """The JSON and properties output files of one build."""

    def __init__(self, json_path: Path) -> None:
        self.json_path = json_path
        self.properties_path = json_path.with_suffix(".properties")

    def read(self) -> dict[str, str]:
        """The values written so far in this build (none when the file does not exist yet)."""
        try:
            text = self.json_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise InputError(
                f"cannot read the output file {self.json_path}: {exc.strerror}"
            ) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise InputError(
                f"the output file {self.json_path} is not valid JSON; delete it or choose another "
                "with OCTOCI_OUTPUT_FILE"
            ) from None
        if not isinstance(data, dict):
            raise InputError(f"the output file {self.json_path} does not hold a JSON object")
        return {str(k): str(v) for k, v in data.items()}

    def set(self, name: str, value: str) -> None:
        """Add (or replace) one output and rewrite both files atomically."""
        values = self.read()
        values[name] = value
        self.json_path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(values, indent=2, ensure_ascii=False) + "\n"
        write_text_atomic(self.json_path, text, "output file")
        write_text_atomic(self.properties_path, to_properties(values), "output file")
