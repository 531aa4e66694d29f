"""The pluggy markers of the ``octoci`` project (re-exported as ``octoci.hookimpl``/``hookspec``)."""

from __future__ import annotations

import pluggy

__all__ = ["hookimpl", "hookspec"]

#: Marks a function of a plugin as the implementation of an ``octoci_*`` hook.
hookimpl = pluggy.HookimplMarker("octoci")
#: Marks a function as a hook specification (for ``octoci_addhooks``).
hookspec = pluggy.HookspecMarker("octoci")
