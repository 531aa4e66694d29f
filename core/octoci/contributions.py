"""Calling the contribution hooks plugin by plugin, and checking what each plugin returned.

A contribution hook (adapters, artifacts, package formats, secrets, outputs, summary sections)
collects a result from every plugin. pluggy's own call merges them into one list and drops
``None``, so a wrong value could no longer be traced to the plugin that returned it. Here each
plugin's implementation is called on its own (through pluggy's public
``subset_hook_caller``, in pluggy's order: last registered and ``tryfirst`` first), and a result
of the wrong type is a :class:`PluginResultError` (exit code 1) naming the plugin, the hook and
what was expected. Only type names are shown, never values: a wrong "secret" is still a secret.

Wrappers (``wrapper=True``) are not called on contribution hooks: they wrap decisions
(firstresult hooks), where there is one result to enrich.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from octoci.errors import PluginLoadError

if TYPE_CHECKING:
    import pluggy

    from octoci.model import Artifact, PackageFormat
    from octoci.server import CIServer

__all__ = [
    "PluginResultError",
    "call_each",
    "check_items",
    "check_mapping",
    "check_optional_text",
    "plugin_label",
]


class PluginResultError(PluginLoadError):
    """A plugin returned a value its hook does not accept (exit code 1, like a plugin that
    fails to load: the plugin is broken, not the user's input)."""


def plugin_label(pm: pluggy.PluginManager, name: str) -> str:
    """``'acme' (from acme-octoci 1.2)`` for an entry-point plugin, ``'acme'`` otherwise."""
    distributions: Mapping[str, tuple[str, str]] = getattr(pm, "distributions", {})
    if name in distributions:
        dist, version = distributions[name]
        return f"{name!r} (from {dist} {version})".replace(" )", ")")
    return repr(name)


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _refuse(pm: pluggy.PluginManager, plugin: str, hook: str, problem: str) -> PluginResultError:
    return PluginResultError(
        f"the plugin {plugin_label(pm, plugin)} returned {problem} from {hook}; "
        f"fix the plugin or disable it with OCTOCI_DISABLE_PLUGINS={plugin}"
    )


def call_each(pm: pluggy.PluginManager, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """``(plugin name, result)`` of every plugin implementing ``hook``, in pluggy's call order,
    ``None`` results left out (as pluggy does)."""
    caller = getattr(pm.hook, hook)
    impls = caller.get_hookimpls()
    results: list[tuple[str, Any]] = []
    # get_hookimpls() lists in registration order (tryfirst last); pluggy calls from the end.
    for impl in reversed(impls):
        if impl.wrapper or impl.hookwrapper:
            continue
        others = [other.plugin for other in impls if other.plugin is not impl.plugin]
        for result in pm.subset_hook_caller(hook, others)(**kwargs):
            results.append((impl.plugin_name, result))
    return results


def check_items(
    pm: pluggy.PluginManager,
    plugin: str,
    hook: str,
    result: object,
    accept: Callable[[object], bool],
    expected: str,
) -> list[Any]:
    """``result`` as a list when it is an iterable (not a string or a mapping) whose every item
    ``accept`` takes; otherwise a :class:`PluginResultError` saying ``expected``."""
    if isinstance(result, (str, bytes, Mapping)) or not isinstance(result, Iterable):
        raise _refuse(pm, plugin, hook, f"a {_type_name(result)}, not {expected}")
    items = list(result)
    for item in items:
        if not accept(item):
            raise _refuse(pm, plugin, hook, f"a {_type_name(item)} in its list, not {expected}")
    return items


def check_mapping(pm: pluggy.PluginManager, plugin: str, hook: str, result: object) -> dict[str, str]:
    """``result`` when it maps strings to strings; otherwise a :class:`PluginResultError`."""
    expected = "a mapping of str names to str values"
    if not isinstance(result, Mapping):
        raise _refuse(pm, plugin, hook, f"a {_type_name(result)}, not {expected}")
    for key, value in result.items():
        if not isinstance(key, str) or not isinstance(value, str):
            what = f"the name {key!r}" if isinstance(key, str) else f"a {_type_name(key)} name"
            raise _refuse(
                pm, plugin, hook, f"{what} with a {_type_name(value)} value, not {expected}"
            )
    return dict(result)


def check_optional_text(pm: pluggy.PluginManager, plugin: str, hook: str, result: object) -> str:
    """``result`` when it is a string (``None`` never gets here); else a :class:`PluginResultError`."""
    if not isinstance(result, str):
        raise _refuse(pm, plugin, hook, f"a {_type_name(result)}, not a str or None")
    return result


# ---------------------------------------------------------------------------------- the hooks
def servers(pm: pluggy.PluginManager) -> list[list[type[CIServer]]]:
    """Every plugin's ``octoci_servers`` list, checked."""
    from octoci.server import CIServer

    def is_adapter(value: object) -> bool:
        return isinstance(value, type) and issubclass(value, CIServer)

    return [
        check_items(pm, name, "octoci_servers", result, is_adapter, "a list of CIServer subclasses")
        for name, result in call_each(pm, "octoci_servers")
    ]


def artifacts(pm: pluggy.PluginManager, **kwargs: Any) -> list[list[Artifact]]:
    """Every plugin's ``octoci_discover_artifacts`` list, checked, in call order."""
    from octoci.model import Artifact

    return [
        check_items(
            pm,
            name,
            "octoci_discover_artifacts",
            result,
            lambda value: isinstance(value, Artifact),
            "a list of Artifact",
        )
        for name, result in call_each(pm, "octoci_discover_artifacts", **kwargs)
    ]


def package_formats(pm: pluggy.PluginManager) -> list[list[PackageFormat]]:
    """Every plugin's ``octoci_package_formats`` list, checked."""
    from octoci.model import PackageFormat

    return [
        check_items(
            pm,
            name,
            "octoci_package_formats",
            result,
            lambda value: isinstance(value, PackageFormat),
            "a list of PackageFormat",
        )
        for name, result in call_each(pm, "octoci_package_formats")
    ]


def secrets(pm: pluggy.PluginManager, **kwargs: Any) -> list[list[str]]:
    """Every plugin's ``octoci_secrets`` list, checked (each value a string)."""
    return [
        check_items(
            pm,
            name,
            "octoci_secrets",
            result,
            lambda value: isinstance(value, str),
            "a list of str",
        )
        for name, result in call_each(pm, "octoci_secrets", **kwargs)
    ]


def outputs(pm: pluggy.PluginManager, **kwargs: Any) -> list[dict[str, str]]:
    """Every plugin's ``octoci_outputs`` mapping, checked, in call order."""
    return [
        check_mapping(pm, name, "octoci_outputs", result)
        for name, result in call_each(pm, "octoci_outputs", **kwargs)
    ]


def summaries(pm: pluggy.PluginManager, **kwargs: Any) -> list[str]:
    """Every plugin's ``octoci_summary`` section, checked, in call order."""
    return [
        check_optional_text(pm, name, "octoci_summary", result)
        for name, result in call_each(pm, "octoci_summary", **kwargs)
    ]


def server_secrets(server: CIServer) -> list[str]:
    """``server.secrets()``, checked: the adapter's own secrets (see :meth:`CIServer.secrets`)."""
    result = server.secrets()
    where = f"{type(server).__module__}.{type(server).__qualname__}"
    expected = "a list of str"
    if isinstance(result, (str, bytes, Mapping)) or not isinstance(result, Iterable):
        raise PluginResultError(
            f"the build-server adapter {server.name!r} ({where}) returned a "
            f"{_type_name(result)} from secrets(), not {expected}"
        )
    values = list(result)
    for value in values:
        if not isinstance(value, str):
            raise PluginResultError(
                f"the build-server adapter {server.name!r} ({where}) returned a "
                f"{_type_name(value)} in the list of secrets(), not {expected}"
            )
    return [value for value in values if value]
