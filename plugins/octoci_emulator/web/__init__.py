"""The emulator's web view at ``/app``: server-rendered pages (no external assets, so it works
offline) to look at what a pipeline did and to do its manual steps by hand.

* ``/`` redirects to ``/app``; ``/app#/{space}/...`` (the links octoci prints) opens the page the
  part after ``#`` names.
* ``/app/signin``: an API key entered once in a form; the browser keeps a signed session in an
  ``HttpOnly``, ``SameSite=Strict`` cookie. A key in a URL (``?apikey=``) is refused.
* ``/app/{space}`` (dashboard), ``.../projects/{slug}``, ``.../projects/{slug}/releases/{version}``,
  ``.../deployments/{id}``, ``.../tasks/{id}``; the release page's buttons deploy and promote.

A task that waits for a person (guided failure, manual intervention) shows the interruption and
a button per answer on its task and deployment pages.
"""

from __future__ import annotations

from octoci_emulator.routes import Router
from octoci_emulator.web import deploy, interruptions, pages, signin

__all__ = ["is_web_path", "register"]


def is_web_path(path: str) -> bool:
    """True for the paths the web view serves (``/`` and ``/app...``)."""
    return path == "/" or path == "/app" or path.startswith("/app/")


def register(router: Router) -> None:
    """Add every web route (sign-in first: the pages' ``/app/{space}`` would match its paths)."""
    signin.register(router)
    deploy.register(router)
    interruptions.register(router)
    pages.register(router)
