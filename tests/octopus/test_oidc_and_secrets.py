"""OIDC login through the octoci_id_token hook, token renewal during long waits, and secrets:
the API key, ID token and access token appear in no output, log, error or --debug trace."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci import hookimpl
from octoci.octopus import connection as connection_module
from octoci.octopus.errors import octopus_messages
from octoci.server import CIServer
from octoci.testing import CliResult
from octoci_emulator import Emulator, mint_id_token

from .conftest import PIPELINE_SEED

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
    assert data == {"Server": octopus_emulator.url, "ServiceAccountId": ACCOUNT, "ExpiresIn": 3600}
    _assert_no_secret([result.stdout, result.stderr, as_json.stdout], plugin.issued)


def test_login_needs_a_service_account(octoci: Callable[..., CliResult]) -> None:
    result = octoci("login")
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


def test_the_api_key_never_appears(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    make_package: Callable[..., Path],
    tmp_path: Path,
) -> None:
    """Every command, succeeding and failing, with --debug: no stream carries the key."""
    key = octopus_emulator.api_key
    make_package("MyApp.Web.1.0.0.zip", size=300_000)
    (tmp_path / "info.json").write_text(json.dumps({"BuildNumber": "1"}), encoding="utf-8")
    octopus_emulator.add_fault(action="drop", path="packages/raw", times=1)
    octopus_emulator.add_fault(action="status", status=500, path="build-information", times=1)
    runs = [
        octoci("--debug", "push", "*.zip"),
        octoci("--debug", "push", "*.zip", "--json"),
        octoci("--debug", "build-info", "--package-id", "MyApp.Web", "--version", "1.0.0",
               "--file", "info.json"),
        octoci("--debug", "release", "create", "--project", "My Project", "--version", "1.0.0",
               "--deploy-to", "Dev", "--wait", "--progress", "--poll-interval", "0.02"),
        octoci("--debug", "release", "deploy", "--project", "Nope", "--version", "1",
               "--environment", "Dev"),
        octoci("--debug", "release", "create", "--project", "My Project", "--space", "Nope"),
        octoci("--debug", "push", "*.zip", "--octopus-url", _closed_port_url(),
               "--retry-budget", "0.5"),
        octoci("--debug", "push", "*.zip", env={"OCTOPUS_API_KEY": key[:-1] + "X"}),
        octoci("--debug", "task", "wait", "ServerTasks-1", "--poll-interval", "0.02"),
    ]  # fmt: skip
    assert {r.exit_code for r in runs} >= {0, 1, 2}
    wrong_key = key[:-1] + "X"
    for run in runs:
        for text in (run.stdout, run.stderr):
            assert key not in text
            assert wrong_key not in text
    # --debug did write tracebacks: the check above looked at them.
    assert any("Traceback" in r.stderr for r in runs)


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
