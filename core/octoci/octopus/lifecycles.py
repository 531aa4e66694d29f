"""Lifecycle checks made before anything is created: may this release go to these environments?

* An existing release: its progression (``GET releases/{id}/progression``) says which phases are
  open; an environment of a *Pending* phase is refused.
* A release about to be created (``release create --deploy-to``, ``publish``): it has no
  deployments yet, so the environments it may go to are those of the phases up to and including
  the first mandatory phase with environments (an optional phase does not hold the next one
  back). The lifecycle is the channel's (the named one, else the default) or the project's.

* A promotion that follows the run's own deployment (``publish --promote-to``, also in a dry
  run): the environments deployed first count as successfully deployed (``after``).

One rule decides in each case (:func:`_open_phases`): a phase is complete when
``MinimumEnvironmentsBeforePromotion`` of its environments (all when 0) have succeeded.

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


def _complete(phase: dict[str, Any], deployed: set[str]) -> bool:
    """Octopus's rule: at least ``MinimumEnvironmentsBeforePromotion`` of the phase's
    environments (all of them when 0) have a successful deployment."""
    environments = _phase_environments(phase)
    done = sum(1 for e in environments if e in deployed)
    minimum = int(phase.get("MinimumEnvironmentsBeforePromotion") or 0)
    return done >= (min(minimum, len(environments)) if minimum else len(environments))


def _open_phases(phases: Sequence[dict[str, Any]], deployed: set[str]) -> set[str]:
    """The environments a release deployed successfully to ``deployed`` may go to: those of
    the phases up to and including the first incomplete mandatory phase with environments (an
    optional phase does not hold the next one back)."""
    allowed: set[str] = set()
    for phase in phases:
        environments = _phase_environments(phase)
        allowed.update(environments)
        if environments and not phase.get("IsOptionalPhase") and not _complete(phase, deployed):
            break  # this phase must be complete before the next one opens
    return allowed


def _deployed(phases: Sequence[dict[str, Any]]) -> set[str]:
    """From a progression: the environments of its complete phases and those with a
    successful deployment of the release."""
    done = {e for p in phases if p.get("Progress") == "Complete" for e in _phase_environments(p)}
    for phase in phases:
        for item in phase.get("Deployments") or []:
            task = (item or {}).get("Task") or {}
            if task.get("State") == "Success":
                done.add(str(((item or {}).get("Deployment") or {}).get("EnvironmentId")))
    return done


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
    after: Sequence[dict[str, Any]] = (),
) -> None:
    """Raise :class:`InputError` (exit code 2) when the lifecycle refuses any of
    ``environments`` for ``release`` (or, when ``release`` is ``None``, for a new release of
    ``version`` in ``channel``); nothing has been created at that point.

    ``after``: environments the run deploys to first (a promotion that follows a deployment),
    counted as successfully deployed - so a dry run, and the pre-flight, predict the promotion."""
    if release is not None:
        if tenanted:
            return  # a tenant's progression is its own; Octopus judges it
        progression = connection.get_json(
            connection.space_path(f"/releases/{release['Id']}/progression"),
            what=f"reading the lifecycle progression of {project['Name']} {release['Version']}",
        )
        phases = [p for p in progression.get("Phases") or [] if isinstance(p, dict)]
        deployed = _deployed(phases)
        name = "its lifecycle"
        which = f"release {release['Version']}"
    else:
        lifecycle = _lifecycle_of(connection, project, channel)
        phases = [p for p in (lifecycle or {}).get("Phases") or [] if isinstance(p, dict)]
        deployed = set()
        name = f"the lifecycle {(lifecycle or {}).get('Name', '?')!r}"
        which = f"a new release{f' ({version})' if version else ''}"
    if after:
        deployed |= {str(e["Id"]) for e in after}
        which += f" deployed to {', '.join(str(e['Name']) for e in after)}"
    allowed = _open_phases(phases, deployed)
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
                and not _complete(p, deployed)
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
