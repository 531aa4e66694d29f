"""Shared fixtures for octoci's own tests (the public ones come from ``octoci.testing``)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

# No per-example deadline: these machines are shared, and a property that takes 250 ms under load
# is not a failure (hypothesis' default deadline is 200 ms). Everything else stays the default.
settings.register_profile("octoci", deadline=None)
settings.load_profile("octoci")


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with a fixed identity and dates, returning stdout."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(cwd),
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def run_git() -> Callable[..., str]:
    """``run_git(repo, "tag", "v1")``: git with a fixed identity and dates."""
    return git


@pytest.fixture
def git_repo(tmp_path: Path) -> Callable[..., Path]:
    """``git_repo(commits=["first", "second"], tags={1: "v1.0.0"}, branch="main", remote=...)``:
    a fresh repository with one empty commit per message; ``tags`` maps a 0-based commit index
    to a tag name."""

    def make(
        commits: list[str] | tuple[str, ...] = ("Initial commit",),
        *,
        tags: dict[int, str] | None = None,
        branch: str = "main",
        remote: str | None = "https://github.com/acme/shop.git",
        name: str = "repo",
    ) -> Path:
        repo = tmp_path / name
        repo.mkdir()
        git(repo, "init", "-q", "-b", branch)
        if remote:
            git(repo, "remote", "add", "origin", remote)
        for index, message in enumerate(commits):
            git(repo, "commit", "-q", "--allow-empty", "-m", message)
            if tags and index in tags:
                git(repo, "tag", tags[index])
        return repo

    return make
