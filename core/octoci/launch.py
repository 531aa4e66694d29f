"""The ``octoci`` console script: ``--help`` and ``--version`` answered without importing
click where the answer cannot differ (:func:`octoci.help_page.fast_answer`), everything else by
the click command line (:func:`octoci.cli.run`)."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn

__all__ = ["main"]


def main() -> NoReturn:
    """Run ``octoci`` with the process's arguments and exit with its code."""
    from octoci.help_page import fast_answer

    answer = fast_answer(sys.argv[1:], os.environ)
    if answer is None:
        from octoci.cli import run

        _exit(run(sys.argv[1:]))
    from octoci.redaction import Redactor

    # Masked like everything octoci writes, however unlikely a secret in the help page is.
    sys.stdout.write(Redactor.from_environment(os.environ)(answer))
    sys.stdout.flush()
    sys.exit(0)


def _exit(code: int) -> NoReturn:
    """End the process with ``code`` once its output is flushed, without the interpreter's
    teardown: freeing every module and object took 20 to 40 ms after a publish had finished
    (1.5 % of it), for nothing a finished command needs (mypy ends the same way,
    ``mypy.util.hard_exit``). Logging is shut down first; while another thread still runs (a
    plugin's, say) the process exits normally, so that thread is waited for as before.
    """
    import threading

    if threading.active_count() > 1:
        sys.exit(code)
    if "logging" in sys.modules:
        import logging

        logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe: the reader is gone, there is no one left to tell.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
