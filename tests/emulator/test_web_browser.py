"""The web view in headless Chromium (Debian's ``chromium``, driven by Playwright): follow the links
``octoci release create`` prints, sign in, read every page, and take a release from Dev to
Production by clicks, as a tester and the team would.

The screenshots the docs show come from this test: ``OCTOCI_UPDATE_SCREENSHOTS=1`` writes them to
``docs/images/`` (otherwise to the test's temporary directory). Without Chromium the test is
skipped on a developer's machine; in CI (``CI`` set) that is a failure, since CI installs it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from octoci.testing import run_octoci
from octoci_emulator import Emulator

from .conftest import Client
from .web import HOSTILE_COMMIT, HOSTILE_NOTES, push_package

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
#: No network beyond the emulator, no first-run work, no sandbox (CI runs as root).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh profile."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (it is in the test extra)")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1000, "height": 640},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def screenshot(tmp_path: Path) -> Any:
    """``screenshot(page, name)``: a PNG into docs/images (when updating) or ``tmp_path``."""
    folder = IMAGES if os.environ.get("OCTOCI_UPDATE_SCREENSHOTS") else tmp_path

    def take(page: Page, name: str) -> Path:
        path = folder / f"emulator-web-{name}.png"
        page.screenshot(path=str(path))
        return path

    return take


def _printed_links(stdout: str) -> dict[str, str]:
    """The ``/app#`` links in octoci's output, by what they point at."""
    links = set(re.findall(r"https?://[^\s()\[\]]+/app#[^\s()\[\]]+", stdout))
    release = next(link for link in links if "/releases/" in link)
    task = next(link for link in links if "/tasks/" in link)
    return {"release": release, "task": task}


def _at(page: Page, path: str) -> None:
    """Wait until the page's path (without query or fragment) matches the regular expression."""
    page.wait_for_url(re.compile(rf"^https?://[^/]+{path}(?:#.*)?$"))


def _reload_when_done(page: Page, client: Client, task_id: str) -> None:
    assert client.wait(task_id)["State"] == "Success"
    page.reload()


@pytest.mark.slow
def test_printed_links_open_their_pages_and_clicks_promote_to_production(
    browser: BrowserContext, pipeline_emulator: Emulator, client: Client, screenshot: Any
) -> None:
    push_package(client)
    result = run_octoci(
        "release", "create", "--project", "My Project", "--version", "1.0.0",
        "--release-notes", HOSTILE_NOTES, "--deploy-to", "Dev", "--wait", "--poll-interval", "0.02",
        env={
            "OCTOPUS_URL": pipeline_emulator.url,
            "OCTOPUS_API_KEY": pipeline_emulator.api_key,
            "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
        },
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    links = _printed_links(result.stdout)
    page = browser.new_page()

    # A printed task link: the sign-in form first, then the task it names.
    page.goto(links["task"])
    _at(page, r"/app/signin\?next=/app/Spaces-1/tasks/ServerTasks-\d+")
    screenshot(page, "sign-in")
    page.fill("#apikey", pipeline_emulator.api_key)
    page.get_by_role("button", name="Sign in").click()
    _at(page, r"/app/Spaces-1/tasks/ServerTasks-\d+")
    assert page.inner_text("h1") == "Deploy My Project release 1.0.0 to Dev"
    assert "finished successfully" in page.inner_text("#task-log")
    screenshot(page, "task")

    # The printed release link, now signed in: the release page, which escapes what it shows.
    page.goto(links["release"])
    _at(page, r"/app/Spaces-1/projects/my-project/releases/1\.0\.0")
    assert page.inner_text("h1") == "My Project release 1.0.0"
    assert page.inner_text(".comment") == HOSTILE_COMMIT
    assert page.inner_text("#notes") == HOSTILE_NOTES
    assert page.locator("main script, main b, main img").count() == 0
    assert page.title() != "pwned"
    assert page.get_attribute("#build-information a >> nth=0", "href") is None  # javascript:
    screenshot(page, "release")

    # A tester deploys to Test; then the team promotes to Production.
    for environment in ("Test", "Production"):
        page.get_by_role("button", name=f"Promote to {environment}").click()
        _at(page, r"/app/Spaces-1/deployments/Deployments-\d+")
        assert page.inner_text("h1") == f"Deploy to {environment}"
        deployment = client.get("/deployments").json()["Items"][0]
        _reload_when_done(page, client, deployment["TaskId"])
        assert "finished successfully" in page.inner_text("#task-log")
        if environment == "Production":
            screenshot(page, "deployment")
        page.get_by_role("link", name="1.0.0").click()
        _at(page, r"/app/Spaces-1/projects/my-project/releases/1\.0\.0")
    assert [page.inner_text(f'[data-phase="{p}"] h3') for p in ("Dev", "Test", "Production")] == [
        "Dev Complete",
        "Test Complete",
        "Production Complete",
    ]
    assert page.title() != "pwned"

    # /app without a link: the dashboard, every environment at 1.0.0.
    page.goto(f"{pipeline_emulator.url}/app")
    _at(page, "/app/Spaces-1")
    row = page.locator("#dashboard tr", has_text="My Project")
    assert row.inner_text().split("\t")[1:] == [
        "1.0.0",
        "1.0.0 Success",
        "1.0.0 Success",
        "1.0.0 Success",
    ]
    screenshot(page, "dashboard")
    environments = {e["Id"]: e["Name"] for e in client.get("/environments").json()["Items"]}
    deployed = [environments[d["EnvironmentId"]] for d in pipeline_emulator.documents("deployment")]
    assert deployed == ["Dev", "Test", "Production"]  # each exactly once


@pytest.mark.slow
def test_project_page_lists_releases_and_signing_out_needs_signing_in_again(
    browser: BrowserContext, pipeline_emulator: Emulator, client: Client
) -> None:
    push_package(client)
    assert (
        client.post(
            "/releases/create/v1", json={"ProjectName": "My Project", "ReleaseVersion": "1.0.0"}
        ).status_code
        == 201
    )
    page = browser.new_page()
    page.goto(f"{pipeline_emulator.url}/app#/Spaces-1/projects/my-project")
    page.fill("#apikey", pipeline_emulator.api_key)
    page.get_by_role("button", name="Sign in").click()
    _at(page, "/app/Spaces-1/projects/my-project")
    assert page.inner_text("#releases td >> nth=0") == "1.0.0"
    page.get_by_role("button", name="Sign out").click()
    _at(page, "/app/signin")
    page.goto(f"{pipeline_emulator.url}/app/Spaces-1")
    _at(page, r"/app/signin\?next=/app/Spaces-1")
