"""OIDC login through the octoci_id_token hook, token renewal during long waits, and secrets:
the API key, ID token and access token appear in no output, log, error or --debug trace."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from octoci import hookimpl
from octoci.octopus import connection as connection_module
from octoci.octopus.errors import octopus_messages
from octoci.server import CIServer
from octoci.testing import CliResult, parse_ci_output
from octoci_emulator import Emulator, mint_id_token

from .conftest import PIPELINE_SEED
from .test_proxy_and_progress import proxy

__all__ = ["proxy"]  # the forwarding proxy fixture, for the proxy-password leak check

ISSUER = "https://ci.example"
SECRET = "test-issuer-signing-secret"
ACCOUNT = "7f0b0d4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return {
        **PIPELINE_SEED,
        "oidc": [{"issuer": ISSUER, "secret": SECRET, "service_account_id": ACCOUNT}],
    }


class TokenPlugin:
    """A build server's token source, as a plugin implements it."""

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.issued: list[str] = []

    @hookimpl
    def octoci_id_token(self, server: CIServer, audience: str) -> str | None:
        token = mint_id_token(
            issuer=ISSUER, secret=self.secret, subject="repo:acme/shop:ref:main", audience=audience
        )
        self.issued.append(token)
        return token


@pytest.fixture
def oidc_env(octo_env: dict[str, str]) -> dict[str, Any]:
    return {"OCTOPUS_API_KEY": None, "OCTOPUS_SERVICE_ACCOUNT_ID": ACCOUNT}


def _assert_no_secret(texts: list[str], secrets: list[str]) -> None:
    for secret in secrets:
        assert len(secret) > 8
        for text in texts:
            assert secret not in text
            # Also no recognisable part of it (a JWT's signature, a key's tail).
            assert secret[-16:] not in text


def test_push_with_oidc(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    make_package: Callable[..., Path],
    oidc_env: dict[str, Any],
) -> None:
    plugin = TokenPlugin()
    make_package("Acme.Web.1.0.0.zip")
    result = octoci("--debug", "push", "Acme.Web.1.0.0.zip", env=oidc_env, plugins=(plugin,))
    assert result.exit_code == 0, result.stderr
    assert len(plugin.issued) == 1
    assert len(octopus_emulator.packages()) == 1
    _assert_no_secret([result.stdout, result.stderr], plugin.issued)


def test_a_refused_id_token_says_why(
    octoci: Callable[..., CliResult], make_package: Callable[..., Path], oidc_env: dict[str, Any]
) -> None:
    plugin = TokenPlugin(secret="the-wrong-signing-secret")
    make_package("Acme.Web.1.0.0.zip")
    result = octoci("--debug", "push", "Acme.Web.1.0.0.zip", env=oidc_env, plugins=(plugin,))
    assert result.exit_code == 1
    assert "The subject token was not accepted" in result.stderr
    assert "issuer, subject and audience" in result.stderr
    _assert_no_secret([result.stdout, result.stderr], plugin.issued)


def test_no_id_token_from_the_build_server(
    octoci: Callable[..., CliResult], make_package: Callable[..., Path], oidc_env: dict[str, Any]
) -> None:
    make_package("Acme.Web.1.0.0.zip")
    result = octoci("push", "Acme.Web.1.0.0.zip", env=oidc_env)
    assert result.exit_code == 1
    assert "gave no OIDC ID token" in result.stderr


def test_login_outputs_a_masked_token(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, oidc_env: dict[str, Any]
) -> None:
    plugin = TokenPlugin()
    result = octoci("login", env=oidc_env, plugins=(plugin,))
    assert result.exit_code == 0, result.stderr
    assert f"logged in to {octopus_emulator.url}" in result.stdout
    assert "octoci output access_token=***" in result.stdout
    assert f"octoci output server={octopus_emulator.url}" in result.stdout
    as_json = octoci("login", "--json", env=oidc_env, plugins=(plugin,))
    data = json.loads(as_json.stdout)
    assert data == {
        "Server": octopus_emulator.url,
        "Method": "OIDC",
        "ServiceAccountId": ACCOUNT,
        "ExpiresIn": 3600,
        "Exported": [],  # the local adapter has no way to export a secret
    }
    _assert_no_secret([result.stdout, result.stderr, as_json.stdout], plugin.issued)


def test_login_needs_a_service_account(octoci: Callable[..., CliResult]) -> None:
    result = octoci("login", env={"OCTOPUS_API_KEY": None})  # with a key: API-key mode
    assert result.exit_code == 2
    assert "OCTOPUS_SERVICE_ACCOUNT_ID" in result.stderr


def test_token_is_exchanged_again_during_a_long_wait(
    octoci: Callable[..., CliResult],
    octopus_emulator_factory: Callable[..., Emulator],
    make_package: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed = json.loads(json.dumps(PIPELINE_SEED))
    seed["oidc"] = [{"issuer": ISSUER, "secret": SECRET, "service_account_id": ACCOUNT}]
    seed["tasks"]["executing_seconds"] = 1.0
    emulator = octopus_emulator_factory(seed)
    env = {
        "OCTOPUS_URL": emulator.url,
        "OCTOPUS_API_KEY": None,
        "OCTOPUS_SERVICE_ACCOUNT_ID": ACCOUNT,
    }
    # The emulator's tokens live an hour; renewing when less than 3599.7 s are left makes every
    # token "about to expire" 0.3 s after it was issued, as a 10-minute TeamCity token would be
    # during a long deployment.
    monkeypatch.setattr(connection_module, "TOKEN_RENEW_SECONDS", 3599.7)
    plugin = TokenPlugin()
    make_package("MyApp.Web.1.0.0.zip")
    assert octoci("push", "MyApp.Web.1.0.0.zip", env=env, plugins=(plugin,)).exit_code == 0
    result = octoci("release", "create", "--project", "My Project", "--version", "1.0.0",
                    "--deploy-to", "Dev", "--wait", "--poll-interval", "0.2",
                    env=env, plugins=(plugin,))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert len(plugin.issued) >= 3  # the push, the release, then renewals while waiting
    _assert_no_secret([result.stdout, result.stderr], plugin.issued)


def test_both_error_formats_of_the_token_endpoint() -> None:
    assert octopus_messages({"error": "invalid_grant", "error_description": "bad subject"}) == [
        "bad subject"
    ]
    assert octopus_messages({"ErrorMessage": "Token exchange failed", "Errors": ["expired"]}) == [
        "Token exchange failed",
        "expired",
    ]
    assert octopus_messages({"error": "invalid_request"}) == ["invalid_request"]


def _closed_port_url() -> str:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


#: An access token wrapped at 60 characters, as a secret store or an editor wraps it.
WRAPPED_TOKEN = "\n".join(
    textwrap.wrap(hashlib.sha512(b"access token").hexdigest() + "eyJ0b2tlbiI6dHJ1ZX0", 60)
)
#: An API key with a stray second line (the previous key, pasted along).
TWO_LINE_KEY = "API-" + "NEWKEY7Q2W9E4R6T8Y1U3I5O7P" + "\nAPI-" + "OLDKEY0A9S8D7F6G5H4J3K2L1Z"
#: A proxy password with a character written percent-encoded in the URL (%40 is @).
PROXY_PASSWORD = "Pr0xy-P%40ss-2026-kq7"


def _forms(secret: str) -> list[str]:
    """What must never be seen of ``secret``: the value, each line, and each line's tail (a
    secret masked in part would still give its tail away). The test's own rule, not octoci's."""
    lines = [line.strip() for line in secret.splitlines() if len(line.strip()) >= 8]
    return [secret, *lines, *(line[-12:] for line in lines)]


#: case -> (environment overrides, secrets)
LEAK_CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "api key": ({}, []),  # the emulator's key, added below
    "multi-line access token": (
        {"OCTOPUS_API_KEY": None, "OCTOPUS_ACCESS_TOKEN": WRAPPED_TOKEN},
        [WRAPPED_TOKEN],
    ),
    "multi-line api key": ({"OCTOPUS_API_KEY": TWO_LINE_KEY}, [TWO_LINE_KEY]),
    "proxy password": (
        {"HTTP_PROXY": "http://octoci:{password}@{proxy}"},
        [PROXY_PASSWORD, PROXY_PASSWORD.replace("%40", "@")],
    ),
}
#: The proxy's credentials as requests sends them (Proxy-Authorization: Basic ...).
PROXY_AUTHORIZATION = base64.b64encode(
    f"octoci:{PROXY_PASSWORD.replace('%40', '@')}".encode()
).decode()


@pytest.mark.parametrize("server", ["local", "github_actions"])
@pytest.mark.parametrize("case", sorted(LEAK_CASES))
def test_no_secret_appears_in_any_stream_or_file(
    case: str,
    server: str,
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    make_package: Callable[..., Path],
    tmp_path: Path,
    ci_env: Callable[..., dict[str, str]],
    proxy: tuple[str, list[str]],
) -> None:
    """Every command, succeeding and failing, with --debug: no stream and no file octoci writes
    (GitHub's output, environment and summary files) carries a secret or a line of one."""
    key = octopus_emulator.api_key
    wrong_key = key[:-1] + "X"
    overrides, secrets = LEAK_CASES[case]
    proxy_url, _ = proxy
    env = {
        name: value.format(password=PROXY_PASSWORD, proxy=urlsplit(proxy_url).netloc)
        if isinstance(value, str)
        else value
        for name, value in overrides.items()
    }
    files = tmp_path / "ci-files"
    if server != "local":
        env = {**ci_env(server, "push"), **env}
    make_package("MyApp.Web.1.0.0.zip", size=300_000)
    (tmp_path / "info.json").write_text(json.dumps({"BuildNumber": "1"}), encoding="utf-8")
    octopus_emulator.add_fault(action="drop", path="packages/raw", times=1)
    octopus_emulator.add_fault(action="status", status=500, path="build-information", times=1)

    def run(*args: str, **extra: str) -> CliResult:
        return octoci("--debug", *args, env={**env, **extra})

    runs = [
        run("push", "*.zip"),
        run("push", "*.zip", "--json"),
        run("build-info", "--package-id", "MyApp.Web", "--version", "1.0.0", "--file", "info.json"),
        run("release", "create", "--project", "My Project", "--version", "1.0.0",
            "--deploy-to", "Dev", "--wait", "--progress", "--poll-interval", "0.02"),
        run("release", "deploy", "--project", "Nope", "--version", "1", "--environment", "Dev"),
        run("release", "create", "--project", "My Project", "--space", "Nope"),
        run("push", "*.zip", "--octopus-url", _closed_port_url(), "--retry-budget", "0.5"),
        run("push", "*.zip", OCTOPUS_API_KEY=wrong_key),
        run("task", "wait", "ServerTasks-1", "--poll-interval", "0.02"),
    ]  # fmt: skip
    if case.startswith("multi-line"):
        # With a good key beside it, the secret is still in the environment (masked) while the
        # push succeeds and writes its outputs.
        beside = {"OCTOPUS_API_KEY": key, "OCTOPUS_CLI_API_KEY": TWO_LINE_KEY}
        runs.append(run("push", "*.zip", "--overwrite-mode", "OverwriteExisting", **beside))
        assert runs[-1].exit_code == 0, runs[-1].stderr
    written = [p.read_text(encoding="utf-8") for p in files.rglob("*") if p.is_file()]
    for secret in [*secrets, PROXY_AUTHORIZATION, key, wrong_key]:
        for form in _forms(secret):
            for result in runs:
                assert result.leaks(form) == [], (form, case)
            for text in written:
                assert form not in text, (form, case)
    # --debug did write tracebacks: the check above looked at them.
    assert any("Traceback" in r.stderr for r in runs)
    if case.startswith("multi-line"):  # refused before anything is sent, naming the variable
        assert sum("holds a line break" in r.stderr for r in runs) >= 7
    else:
        assert {r.exit_code for r in runs} >= {0, 1, 2}
    if server != "local":
        assert any("MyApp.Web" in text for text in written), written
        # The runner was told to mask each secret and each line of it.
        masks = {
            m.value
            for r in runs
            for m in (*r.messages, *parse_ci_output(r.stderr))
            if m.name == "add-mask"
        }
        for secret in secrets:
            assert set(_forms(secret)[: 1 + len(secret.splitlines())]) <= masks, case


def test_library_logs_carry_no_secrets(
    octopus_emulator: Emulator,
    connect: Callable[..., Any],
    make_package: Callable[..., Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from octoci.octopus.packages import push_packages, validate_package_files

    caplog.set_level(logging.DEBUG)  # every logger, urllib3's included
    octopus_emulator.add_fault(action="lose_response", path="packages/raw", times=1)
    octopus_emulator.add_fault(action="status", status=503, path="packages", times=2)
    path = make_package("Acme.Web.1.0.0.zip")
    push_packages(connect(), validate_package_files([path]))
    assert caplog.records
    assert octopus_emulator.api_key not in caplog.text


def test_an_exchanged_token_with_a_line_break_is_refused_before_it_is_sent(
    octoci: Callable[..., CliResult], httpserver: Any, tmp_path: Path
) -> None:
    """A token Octopus (or something in front of it) returns wrapped is exit 2, naming where it
    came from; it is never sent, never retried, and never shown."""
    wrapped = "eyJhbGciOiJIUzI1NiJ9" + "T" * 40 + "\n" + "U" * 60
    httpserver.expect_request("/.well-known/openid-configuration").respond_with_json(
        {"token_endpoint": httpserver.url_for("/token/v1")}
    )
    httpserver.expect_request("/token/v1", method="POST").respond_with_json(
        {"access_token": wrapped, "expires_in": 300}
    )
    (tmp_path / "Acme.Web.1.0.0.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    env = {
        "OCTOPUS_URL": httpserver.url_for("/"),
        "OCTOPUS_API_KEY": None,
        "OCTOPUS_SERVICE_ACCOUNT_ID": ACCOUNT,
    }
    plugin = TokenPlugin()
    result = octoci("--debug", "push", "Acme.Web.1.0.0.zip", env=env, plugins=(plugin,))
    assert result.exit_code == 2, result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("octoci: error: the access token Octopus gave for service account")
    assert f"{ACCOUNT} holds a line break" in last
    assert [request.path for request, _ in httpserver.log] == [
        "/.well-known/openid-configuration",
        "/token/v1",
    ]
    for secret in [wrapped, *plugin.issued]:
        assert result.leaks(secret) == []


def test_no_secret_is_put_on_a_command_line(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    git_repo: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process list shows command lines: git, the only program octoci starts, never gets a
    secret on its command line (a remote URL with a token in it included), nor Octopus's
    credentials in its environment."""
    import subprocess

    from octoci import git

    started: list[list[str]] = []
    environments: list[dict[str, str]] = []
    real_run = subprocess.run

    def recording_run(args: list[str], *rest: Any, **options: Any) -> Any:
        started.append([str(arg) for arg in args])
        environments.append(dict(options.get("env") or os.environ))
        return real_run(args, *rest, **options)

    repo = git_repo(
        ["first", "second"],
        tags={0: "v1.0.0"},
        remote="https://x-access-token:ghs_RemoteUrlToken1234@github.com/acme/shop.git",
    )
    monkeypatch.setattr(git.subprocess, "run", recording_run)
    # git runs in octoci's own process environment: the key must not be passed on to it.
    monkeypatch.setenv("OCTOPUS_API_KEY", octopus_emulator.api_key)
    result = octoci("--debug", "build-info", "--package-id", "MyApp.Web", "--version", "1.0.1",
                    cwd=repo)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert any("log" in args for args in started)  # the commits came from git
    for secret in (octopus_emulator.api_key, "ghs_RemoteUrlToken1234"):
        assert [args for args in started if any(secret in arg for arg in args)] == []
        assert [e for e in environments if any(secret in value for value in e.values())] == []
        assert result.leaks(secret) == []
