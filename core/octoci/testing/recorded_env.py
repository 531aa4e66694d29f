"""Recorded CI environments: the variables (and files) a build server gives a job, kept as data.

A recording is a JSON file ``<server>/<variant>.json`` in an environment directory::

    {
      "description": "GitHub Actions, push to main",
      "env": {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": "{files}/event.json"},
      "files": {"event.json": {"commits": []}}
    }

``files`` are written to a temporary folder when the recording is used; ``{files}`` in any
variable is replaced with that folder, so recordings stay portable. A file's content is a string
(written as is) or any other JSON value (written as JSON).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RecordedEnvironment", "find_recording", "list_recordings"]


@dataclass(frozen=True)
class RecordedEnvironment:
    """One recorded environment, not yet written out."""

    server: str
    variant: str
    description: str
    env: Mapping[str, str]
    files: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> RecordedEnvironment:
        """Read a recording; its server and variant are its folder and file names."""
        data = json.loads(path.read_text(encoding="utf-8"))
        env = data.get("env")
        if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
            raise ValueError(f"{path}: 'env' must be an object of strings")
        return cls(
            server=path.parent.name,
            variant=path.stem,
            description=str(data.get("description", "")),
            env=env,
            files=data.get("files") or {},
        )

    def materialize(self, folder: Path, **overrides: str) -> dict[str, str]:
        """Write the files into ``folder`` and return the environment with ``{files}`` resolved."""
        folder.mkdir(parents=True, exist_ok=True)
        for relative, content in self.files.items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            text = content if isinstance(content, str) else json.dumps(content, indent=2)
            target.write_text(text, encoding="utf-8")
        files = folder.as_posix()
        env = {key: value.replace("{files}", files) for key, value in self.env.items()}
        env.update(overrides)
        return env


def list_recordings(directories: Sequence[Path], server: str | None = None) -> list[Path]:
    """Every recording file under ``directories`` (of one server when given), sorted."""
    found: list[Path] = []
    for directory in directories:
        pattern = f"{server}/*.json" if server else "*/*.json"
        found.extend(sorted(directory.glob(pattern)))
    return found


def find_recording(directories: Sequence[Path], server: str, variant: str) -> Path:
    """The recording of ``server``/``variant``; ``LookupError`` lists what exists."""
    for directory in directories:
        candidate = directory / server / f"{variant}.json"
        if candidate.is_file():
            return candidate
    known = ", ".join(f"{p.parent.name}/{p.stem}" for p in list_recordings(directories)) or "none"
    raise LookupError(f"no recorded environment {server}/{variant}; recorded: {known}")
