"""The Bitbucket Pipelines adapter: detection, build information, outputs a later step can
``source`` (round trip through bash), the step's OIDC token, secrets."""

from __future__ import annotations

import io
import json
import logging
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from octoci.errors import InputError, OctociError
from octoci.normalize import normalize_build_information
from octoci.server import CIServer
from octoci.testing import CIServerContract
from octoci_plugins.bitbucket_pipelines import BitbucketPipelines
from octoci_plugins.bitbucket_pipelines.adapter import env_name, shell_quote

EnvFactory = Callable[..., dict[str, str]]
TOKEN = "ATCTT3xFfGN0bitbucket-repo-token-9271"
BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed")


def sourced(env_file: Path, names: list[str]) -> dict[str, str]:
    """What ``source <env_file>`` sets, read back by bash itself (NUL-separated)."""
    assert BASH is not None
    script = 'source "$1"; shift; for n in "$@"; do printf "%s\\0" "${!n}"; done'
    done = subprocess.run(
        [BASH, "-c", script, "bash", str(env_file), *names],
        capture_output=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    values = done.stdout.decode("utf-8").split("\0")[:-1]
    return dict(zip(names, values, strict=True))


class TestBitbucketContract(CIServerContract):
    server_class = BitbucketPipelines
    variants = ("push", "pull_request", "tag")

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        assert isinstance(server, BitbucketPipelines)
        data: dict[str, str] = json.loads(server.output_files.json_path.read_text("utf-8"))
        if BASH is not None:
            assert sourced(server.env_file, [env_name(n) for n in data]) == {
                env_name(k): v for k, v in data.items()
            }
        return data


def info_for(env: dict[str, str]) -> dict[str, str]:
    server = BitbucketPipelines(env, io.StringIO())
    info = normalize_build_information(server.build_information())
    return {**info.to_octopus(), **info.extra()}


EXPECTED = {
    "push": {
        "BuildNumber": "42",
        "BuildUrl": "https://bitbucket.org/acme/shop/pipelines/results/42",
        "Branch": "main",
        # BITBUCKET_GIT_HTTP_ORIGIN is http://; Octopus needs https for its links.
        "VcsRoot": "https://bitbucket.org/acme/shop",
        "VcsCommitNumber": "9f1c2e0d7b4a5c6e8f9012a3b4c5d6e7f8091a2b",
        "PullRequestNumber": "",
        "Tag": "",
        "JobName": "acme/shop",
    },
    "pull_request": {
        "BuildNumber": "44",
        "Branch": "feature/login",
        "PullRequestNumber": "7",
        "SourceBranch": "feature/login",
        "TargetBranch": "main",
        "HeadCommit": "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f",
        "VcsCommitNumber": "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f",
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0", "PullRequestNumber": ""},
}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_build_information_of_each_recording(ci_env: EnvFactory, variant: str) -> None:
    got = info_for(ci_env("bitbucket_pipelines", variant))
    assert got["BuildEnvironment"] == "Bitbucket Pipelines"
    assert got["VcsType"] == "Git"
    for key, value in EXPECTED[variant].items():
        assert got[key] == value, key


def test_without_the_http_origin_the_url_is_composed(ci_env: EnvFactory) -> None:
    env = ci_env("bitbucket_pipelines", "push")
    del env["BITBUCKET_GIT_HTTP_ORIGIN"], env["BITBUCKET_REPO_FULL_NAME"]
    got = info_for(env)
    assert got["VcsRoot"] == "https://bitbucket.org/acme/shop"
    assert got["BuildUrl"] == "https://bitbucket.org/acme/shop/pipelines/results/42"


def test_a_custom_pipeline_without_a_branch(ci_env: EnvFactory) -> None:
    env = ci_env("bitbucket_pipelines", "push")
    del env["BITBUCKET_BRANCH"]
    got = info_for(env)
    assert (got["Branch"], got["VcsCommitNumber"]) == ("", env["BITBUCKET_COMMIT"])


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"BITBUCKET_BUILD_NUMBER": ""},
        {"BITBUCKET_COMMIT": "9f1c2e0d7b4a"},
        {"BITBUCKET_WORKSPACE": "acme", "CI": "true"},
        {"BUILD_NUMBER": "42"},
    ],
)
def test_no_false_positives(env: dict[str, str]) -> None:
    assert not BitbucketPipelines.detect(env)


def test_artifact_root_is_the_clone_directory(ci_env: EnvFactory) -> None:
    env = ci_env("bitbucket_pipelines", "push")
    assert BitbucketPipelines(env, io.StringIO()).artifact_roots() == [
        Path(env["BITBUCKET_CLONE_DIR"])
    ]


def test_commit_range_of_a_pull_request_for_git(ci_env: EnvFactory) -> None:
    pr = BitbucketPipelines(ci_env("bitbucket_pipelines", "pull_request"), io.StringIO())
    info = normalize_build_information(pr.build_information())
    assert pr.commit_range(info) == "origin/main..3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"
    push = BitbucketPipelines(ci_env("bitbucket_pipelines", "push"), io.StringIO())
    assert push.commit_range(normalize_build_information(push.build_information())) is None


# ---------------------------------------------------------------------- outputs
def test_outputs_are_files_in_the_clone_directory(ci_env: EnvFactory) -> None:
    env = ci_env("bitbucket_pipelines", "push")
    stream = io.StringIO()
    server = BitbucketPipelines(env, stream)
    server.set_output("octoci_release", "1.2.3")
    server.set_output("octoci-release-url", "https://octopus.example/app#/Spaces-1/releases/9")
    clone = Path(env["BITBUCKET_CLONE_DIR"])
    assert json.loads((clone / "octoci-outputs.json").read_text("utf-8")) == {
        "octoci_release": "1.2.3",
        "octoci-release-url": "https://octopus.example/app#/Spaces-1/releases/9",
    }
    env_text = (clone / "octoci-outputs.env").read_text("utf-8")
    assert "export octoci_release='1.2.3'\n" in env_text
    # Not a shell name: written with underscores in the .env file, as is in the JSON.
    assert (
        "export octoci_release_url='https://octopus.example/app#/Spaces-1/releases/9'\n" in env_text
    )
    assert stream.getvalue().count("octoci-outputs.env") == 1
    assert "list them under this step's artifacts" in stream.getvalue()


@needs_bash
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.text(
        st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40
    )
)
def test_any_value_round_trips_through_bash(ci_env: EnvFactory, value: str) -> None:
    server = BitbucketPipelines(ci_env("bitbucket_pipelines", "push"), io.StringIO())
    server.set_output("VALUE", value)
    assert sourced(server.env_file, ["VALUE"]) == {"VALUE": value}


def test_shell_quoting_and_names() -> None:
    assert shell_quote("it's $HOME `x`") == "'it'\\''s $HOME `x`'"
    assert env_name("octoci.release-url") == "octoci_release_url"
    assert env_name("1st") == "_1st"


def test_an_unwritable_output_file_is_one_line_error(ci_env: EnvFactory, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    env = ci_env("bitbucket_pipelines", "push", OCTOCI_OUTPUT_FILE=str(blocker / "out.json"))
    with pytest.raises(OctociError, match=r"the output file .*out\.json") as raised:
        BitbucketPipelines(env, io.StringIO()).set_output("a", "b")
    assert "\n" not in str(raised.value)


# ---------------------------------------------------------------------- OIDC and secrets
def test_the_steps_oidc_token_is_the_id_token(
    ci_env: EnvFactory, caplog: pytest.LogCaptureFixture
) -> None:
    env = ci_env("bitbucket_pipelines", "tag")
    token = env["BITBUCKET_STEP_OIDC_TOKEN"]
    stream = io.StringIO()
    server = BitbucketPipelines(env, stream)
    audience = "ari:cloud:bitbucket::workspace/{5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9}"
    with caplog.at_level(logging.WARNING, logger="octoci"):
        assert server.id_token(audience) == token
    assert caplog.text == ""
    server.write(f"token {token}")
    assert token not in stream.getvalue()


def test_an_oidc_token_for_another_audience_warns_where_to_set_it(
    ci_env: EnvFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server = BitbucketPipelines(ci_env("bitbucket_pipelines", "tag"), io.StringIO())
    with caplog.at_level(logging.WARNING, logger="octoci"):
        server.id_token("Octopus-ServiceAccount-42")
    assert "oidc: audiences:" in caplog.text


def test_no_oidc_token_without_oidc_true(ci_env: EnvFactory) -> None:
    assert (
        BitbucketPipelines(ci_env("bitbucket_pipelines", "push"), io.StringIO()).id_token("x")
        is None
    )


def test_a_malformed_oidc_token_is_one_line_input_error(ci_env: EnvFactory) -> None:
    env = ci_env("bitbucket_pipelines", "push", BITBUCKET_STEP_OIDC_TOKEN="not-a-jwt-value")
    with pytest.raises(InputError, match="BITBUCKET_STEP_OIDC_TOKEN is not a JWT") as raised:
        BitbucketPipelines(env, io.StringIO()).id_token("x")
    assert "not-a-jwt-value" not in str(raised.value)


def test_tokens_are_secrets(ci_env: EnvFactory) -> None:
    env = ci_env("bitbucket_pipelines", "tag", OCTOCI_BITBUCKET_TOKEN=TOKEN)
    server = BitbucketPipelines(env, io.StringIO())
    assert set(server.secrets()) == {TOKEN, env["BITBUCKET_STEP_OIDC_TOKEN"]}
