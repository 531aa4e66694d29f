"""Errors about the files being packed: one line that names the input file and the real cause.

A file the build removes or replaces after the walk listed it has *vanished while packing*: the
same kind of failure as a file that changes size while it is read (exit code 1, pack again when
the build has finished). A file octoci may not read is bad input (exit code 2): the person running
it has to grant access or exclude the file. Either way the message names the input, never the
package being written.
"""

from __future__ import annotations

import errno
from pathlib import Path

from octoci.errors import InputError, OctociError
from octoci.files import display_path

__all__ = ["read_failure"]

#: The path (or a folder on it) is gone or is no longer a file: the tree changed under us.
_VANISHED = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EISDIR})
_DENIED = frozenset({errno.EACCES, errno.EPERM})


def read_failure(path: Path, exc: OSError) -> OctociError:
    """The error to raise when stat, open or read of the input ``path`` failed with ``exc``."""
    shown = display_path(path)
    if exc.errno in _VANISHED:
        return OctociError(
            f"{shown} vanished while packing (it was listed, then removed or replaced before it "
            "was read); pack again when the build has finished writing its files"
        )
    reason = exc.strerror or str(exc)
    if exc.errno in _DENIED:
        return InputError(
            f"cannot read {shown}: {reason}; give the user running octoci read access to it, "
            "or leave it out with --exclude"
        )
    return OctociError(f"cannot read {shown}: {reason}")
