"""The page shell (inline CSS, header, navigation) and the web view's responses.

Everything is inline and the page loads nothing else, so it works offline. The Content Security
Policy allows only this module's own style and the ``/app`` page's one script (by their hashes):
even markup that slipped through escaping could not run a script or load anything.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from octoci_emulator.routes import Request, Response
from octoci_emulator.web.markup import Child, Html, el, join, raw

__all__ = [
    "HASH_ROUTER_SCRIPT",
    "app_path",
    "html_response",
    "page",
    "redirect",
    "state_badge",
]

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1f2933;background:#f5f7fa}
header{background:#0d80d8;color:#fff;padding:.6em 1.2em;display:flex;gap:1.2em;align-items:center}
header a{color:#fff;text-decoration:none}header .brand{font-weight:600}
header form{margin-left:auto}header .who{opacity:.85}
main{padding:1em 1.5em;max-width:70em}
h1{font-size:1.5em;margin:.3em 0 .6em}h2{font-size:1.15em;margin:1.4em 0 .4em}
table{border-collapse:collapse;background:#fff;margin:.3em 0}
th,td{border:1px solid #d9e2ec;padding:.35em .7em;text-align:left;vertical-align:top}
th{background:#eef2f7}a{color:#0b63ad}
.state{display:inline-block;padding:0 .5em;border-radius:.7em;font-size:.85em;color:#fff}
.Success{background:#2f9e44}.Failed,.TimedOut{background:#c92a2a}
.Queued,.Executing,.Cancelling{background:#1c7ed6}.Canceled{background:#868e96}
.Complete{background:#2f9e44}.Current{background:#1c7ed6}.Pending{background:#adb5bd}
button{background:#0d80d8;color:#fff;border:0;border-radius:3px;padding:.35em .9em;cursor:pointer}
header button{background:#fff;color:#0d80d8}
.notes,.log{white-space:pre-wrap;background:#fff;border:1px solid #d9e2ec;padding:.6em;margin:0}
.log{font:13px/1.4 ui-monospace,monospace}.muted{color:#627d98}
.error{background:#ffe3e3;border:1px solid #c92a2a;padding:.6em;margin:.6em 0}
.phase{display:inline-block;vertical-align:top;background:#fff;border:1px solid #d9e2ec;
padding:.6em;margin:0 .5em .5em 0;min-width:13em}
form.inline{display:inline;margin:0}
label{display:block;margin:.4em 0}input[type=password]{padding:.3em;width:24em}
"""

#: The ``/app`` page's script: the part of a link after ``#`` never reaches the server, so the
#: browser turns ``/app#/Spaces-1/tasks/ServerTasks-1`` into the page ``/app/Spaces-1/tasks/...``.
HASH_ROUTER_SCRIPT = (
    "(function(){var h=location.hash.slice(1),p=location.pathname.replace(/\\/+$/,'');"
    "location.replace(h.charAt(0)==='/'?p+h:p+'/dashboard');})();"
)


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


_CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{_sha256(_CSS)}'; "
    f"script-src 'sha256-{_sha256(HASH_ROUTER_SCRIPT)}'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: with no-referrer the browser sends "Origin: null" on our
    # own forms, which the origin check then refuses.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def state_badge(state: str) -> Html:
    """``state`` (a task state or a phase's progress) as a coloured label."""
    return el("span", state, class_=f"state {state}")


def app_path(request: Request, *parts: str) -> str:
    """The path of a web page, behind the virtual directory the request came through."""
    return "/".join([f"{request.base_path}/app", *parts])


def html_response(body: Html, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An HTML answer with the web view's security headers."""
    return Response(
        status=status,
        body=str(body),
        content_type="text/html; charset=utf-8",
        headers={**_HEADERS, **(headers or {})},
    )


def redirect(location: str, headers: dict[str, str] | None = None) -> Response:
    """303 See Other to ``location`` (a GET follows, whatever the request's method)."""
    return Response(
        status=303,
        body="",
        content_type="text/plain; charset=utf-8",
        headers={**_HEADERS, "Location": location, **(headers or {})},
    )


def page(
    request: Request,
    title: str,
    content: Child,
    *,
    signed_in_as: str = "",
    csrf: str = "",
    spaces: Sequence[tuple[str, str]] = (),
    refresh: bool = False,
    script: bool = False,
) -> Html:
    """A whole page: ``content`` under a header with the spaces and the sign-out button.

    ``refresh`` reloads the page every two seconds (a task that is still running); ``script``
    adds the ``/app`` page's hash router.
    """
    nav = [el("a", name, href=app_path(request, space_id)) for space_id, name in spaces]
    account: Child = None
    if signed_in_as:
        account = el(
            "form",
            el("span", f"signed in as {signed_in_as} ", class_="who"),
            el("input", type="hidden", name="csrf", value=csrf),
            el("button", "Sign out", type="submit"),
            method="post",
            action=app_path(request, "signout"),
        )
    head = join(
        el("meta", charset="utf-8"),
        el("meta", name="viewport", content="width=device-width, initial-scale=1"),
        el("meta", http_equiv="refresh", content="2") if refresh else None,
        el("title", f"{title} - Octopus emulator"),
        # An empty icon: without it the browser asks for /favicon.ico, which Octopus has not.
        raw('<link rel="icon" href="data:,">'),
        raw(f"<style>{_CSS}</style>"),
        raw(f"<script>{HASH_ROUTER_SCRIPT}</script>") if script else None,
    )
    body = join(
        el(
            "header",
            el("a", "Octopus emulator", href=app_path(request, "dashboard"), class_="brand"),
            nav,
            account,
        ),
        el("main", el("h1", title), content),
    )
    return raw(f"<!DOCTYPE html>\n{el('html', el('head', head), el('body', body), lang='en')}")
