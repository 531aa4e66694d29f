"""Helpers of the web view's tests: a release with build information, and signing in over HTTP."""

from __future__ import annotations

import re
from typing import Any

import requests

from octoci_emulator import Emulator

from .conftest import Client

#: A commit message and release notes that would run a script if a page did not escape them.
HOSTILE_COMMIT = "Fix <script>document.title='pwned'</script> the <b>basket</b> (#12)"
HOSTILE_NOTES = "Notes with <img src=x onerror=\"document.title='pwned'\"> in them"


def push_package(client: Client, version: str = "1.0.0") -> None:
    """Push ``MyApp.Web`` ``version`` and its build information (with a hostile commit message)."""
    assert client.push(f"MyApp.Web.{version}.zip").status_code == 201
    build = {
        "PackageId": "MyApp.Web",
        "Version": version,
        "OctopusBuildInformation": {
            "BuildEnvironment": "GitHub Actions",
            "BuildNumber": "42",
            # Stored as given: a page must not make it a link.
            "BuildUrl": "javascript:document.title='pwned'",
            "Branch": "main",
            "VcsType": "Git",
            "VcsRoot": "https://github.com/acme/shop",
            "VcsCommitNumber": "0123456789abcdef",
            "Commits": [{"Id": "0123456789abcdef", "Comment": HOSTILE_COMMIT}],
        },
    }
    assert client.post("/build-information", json=build).status_code == 200


def push_release(client: Client, version: str = "1.0.0") -> dict[str, Any]:
    """:func:`push_package`, then create release ``version`` of "My Project" through the API (with
    hostile release notes); its Dev deployment starts by lifecycle."""
    push_package(client, version)
    response = client.post(
        "/releases/create/v1",
        json={
            "ProjectName": "My Project",
            "ReleaseVersion": version,
            "ReleaseNotes": HOSTILE_NOTES,
        },
    )
    assert response.status_code == 201, response.text
    release: dict[str, Any] = response.json()
    return release


def form_token(html: str, name: str) -> str:
    """The value of the hidden field ``name`` in ``html``."""
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match is not None, f"no field {name}"
    return match.group(1)


def sign_in(emulator: Emulator, api_key: str | None = None, base: str = "") -> requests.Session:
    """A session signed in to ``emulator``'s web view with ``api_key`` (default: its own)."""
    session = requests.Session()
    form = session.get(f"{emulator.url}{base}/app/signin", timeout=10)
    response = session.post(
        f"{emulator.url}{base}/app/signin",
        data={
            "form": form_token(form.text, "form"),
            "next": "/app/dashboard",
            "apikey": api_key or emulator.api_key,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303, response.text
    return session
