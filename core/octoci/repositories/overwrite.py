"""The one decision about a package version a repository already holds, for every kind.

Re-running a CI job must not fail because its package is already stored, and must never keep a
*different* file under the same version without saying so. So whatever the repository (the
built-in feed, Maven, S3, a folder), a version already there is compared by SHA-1 with the local
file, and :func:`settle_existing` decides:

* the same bytes: success, ``identical``;
* different bytes, ``FailIfExists``: an error naming both hashes;
* different bytes, ``IgnoreIfExists``: ``ignored``, with a warning (never silence);
* different bytes, ``OverwriteExisting``: ``None``, the caller replaces the stored copy.
"""

from __future__ import annotations

from collections.abc import Callable

from octoci.errors import OctociError
from octoci.repositories.base import OverwriteMode, StoreOutcome

__all__ = ["VersionExistsError", "different_content", "predicted_outcome", "settle_existing"]


class VersionExistsError(OctociError):
    """A repository holds other bytes under the package's id and version, and the overwrite
    mode is ``FailIfExists`` (exit code 1)."""


def different_content(
    package_id: str, version: str, place: str, stored_sha1: str, local_sha1: str
) -> str:
    """``Acme.Web 1.2.3 is already in Octopus with different content (stored SHA1 ..., local
    ...)``; ``place`` says where (``in Octopus``, ``in the repository 'releases'``)."""
    return (
        f"{package_id} {version} is already {place} with different content "
        f"(stored SHA1 {stored_sha1 or '?'}, local {local_sha1})"
    )


def settle_existing(
    *,
    what: str,
    package_id: str,
    version: str,
    place: str,
    stored_sha1: str,
    local_sha1: str,
    mode: OverwriteMode,
    dry_run: bool = False,
    error: Callable[[str], OctociError] = VersionExistsError,
) -> tuple[StoreOutcome, str] | None:
    """What to do about a version already stored with SHA-1 ``stored_sha1``: ``(outcome,
    warning)``, or ``None`` when the caller should replace it (``OverwriteExisting``).

    :param what: the operation, for the error (``pushing Acme.Web.1.2.3.zip``).
    :param dry_run: the error says what a real run would do instead of what failed.
    :param error: builds the ``FailIfExists`` error from its message (the built-in feed raises
        its :class:`~octoci.octopus.errors.PackageConflictError`).
    :raises OctociError: different bytes are stored and ``mode`` is ``FailIfExists``.

    Example::

        settle_existing(what="pushing Acme.Web.1.2.3.zip", package_id="Acme.Web",
                        version="1.2.3", place="in the repository 'releases'",
                        stored_sha1=found.sha1, local_sha1=file_sha1(path), mode="FailIfExists")
    """
    if stored_sha1 and stored_sha1.lower() == local_sha1.lower():
        return "identical", ""
    message = different_content(package_id, version, place, stored_sha1, local_sha1)
    if mode == "IgnoreIfExists":
        return "ignored", f"{message}; IgnoreIfExists kept the stored file, yours was NOT uploaded"
    if mode == "OverwriteExisting":
        return None
    if dry_run:
        raise error(
            f"{message}; a real run would fail: pass --overwrite-mode OverwriteExisting, or a "
            "new --version"
        )
    raise error(
        f"{what} failed: {message}; give the new build a new version, or pass "
        "--overwrite-mode OverwriteExisting to replace it"
    )


def predicted_outcome(
    *,
    file_name: str,
    package_id: str,
    version: str,
    place: str,
    stored_sha1: str | None,
    local_sha1: str,
    mode: OverwriteMode,
) -> StoreOutcome:
    """What a push would do (a dry run) when the repository holds ``stored_sha1`` (``None``:
    nothing) under the version: ``created`` (also when ``OverwriteExisting`` would replace it),
    ``identical`` or ``ignored``.

    :raises OctociError: other bytes are stored and ``mode`` is ``FailIfExists`` (a real run
        would fail).
    """
    if stored_sha1 is None:
        return "created"
    decided = settle_existing(
        what=f"pushing {file_name}",
        package_id=package_id,
        version=version,
        place=place,
        stored_sha1=stored_sha1,
        local_sha1=local_sha1,
        mode=mode,
        dry_run=True,
        error=OctociError,
    )
    return decided[0] if decided is not None else "created"
