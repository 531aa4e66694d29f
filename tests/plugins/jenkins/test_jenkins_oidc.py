"""Jenkins's OIDC token source: a credential of the OpenID Connect Provider plugin, bound with
``withCredentials`` as ``OCTOCI_ID_TOKEN``; and the plugin without its extra installed."""

from __future__ import annotations

import base64
import io
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from octoci.errors import MissingExtraError
from octoci_plugins.jenkins import JenkinsServer

EnvFactory = Callable[..., dict[str, str]]
AUDIENCE = "d7c4b0a2-6f9e-4c1b-9a55-3e2f1d0c8b7a"


def jwt(**claims: Any) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def test_token_from_the_bound_credential(
    ci_env: EnvFactory, caplog: pytest.LogCaptureFixture
) -> None:
    token = jwt(iss="https://jenkins.acme.example/oidc", aud=AUDIENCE, exp=time.time() + 300)
    stream = io.StringIO()
    server = JenkinsServer(ci_env("jenkins", "push", OCTOCI_ID_TOKEN=token), stream)
    with caplog.at_level(logging.WARNING, logger="octoci"):
        assert server.id_token(AUDIENCE) == token
    assert caplog.text == ""
    server.write(token)
    assert token not in stream.getvalue()


def test_wrong_audience_names_the_jenkins_credential(
    ci_env: EnvFactory, caplog: pytest.LogCaptureFixture
) -> None:
    token = jwt(aud="https://jenkins.acme.example", exp=time.time() + 300)
    server = JenkinsServer(ci_env("jenkins", "push", OCTOCI_ID_TOKEN=token), io.StringIO())
    with caplog.at_level(logging.WARNING, logger="octoci"):
        server.id_token(AUDIENCE)
    assert "'OpenID Connect id token' credential" in caplog.text


def test_no_token_configured(ci_env: EnvFactory) -> None:
    assert JenkinsServer(ci_env("jenkins", "push"), io.StringIO()).id_token(AUDIENCE) is None


def test_without_python_jenkins_the_commits_say_which_extra_to_install(
    ci_env: EnvFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "jenkins", None)  # makes "import jenkins" fail
    env = ci_env("jenkins", "push", JENKINS_USER_ID="ci-bot", JENKINS_API_TOKEN="11aa22bb33cc44dd")
    server = JenkinsServer(env, io.StringIO())
    assert JenkinsServer.detect(env)  # detection never needs the extra
    with pytest.raises(MissingExtraError, match=r'pip install "octoci\[jenkins\]"'):
        server.commits(server.build_information())
