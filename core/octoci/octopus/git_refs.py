"""The Git ref and commit of a version-controlled (config-as-code) project's release or Git runbook
run: the one given (``git_ref``/``git_commit``), else the build's branch or tag.

Octopus reads such a project's process from Git at that ref, refuses a release without one and
refuses one for a project stored in the database, so the ref is decided (or refused, with one
line) from the project document before anything is created::

    reference = git_reference(project, GitChoice(build_ref="refs/heads/main"), "a release")
    reference.ref, reference.commit, reference.source   # 'refs/heads/main', '', 'the build'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from octoci.errors import InputError
from octoci.model import BuildInformation

if TYPE_CHECKING:
    from octoci.octopus.executions import ReleaseRequest

__all__ = [
    "GitChoice",
    "GitReference",
    "build_git_reference",
    "git_reference",
    "is_version_controlled",
    "runbooks_in_git",
    "with_build_git_reference",
]

_HOW_TO_SET = "pass --git-ref (or set OCTOCI_GIT_REF), e.g. --git-ref refs/heads/main"


@dataclass(frozen=True)
class GitChoice:
    """What a run was given: ``ref``/``commit`` from the settings, and the build's default
    (``build_ref``/``build_commit``), used only for a version-controlled project."""

    ref: str = ""
    commit: str = ""
    build_ref: str = ""
    build_commit: str = ""


@dataclass(frozen=True)
class GitReference:
    """The ref (and commit, when known) Octopus is asked to use, and where it came from."""

    ref: str
    commit: str = ""
    source: str = ""
    """``--git-ref`` or ``the build``."""

    def describe(self) -> str:
        """``Git ref refs/heads/main, commit 9f1c2e0 (from the build)``."""
        commit = f", commit {self.commit}" if self.commit else ""
        return f"Git ref {self.ref}{commit} (from {self.source})"


def build_git_reference(info: BuildInformation) -> tuple[str, str]:
    """``(ref, commit)`` of the build: ``refs/tags/<tag>`` for a tag build, else
    ``refs/heads/<branch>`` (a branch that is already a full ref is kept); ``("", "")`` when the
    build names neither (a detached HEAD)."""
    commit = info.head_commit or info.vcs_commit_number
    if info.tag:
        return f"refs/tags/{info.tag}", commit
    branch = info.branch.strip()
    if not branch:
        return "", ""
    return (branch if branch.startswith("refs/") else f"refs/heads/{branch}"), commit


def with_build_git_reference(request: ReleaseRequest, info: BuildInformation) -> ReleaseRequest:
    """``request`` with the build's ref and commit as its defaults (:func:`build_git_reference`)."""
    ref, commit = build_git_reference(info)
    return replace(request, build_git_ref=ref, build_git_commit=commit)


def is_version_controlled(project: Mapping[str, Any]) -> bool:
    """Whether the project's configuration lives in Git (Octopus 2021.2+:
    ``IsVersionControlled``, ``PersistenceSettings.Type == "VersionControlled"``)."""
    settings = project.get("PersistenceSettings") or {}
    return bool(project.get("IsVersionControlled")) or (
        isinstance(settings, Mapping) and settings.get("Type") == "VersionControlled"
    )


def runbooks_in_git(project: Mapping[str, Any]) -> bool:
    """Whether the project's runbooks live in Git (``ConversionState.RunbooksAreInGit``), so
    they run through the Git route with a ref, as the Octopus CLI decides."""
    settings = project.get("PersistenceSettings") or {}
    state = settings.get("ConversionState") if isinstance(settings, Mapping) else None
    return (
        is_version_controlled(project)
        and isinstance(state, Mapping)
        and bool(state.get("RunbooksAreInGit"))
    )


def git_reference(
    project: Mapping[str, Any], choice: GitChoice, what: str, *, in_git: bool | None = None
) -> GitReference | None:
    """The ref ``what`` (``a release``, ``runbook Backup``) of ``project`` is created from, or
    ``None`` where the project is stored in the database (``in_git`` overrides the project's
    own answer, for runbooks). The build's ref applies only to a project in Git.

    :raises InputError: the project is in Git and no ref was given or found, or it is in the
        database and a ref was given (Octopus refuses both).
    """
    name = project.get("Name", "")
    needs_git = is_version_controlled(project) if in_git is None else in_git
    if not needs_git:
        if choice.ref or choice.commit:
            where = (
                "is not version-controlled" if in_git is None else "keeps its runbooks in Octopus"
            )
            raise InputError(
                f"the project {name} {where}, and Octopus refuses a Git ref for {what}; "
                "leave out --git-ref and --git-commit (OCTOCI_GIT_REF, OCTOCI_GIT_COMMIT)"
            )
        return None
    if choice.ref:
        return GitReference(choice.ref, choice.commit, "--git-ref")
    if choice.build_ref:
        return GitReference(choice.build_ref, choice.build_commit, "the build")
    raise InputError(
        f"the project {name} is version-controlled: Octopus needs a Git ref for {what}, and "
        f"the build names no branch or tag; {_HOW_TO_SET}"
    )
