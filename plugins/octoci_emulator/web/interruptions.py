"""The task page's interruption forms: a task that waits for a person (guided failure, manual
intervention) shows what it waits for and one button per answer Octopus offers (``Proceed`` /
``Abort``; ``Retry`` / ``Ignore`` / ``Exclude`` / ``Fail``), each an HTML form (POST, with the
session's CSRF token) that takes responsibility and submits the answer as a person in Octopus's
portal does, through the same functions as the API's ``interruptions/{id}`` routes.
"""

from __future__ import annotations

from octoci_emulator.interruptions import take_responsibility
from octoci_emulator.routes import Response, Router
from octoci_emulator.store import Document
from octoci_emulator.web.context import WebContext, signed_in_page
from octoci_emulator.web.layout import redirect
from octoci_emulator.web.markup import Html, el, join

__all__ = ["interruption_forms", "register"]


def _buttons(interruption: Document) -> tuple[str, list[str]]:
    """The form's submit field and its choices, as the interruption's own form lists them."""
    for element in interruption["Form"]["Elements"]:
        control = element.get("Control") or {}
        if control.get("Type") == "SubmitButtonGroup":
            return element["Name"], [str(b["Value"]) for b in control.get("Buttons", [])]
    return "", []


def interruption_forms(context: WebContext, task: Document) -> Html | None:
    """What ``task`` waits for and the buttons that answer it (``None`` when it waits for
    nobody)."""
    pending = context.request.app.store.list(
        "interruption",
        task["SpaceId"],
        lambda i: i["TaskId"] == task["Id"] and bool(i["IsPending"]),
    )
    if not pending:
        return None
    parts: list[Html] = []
    for interruption in pending:
        field, choices = _buttons(interruption)
        instructions = interruption["Form"]["Values"].get("Instructions")
        action = context.path(task["SpaceId"], "interruptions", interruption["Id"], "submit")
        parts.append(
            el(
                "section",
                el("h2", f"Waiting for a person: {interruption['Title']}"),
                el("p", instructions) if instructions else None,
                context.post_form(
                    action,
                    el("label", "Notes ", el("input", type="text", name="notes")),
                    " ",
                    join(
                        " ",
                        [
                            el("button", choice, type="submit", name=field, value=choice)
                            for choice in choices
                        ],
                    ),
                ),
                class_="interruption",
            )
        )
    return join("", parts)


def _submit(context: WebContext) -> Response:
    request = context.request
    request.require("InterruptionSubmit")
    store = request.app.store
    interruption = context.resource_in_space("interruption")
    field, _ = _buttons(interruption)
    values = {field: context.form.get(field, ""), "Notes": context.form.get("notes") or None}
    with store.transaction():
        # 400 when someone answered it already (a second click, another person): nothing is done.
        take_responsibility(store, interruption)
    request.app.tasks.answer(interruption, values)  # 400 for a value the form does not offer
    return redirect(context.path(interruption["SpaceId"], "tasks", interruption["TaskId"]))


def register(router: Router) -> None:
    """Add the route that answers an interruption."""
    router.add(
        "POST",
        "/app/{space}/interruptions/{id}/submit",
        signed_in_page(_submit),
        scoped=False,
        anonymous=True,
    )
