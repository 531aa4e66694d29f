"""What every web page goes through: no API key in a URL, the sign-in cookie, CSRF checks on
forms, and errors answered as pages (not Octopus's JSON).

A page asked for without a valid sign-in redirects to the sign-in form, which brings the browser
back to the page afterwards. A form (POST) must carry the session's CSRF token and, when the
browser sends an ``Origin``, come from this server.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, quote, unquote, urlsplit

from octoci_emulator.auth import WebSession
from octoci_emulator.body import read_small
from octoci_emulator.catalog import default_space
from octoci_emulator.errors import ApiError, BadRequest, NotFound, Unauthorized
from octoci_emulator.routes import Handler, Request, Response
from octoci_emulator.store import Document
from octoci_emulator.web.layout import app_path, html_response, page, redirect
from octoci_emulator.web.markup import Child, Html, el

__all__ = [
    "WebContext",
    "check_origin",
    "checked_next",
    "error_page",
    "form_fields",
    "refuse_key_in_url",
    "session_cookie",
    "sign_in_location",
    "signed_in_page",
]

#: Form bodies are a few fields; anything larger is not one of ours.
_MAX_FORM_BYTES = 64 * 1024
_FORM_TYPE = "application/x-www-form-urlencoded"
#: Where the sign-in form may send the browser back to: a page of the web view, nothing else.
_NEXT = re.compile(r"^/app(?:/[\w\-.~%!$&'()*+,;=:@/]*)?$")


def session_cookie(request: Request) -> str:
    """The name of the sign-in cookie: per port, since cookies are shared by every port of a host
    and two emulators side by side must not sign each other out."""
    port = (request.headers.get("Host") or "").rpartition(":")[2]
    return f"octoci_emulator_session_{port}" if port.isdigit() else "octoci_emulator_session"


def refuse_key_in_url(request: Request) -> None:
    """400 when a page is asked for with ``?apikey=``: a key in a URL ends up in the browser's
    history, in proxies' logs and in ``Referer`` headers. The key is not looked at."""
    if "apikey" in request.query:
        raise BadRequest(
            "An API key does not belong in a URL (it would stay in the browser's history and "
            f"in logs); sign in with the form at {app_path(request, 'signin')} instead."
        )


def sign_in_location(request: Request) -> str:
    """The sign-in form, set to come back to the page ``request`` asked for."""
    target = request.path
    return f"{app_path(request, 'signin')}?next={quote(target, safe='/')}"


def checked_next(value: str) -> str:
    """``value`` if it names a page of the web view, else the dashboard (no open redirect)."""
    return value if _NEXT.match(value) and "//" not in value else "/app/dashboard"


def form_fields(request: Request) -> dict[str, str]:
    """The fields of a form POST (the first value of each); 400 for anything else."""
    content_type = (request.headers.get("Content-Type") or "").partition(";")[0].strip().lower()
    if content_type != _FORM_TYPE:
        raise BadRequest(f"This page takes a form ({_FORM_TYPE}), not {content_type or 'nothing'}.")
    try:
        text = read_small(request.body, _MAX_FORM_BYTES).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The form is not UTF-8.") from None
    return {name: values[0] for name, values in parse_qs(text, keep_blank_values=True).items()}


def check_origin(request: Request) -> None:
    """403 when the browser says the form came from another site."""
    origin = request.headers.get("Origin")
    if origin and urlsplit(origin).netloc != (request.headers.get("Host") or ""):
        raise ApiError(403, "This form was sent from another site; nothing was done.")


@dataclass
class WebContext:
    """A signed-in request: the session, the form (for POST), and page building."""

    request: Request
    session: WebSession
    form: dict[str, str] = field(default_factory=dict)

    def space(self, space_id: str) -> Document:
        """The space ``space_id`` (404 page otherwise)."""
        space = self.request.app.store.get("space", space_id)
        if space is None:
            raise NotFound(f"There is no space '{space_id}'.")
        return space

    def default_space(self) -> Document:
        """The default space."""
        return default_space(self.request.app.store)

    def path(self, *parts: str) -> str:
        """A page's path (parts are escaped for the URL)."""
        return app_path(self.request, *(quote(p, safe="") for p in parts))

    def post_form(self, action: str, *children: Child) -> Html:
        """An inline form that POSTs to ``action`` with the session's CSRF token, which every
        form of a signed-in page must carry."""
        return el(
            "form",
            el("input", type="hidden", name="csrf", value=self.session.csrf),
            *children,
            method="post",
            action=action,
            class_="inline",
        )

    def resource_in_space(self, kind: str) -> Document:
        """The ``kind`` named by the route's ``{id}``, in the route's ``{space}`` (404 otherwise)."""
        params = self.request.params
        resource = self.request.app.store.get(kind, unquote(params["id"]))
        if resource is None or resource["SpaceId"].lower() != unquote(params["space"]).lower():
            raise NotFound(f"There is no {kind} '{params['id']}' in this space.")
        return resource

    def render(
        self, title: str, content: Child, *, status: int = 200, refresh: bool = False
    ) -> Response:
        """A page with the header of a signed-in user."""
        spaces = [(s["Id"], s["Name"]) for s in self.request.app.store.list("space")]
        return html_response(
            page(
                self.request,
                title,
                content,
                signed_in_as=self.session.principal.name,
                csrf=self.session.csrf,
                spaces=spaces,
                refresh=refresh,
            ),
            status,
        )


def _session(request: Request) -> WebSession | None:
    try:
        cookies = SimpleCookie(request.headers.get("Cookie") or "")
    except CookieError:
        return None
    morsel = cookies.get(session_cookie(request))
    if morsel is None or not morsel.value:
        return None
    try:
        return request.app.auth.web_session(morsel.value)
    except Unauthorized:
        return None


def error_page(request: Request, exc: ApiError, context: WebContext | None) -> Response:
    """An error as a page: what went wrong, in the words the API would use."""
    reasons = [r for r in exc.errors if r != exc.message]
    content = [
        el("div", exc.message, el("ul", [el("li", r) for r in reasons]) if reasons else None),
        el("p", el("a", "Back to the dashboard", href=app_path(request, "dashboard"))),
    ]
    title = f"{exc.status}: something went wrong"
    if context is not None:
        return context.render(title, el("div", content, class_="error"), status=exc.status)
    return html_response(page(request, title, el("div", content, class_="error")), exc.status)


def signed_in_page(handler: Callable[[WebContext], Response]) -> Handler:
    """A route handler for a page that needs a signed-in browser (and, for POST, a valid form)."""

    def handle(request: Request) -> Response:
        context = None
        try:
            refuse_key_in_url(request)
            session = _session(request)
            if session is None:
                if request.method == "POST":
                    raise ApiError(
                        401, "You are not signed in (any more); sign in and send the form again."
                    )
                return redirect(sign_in_location(request))
            request.principal = session.principal
            context = WebContext(request, session)
            if request.method == "POST":
                check_origin(request)
                context.form = form_fields(request)
                sent = context.form.get("csrf", "")
                if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                    raise ApiError(
                        403,
                        "The form's security token does not match your sign-in; nothing was "
                        "done. Reload the page and try again.",
                    )
            return handler(context)
        except ApiError as exc:
            return error_page(request, exc, context)

    return handle
