"""``octoci publish --emulator``: an embedded Octopus emulator seeded with what the run names.

The emulator gets the project (with one package step per package the run publishes), the
environments of ``deploy_to`` and ``promote_to`` in a lifecycle that deploys them in that order,
the space, the tenants and the deployment targets named, so the whole job runs on a machine with
no Octopus server. Its state lives in a temporary folder, removed when the run ends.

The server comes from the plugin that implements ``octoci_start_local_octopus`` (the built-in
``emulator``); the core has none of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from octoci.config import ResolvedConfig

if TYPE_CHECKING:
    from octoci.local_octopus import LocalOctopus
    from octoci.plugins import OctociPluginManager

__all__ = ["EMULATOR_TASKS", "emulator_seed", "start_publish_emulator"]

#: Slow enough to show Queued -> Executing -> Success, fast enough for a demo.
EMULATOR_TASKS: dict[str, float] = {"queued_seconds": 0.2, "executing_seconds": 1.0}
_LIFECYCLE = "octoci publish"


def emulator_seed(config: ResolvedConfig, package_ids: Sequence[str]) -> dict[str, Any]:
    """The seed (as in an emulator seed file) for the run ``config`` describes.

    Example::

        emulator_seed(config, ["Acme.Web"])
        # {"tasks": {...}, "spaces": [{"name": "Default", "default": True,
        #   "environments": ["Dev"], "projects": [{"name": "Shop", "packages": ["Acme.Web"]}], ...}]}
    """
    environments = list(dict.fromkeys([*config.settings.deploy_to, *config.settings.promote_to]))
    space: dict[str, Any] = {"name": config.settings.space or "Default", "default": True}
    if environments:
        space["environments"] = environments
        # One phase per environment, in the order the run deploys them, so promotion is legal.
        space["lifecycles"] = [
            {
                "name": _LIFECYCLE,
                "phases": [{"name": e, "optional": [e]} for e in environments],
            }
        ]
    project = config.settings.project
    tenants, tags = config.settings.tenants, config.settings.tenant_tags
    if project:
        entry: dict[str, Any] = {"name": project, "packages": list(package_ids)}
        if environments:
            entry["lifecycle"] = _LIFECYCLE
        if tenants or tags:
            entry["tenanted"] = "TenantedOrUntenanted"
        space["projects"] = [entry]
        connected = {project: environments or ["Dev", "Test", "Production"]}
        named = [{"name": t, "projects": connected} for t in tenants if t != "*"]
        if tags:
            named.append({"name": "Tagged tenant", "tags": list(tags), "projects": connected})
        if named:
            space["tenants"] = named
    # The deployment targets the run names, in every environment it deploys to.
    machines = dict.fromkeys(
        [*config.settings.deployment_targets, *config.settings.excluded_targets]
    )
    if machines and environments:
        space["machines"] = [{"name": m, "environments": environments} for m in machines]
    return {"tasks": dict(EMULATOR_TASKS), "spaces": [space]}


def start_publish_emulator(
    config: ResolvedConfig, package_ids: Sequence[str], plugins: OctociPluginManager
) -> LocalOctopus:
    """Start a local Octopus server on 127.0.0.1 and a free port, seeded for ``config``, through
    the ``octoci_start_local_octopus`` hook; the caller stops it."""
    seed = emulator_seed(config, package_ids)
    return plugins.start_local_octopus(seed, source="octoci publish --emulator")
