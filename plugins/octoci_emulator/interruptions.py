"""Interruptions: a task waits for a person (guided failure or a manual intervention step).

Octopus pauses a deployment in two cases: a step fails while guided failure is on (the person
answers ``Guidance``: ``Fail``, ``Retry``, ``Ignore`` or ``Exclude``), and a manual intervention
step (``Octopus.Manual``) is reached (the person answers ``Result``: ``Proceed`` or ``Abort``).
Either way an ``InterruptionResource`` is raised; the task stays ``Executing`` with
``HasPendingInterruptions``; someone takes responsibility (``PUT interruptions/{id}/responsible``)
and submits the form (``POST interruptions/{id}/submit``), and the task goes on accordingly.

The shapes follow Octopus's Swagger document and its clients (go-octopusdeploy's
``InterruptionService``, the Library's "Automate Manual Intervention Response" template).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from octoci_emulator.errors import ApiError, BadRequest
from octoci_emulator.resources import iso_time
from octoci_emulator.store import Document, Store

__all__ = [
    "GUIDED_FAILURE",
    "MANUAL_INTERVENTION",
    "Answer",
    "close_pending",
    "raise_interruption",
    "read_answer",
    "record_answer",
    "take_responsibility",
]

GUIDED_FAILURE = "GuidedFailure"
MANUAL_INTERVENTION = "ManualIntervention"

#: What a person may answer, per kind of interruption: the form field and its button values.
_CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {
    GUIDED_FAILURE: ("Guidance", ("Fail", "Retry", "Ignore", "Exclude")),
    MANUAL_INTERVENTION: ("Result", ("Proceed", "Abort")),
}

#: The one user every emulator key acts as (``GET /api/users/me``).
USER_ID = "Users-1"


@dataclass(frozen=True)
class Answer:
    """A submitted form reduced to what the task does next."""

    action: Literal["continue", "retry", "fail"]
    choice: str
    notes: str


def _form(kind: str, instructions: str) -> Document:
    field, buttons = _CHOICES[kind]
    elements: list[Document] = []
    values: dict[str, str | None] = {}
    if kind == MANUAL_INTERVENTION:
        elements.append(
            {
                "Name": "Instructions",
                "Control": {"Type": "Paragraph", "Text": instructions, "ResolveLinks": False},
                "IsValueRequired": False,
            }
        )
        values["Instructions"] = instructions or None
    elements.append(
        {
            "Name": "Notes",
            "Control": {"Type": "TextArea", "Label": "Notes"},
            "IsValueRequired": False,
        }
    )
    elements.append(
        {
            "Name": field,
            "Control": {
                "Type": "SubmitButtonGroup",
                "Buttons": [
                    {"Text": b, "Value": b, "RequiresConfirmation": b in {"Abort", "Fail"}}
                    for b in buttons
                ],
            },
            "IsValueRequired": False,
        }
    )
    values["Notes"] = None
    values[field] = None
    return {"Elements": elements, "Values": values}


def raise_interruption(
    store: Store,
    task: Document,
    kind: str,
    title: str,
    *,
    instructions: str = "",
    responsible_team_ids: tuple[str, ...] = (),
) -> Document:
    """Create a pending interruption for ``task`` (inside the caller's transaction)."""
    interruption_id = store.next_id("Interruptions")
    space_id = task["SpaceId"]
    base = f"/api/{space_id}/interruptions/{interruption_id}"
    related = [task["Id"], *(v for v in task.get("_Related", []) if v)]
    now = iso_time()
    interruption: Document = {
        "Id": interruption_id,
        "SpaceId": space_id,
        "Title": title,
        "Created": now,
        "IsPending": True,
        "Form": _form(kind, instructions),
        "RelatedDocumentIds": related,
        "ResponsibleTeamIds": list(responsible_team_ids),
        "ResponsibleUserId": None,
        "CanTakeResponsibility": True,
        "HasResponsibility": False,
        "TaskId": task["Id"],
        "CorrelationId": f"{task['Id']}_{interruption_id}",
        "IsLinkedToOtherInterruption": False,
        "Type": kind,
        "PullRequests": [],
        "LastModifiedOn": now,
        "LastModifiedBy": None,
        "Links": {
            "Self": base,
            "Submit": f"{base}/submit",
            "Responsible": f"{base}/responsible",
        },
    }
    store.put("interruption", interruption)
    return interruption


def take_responsibility(store: Store, interruption: Document) -> Document:
    """The caller takes responsibility (400 once the interruption has been submitted)."""
    if not interruption["IsPending"]:
        raise BadRequest("This interruption has already been submitted, possibly by another user.")
    interruption.update(
        ResponsibleUserId=USER_ID, HasResponsibility=True, LastModifiedOn=iso_time()
    )
    store.put("interruption", interruption)
    return interruption


def read_answer(interruption: Document, values: Mapping[str, object]) -> Answer:
    """Validate a submitted form against the interruption (400 with Octopus's messages)."""
    if not interruption["IsPending"]:
        raise BadRequest("The interruption has already been submitted.")
    if interruption.get("ResponsibleUserId") is None:
        raise BadRequest(
            "You must take responsibility for this interruption before attempting to submit it."
        )
    kind = interruption["Type"]
    field, buttons = _CHOICES[kind]
    given = next((v for k, v in values.items() if k.lower() == field.lower()), None)
    choice = next((b for b in buttons if isinstance(given, str) and b.lower() == given.lower()), "")
    if not choice:
        raise ApiError(
            400,
            "There were errors with the form.",
            errors=[f"{field} must be one of: {', '.join(buttons)} (got {given!r})."],
        )
    notes = next((v for k, v in values.items() if k.lower() == "notes"), None)
    action: Literal["continue", "retry", "fail"] = "continue"
    if choice == "Retry":
        action = "retry"
    elif choice in {"Fail", "Abort"}:
        action = "fail"
    return Answer(action, choice, notes if isinstance(notes, str) else "")


def record_answer(store: Store, interruption: Document, answer: Answer) -> Document:
    """Store the submitted values and close the interruption."""
    field, _ = _CHOICES[interruption["Type"]]
    interruption["Form"]["Values"].update({field: answer.choice, "Notes": answer.notes or None})
    interruption.update(IsPending=False, LastModifiedOn=iso_time(), LastModifiedBy=USER_ID)
    store.put("interruption", interruption)
    return interruption


def close_pending(store: Store, task_id: str) -> None:
    """Close a task's pending interruptions (it was canceled or finished another way)."""
    for interruption in store.list("interruption", None, lambda i: i["TaskId"] == task_id):
        if interruption["IsPending"]:
            interruption.update(IsPending=False, LastModifiedOn=iso_time())
            store.put("interruption", interruption)
