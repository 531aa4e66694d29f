"""Interruption routes: list (``?regarding=&pendingOnly=&ids=``), get, who is responsible
(``GET``), take responsibility (``PUT``, as Octopus and its clients do), and submit the form.

See :mod:`octoci_emulator.interruptions` for what an interruption is and what an answer does.
"""

from __future__ import annotations

from octoci_emulator.api_root import user_resource
from octoci_emulator.interruptions import take_responsibility
from octoci_emulator.resources import public
from octoci_emulator.routes import Request, Response, Router
from octoci_emulator.store import Document

__all__ = ["register"]


def _interruption(request: Request) -> Document:
    return request.path_resource("interruption", "Interruption")


def _list(request: Request) -> Response:
    docs = request.app.store.list("interruption", request.space_id)
    regarding = request.arg("regarding").strip().lower()
    if regarding:
        docs = [
            d
            for d in docs
            if regarding in {r.lower() for r in d["RelatedDocumentIds"]}
            or regarding == d["TaskId"].lower()
        ]
    if request.flag_arg("pendingOnly"):
        docs = [d for d in docs if d["IsPending"]]
    ids = {i.strip().lower() for i in request.arg("ids").split(",") if i.strip()}
    if ids:
        docs = [d for d in docs if d["Id"].lower() in ids]
    docs.reverse()  # most recently created first, as Octopus sorts them
    return Response(
        body=request.page(docs, "Interruption", f"/api/{request.space_id}/interruptions")
    )


def _get(request: Request) -> Response:
    return Response(body=public(_interruption(request)))


def _responsible(request: Request) -> Response:
    doc = _interruption(request)
    if doc.get("ResponsibleUserId") is None:
        # Octopus answers an empty body when nobody has taken responsibility yet.
        return Response(body=None)
    return Response(body=user_resource(request.principal))


def _take(request: Request) -> Response:
    request.require("InterruptionSubmit")
    with request.app.store.transaction():
        take_responsibility(request.app.store, _interruption(request))
    return Response(body=user_resource(request.principal))


def _submit(request: Request) -> Response:
    request.require("InterruptionSubmit")
    values = request.json().raw()  # 400 for a missing or malformed body
    answered = request.app.tasks.answer(_interruption(request), values)
    return Response(body=public(answered))


def register(router: Router) -> None:
    """Add the interruption routes (space-scoped; ``/api/interruptions`` is the default space)."""
    router.add("GET", "/interruptions", _list)
    router.add("GET", "/interruptions/{id}", _get)
    router.add("GET", "/interruptions/{id}/responsible", _responsible)
    router.add("PUT", "/interruptions/{id}/responsible", _take)
    router.add("POST", "/interruptions/{id}/submit", _submit)
