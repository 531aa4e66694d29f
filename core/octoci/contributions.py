"""Calling the contribution hooks plugin by plugin, and checking what each plugin returned.

A contribution hook (adapters, artifacts, package formats, secrets, outputs, summary sections)
collects a result from every plugin. pluggy's own call merges them into one list and drops
``None``, so a wrong value could no longer be traced to the plugin that returned it. Here each
plugin's implementation is called on its own (through pluggy's public ``subset_hook_caller``, in
pluggy's order: last registered and ``tryfirst`` first), and a result of the wrong type is a
:class:`PluginResultError` (exit code 1) naming the plugin, its distribution, the hook and what
was expected. Only type names are shown, never values: a wrong "secret" is still a secret.

A wrapper (``wrapper=True``) on a contribution hook is an error naming its plugin: wrappers are
for decisions (firstresult hooks), where there is one result to enrich.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from octoci.errors import PluginLoadError

if TYPE_CHECKING:
    from octoci.model import Artifact, PackageFormat
    from octoci.plugins import OctociPluginManager
    from octoci.repositories import RepositoryKind
    from octoci.server import CIServer

__all__ = [
    "PluginResultError",
    "artifacts",
    "call_each",
    "call_each_guarded",
    "outputs",
    "package_formats",
    "repository_kinds",
    "secrets",
    "server_secrets",
    "servers",
    "summaries",
]


class PluginResultError(PluginLoadError):
    """A plugin returned a value its hook does not accept (exit code 1, like a plugin that
    fails to load: the plugin is broken, not the user's input)."""


def _a(value: object) -> str:
    """``value``'s type with its article (``a str``, ``an int``), never the value itself."""
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"


def _callers(pm: OctociPluginManager, hook: str) -> list[tuple[str, Callable[..., list[Any]]]]:
    """``(plugin name, a caller of only that plugin's implementation)`` for each plugin
    implementing ``hook``, in pluggy's call order."""
    impls = getattr(pm.hook, hook).get_hookimpls()
    callers: list[tuple[str, Callable[..., list[Any]]]] = []
    # get_hookimpls() lists in registration order (tryfirst last); pluggy calls from the end.
    for impl in reversed(impls):
        if impl.wrapper or impl.hookwrapper:
            # Skipping it would drop what the plugin meant to do without a word.
            raise PluginLoadError(
                f"the plugin {pm.label(impl.plugin_name)} wraps {hook}, which collects every "
                f"plugin's result and cannot be wrapped; implement it without wrapper=True, or "
                f"disable the plugin with OCTOCI_DISABLE_PLUGINS={impl.plugin_name}"
            )
        others = [other.plugin for other in impls if other.plugin is not impl.plugin]
        callers.append((impl.plugin_name, pm.subset_hook_caller(hook, others)))
    return callers


def call_each(pm: OctociPluginManager, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """``(plugin name, result)`` of every plugin implementing ``hook``, in pluggy's call order,
    ``None`` results left out (as pluggy does)."""
    return [(name, result) for name, call in _callers(pm, hook) for result in call(**kwargs)]


def call_each_guarded(
    pm: OctociPluginManager, hook: str, **kwargs: Any
) -> list[tuple[str, Exception]]:
    """Call every plugin's ``hook`` even when one raises: ``(plugin name, error)`` of those that
    raised (results are ignored: for notification hooks)."""
    failures: list[tuple[str, Exception]] = []
    for name, call in _callers(pm, hook):
        try:
            call(**kwargs)
        except Exception as exc:  # a notification plugin's failure must not end the run
            failures.append((name, exc))
    return failures


def _refuse(
    pm: OctociPluginManager, plugin: str, hook: str, got: str, expected: str
) -> PluginResultError:
    return PluginResultError(
        f"the plugin {pm.label(plugin)} returned {got} from {hook}, which must return "
        f"{expected}; fix the plugin or disable it with OCTOCI_DISABLE_PLUGINS={plugin}"
    )


def _checked_list(
    pm: OctociPluginManager,
    plugin: str,
    hook: str,
    result: object,
    accept: Callable[[object], bool],
    expected: str,
) -> list[Any]:
    """``result`` as a list, when it is an iterable (not a string or a mapping) of items
    ``accept`` takes; else a :class:`PluginResultError` saying ``expected``."""
    if isinstance(result, (str, bytes, Mapping)) or not isinstance(result, Iterable):
        raise _refuse(pm, plugin, hook, _a(result), expected)
    items = list(result)
    for item in items:
        if not accept(item):
            raise _refuse(pm, plugin, hook, f"a list holding {_a(item)}", expected)
    return items


def _list_of(
    pm: OctociPluginManager,
    hook: str,
    accept: Callable[[object], bool],
    expected: str,
    **kwargs: Any,
) -> list[tuple[str, list[Any]]]:
    """``(plugin name, result)`` of every plugin implementing ``hook``, each result checked
    (:func:`_checked_list`)."""
    return [
        (plugin, _checked_list(pm, plugin, hook, result, accept, expected))
        for plugin, result in call_each(pm, hook, **kwargs)
    ]


def _items(pm: OctociPluginManager, hook: str, *args: Any, **kwargs: Any) -> list[list[Any]]:
    """:func:`_list_of` without the plugin names."""
    return [items for _, items in _list_of(pm, hook, *args, **kwargs)]


# ---------------------------------------------------------------------------------- the hooks
def servers(pm: OctociPluginManager) -> list[tuple[str, list[type[CIServer]]]]:
    """``(plugin name, adapters)`` of every plugin implementing ``octoci_servers``, checked."""
    from octoci.server import CIServer

    def is_adapter(value: object) -> bool:
        return isinstance(value, type) and issubclass(value, CIServer)

    return _list_of(pm, "octoci_servers", is_adapter, "a list of CIServer subclasses")


def artifacts(pm: OctociPluginManager, **kwargs: Any) -> list[list[Artifact]]:
    """Every plugin's ``octoci_discover_artifacts`` list, checked, in call order."""
    from octoci.model import Artifact

    return _items(
        pm,
        "octoci_discover_artifacts",
        lambda value: isinstance(value, Artifact),
        "a list of Artifact",
        **kwargs,
    )


def package_formats(pm: OctociPluginManager) -> list[list[PackageFormat]]:
    """Every plugin's ``octoci_package_formats`` list, checked."""
    from octoci.model import PackageFormat

    return _items(
        pm,
        "octoci_package_formats",
        lambda value: isinstance(value, PackageFormat),
        "a list of PackageFormat",
    )


def repository_kinds(pm: OctociPluginManager) -> list[tuple[str, list[RepositoryKind]]]:
    """``(plugin name, kinds)`` of every plugin implementing ``octoci_repository_kinds``,
    checked."""
    from octoci.repositories import RepositoryKind

    return _list_of(
        pm,
        "octoci_repository_kinds",
        lambda value: isinstance(value, RepositoryKind),
        "a list of RepositoryKind",
    )


def secrets(pm: OctociPluginManager, **kwargs: Any) -> list[list[str]]:
    """Every plugin's ``octoci_secrets`` list, checked (each value a string)."""
    return _items(
        pm, "octoci_secrets", lambda value: isinstance(value, str), "a list of str", **kwargs
    )


def outputs(pm: OctociPluginManager, **kwargs: Any) -> list[dict[str, str]]:
    """Every plugin's ``octoci_outputs`` mapping of names to values, checked, in call order."""
    hook, expected = "octoci_outputs", "a mapping of str names to str values"
    checked = []
    for plugin, result in call_each(pm, hook, **kwargs):
        if not isinstance(result, Mapping):
            raise _refuse(pm, plugin, hook, _a(result), expected)
        for key, value in result.items():
            if not isinstance(key, str):
                raise _refuse(
                    pm, plugin, hook, f"an output name of type {type(key).__name__}", expected
                )
            if not isinstance(value, str):
                # The name of an output is no secret; its value may be one.
                got = f"the output {key!r} with {_a(value)} value"
                raise _refuse(pm, plugin, hook, got, expected)
        checked.append(dict(result))
    return checked


def summaries(pm: OctociPluginManager, **kwargs: Any) -> list[str]:
    """Every plugin's ``octoci_summary`` section (a str; ``None`` for none), checked."""
    checked = []
    for plugin, result in call_each(pm, "octoci_summary", **kwargs):
        if not isinstance(result, str):
            expected = "a str (or None for no section)"
            raise _refuse(pm, plugin, "octoci_summary", _a(result), expected)
        checked.append(result)
    return checked


def server_secrets(pm: OctociPluginManager, plugin: str, server: CIServer) -> list[str]:
    """``server.secrets()`` (see :meth:`CIServer.secrets`) of the adapter ``plugin``
    registered, checked, without empties."""
    hook = f"{type(server).__qualname__}.secrets() (the {server.name!r} adapter)"
    values = _checked_list(
        pm, plugin, hook, server.secrets(), lambda value: isinstance(value, str), "a list of str"
    )
    return [value for value in values if value]
