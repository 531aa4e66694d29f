"""A head start for publish: the first package is packed while Octopus is being checked.

The checks before a publish (the HTTP client's imports, the server's space, project, channel and
environments) take a few hundred milliseconds in which the cores would otherwise wait. The first
package :func:`~octoci.steps.pack_push.packing_order` picks is written meanwhile, into its
temporary file only: it is renamed into place by the pack-and-push step, after every check has
passed, so a publish that stops at a check leaves nothing on disk, as before. Cancelling stops
the built-in writers within one segment and removes what they wrote.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

from octoci.packaging.build import WrittenPackage, write_package_file
from octoci.packaging.progress import showing_progress
from octoci.progress import Progress
from octoci.steps.pack import PackageJob

__all__ = ["HeadStart"]


class HeadStart:
    """One package being written on a thread of its own; :meth:`take` it or :meth:`cancel` it.

    Example::

        head = HeadStart.begin(job, progress)
        try:
            check_everything()
            package = head.take().install()
        finally:
            head.cancel()  # a no-op once taken
    """

    def __init__(self, job: PackageJob, progress: Progress | None) -> None:
        self.job = job
        self._progress = progress
        self._cancel = threading.Event()
        self._result: Future[WrittenPackage] = Future()
        self._taken = False
        self._thread = threading.Thread(target=self._write, name="octoci-head-start", daemon=True)

    @classmethod
    def begin(cls, job: PackageJob, progress: Progress | None = None) -> HeadStart:
        """Start writing ``job``'s package now."""
        head = cls(job, progress)
        head._thread.start()
        return head

    def _write(self) -> None:
        plan = self.job.plan
        try:
            with showing_progress(
                self._progress, plan.destination.name, self.job.entries, cancel=self._cancel
            ):
                # Hashed by the pack-and-push step while the package is pushed.
                written = write_package_file(plan, self.job.entries, hashed=False)
        except BaseException as exc:  # handed to take(); the write removed its file
            self._result.set_exception(exc)
            return
        self._result.set_result(written)

    def take(self) -> WrittenPackage:
        """Wait for the package; the write's own error if it failed. The caller installs it."""
        self._taken = True
        return self._result.result()

    def cancel(self) -> None:
        """Stop the write (unless taken) and remove what it wrote; waits for the thread."""
        if self._taken:
            return
        self._taken = True
        self._cancel.set()
        self._thread.join()
        try:
            written = self._result.result()
        except Exception:
            return  # nothing left: a failed or stopped write removes its temporary file
        written.discard()
