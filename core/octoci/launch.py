"""The ``octoci`` console script: ``--help`` and ``--version`` answered without importing
click where the answer cannot differ (:func:`octoci.help_page.fast_answer`), everything else by
the click command line (:func:`octoci.cli.run`)."""

from __future__ import annotations

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

        sys.exit(run(sys.argv[1:]))
    from octoci.redaction import Redactor

    # Masked like everything octoci writes, however unlikely a secret in the help page is.
    sys.stdout.write(Redactor.from_environment(os.environ)(answer))
    sys.stdout.flush()
    sys.exit(0)
