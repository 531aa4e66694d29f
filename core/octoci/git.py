"""Git, through the ``git`` command: the only module in octoci that starts a subprocess.

Used by the local adapter (no build server), by the commit-list fallback every adapter shares, and by
the default package version. Every function takes the working directory explicitly and raises
:class:`GitError` (an :class:`~octoci.errors.OctociError`) with git's own one-line message.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from octoci.errors import OctociError
from octoci.model import Commit
from octoci.redaction import SECRET_VARIABLES

__all__ = [
    "GitError",
    "HeadState",
    "Repository",
]

# Unit separator and record separator: never found in commit messages, safe to split on.
_FIELD = "\x1f"
_RECORD = "\x1e"


class GitError(OctociError):
    """git is missing, the folder is not a repository, or a git command failed."""


@dataclass(frozen=True)
class HeadState:
    """Where a working tree stands, read with one git call (see :meth:`Repository.head_state`)."""

    toplevel: Path
    shallow: bool
    commit: str
    """The commit checked out; ``""`` in a repository without commits."""
    branch: str
    """The branch checked out; ``""`` on a detached HEAD."""


@dataclass(frozen=True)
class Repository:
    """A git working tree, read through the ``git`` command.

    Example::

        repo = Repository(Path.cwd())
        repo.head(), repo.current_branch(), repo.commits("v1.2.0..HEAD")
    """

    path: Path

    def run(self, *args: str) -> str:
        """Run ``git <args>`` in the repository and return its standard output, stripped."""
        executable = shutil.which("git")
        if executable is None:
            raise GitError("git is not installed or not on PATH; install git to read the history")
        # A fixed locale and no pager keep the output parseable; GIT_* from a hook must not leak in.
        # git reads history only, so Octopus's credentials have no business in its environment
        # (which its hooks and helpers would inherit).
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("GIT_") and k not in SECRET_VARIABLES
        }
        env.update(LC_ALL="C", GIT_PAGER="cat", GIT_TERMINAL_PROMPT="0")
        try:
            done = subprocess.run(
                [executable, *args],
                cwd=self.path,
                env=env,
                capture_output=True,
                check=False,
                timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GitError(f"git {args[0]} could not run in {self.path}: {exc}") from exc
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            first = message[0] if message else f"exit code {done.returncode}"
            raise GitError(f"git {args[0]} failed in {self.path}: {first}")
        return done.stdout.decode("utf-8", "replace").strip()

    def is_repository(self) -> bool:
        """True inside a git working tree."""
        try:
            return self.run("rev-parse", "--is-inside-work-tree") == "true"
        except GitError:
            return False

    def head_state(self) -> HeadState | None:
        """Top folder, shallowness, HEAD commit and branch in one call; ``None`` outside a repository.

        One process instead of four: every git call costs a few milliseconds of start-up.
        """
        try:
            lines = self.run(
                "rev-parse",
                "--show-toplevel",
                "--is-shallow-repository",
                "HEAD",
                "--symbolic-full-name",
                "HEAD",
            ).splitlines()
        except GitError:
            try:  # a repository without commits has no HEAD to resolve
                lines = self.run(
                    "rev-parse", "--show-toplevel", "--is-shallow-repository"
                ).splitlines()
            except GitError:
                return None
            return HeadState(Path(lines[0]), lines[1] == "true", "", self.current_branch())
        ref = lines[3]
        branch = ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ""
        return HeadState(Path(lines[0]), lines[1] == "true", lines[2], branch)

    def head(self) -> str:
        """The full id of the commit checked out."""
        return self.run("rev-parse", "HEAD")

    def current_branch(self) -> str:
        """The branch checked out, or ``""`` on a detached HEAD."""
        try:
            return self.run("symbolic-ref", "--quiet", "--short", "HEAD")
        except GitError:
            return ""

    def remote_url(self, name: str = "origin") -> str:
        """The fetch URL of ``name``, else of the first remote, else ``""``."""
        try:
            return self.run("remote", "get-url", name)
        except GitError:
            remotes = self.run("remote").splitlines()
            return self.run("remote", "get-url", remotes[0]) if remotes else ""

    def tags_at_head(self) -> list[str]:
        """Tags pointing at HEAD, newest version-looking first."""
        out = self.run("tag", "--points-at", "HEAD", "--sort=-version:refname")
        return [t for t in out.splitlines() if t]

    def previous_tag(self, rev: str = "HEAD") -> str:
        """The nearest tag reachable from ``rev``, ``""`` when there is none."""
        try:
            return self.run("describe", "--tags", "--abbrev=0", rev)
        except GitError:
            return ""

    def count(self, revision_range: str) -> int:
        """How many commits ``revision_range`` holds."""
        return int(self.run("rev-list", "--count", revision_range) or 0)

    def commits(self, revision_range: str, *, limit: int | None = None) -> list[Commit]:
        """Commits of ``revision_range`` (``A..B`` or one rev), newest first, full messages."""
        args = ["log", f"--format=%H{_FIELD}%B{_RECORD}"]
        if limit is not None:
            args.append(f"--max-count={limit}")
        out = self.run(*args, revision_range, "--")
        commits = []
        for record in out.split(_RECORD):
            record = record.strip("\n")
            if _FIELD in record:
                sha, message = record.split(_FIELD, 1)
                commits.append(Commit(sha.strip(), message.strip()))
        return commits
