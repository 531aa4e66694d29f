"""Version-controlled (config-as-code) projects: their persistence settings, and the Git ref
Octopus requires (or refuses) when a release is created or a Git runbook is run.

Octopus reads a version-controlled project's process from its Git repository at the ref the
request names, and records ``VersionControlReference`` ``{GitRef, GitCommit}`` on the release. The
emulator has no repository: a ref given without a commit gets a *stable fake commit*, the SHA-1
of the project id and the ref, so the same ref always resolves to the same commit.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from octoci_emulator.errors import BadRequest
from octoci_emulator.store import Document

__all__ = [
    "NOT_VERSION_CONTROLLED",
    "NO_GIT_REF",
    "fake_commit",
    "is_version_controlled",
    "persistence_settings",
    "reference",
    "runbooks_in_git",
]

#: Octopus's answer to ``releases/create/v1`` for a version-controlled project without ``GitRef``
#: (as the official create-release action v3 reports it).
NO_GIT_REF = (
    "No GitRef value provided. Please provide the GitRef argument passing the branch name or "
    "commit that contains the project details for this release."
)
#: Octopus's answer when a project stored in the database is given a ``GitRef`` or ``GitCommit``
#: (the wording the Octopus CLI and the TeamCity plugin report; Octopus is strict on purpose).
NOT_VERSION_CONTROLLED = (
    "Since the provided project is not a version controlled project, the GitCommit and GitRef "
    "arguments are not supported for this command."
)
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$", re.IGNORECASE)


def persistence_settings(
    url: str, default_branch: str = "main", base_path: str = ".octopus"
) -> dict[str, Any]:
    """``PersistenceSettings`` of a version-controlled project as Octopus 2021.2+ returns them
    (anonymous credentials; deployment process, variables and runbooks in Git)."""
    return {
        "Type": "VersionControlled",
        "Url": url,
        "DefaultBranch": default_branch,
        "BasePath": base_path,
        "Credentials": {"Type": "Anonymous"},
        "ProtectedDefaultBranch": False,
        "ProtectedBranchNamePatterns": [],
        "ConversionState": {"VariablesAreInGit": True, "RunbooksAreInGit": True},
    }


def is_version_controlled(project: Document) -> bool:
    """Whether the project's configuration lives in Git."""
    settings = project.get("PersistenceSettings") or {}
    return bool(project.get("IsVersionControlled")) or settings.get("Type") == "VersionControlled"


def runbooks_in_git(project: Document) -> bool:
    """Whether the project's runbooks live in Git (``ConversionState.RunbooksAreInGit``)."""
    settings = project.get("PersistenceSettings") or {}
    state = settings.get("ConversionState") or {}
    return is_version_controlled(project) and bool(state.get("RunbooksAreInGit"))


def fake_commit(project_id: str, git_ref: str) -> str:
    """The stable made-up commit a ref resolves to (the emulator has no repository)."""
    return hashlib.sha1(f"{project_id}|{git_ref}".encode()).hexdigest()


def _canonical(git_ref: str) -> str:
    # Octopus accepts a full ref, a short branch name, or a commit; a short name is a branch.
    if git_ref.startswith("refs/") or _COMMIT.match(git_ref):
        return git_ref
    return f"refs/heads/{git_ref}"


def reference(project: Document, git_ref: str, git_commit: str = "") -> Document | None:
    """The ``VersionControlReference`` a release of ``project`` records, or ``None`` for a
    project stored in the database; Octopus's 400 when the ref is missing or not allowed."""
    git_ref, git_commit = git_ref.strip(), git_commit.strip()
    if not is_version_controlled(project):
        if git_ref or git_commit:
            raise BadRequest(NOT_VERSION_CONTROLLED)
        return None
    if not git_ref:
        raise BadRequest(NO_GIT_REF)
    canonical = _canonical(git_ref)
    if not git_commit:
        git_commit = git_ref if _COMMIT.match(git_ref) else fake_commit(project["Id"], canonical)
    return {"GitRef": canonical, "GitCommit": git_commit}
