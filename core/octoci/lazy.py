"""Names a package exports but imports on first use (PEP 562), so that importing the package stays
cheap: ``octoci --version`` must not pay for pluggy, ``octoci --help`` not for ``requests`` or the
emulator's server."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, names: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: ``names`` maps each exported name to
    the module that defines it; a name is imported when first asked for, then kept in
    ``namespace`` (the package's ``globals()``).

    Example::

        __getattr__, __dir__ = lazy_exports(__name__, {"Emulator": "octoci_emulator.runner"},
                                            globals())
    """

    def getattr_(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted([*namespace, *names])

    return getattr_, dir_
