"""Pack and push in one phase: each package is pushed as soon as it is written, while the next
one is packed, so the upload of one package overlaps the packing of the next.

The push of each package is the push step's own (:class:`~octoci.steps.push.PushPackages`:
routing, delta, overwrite mode, hash verification), run for that one package on a pusher thread.
A package is pushed only once it is complete (renamed into place), never while it is being
written. The SHA-256s (for the report) are computed on a thread of their own once the last
package is written, beside its upload. Packages named in ``holding`` (the one that triggers
automatic release creation) are packed but not pushed here: a later step pushes them alone and
last.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import ClassVar, TypeVar

from octoci.errors import OctociError
from octoci.model import Package, RunReport
from octoci.packaging.build import PackagePlan, hash_package, write_package_file
from octoci.packaging.progress import showing_progress
from octoci.progress import Progress
from octoci.steps.head_start import HeadStart
from octoci.steps.pack import PackageJob
from octoci.steps.plan import StepContext, StepFailed, count
from octoci.steps.push import PushPackages, merge_pushed

__all__ = ["PackAndPush", "packing_order"]

T = TypeVar("T")


def packing_order(jobs: tuple[PackageJob, ...], holding: tuple[str, ...]) -> list[PackageJob]:
    """Largest first (its upload then overlaps the most packing), the held packages last (they
    are pushed only after the phase, so packing them early would leave the pusher idle)."""
    held = {i.lower() for i in holding}

    def key(job: PackageJob) -> tuple[bool, int]:
        return (job.plan.spec.id.lower() in held, -sum(_size(e.source) for e in job.entries))

    return sorted(jobs, key=key)


def _size(path: Path) -> int:
    # Only an ordering hint: a file that cannot be read fails later, in the writer, by name.
    try:
        return path.stat().st_size
    except OSError:
        return 0


@dataclass(frozen=True)
class PackAndPush:
    """Pack ``jobs`` and push each (and then ``push.files``) with ``push``, overlapping.

    A failed pack stops: pushes already started finish, none is started after it. Pushes that
    fail do not stop packing (every package is attempted, as in the push step); the phase then
    fails with the push step's error.
    """

    jobs: tuple[PackageJob, ...]
    push: PushPackages = field(default_factory=PushPackages)
    progress: Progress | None = None
    holding: tuple[str, ...] = ()
    """Package ids packed but left for a later step to push (the trigger of automatic release
    creation)."""
    head_start: HeadStart | None = None
    """One of ``jobs`` already being written (while Octopus was checked): taken and renamed
    into place instead of packed again."""

    phase: ClassVar[str] = "pack-push"

    def _pushed_count(self) -> int:
        held = {i.lower() for i in self.holding}
        ids = [j.plan.spec.id for j in self.jobs] + [n.id for _, n in self.push.files]
        return len([i for i in ids if i.lower() not in held])

    def title(self, report: RunReport) -> str:
        """``Packing and pushing 2 packages``; ``Packing 2 packages and pushing 1`` when one is
        held back for a later step."""
        packing, pushing = len(self.jobs), self._pushed_count()
        if pushing == packing + len(self.push.files):
            return f"Packing and pushing {count(packing, 'package')}"
        return f"Packing {count(packing, 'package')} and pushing {pushing}"

    def run(self, context: StepContext, report: RunReport) -> RunReport:
        """Pack each package and push it when it is ready; the report lists every package once
        (pushed, or ``packed`` when held back or not pushed because of a failure)."""
        held = {i.lower() for i in self.holding}
        one = replace(self.push, files=(), excluding=(), why="")
        # A dry run records on one connection in order: no threads there.
        pool = None if context.dry_run else _one_thread("octoci-pack-push")
        pending: list[Future[RunReport]] = []
        pushed: list[Package] = []
        failures: list[tuple[str, str]] = []
        errors: list[OctociError] = []
        packed: list[Package] = []
        # The SHA-256s for the report, computed once the packing is over: on the packing
        # thread they held up the next package (0.06 s for 97 MB), and beside it they took
        # its CPU; after it they fill a core the last upload leaves idle (4 % of a
        # two-package publish here).
        unhashed: list[Package] = []
        hashing: list[Future[Package]] = []
        hash_errors: list[OctociError] = []
        hasher: ThreadPoolExecutor | None = None

        def start_hashing() -> None:
            nonlocal hasher
            if hasher is None and not context.dry_run and unhashed:
                hasher = _one_thread("octoci-sha256")
            for package in unhashed:
                if hasher is None:
                    hashing.append(_finished(partial(hash_package, package)))
                else:
                    hashing.append(hasher.submit(hash_package, package))
            unhashed.clear()

        def push_package(package: Package) -> RunReport:
            only = replace(one, only=(package.id,))
            return only.run(context, RunReport(packages=(package,)))

        def settle(result: Future[RunReport]) -> None:
            try:
                done = result.result()
            except StepFailed as failed:
                done = failed.report
                errors.append(failed.error)
            pushed.extend(p for p in done.packages if p.outcome != "packed")
            failures.extend(done.failed_packages)

        def settle_pending() -> None:
            # Pushes already started finish (also before a failure ends the phase).
            for future in pending:
                settle(future)
            pending.clear()

        def settle_hashes() -> None:
            start_hashing()
            for future in hashing:
                try:
                    packed.append(future.result())
                except OctociError as exc:
                    hash_errors.append(exc)
            hashing.clear()

        def collected() -> RunReport:
            settle_hashes()
            # The report keeps the configured order, whatever order they were packed in.
            place = {job.plan.spec.id.lower(): i for i, job in enumerate(self.jobs)}
            ordered = sorted(packed, key=lambda p: place.get(p.id.lower(), len(place)))
            merged = report.replace(packages=(*report.packages, *ordered))
            merged = merge_pushed(merged, pushed)
            return merged.replace(failed_packages=(*merged.failed_packages, *failures))

        written = 0
        try:
            for job in self._order():
                plan = job.plan
                if context.scratch is not None:
                    spec = replace(plan.spec, out_folder=context.scratch)
                    plan = replace(
                        plan, spec=spec, destination=context.scratch / plan.destination.name
                    )
                try:
                    package = self._write(job, plan)
                except OctociError as exc:
                    # None starts after a failed pack.
                    settle_pending()
                    if not written:
                        raise
                    raise StepFailed(collected(), exc) from None
                written += 1
                context.reporter.say(
                    f"packed {package.path.name}: {len(job.entries)} files, {package.size:,} bytes"
                )
                if package.id.lower() not in held:
                    if pool is None:
                        settle(_finished(partial(push_package, package)))
                    else:
                        pending.append(pool.submit(push_package, package))
                # The push sends and checks the file's bytes by the SHA-1 it computes itself;
                # the SHA-256 is only for the report.
                unhashed.append(package)
            start_hashing()
            settle_pending()
            settle_hashes()
            if hash_errors:
                raise StepFailed(collected(), hash_errors[0])
            rest = replace(self.push, only=(), excluding=self.holding, why="")
            if [f for f in rest.files if f[1].id.lower() not in held]:
                # Package files given as they are: the push step's own concurrent push.
                settle(_finished(lambda: rest.run(context, RunReport())))
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
            if hasher is not None:
                hasher.shutdown(wait=True)
        result = collected()
        if len(errors) == 1 and not pushed:
            # Alone, its own error; among packages that were pushed, "n of m failed" as in
            # the push step, so the message says the others are there.
            raise StepFailed(result, errors[0])
        if errors:
            total = self._pushed_count()
            details = "; ".join(f"{Path(path).name}: {why}" for path, why in failures)
            raise StepFailed(
                result, OctociError(f"{len(failures)} of {total} packages failed: {details}")
            )
        return result

    def _order(self) -> list[PackageJob]:
        """:func:`packing_order`, but the head start's package first: it is being written
        already, and a second package written beside it would share its progress display and
        the cores."""
        order = packing_order(self.jobs, self.holding)
        head = self.head_start
        if head is None:
            return order
        # By identity: the head start holds one of these very jobs.
        first = [job for job in order if job is head.job]
        return first + [job for job in order if job is not head.job]

    def _write(self, job: PackageJob, plan: PackagePlan) -> Package:
        """Write ``job``'s package as ``plan`` says, or take it from the head start; in place,
        not yet hashed."""
        head = self.head_start
        if head is not None and head.job is job and plan is job.plan:
            return head.take().install()
        with showing_progress(self.progress, plan.destination.name, job.entries):
            return write_package_file(plan, job.entries, hashed=False).install()


def _one_thread(name: str) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)


def _finished(function: Callable[[], T]) -> Future[T]:
    """``function()`` as a finished future, so that inline (dry-run) and threaded work is
    settled alike (an :class:`OctociError`, :class:`StepFailed` included, is kept in it)."""
    future: Future[T] = Future()
    try:
        future.set_result(function())
    except OctociError as failed:
        future.set_exception(failed)
    return future
