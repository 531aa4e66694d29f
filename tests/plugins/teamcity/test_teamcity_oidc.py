"""TeamCity's OIDC token source: ``jwt.token`` from OctopusDeploy/teamcity-oidc-plugin."""

from __future__ import annotations

import base64
import io
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from octoci.errors import InputError
from octoci_plugins.teamcity import TeamCityServer

EnvFactory = Callable[..., dict[str, str]]
AUDIENCE = "d7c4b0a2-6f9e-4c1b-9a55-3e2f1d0c8b7a"  # an Octopus service account's audience


def jwt(**claims: Any) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'kid': 'tc'})}.{part(claims)}.c2lnbmF0dXJl"


def with_jwt_parameter(env: dict[str, str], token: str) -> dict[str, str]:
    config = Path(env["TEAMCITY_BUILD_PROPERTIES_FILE"]).with_name(
        "teamcity.config4181624525744010935.properties"
    )
    with config.open("a", encoding="utf-8") as handle:
        handle.write(f"jwt.token={token}\n")
    return env


def test_token_from_the_jwt_token_parameter(ci_env: EnvFactory) -> None:
    token = jwt(aud=AUDIENCE, exp=time.time() + 600, sub="Shop_Build")
    env = with_jwt_parameter(ci_env("teamcity", "push"), token)
    stream = io.StringIO()
    server = TeamCityServer(env, stream)
    assert server.id_token(AUDIENCE) == token
    server.write(f"token={token}")
    assert token not in stream.getvalue()
    assert token in server.secrets()


def test_token_handed_over_by_the_build_step(ci_env: EnvFactory) -> None:
    token = jwt(aud=[AUDIENCE, "other"], exp=time.time() + 600)
    env = ci_env("teamcity", "push", OCTOCI_ID_TOKEN=token)
    assert TeamCityServer(env, io.StringIO()).id_token(AUDIENCE) == token


def test_no_token_without_the_oidc_plugin(ci_env: EnvFactory) -> None:
    assert TeamCityServer(ci_env("teamcity", "push"), io.StringIO()).id_token(AUDIENCE) is None


def test_wrong_audience_and_expiry_are_warned_about(
    ci_env: EnvFactory, caplog: pytest.LogCaptureFixture
) -> None:
    token = jwt(aud="https://teamcity.acme.example", exp=time.time() - 120)
    env = with_jwt_parameter(ci_env("teamcity", "push"), token)
    with caplog.at_level(logging.WARNING, logger="octoci"):
        assert TeamCityServer(env, io.StringIO()).id_token(AUDIENCE) == token
    text = caplog.text
    assert "audience https://teamcity.acme.example, not " + AUDIENCE in text
    assert "'OIDC Identity Token' build feature" in text
    assert "expired" in text
    assert token not in text


@pytest.mark.parametrize(
    "bad", ["not-a-jwt", "a.b", "a.!!!.c", f"x.{base64.b64encode(b'[1]').decode()}.y"]
)
def test_a_malformed_token_is_an_input_error_without_the_token(
    ci_env: EnvFactory, bad: str
) -> None:
    env = ci_env("teamcity", "push", OCTOCI_ID_TOKEN=bad)
    with pytest.raises(InputError, match="OCTOCI_ID_TOKEN") as raised:
        TeamCityServer(env, io.StringIO()).id_token(AUDIENCE)
    assert bad not in str(raised.value)
