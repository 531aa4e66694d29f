"""The commits ``octoci info --json`` reads from git for a recorded build pointed at a real
repository: one implementation for every adapter's "commits from git" test."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from octoci.testing import CliResult

RunCli = Callable[..., CliResult]
CiEnv = Callable[..., dict[str, str]]
RunGit = Callable[..., str]
#: The repository every such test builds: the newest commit is ``third``.
MESSAGES = ("first", "second", "third")
_REVISION = re.compile(r"\{([^{}]+)\}")


def info_over_git(
    run_cli: RunCli,
    ci_env: CiEnv,
    run_git: RunGit,
    repo: Path,
    server: str,
    revisions: Mapping[str, str],
) -> tuple[dict[str, Any], CliResult, dict[str, str]]:
    """``octoci info --json`` in ``repo`` under ``server``'s push recording, its variables
    overridden by ``revisions`` (each ``{rev}`` in a value is replaced by that revision's hash,
    e.g. ``"{HEAD~2}...{HEAD}"``): the build information, the run and the environment used."""

    overrides = {name: _resolve(run_git, repo, value) for name, value in revisions.items()}
    env = ci_env(server, "push", **overrides, OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1")
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == server
    return data["BuildInformation"], result, env


def commits_from_git_test(
    server: str,
    revisions: Mapping[str, str],
    expected: list[str],
    *,
    warnings: int | None = 0,
    fields: Mapping[str, str] | None = None,
    secrets: tuple[str, ...] = (),
    remote: str = "https://github.com/acme/shop.git",
) -> Callable[..., None]:
    """A test that, in a repository of :data:`MESSAGES` (origin ``remote``), ``server``'s push
    build with ``revisions`` (see :func:`info_over_git`) lists the ``expected`` commit messages,
    writes ``warnings`` warnings (one when the server names no range: what to configure for it;
    ``None``: not checked), has the build ``fields`` (values resolved like ``revisions``) and
    shows none of the values of the ``secrets`` variables."""

    def test(
        ci_env: CiEnv, run_cli: RunCli, git_repo: Callable[..., Path], run_git: RunGit
    ) -> None:
        repo = git_repo(list(MESSAGES), remote=remote)
        build, result, env = info_over_git(run_cli, ci_env, run_git, repo, server, revisions)
        assert [c["Comment"] for c in build["Commits"]] == expected
        if warnings is not None:
            assert result.stderr.count("warning") == warnings, result.stderr
        wanted = {key: _resolve(run_git, repo, value) for key, value in (fields or {}).items()}
        assert {key: build.get(key, "") for key in wanted} == wanted
        for name in secrets:
            assert env[name] not in result.stdout + result.stderr

    return test


def _resolve(run_git: RunGit, repo: Path, template: str) -> str:
    """``template`` with each ``{rev}`` replaced by that revision's hash in ``repo``."""
    return _REVISION.sub(lambda m: run_git(repo, "rev-parse", m.group(1)), template)
