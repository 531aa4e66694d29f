"""Signing in and out, ``/`` and ``/app`` (the page that turns a printed ``/app#/...`` link into
the page it names).

The API key is entered once in a form (POST, so never in a URL); the browser then keeps a signed
session token in an ``HttpOnly``, ``SameSite=Strict`` cookie. No page ever shows the key.
"""

from __future__ import annotations

from octoci_emulator.errors import ApiError, Unauthorized
from octoci_emulator.routes import Request, Response, Router
from octoci_emulator.web.context import (
    WebContext,
    check_origin,
    checked_next,
    error_page,
    form_fields,
    refuse_key_in_url,
    session_cookie,
    signed_in_page,
)
from octoci_emulator.web.layout import app_path, html_response, page, redirect
from octoci_emulator.web.markup import Child, el

__all__ = ["register"]


def _cookie(request: Request, value: str, *, expire: bool = False) -> str:
    # No Secure flag: the emulator speaks plain HTTP on the loopback interface.
    attributes = [
        f"{session_cookie(request)}={value}",
        f"Path={request.base_path}/app",
        "HttpOnly",
        "SameSite=Strict",
    ]
    if expire:
        attributes.append("Max-Age=0")
    return "; ".join(attributes)


def _sign_in_form(
    request: Request, next_page: str, problem: str = "", status: int = 200
) -> Response:
    content: list[Child] = [
        el("div", problem, class_="error") if problem else None,
        el(
            "p",
            "Enter one of the emulator's API keys (the one `octoci emulator` printed, or one from "
            "your seed file). It is asked for once; this browser then stays signed in.",
        ),
        el(
            "form",
            el("input", type="hidden", name="form", value=request.app.auth.sign_in_form_token()),
            el("input", type="hidden", name="next", value=checked_next(next_page)),
            el(
                "label",
                "API key ",
                el(
                    "input",
                    type="password",
                    name="apikey",
                    id="apikey",
                    autocomplete="off",
                    required=True,
                    autofocus=True,
                ),
                for_="apikey",
            ),
            el("button", "Sign in", type="submit"),
            method="post",
            action=app_path(request, "signin"),
        ),
    ]
    return html_response(page(request, "Sign in", content), status)


def _show_sign_in(request: Request) -> Response:
    try:
        refuse_key_in_url(request)
    except ApiError as exc:
        return error_page(request, exc, None)
    return _sign_in_form(request, request.arg("next"))


def _sign_in(request: Request) -> Response:
    try:
        refuse_key_in_url(request)
        check_origin(request)
        fields = form_fields(request)
    except ApiError as exc:
        return error_page(request, exc, None)
    next_page = checked_next(fields.get("next", ""))
    if not request.app.auth.check_sign_in_form_token(fields.get("form", "")):
        return _sign_in_form(
            request, next_page, "The sign-in form had expired; enter the API key again.", 400
        )
    api_key = fields.get("apikey", "").strip()
    if not api_key:
        return _sign_in_form(request, next_page, "Enter an API key.", 400)
    try:
        token = request.app.auth.sign_in(api_key)
    except Unauthorized:
        return _sign_in_form(
            request, next_page, "That API key is not accepted by this emulator; try another.", 401
        )
    return redirect(
        f"{request.base_path}{next_page}", headers={"Set-Cookie": _cookie(request, token)}
    )


def _sign_out(context: WebContext) -> Response:
    request = context.request
    return redirect(
        app_path(request, "signin"), headers={"Set-Cookie": _cookie(request, "", expire=True)}
    )


def _hash_router(request: Request) -> Response:
    """``/app``: its script reads ``location.hash`` and goes to the page it names."""
    try:
        refuse_key_in_url(request)
    except ApiError as exc:
        return error_page(request, exc, None)
    content = [
        el("p", "Opening the page of this link...", class_="muted"),
        el(
            "noscript",
            el(
                "p",
                "This link needs JavaScript to find its page. ",
                el("a", "Open the dashboard", href=app_path(request, "dashboard")),
            ),
        ),
    ]
    return html_response(page(request, "Opening the link", content, script=True))


def _root(request: Request) -> Response:
    try:
        refuse_key_in_url(request)
    except ApiError as exc:
        return error_page(request, exc, None)
    return redirect(app_path(request))


def register(router: Router) -> None:
    """Add ``/``, ``/app`` and the sign-in routes."""
    router.add("GET", "/", _root, scoped=False, anonymous=True)
    router.add("GET", "/app", _hash_router, scoped=False, anonymous=True)
    router.add("GET", "/app/signin", _show_sign_in, scoped=False, anonymous=True)
    router.add("POST", "/app/signin", _sign_in, scoped=False, anonymous=True)
    router.add("POST", "/app/signout", signed_in_page(_sign_out), scoped=False, anonymous=True)
