"""Stand-ins for the build-server tools a pipeline step calls to hand values to later steps
(``buildkite-agent meta-data``, Bitrise's ``envman``): small programs put first on ``PATH`` that
keep what they are told in a JSON file of their folder, so a later step (or the test) reads it
back through the same tool, as on the server; and the pushed commit a server names in its
before/after variables (:func:`push_one_commit`)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from octoci.local_octopus import LocalOctopus
from octoci.testing.pipelines import PipelineJob

from ..conftest import git

__all__ = [
    "PUSHED",
    "build_information_commits",
    "install_stand_in",
    "push_one_commit",
    "stand_in_state",
]

#: ``buildkite-agent``: ``meta-data set NAME [VALUE]`` (the value on stdin when not given) and
#: ``meta-data get NAME`` as the agent does them; annotate and redactor are accepted and kept.
BUILDKITE_AGENT = """\
import json, sys
from pathlib import Path
state = Path(__file__).with_name("state.json")
data = json.loads(state.read_text()) if state.exists() else {"values": {}, "calls": []}
args = sys.argv[1:]
stdin = "" if sys.stdin.isatty() else sys.stdin.read()
data["calls"].append(args[:2])
if args[:2] == ["meta-data", "set"]:
    data["values"][args[2]] = args[3] if len(args) > 3 else stdin
elif args[:2] == ["meta-data", "get"]:
    if args[2] not in data["values"]:
        sys.exit(f"fatal: no meta-data value for key {args[2]!r}")
    sys.stdout.write(data["values"][args[2]])
elif args[:1] not in (["annotate"], ["redactor"]):
    sys.exit(f"stand-in buildkite-agent: {args[:2]} is not a command it knows")
state.write_text(json.dumps(data))
"""

#: Bitrise's ``envman add --key NAME --value VALUE [--sensitive]``: the later steps of the
#: workflow get NAME in their environment.
ENVMAN = """\
import json, sys
from pathlib import Path
state = Path(__file__).with_name("state.json")
data = json.loads(state.read_text()) if state.exists() else {"values": {}, "calls": []}
args = sys.argv[1:]
data["calls"].append(args[:1])
if args[:1] != ["add"] or "--key" not in args or "--value" not in args:
    sys.exit(f"stand-in envman: {args[:1]} is not a form it knows")
data["values"][args[args.index("--key") + 1]] = args[args.index("--value") + 1]
state.write_text(json.dumps(data))
"""


def install_stand_in(job: PipelineJob, name: str, program: str) -> Path:
    """``program`` (Python source) installed as the command ``name`` first on the job's
    ``PATH``; its folder, where it keeps ``state.json``."""
    folder = job.workspace.parent / f"stand-in-{name}"
    folder.mkdir()
    script = folder / "program.py"
    script.write_text(program, encoding="utf-8")
    launcher = folder / name
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    job.env["PATH"] = os.pathsep.join([str(folder), job.env["PATH"]])
    return folder


def stand_in_state(folder: Path) -> dict[str, str]:
    """The values a stand-in was given (none when it was never called)."""
    state = folder / "state.json"
    if not state.exists():
        return {}
    return dict(json.loads(state.read_text(encoding="utf-8"))["values"])


#: The message of the commit :func:`push_one_commit` adds: the one commit the push brought.
PUSHED = "Pushed: fix the basket total"


def push_one_commit(job: PipelineJob, *, commit_variables: tuple[str, ...]) -> tuple[str, str]:
    """One more commit in the job's workspace, as a push brings it: ``(before, after)``, the
    commit the branch was at and the new HEAD, which ``commit_variables`` are set to (the
    test sets the server's before/range variable from ``before``)."""
    before = git(job.workspace, "rev-parse", "HEAD")
    git(job.workspace, "commit", "-q", "--allow-empty", "-m", PUSHED)
    after = git(job.workspace, "rev-parse", "HEAD")
    job.env.update(dict.fromkeys(commit_variables, after))
    return before, after


def build_information_commits(emulator: LocalOctopus) -> list[list[str]]:
    """The commit messages of each package's build information in the emulator."""
    records = emulator.documents("buildinfo")  # type: ignore[attr-defined]
    return [[c["Comment"] for c in record["Commits"]] for record in records]
