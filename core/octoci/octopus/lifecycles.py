"""Lifecycle checks made before anything is created: may this release go to these environments?

* An existing release: its progression (``GET releases/{id}/progression``) says which phases are
  open; an environment of a *Pending* phase is refused.
* A release about to be created (``release create --deploy-to``, ``publish``): it has no
  deployments yet, so the environments it may go to are those of the phases up to and including
  the first mandatory phase with environments (an optional phase does not hold the next one
  back). The lifecycle is the channel's (the named one, else the default) or the project's.

Every environment of the request is checked before the first request that creates something, so
a refusal leaves nothing behind (exit code 2). A lifecycle without phases (every environment,
in order) and tenanted deployments of existing releases (whose progression is per tenant) are
left to Octopus to judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from octoci.errors import InputError
from octoci.octopus.connection import Connection

__all__ = ["check_lifecycle"]

_TAKE_ALL = 2147483647


def _phase_environments(phase: dict[str, Any]) -> list[str]:
    return [
        str(e)
        for key in ("AutomaticDeploymentTargets", "OptionalDeploymentTargets")
        for e in phase.get(key) or []
    ]


def _open_for_new_release(phases: Sequence[dict[str, Any]]) -> set[str]:
    """The environments a release with no deployments may be deployed to."""
    allowed: set[str] = set()
    for phase in phases:
        environments = _phase_environments(phase)
        allowed.update(environments)
        if environments and not phase.get("IsOptionalPhase"):
            break  # this phase must be complete before the next one opens
    return allowed


def _lifecycle_of(
    connection: Connection, project: dict[str, Any], channel: str
) -> dict[str, Any] | None:
    channels = connection.get_json(
        connection.space_path(f"/projects/{project['Id']}/channels"),
        what=f"listing channels of {project['Name']}",
        params={"take": _TAKE_ALL},
    )
    items = [c for c in channels.get("Items") or [] if isinstance(c, dict)]
    wanted = channel.strip().lower()
    chosen = next(
        (
            c
            for c in items
            if (wanted and wanted in (str(c.get("Name", "")).lower(), str(c.get("Id", "")).lower()))
            or (not wanted and c.get("IsDefault"))
        ),
        None,
    )
    lifecycle_id = (chosen or {}).get("LifecycleId") or project.get("LifecycleId")
    if not lifecycle_id:
        return None
    lifecycle = connection.get_json(
        connection.space_path(f"/lifecycles/{lifecycle_id}"),
        what=f"reading the lifecycle of {project['Name']}",
    )
    return lifecycle if isinstance(lifecycle, dict) else None


def check_lifecycle(
    connection: Connection,
    *,
    project: dict[str, Any],
    environments: Sequence[dict[str, Any]],
    release: dict[str, Any] | None,
    version: str,
    channel: str = "",
    tenanted: bool = False,
) -> None:
    """Raise :class:`InputError` (exit code 2) when the lifecycle refuses any of
    ``environments`` for ``release`` (or, when ``release`` is ``None``, for a new release of
    ``version`` in ``channel``); nothing has been created at that point."""
    if release is not None:
        if tenanted:
            return  # a tenant's progression is its own; Octopus judges it
        progression = connection.get_json(
            connection.space_path(f"/releases/{release['Id']}/progression"),
            what=f"reading the lifecycle progression of {project['Name']} {release['Version']}",
        )
        phases = [p for p in progression.get("Phases") or [] if isinstance(p, dict)]
        allowed = {
            e for p in phases if p.get("Progress") != "Pending" for e in _phase_environments(p)
        }
        name = "its lifecycle"
        which = f"release {release['Version']}"
    else:
        lifecycle = _lifecycle_of(connection, project, channel)
        phases = [p for p in (lifecycle or {}).get("Phases") or [] if isinstance(p, dict)]
        allowed = _open_for_new_release(phases)
        name = f"the lifecycle {(lifecycle or {}).get('Name', '?')!r}"
        which = f"a new release{f' ({version})' if version else ''}"
    if not phases:
        return
    everywhere = {e for p in phases for e in _phase_environments(p)}
    problems = []
    for environment in environments:
        env_id = str(environment["Id"])
        if env_id in allowed:
            continue
        if env_id not in everywhere:
            problems.append(f"{name} does not include {environment['Name']}")
            continue
        blocking = next(
            (
                p
                for p in phases
                if _phase_environments(p)
                and not p.get("IsOptionalPhase")
                and p.get("Progress", "Current") != "Complete"
                and env_id not in _phase_environments(p)
            ),
            None,
        )
        before = f" before the {blocking.get('Name')!r} phase is complete" if blocking else " yet"
        problems.append(f"{name} does not let {which} go to {environment['Name']}{before}")
    if problems:
        reachable = [str(e["Name"]) for e in environments if str(e["Id"]) in allowed]
        hint = f" (it may go to {', '.join(reachable)} now)" if reachable else ""
        raise InputError(
            f"cannot deploy {project['Name']}: {'; '.join(problems)}{hint}; deploy to the "
            "earlier phase first, or leave this environment out; nothing was created"
        )
