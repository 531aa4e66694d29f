"""Requests, responses and the route table.

Octopus serves every space-scoped operation at ``/api/{spaceId}/...``, ``/api/spaces/{spaceId}/...``
and, for the default space, ``/api/...``; :func:`split_space` turns all three into one form. A
virtual directory in front of ``/api`` (``http://host/octopus/api/...``) is stripped first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from octoci_emulator.body import BodyReader, read_small
from octoci_emulator.errors import ApiError, BadRequest, NotFound
from octoci_emulator.jsonbody import CIDict, parse_json
from octoci_emulator.resources import collection

if TYPE_CHECKING:
    from octoci_emulator.app import EmulatorApp
    from octoci_emulator.auth import Principal
    from octoci_emulator.store import Document

__all__ = ["Handler", "Headers", "Request", "Response", "Route", "Router", "locate", "split_space"]

# /api/Spaces-1[/...] and /api/spaces/Spaces-1/... (but /api/spaces/Spaces-1 is the space itself).
_SPACE_PREFIX = re.compile(
    r"^/api/(?:(?P<space>Spaces-\d+)(?P<rest>/.*)?|spaces/(?P<space2>Spaces-\d+)(?P<rest2>/.+))$",
    re.IGNORECASE,
)
_LOCATIONS = re.compile(
    r"^(?P<base>(?:/[^/]+)*?)(?P<path>/api(?:/.*)?|/\.well-known/openid-configuration"
    r"|/token/v1|/__emulator(?:/.*)?|/app(?:/.*)?|/)$"
)


def locate(raw_path: str) -> tuple[str, str] | None:
    """``(virtual directory, path)`` of a request path, ``None`` for paths Octopus does not serve.

    ``/`` and ``/app/...`` are the web view's (:mod:`octoci_emulator.web`).

    Repeated slashes collapse (the login action produces ``//.well-known/...``) and a trailing
    slash is dropped.
    """
    path = re.sub(r"/{2,}", "/", raw_path)
    if len(path) > 1:
        path = path.rstrip("/")
    match = _LOCATIONS.match(path)
    if match is None:
        return None
    return match["base"], match["path"]


def split_space(path: str) -> tuple[str | None, str]:
    """``(space id or None, rest)`` for an ``/api/...`` path; rest is relative to the space."""
    match = _SPACE_PREFIX.match(path)
    if match is not None:
        if match["space"]:
            return match["space"], match["rest"] or ""
        return match["space2"], match["rest2"]
    return None, path[len("/api") :]


@dataclass
class Response:
    """What a handler answers: JSON (any JSON-able value), text, bytes, or a file to stream."""

    status: int = 200
    body: Any = None
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    file: Path | None = None


@dataclass
class Request:
    """One request as handlers see it."""

    app: EmulatorApp
    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: BodyReader
    base_path: str = ""
    params: dict[str, str] = field(default_factory=dict)
    space: Document | None = None
    principal: Principal | None = None
    #: True when the path named the space (``/api/Spaces-1/...``), not the default space.
    explicit_space: bool = False
    _json: CIDict | None = None

    @property
    def space_id(self) -> str:
        """The id of the request's space (the default space for space-less routes)."""
        if self.space is None:
            raise NotFound("This route needs a space.")
        return str(self.space["Id"])

    def arg(self, name: str, default: str = "") -> str:
        """A query-string value; names compare case-insensitively, as in ASP.NET."""
        return self.query.get(name.lower(), default)

    def path_resource(self, kind: str, label: str) -> Document:
        """The ``kind`` document the route's ``{id}`` names, in the request's space; 404 naming
        it as ``label`` (Octopus's word: ``Release``, ``Runbook run``) otherwise."""
        doc = self.app.store.get(kind, self.params["id"])
        if doc is None or doc["SpaceId"] != self.space_id:
            raise NotFound(f"{label} '{self.params['id']}' was not found.")
        return doc

    def path_project(self) -> Document:
        """The project the route's ``{id}`` names, in the request's space; 404 otherwise."""
        return self.path_resource("project", "Project")

    def page(self, items: Sequence[Document], item_type: str, self_link: str) -> Document:
        """One page of ``items`` in Octopus's collection envelope, as ``?skip=&take=`` ask
        (Octopus's default page is 30)."""
        return collection(
            items,
            item_type,
            self_link,
            skip=self.int_arg("skip", 0),
            take=self.int_arg("take", 30),
        )

    def int_arg(self, name: str, default: int) -> int:
        """A whole-number query value; 400 when it is not one."""
        text = self.arg(name)
        if not text:
            return default
        try:
            value = int(text)
        except ValueError:
            raise BadRequest(f"The value '{text}' is not valid for {name}.") from None
        if value < 0:
            raise BadRequest(f"The value '{text}' is not valid for {name}.")
        return value

    def flag_arg(self, name: str) -> bool:
        """A ``true``/``false`` query value (absent is false)."""
        return self.arg(name).lower() == "true"

    def json(self) -> CIDict:
        """The body as case-insensitive JSON (read once)."""
        if self._json is None:
            self._json = parse_json(read_small(self.body))
        return self._json

    def require(self, permission: str) -> None:
        """403 unless the caller has ``permission``."""
        if self.principal is not None:
            self.principal.require(permission)


class Headers(Mapping[str, str]):
    """Request headers with case-insensitive names (a repeated header keeps its first value)."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        for name, value in items:
            self._items.setdefault(name.lower(), (name, value))

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)


def parse_query(query: str) -> dict[str, str]:
    """Query parameters with lower-case names; a repeated name keeps its values comma-joined."""
    parsed = parse_qs(query, keep_blank_values=True)
    return {name.lower(): ",".join(values) for name, values in parsed.items()}


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    """One operation: where it lives and whether it needs a space and a caller."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    scoped: bool
    anonymous: bool
    #: The pattern as registered (``/releases/{id}``).
    template: str = ""


class Router:
    """Maps ``(method, path)`` to a handler.

    ``scoped`` routes are relative to a space (``/packages/raw``); the others are absolute paths
    (``/api/spaces/all``). Patterns use ``{name}`` for one path segment.
    """

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        scoped: bool = True,
        anonymous: bool = False,
    ) -> None:
        """Register ``handler`` for ``method`` on ``pattern``."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append(
            Route(
                method,
                re.compile(f"^{regex}$", re.IGNORECASE),
                handler,
                scoped,
                anonymous,
                pattern,
            )
        )

    def routes(self) -> list[Route]:
        """Every registered route, in matching order (the Swagger check walks them all)."""
        return list(self._routes)

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str], str | None]:
        """The route, its path parameters and the space id in the path; 404 or 405 otherwise."""
        space_id, rest = split_space(path) if path.startswith("/api") else (None, path)
        allowed = False
        for route in self._routes:
            if route.scoped:
                if not path.startswith("/api"):
                    continue
                match = route.pattern.match(rest)
            elif space_id is None:
                match = route.pattern.match(path)
            else:
                continue
            if match is None:
                continue
            if route.method != method:
                allowed = True
                continue
            return route, dict(match.groupdict().items()), space_id
        if allowed:
            raise ApiError(405, f"The method {method} is not allowed on {path}.")
        raise NotFound(f"There is no resource at {path}.")
