"""The options of a deployment or runbook run beyond the basics (the Executions API's
``SkipStepNames``, ``SpecificMachineNames``, ``ExcludedMachineNames``, ``NoRunAfter``,
``UpdateVariableSnapshot``, ``DeploymentFreezeNames``/``DeploymentFreezeOverrideReason``): read
from the request, checked as Octopus checks them, and recorded on the deployment or run as
Octopus returns it (``SkipActions``, ``SpecificMachineIds``, ``ExcludedMachineIds``,
``QueueTimeExpiry``), with the task log lines Octopus writes.

Deployment targets are the seed's ``machines`` (name and environments): a machine name that is
not a target of the environment is refused. A step name the process does not have is logged as a
warning and ignored, as Octopus does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from octoci_emulator.errors import BadRequest
from octoci_emulator.resources import iso_time
from octoci_emulator.store import Document, Store

if TYPE_CHECKING:
    from octoci_emulator.jsonbody import CIDict

__all__ = [
    "EXPIRED",
    "ExecutionOptions",
    "ReleaseOptions",
    "annotate_task",
    "check_targets",
    "execution_options",
    "has_prerelease_tag",
    "recorded_fields",
    "release_fields",
    "release_options",
    "seed_machines",
    "task_log_lines",
    "timed_out",
]


#: The error of a task whose ``QueueTimeExpiry`` passed before it started.
EXPIRED = "The task expired: it had not started by its QueueTimeExpiry (NoRunAfter)."


@dataclass(frozen=True)
class ExecutionOptions:
    """What a create request asks beyond the basics, as sent (names, not ids)."""

    skip_steps: tuple[str, ...] = ()
    specific_machines: tuple[str, ...] = ()
    excluded_machines: tuple[str, ...] = ()
    no_run_after: float | None = None
    update_variable_snapshot: bool = False
    freeze_names: tuple[str, ...] = ()
    freeze_reason: str = ""


def _time(body: CIDict, key: str) -> float | None:
    text = body.text(key)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise BadRequest(f"The {key} value '{text}' is not a date.") from None


def execution_options(body: CIDict) -> ExecutionOptions:
    """The options of a create request; a freeze override without a reason is refused."""
    freezes = tuple(body.strings("DeploymentFreezeNames"))
    reason = body.text("DeploymentFreezeOverrideReason").strip()
    if freezes and not reason:
        raise BadRequest(
            "DeploymentFreezeOverrideReason is required when DeploymentFreezeNames is given."
        )
    return ExecutionOptions(
        skip_steps=tuple(body.strings("SkipStepNames")),
        specific_machines=tuple(body.strings("SpecificMachineNames")),
        excluded_machines=tuple(body.strings("ExcludedMachineNames")),
        no_run_after=_time(body, "NoRunAfter"),
        update_variable_snapshot=body.flag("UpdateVariableSnapshot"),
        freeze_names=freezes,
        freeze_reason=reason,
    )


@dataclass(frozen=True)
class ReleaseOptions:
    """What ``releases/create/v1`` asks beyond versions, notes, Git reference and channel rules."""

    custom_fields: tuple[tuple[str, str], ...] = ()
    git_resources: tuple[str, ...] = ()
    package_prerelease: str = ""


def release_options(body: CIDict) -> ReleaseOptions:
    """The release options of a create request; a malformed Git resource is refused."""
    for spec in body.strings("GitResources"):
        parts = spec.split(":")
        if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
            raise BadRequest(
                f"The Git resource '{spec}' is not in the form StepName:GitRef or "
                "StepName:GitResourceName:GitRef."
            )
    fields: Any = body.obj("CustomFields") or {}
    return ReleaseOptions(
        custom_fields=tuple((str(k), str(v)) for k, v in fields.items()),
        git_resources=tuple(body.strings("GitResources")),
        package_prerelease=body.text("PackagePrerelease"),
    )


def has_prerelease_tag(version: str, tag: str) -> bool:
    """Whether ``version``'s pre-release is ``tag`` (``1.2.0-beta`` and ``1.2.0-beta.3`` for
    ``beta``; any version when ``tag`` is empty), as ``PackagePrerelease`` picks versions."""
    if not tag:
        return True
    label = version.partition("+")[0].partition("-")[2].lower()
    return label == tag.lower() or label.startswith(tag.lower() + ".")


def release_fields(options: ReleaseOptions | None) -> Document:
    """The release's fields for ``options``, as Octopus returns them."""
    if options is None:
        return {}
    selected = []
    for spec in options.git_resources:
        parts = [p.strip() for p in spec.split(":")]
        selected.append(
            {
                "ActionName": parts[0],
                "GitReferenceResource": {"GitRef": parts[-1], "GitCommit": None},
                "GitResourceReferenceName": parts[1] if len(parts) == 3 else "",
            }
        )
    return {
        "CustomFields": dict(options.custom_fields),
        "SelectedGitResources": selected,
        # Octopus applies it when it picks package versions; the release does not show it.
        "_PackagePrerelease": options.package_prerelease,
    }


# -- deployment targets ---------------------------------------------------------------------------
def seed_machines(
    store: Store, space_id: str, machines: Sequence[tuple[str, Sequence[str]]], envs: dict[str, str]
) -> None:
    """Create the seed's deployment targets (``(name, environment names)``), once by name."""
    for name, environments in machines:
        if store.by_key("machine", space_id, name.lower()) is not None:
            continue
        machine_id = store.next_id("Machines")
        store.put(
            "machine",
            {
                "Id": machine_id,
                "SpaceId": space_id,
                "Name": name,
                "EnvironmentIds": [envs[e.lower()] for e in environments],
                "Roles": [],
                "IsDisabled": False,
                "Links": {"Self": f"/api/{space_id}/machines/{machine_id}"},
            },
            key=name.lower(),
        )


def _machine_ids(
    store: Store, environment: Document, names: Sequence[str], field: str
) -> list[str]:
    targets = {
        m["Name"].lower(): m["Id"]
        for m in store.list("machine", environment["SpaceId"])
        if environment["Id"] in m["EnvironmentIds"]
    }
    missing = [n for n in names if n.lower() not in targets]
    if missing:
        raise BadRequest(
            f"The {field} {', '.join(missing)} could not be found in environment "
            f"'{environment['Name']}'."
        )
    return [targets[n.lower()] for n in names]


def check_targets(
    store: Store, options: ExecutionOptions, environments: Sequence[Document]
) -> None:
    """Refuse a request as a whole when a target it names is not in one of its environments:
    every environment is checked before the first deployment or run is created."""
    errors: list[str] = []
    for environment in environments:
        for names, field in (
            (options.specific_machines, "deployment target"),
            (options.excluded_machines, "excluded target"),
        ):
            try:
                _machine_ids(store, environment, names, field)
            except BadRequest as exc:
                errors += [e for e in exc.errors if e not in errors]
    if errors:
        raise BadRequest(*errors)


# -- steps ----------------------------------------------------------------------------------------
def _skipped(store: Store, process_id: str, names: Sequence[str]) -> tuple[list[str], list[str]]:
    """The ids of the actions named (by action or step name), and the names that match none."""
    process = store.get("deploymentprocess", process_id) or {}
    ids: list[str] = []
    unknown = []
    for name in names:
        found = [
            str(action.get("Id") or action["Name"])
            for step in process.get("Steps", [])
            for action in step.get("Actions", [])
            if name.lower() in {str(step.get("Name", "")).lower(), action["Name"].lower()}
        ]
        if found:
            ids += found
        else:
            unknown.append(name)
    return ids, unknown


# -- recording ------------------------------------------------------------------------------------
def recorded_fields(
    store: Store, options: ExecutionOptions, environment: Document, process_id: str
) -> Document:
    """The deployment's or run's fields for ``options`` (checked first: an unknown target is
    refused before anything is created)."""
    specific = _machine_ids(store, environment, options.specific_machines, "deployment target")
    excluded = _machine_ids(store, environment, options.excluded_machines, "excluded target")
    skipped, _unknown = _skipped(store, process_id, options.skip_steps)
    fields: Document = {
        "SkipActions": skipped,
        "SpecificMachineIds": specific,
        "ExcludedMachineIds": excluded,
        "QueueTimeExpiry": iso_time(options.no_run_after) if options.no_run_after else None,
    }
    if options.freeze_names:
        # Octopus keeps the override with the deployment; the 2021.2 document has no field.
        fields["_DeploymentFreezeOverride"] = {
            "Names": list(options.freeze_names),
            "Reason": options.freeze_reason,
        }
    if options.update_variable_snapshot:
        fields["_UpdatedVariableSnapshot"] = True
    return fields


def task_log_lines(
    store: Store, options: ExecutionOptions, process_id: str
) -> list[tuple[str, str]]:
    """``(category, text)`` lines the task's log starts with: skipped steps, step names that
    match none (a warning, as Octopus logs it), overridden freezes."""
    _ids, unknown = _skipped(store, process_id, options.skip_steps)
    known = [n for n in options.skip_steps if n not in unknown]
    lines = [("Info", f"Skipping step '{name}': skipped by request") for name in known]
    lines += [
        ("Warning", f"The step '{name}' to skip was not found in the process; it was ignored")
        for name in unknown
    ]
    if options.freeze_names:
        lines.append(
            (
                "Warning",
                f"Deployment freeze {', '.join(options.freeze_names)} overridden: "
                f"{options.freeze_reason}",
            )
        )
    return lines


def annotate_task(store: Store, task: Document, options: ExecutionOptions, process_id: str) -> None:
    """Give a new task its expiry and the log lines for ``options``."""
    if options.no_run_after:
        task["QueueTimeExpiry"] = iso_time(options.no_run_after)
        task["_NoRunAfter"] = options.no_run_after
    for category, text in task_log_lines(store, options, process_id):
        task.setdefault("_Log", []).append([iso_time(), category, text])
    store.put("task", task)


def timed_out(task: Document, now: float) -> bool:
    """A queued task whose ``QueueTimeExpiry`` passed before it started: Octopus times it out."""
    expiry: Any = task.get("_NoRunAfter")
    return task.get("State") == "Queued" and isinstance(expiry, float) and now > expiry
