"""The CircleCI adapter against recorded environments: detection, build information, commits from
git, outputs through ``$BASH_ENV`` (read back by bash itself) and OIDC tokens."""

from __future__ import annotations

import base64
import io
import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from octoci.errors import InputError
from octoci.normalize import normalize_build_information
from octoci.server import CIServer
from octoci.testing import CIServerContract, CliResult
from octoci_plugins.circleci import CircleCI
from octoci_plugins.circleci.adapter import pull_request_number
from octoci_plugins.circleci.outputs import export_line

CiEnv = Callable[..., dict[str, str]]
SHA = "5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b"
PR_SHA = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
ORG = "c8f3b0a2-5d1e-4c6f-9a7b-2e4d6f8a0b1c"
BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash reads $BASH_ENV back")


def read_bash_env(path: Path, names: list[str]) -> dict[str, str]:
    """Source ``path`` with bash, as CircleCI does before each step, and print ``names``."""
    assert BASH is not None
    script = 'source "$1"; shift; for n in "$@"; do printf "%s\\0" "${!n-<unset>}"; done'
    done = subprocess.run(
        [BASH, "-c", script, "bash", str(path), *names],
        capture_output=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    return dict(zip(names, done.stdout.decode("utf-8").split("\0")[:-1], strict=True))


@needs_bash
class TestCircleCIContract(CIServerContract):
    server_class = CircleCI
    variants: ClassVar[tuple[str, ...]] = ("push", "pull_request", "fork_pull_request", "tag")

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        return read_bash_env(Path(server.env["BASH_ENV"]), ["octoci_value"])


def info_for(env: dict[str, str]) -> dict[str, str]:
    info = normalize_build_information(CircleCI(env, io.StringIO()).build_information())
    return {**info.to_octopus(), **info.extra()}


EXPECTED = {
    "push": {
        "BuildNumber": "2041",
        "BuildUrl": "https://circleci.com/gh/acme/shop/2041",
        "Branch": "main",
        "VcsRoot": "https://github.com/acme/shop",  # from git@github.com:acme/shop.git
        "VcsCommitNumber": SHA,
        "PullRequestNumber": "",
        "JobName": "build",
    },
    "pull_request": {
        "Branch": "feature/basket",
        "PullRequestNumber": "17",
        "SourceBranch": "feature/basket",
        "TargetBranch": "",  # CircleCI does not say
        "HeadCommit": PR_SHA,
    },
    "fork_pull_request": {"PullRequestNumber": "23", "SourceBranch": "", "Branch": "pull/23"},
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0", "JobName": "release"},
}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_build_information_per_variant(ci_env: CiEnv, variant: str) -> None:
    info = info_for(ci_env("circleci", variant))
    assert (info["BuildEnvironment"], info["VcsType"]) == ("CircleCI", "Git")
    assert {key: info[key] for key in EXPECTED[variant]} == EXPECTED[variant]


@pytest.mark.parametrize(
    ("url", "number"),
    [
        ("https://github.com/acme/shop/pull/17", "17"),
        ("https://bitbucket.org/acme/shop/pull-requests/8", "8"),
        ("https://gitlab.com/acme/shop/-/merge_requests/5/", "5"),
        ("https://github.com/acme/shop/commit/17", ""),
        ("", ""),
    ],
)
def test_pull_request_number_from_the_url(url: str, number: str) -> None:
    assert pull_request_number(url) == number


def test_a_malformed_pr_number_is_an_input_error(ci_env: CiEnv) -> None:
    env = ci_env("circleci", "fork_pull_request", CIRCLE_PULL_REQUEST="", CIRCLE_PR_NUMBER="2x")
    with pytest.raises(InputError, match="CIRCLE_PR_NUMBER"):
        CircleCI(env, io.StringIO()).build_information()


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"CIRCLECI": "false"},
        {"CI": "true", "CIRCLE_SHA1": SHA},
        {"CI": "true", "BUILD_NUMBER": "12", "CIRCLE_BUILD_NUM": "12"},
    ],
)
def test_no_false_positives(env: dict[str, str]) -> None:
    assert not CircleCI.detect(env)


# ---------------------------------------------------------------------------- commits (git)
def test_commit_range_from_the_base_revision(ci_env: CiEnv) -> None:
    env = ci_env("circleci", "push", OCTOCI_BASE_REVISION="a" * 40)
    server = CircleCI(env, io.StringIO())
    info = normalize_build_information(server.build_information())
    assert server.commits(info) is None  # CircleCI has no commit API: git
    assert server.commit_range(info) == f"{'a' * 40}..{SHA}"


def test_commit_range_from_the_legacy_compare_url(ci_env: CiEnv) -> None:
    env = ci_env(
        "circleci",
        "push",
        CIRCLE_COMPARE_URL="https://github.com/acme/shop/compare/1a2b3c4d5e6f...5a4b3c2d1e0f",
    )
    server = CircleCI(env, io.StringIO())
    info = normalize_build_information(server.build_information())
    assert server.commit_range(info) == "1a2b3c4d5e6f..5a4b3c2d1e0f"


def test_without_a_base_revision_one_warning_says_what_to_set(
    ci_env: CiEnv, caplog: pytest.LogCaptureFixture
) -> None:
    server = CircleCI(ci_env("circleci", "push"), io.StringIO())
    info = normalize_build_information(server.build_information())
    with caplog.at_level(logging.WARNING, logger="octoci"):
        assert server.commit_range(info) is None
    assert len(caplog.records) == 1
    assert "pipeline.git.base_revision" in caplog.text


def test_info_json_lists_the_pushed_commits_from_git(
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third"], remote="git@github.com:acme/shop.git")
    base = run_git(repo, "rev-parse", "HEAD~2")
    head = run_git(repo, "rev-parse", "HEAD")
    env = ci_env(
        "circleci",
        "push",
        CIRCLE_SHA1=head,
        OCTOCI_BASE_REVISION=base,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "circleci"
    build = data["BuildInformation"]
    assert (build["BuildEnvironment"], build["VcsCommitNumber"]) == ("CircleCI", head)
    assert [c["Comment"] for c in build["Commits"]] == ["third", "second"]
    assert "warning" not in result.stderr
    # The OIDC tokens in the environment never reach the output.
    assert env["CIRCLE_OIDC_TOKEN_V2"] not in result.stdout + result.stderr


def test_info_json_of_a_tag_build_lists_commits_since_the_previous_tag(
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["one", "two", "three"], tags={0: "v1.3.0", 2: "v1.4.0"})
    env = ci_env(
        "circleci",
        "tag",
        CIRCLE_SHA1=run_git(repo, "rev-parse", "HEAD"),
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    commits = json.loads(result.stdout)["BuildInformation"]["Commits"]
    assert [c["Comment"] for c in commits] == ["three", "two"]
    assert "warning" not in result.stderr  # a tag build needs no base revision


# ---------------------------------------------------------------------------- outputs
@needs_bash
# Each example starts bash: no per-example deadline, which a loaded machine would break.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(alphabet=st.characters(blacklist_characters="\x00", codec="utf-8")))
def test_any_value_reads_back_exactly_through_bash(value: str, tmp_path: Path) -> None:
    path = tmp_path / "bash_env"
    path.write_text(export_line("OCTOCI_RELEASE", value), encoding="utf-8")
    assert read_bash_env(path, ["OCTOCI_RELEASE"]) == {"OCTOCI_RELEASE": value}


@needs_bash
def test_outputs_accumulate_for_later_steps(ci_env: CiEnv) -> None:
    stream = io.StringIO()
    server = CircleCI(ci_env("circleci", "push"), stream)
    server.set_output("RELEASE", "1.4.0")
    server.set_output("NOTES", "it's $HOME and `date`\nline two")
    values = read_bash_env(Path(server.env["BASH_ENV"]), ["RELEASE", "NOTES"])
    assert values == {"RELEASE": "1.4.0", "NOTES": "it's $HOME and `date`\nline two"}
    assert stream.getvalue() == ""


@needs_bash
def test_a_secret_output_reaches_later_steps_but_never_the_log(ci_env: CiEnv) -> None:
    stream = io.StringIO()
    server = CircleCI(ci_env("circleci", "push"), stream)
    access_token = "eyJhbGciOiJSUzI1NiJ9.octopus-access-token"
    server.mask(access_token)  # as octoci login does before setting the output
    server.set_output("OCTOPUS_ACCESS_TOKEN", access_token)
    server.write(f"logged in with {access_token}")
    values = read_bash_env(Path(server.env["BASH_ENV"]), ["OCTOPUS_ACCESS_TOKEN"])
    assert values == {"OCTOPUS_ACCESS_TOKEN": access_token}
    assert access_token not in stream.getvalue()


@pytest.mark.parametrize(("name", "value"), [("release-number", "1"), ("A", "nul\x00")])
def test_outputs_bash_cannot_take_are_input_errors(ci_env: CiEnv, name: str, value: str) -> None:
    server = CircleCI(ci_env("circleci", "push"), io.StringIO())
    with pytest.raises(InputError):
        server.set_output(name, value)


def test_without_bash_env_the_output_is_a_log_line(ci_env: CiEnv) -> None:
    stream = io.StringIO()
    CircleCI(ci_env("circleci", "push", BASH_ENV=""), stream).set_output("RELEASE", "1.4.0")
    assert stream.getvalue() == "octoci output RELEASE=1.4.0\n"


# ---------------------------------------------------------------------------- OIDC
def claims_of(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_the_v2_token_is_preferred_and_masked(ci_env: CiEnv) -> None:
    stream = io.StringIO()
    server = CircleCI(ci_env("circleci", "push"), stream)
    token = server.id_token(ORG)
    assert token == server.env["CIRCLE_OIDC_TOKEN_V2"]
    assert "/vcs-origin/github.com/acme/shop/" in str(claims_of(token)["sub"])
    server.write(f"token={token}")
    assert token not in stream.getvalue()
    assert set(server.secrets()) == {
        server.env["CIRCLE_OIDC_TOKEN"],
        server.env["CIRCLE_OIDC_TOKEN_V2"],
    }


def test_a_token_minted_with_a_custom_audience_wins(ci_env: CiEnv) -> None:
    env = ci_env("circleci", "push")
    custom = env["CIRCLE_OIDC_TOKEN"]
    server = CircleCI({**env, "OCTOCI_ID_TOKEN": custom}, io.StringIO())
    assert server.id_token(ORG) == custom


def test_the_fixed_audience_is_explained_when_it_does_not_match(
    ci_env: CiEnv, caplog: pytest.LogCaptureFixture
) -> None:
    server = CircleCI(ci_env("circleci", "push"), io.StringIO())
    with caplog.at_level(logging.WARNING, logger="octoci"):
        server.id_token("ServiceAccounts-12")
    assert "organization ID" in caplog.text
    assert server.env["CIRCLE_OIDC_TOKEN_V2"] not in caplog.text


def test_no_token_is_none(ci_env: CiEnv) -> None:
    env = ci_env("circleci", "push", CIRCLE_OIDC_TOKEN="", CIRCLE_OIDC_TOKEN_V2="")
    assert CircleCI(env, io.StringIO()).id_token(ORG) is None


def test_detection_imports_nothing_heavy() -> None:
    code = (
        "import sys, octoci_plugins.circleci as c; "
        "assert c.CircleCI.detect({'CIRCLECI': 'true'}); "
        "print(sorted(m for m in ('requests', 'urllib3') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
