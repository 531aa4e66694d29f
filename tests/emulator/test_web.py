"""The web view over real HTTP: sign-in (a cookie, never a key in a URL), CSRF, escaping, the
deploy and promote forms, and the links octoci prints. The browser tests are in
``test_web_browser.py``."""

from __future__ import annotations

import re
from pathlib import Path

import requests

from octoci_emulator import Emulator

from .conftest import Client
from .web import HOSTILE_COMMIT, HOSTILE_NOTES, form_token, push_release, sign_in

RELEASE_PAGE = "/app/Spaces-1/projects/my-project/releases/1.0.0"


def _get(session: requests.Session, emulator: Emulator, path: str) -> requests.Response:
    return session.get(f"{emulator.url}{path}", allow_redirects=False, timeout=10)


def _deploy_form(page: str, button: str) -> dict[str, str]:
    """The fields of the form whose button says ``button``."""
    for form in re.findall(r"<form[^>]*>.*?</form>", page, re.S):
        if f">{button}</button>" in form:
            action = re.search(r'action="([^"]+)"', form)
            assert action is not None
            fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
            return {"action": action.group(1), **fields}
    raise AssertionError(f"no button {button!r} on the page")


def _wait_dev(client: Client) -> None:
    deployment = client.get("/deployments").json()["Items"][0]
    assert client.wait(deployment["TaskId"])["State"] == "Success"


def test_root_and_app_lead_to_the_pages(pipeline_emulator: Emulator) -> None:
    session = requests.Session()
    root = _get(session, pipeline_emulator, "/")
    assert (root.status_code, root.headers["Location"]) == (303, "/app")
    app = _get(session, pipeline_emulator, "/app")
    assert app.status_code == 200
    assert app.headers["Content-Type"] == "text/html; charset=utf-8"
    # The part after '#' never reaches the server: the page's script turns it into a path.
    assert "location.hash" in app.text
    assert (
        '<noscript><p>This link needs JavaScript to find its page. <a href="/app/dashboard">'
        in (app.text)
    )
    assert "script-src 'sha256-" in app.headers["Content-Security-Policy"]


def test_pages_ask_to_sign_in_rather_than_answer_401(pipeline_emulator: Emulator) -> None:
    session = requests.Session()
    page = _get(session, pipeline_emulator, "/app/Spaces-1/tasks/ServerTasks-1")
    assert page.status_code == 303
    assert page.headers["Location"] == "/app/signin?next=/app/Spaces-1/tasks/ServerTasks-1"
    form = _get(session, pipeline_emulator, page.headers["Location"])
    assert form.status_code == 200
    assert 'type="password" name="apikey"' in form.text
    assert 'name="next" value="/app/Spaces-1/tasks/ServerTasks-1"' in form.text


def test_sign_in_keeps_a_strict_http_only_cookie_and_never_shows_the_key(
    pipeline_emulator: Emulator,
) -> None:
    session = requests.Session()
    form = _get(session, pipeline_emulator, "/app/signin?next=/app/Spaces-1")
    answer = session.post(
        f"{pipeline_emulator.url}/app/signin",
        data={
            "form": form_token(form.text, "form"),
            "next": "/app/Spaces-1",
            "apikey": "API-TESTKEY1",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert (answer.status_code, answer.headers["Location"]) == (303, "/app/Spaces-1")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/app" in cookie
    assert "API-TESTKEY1" not in cookie
    dashboard = _get(session, pipeline_emulator, "/app/Spaces-1")
    assert dashboard.status_code == 200
    assert "My Project" in dashboard.text
    assert "api-key-user-1" in dashboard.text
    assert "API-TESTKEY1" not in dashboard.text


def test_a_wrong_key_is_refused_without_echoing_it(pipeline_emulator: Emulator) -> None:
    session = requests.Session()
    form = _get(session, pipeline_emulator, "/app/signin")
    answer = session.post(
        f"{pipeline_emulator.url}/app/signin",
        data={"form": form_token(form.text, "form"), "next": "/app", "apikey": "API-WRONGKEY123"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 401
    assert "That API key is not accepted by this emulator" in answer.text
    assert "API-WRONGKEY123" not in answer.text
    assert "Set-Cookie" not in answer.headers
    assert _get(session, pipeline_emulator, "/app/Spaces-1").status_code == 303


def test_an_api_key_in_a_url_is_refused(pipeline_emulator: Emulator) -> None:
    signed_in = sign_in(pipeline_emulator)
    for path in (
        "/?apikey=API-TESTKEY1",
        "/app?apikey=API-TESTKEY1",
        "/app/signin?apikey=API-TESTKEY1",
        "/app/Spaces-1?apikey=API-TESTKEY1",
    ):
        for session in (requests.Session(), signed_in):
            page = _get(session, pipeline_emulator, path)
            assert page.status_code == 400, path
            assert "An API key does not belong in a URL" in page.text
            assert "API-TESTKEY1" not in page.text
            assert "Set-Cookie" not in page.headers


def test_sign_in_only_returns_to_a_page_of_the_web_view(pipeline_emulator: Emulator) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/api/users/me", "/app//evil"):
        session = requests.Session()
        form = _get(session, pipeline_emulator, f"/app/signin?next={target}")
        answer = session.post(
            f"{pipeline_emulator.url}/app/signin",
            data={"form": form_token(form.text, "form"), "next": target, "apikey": "API-TESTKEY1"},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.headers["Location"] == "/app/dashboard", target


def test_a_forged_or_foreign_cookie_is_not_a_sign_in(pipeline_emulator: Emulator) -> None:
    signed_in = sign_in(pipeline_emulator)
    token = next(iter(signed_in.cookies)).value
    assert token is not None
    forged = requests.Session()
    forged.cookies.set(next(iter(signed_in.cookies)).name, token[:-4] + "AAAA")
    assert _get(forged, pipeline_emulator, "/app/Spaces-1").status_code == 303
    # The session token is the web view's alone: it is no access token for the API.
    api = requests.get(
        f"{pipeline_emulator.url}/api/users/me",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert api.status_code == 401


def test_sign_out_ends_the_session(pipeline_emulator: Emulator) -> None:
    session = sign_in(pipeline_emulator)
    page = _get(session, pipeline_emulator, "/app/Spaces-1")
    out = session.post(
        f"{pipeline_emulator.url}/app/signout",
        data={"csrf": form_token(page.text, "csrf")},
        allow_redirects=False,
        timeout=10,
    )
    assert out.status_code == 303
    assert "Max-Age=0" in out.headers["Set-Cookie"]
    assert _get(session, pipeline_emulator, "/app/Spaces-1").status_code == 303


def test_every_page_escapes_what_it_shows(pipeline_emulator: Emulator, client: Client) -> None:
    push_release(client)
    _wait_dev(client)
    session = sign_in(pipeline_emulator)
    page = _get(session, pipeline_emulator, RELEASE_PAGE)
    assert page.status_code == 200
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page.text
    assert "<script>" not in page.text
    assert "<b>basket" not in page.text
    assert "&lt;img src=x onerror=" in page.text
    assert "<img" not in page.text
    # A javascript: URL from build information is shown as text, never as a link.
    assert "javascript:" not in page.text
    assert 'href="https://github.com/acme/shop/commit/0123456789abcdef"' in page.text
    assert HOSTILE_COMMIT not in page.text
    assert HOSTILE_NOTES not in page.text


def test_release_page_shows_packages_build_information_and_progression(
    pipeline_emulator: Emulator, client: Client
) -> None:
    push_release(client)
    _wait_dev(client)
    session = sign_in(pipeline_emulator)
    page = _get(session, pipeline_emulator, RELEASE_PAGE).text
    assert re.search(r"<td>MyApp.Web</td><td>MyApp.Web</td><td>1.0.0</td>", page)
    assert 'href="https://github.com/acme/shop/issues/12">12</a>' in page  # the work item
    assert re.search(r'data-phase="Dev"><h3>Dev <span class="state Complete">', page)
    assert re.search(r'data-phase="Test"><h3>Test <span class="state Current">', page)
    assert re.search(r'data-phase="Production"><h3>Production <span class="state Pending">', page)
    assert ">Promote to Test</button>" in page
    assert "Promote to Production" not in page
    assert ">Redeploy to Dev</button>" in page


def test_deploy_then_promote_through_the_forms(pipeline_emulator: Emulator, client: Client) -> None:
    push_release(client)
    _wait_dev(client)
    session = sign_in(pipeline_emulator)
    for environment in ("Test", "Production"):
        page = _get(session, pipeline_emulator, RELEASE_PAGE).text
        form = _deploy_form(page, f"Promote to {environment}")
        answer = session.post(
            f"{pipeline_emulator.url}{form.pop('action')}",
            data=form,
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 303, answer.text
        deployment_page = _get(session, pipeline_emulator, answer.headers["Location"])
        assert f"Deploy to {environment}" in deployment_page.text
        deployment = client.get("/deployments").json()["Items"][0]
        assert client.get(f"/environments/{deployment['EnvironmentId']}").json()["Name"] == (
            environment
        )
        assert client.wait(deployment["TaskId"])["State"] == "Success"
    task_page = _get(session, pipeline_emulator, f"/app/Spaces-1/tasks/{deployment['TaskId']}")
    assert "finished successfully" in task_page.text
    dashboard = _get(session, pipeline_emulator, "/app/Spaces-1").text
    assert dashboard.count('<span class="state Success">Success</span>') == 3


def test_a_form_sent_twice_deploys_once(pipeline_emulator: Emulator, client: Client) -> None:
    push_release(client)
    _wait_dev(client)
    session = sign_in(pipeline_emulator)
    form = _deploy_form(_get(session, pipeline_emulator, RELEASE_PAGE).text, "Promote to Test")
    url = f"{pipeline_emulator.url}{form.pop('action')}"
    first = session.post(url, data=form, allow_redirects=False, timeout=10)
    second = session.post(url, data=form, allow_redirects=False, timeout=10)
    assert first.status_code == 303
    assert second.status_code == 409
    assert "nothing new was started" in second.text
    assert len(pipeline_emulator.documents("deployment")) == 2  # Dev and one Test


def test_forms_need_the_session_token_and_this_origin(
    pipeline_emulator: Emulator, client: Client
) -> None:
    push_release(client)
    _wait_dev(client)
    session = sign_in(pipeline_emulator)
    form = _deploy_form(_get(session, pipeline_emulator, RELEASE_PAGE).text, "Promote to Test")
    url = f"{pipeline_emulator.url}{form.pop('action')}"
    attempts = [
        ({**form, "csrf": "0" * 32}, {}),
        ({k: v for k, v in form.items() if k != "csrf"}, {}),
        (form, {"Origin": "http://evil.example"}),
    ]
    for data, headers in attempts:
        answer = session.post(url, data=data, headers=headers, allow_redirects=False, timeout=10)
        assert answer.status_code == 403, answer.text
        assert "nothing was done" in answer.text
    # Without a sign-in, a form does nothing either (and asks to sign in).
    anonymous = requests.post(url, data=form, allow_redirects=False, timeout=10)
    assert anonymous.status_code == 401
    assert len(pipeline_emulator.documents("deployment")) == 1


def test_a_read_only_key_can_look_but_not_deploy(
    pipeline_emulator: Emulator, client: Client
) -> None:
    push_release(client)
    _wait_dev(client)
    session = sign_in(pipeline_emulator, "API-READONLY")
    page = _get(session, pipeline_emulator, RELEASE_PAGE)
    assert page.status_code == 200
    form = _deploy_form(page.text, "Promote to Test")
    answer = session.post(
        f"{pipeline_emulator.url}{form.pop('action')}", data=form, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 403
    assert "Missing permission: DeploymentCreate" in answer.text
    assert len(pipeline_emulator.documents("deployment")) == 1


def test_the_lifecycle_rules_hold_for_the_forms(
    pipeline_emulator: Emulator, client: Client
) -> None:
    push_release(client)
    _wait_dev(client)
    session = sign_in(pipeline_emulator)
    form = _deploy_form(_get(session, pipeline_emulator, RELEASE_PAGE).text, "Promote to Test")
    environments = client.get("/environments").json()["Items"]
    form["environment"] = next(e["Id"] for e in environments if e["Name"] == "Production")
    answer = session.post(
        f"{pipeline_emulator.url}{form.pop('action')}", data=form, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 400
    assert "requires the &#x27;Test&#x27; phase to be complete first" in answer.text
    assert len(pipeline_emulator.documents("deployment")) == 1


def test_printed_link_forms_reach_their_pages(pipeline_emulator: Emulator, client: Client) -> None:
    release = push_release(client)
    _wait_dev(client)
    session = sign_in(pipeline_emulator)
    task_id = client.get("/deployments").json()["Items"][0]["TaskId"]
    forms = {
        # octoci's release link (the release id), and Octopus's (the version)
        f"/app/Spaces-1/projects/my-project/deployments/releases/{release['ReleaseId']}": (
            RELEASE_PAGE
        ),
        "/app/Spaces-1/projects/my-project/deployments/releases/1.0.0": RELEASE_PAGE,
        # a task link printed without a space id: /app#//tasks/...
        f"/app//tasks/{task_id}": f"/app/Spaces-1/tasks/{task_id}",
    }
    for path, target in forms.items():
        answer = _get(session, pipeline_emulator, path)
        assert (answer.status_code, answer.headers.get("Location")) == (303, target), path
    assert _get(session, pipeline_emulator, "/app/Spaces-1/projects/nope").status_code == 404


def test_pages_work_behind_a_virtual_directory(pipeline_emulator: Emulator) -> None:
    session = sign_in(pipeline_emulator, base="/octopus")
    page = _get(session, pipeline_emulator, "/octopus/app/Spaces-1")
    assert page.status_code == 200
    assert 'href="/octopus/app/Spaces-1/projects/my-project"' in page.text


def test_faults_do_not_break_the_pages(pipeline_emulator: Emulator) -> None:
    session = sign_in(pipeline_emulator)
    pipeline_emulator.add_fault(action="status", status=503)
    assert _get(session, pipeline_emulator, "/app/Spaces-1").status_code == 200
    api = requests.get(f"{pipeline_emulator.url}/api", timeout=10)
    assert api.status_code == 503


def test_the_docs_show_the_screenshots_the_browser_test_takes() -> None:
    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "emulator.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"\]\((images/emulator-web-[\w-]+\.png)\)", page))
    taken = set(
        re.findall(
            r'screenshot\(page, "([\w-]+)"\)',
            (Path(__file__).parent / "test_web_browser.py").read_text(encoding="utf-8"),
        )
    )
    assert shown == {f"images/emulator-web-{name}.png" for name in taken}
    for image in shown:
        data = (root / "docs" / image).read_bytes()
        assert data.startswith(b"\x89PNG")
        assert len(data) < 150_000  # small enough to commit
