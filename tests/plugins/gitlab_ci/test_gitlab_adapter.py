"""The GitLab CI adapter against recorded environments: detection, build information, outputs in
the dotenv report, collapsible sections, ID tokens and bad input."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from octoci.errors import InputError
from octoci.normalize import normalize_build_information
from octoci.plugins import create_plugin_manager
from octoci.server import CIServer
from octoci.testing import CIServerContract, CliResult
from octoci_plugins.gitlab_ci import GitLabCI
from octoci_plugins.gitlab_ci.outputs import UnrepresentableValueError, dotenv_line

CiEnv = Callable[..., dict[str, str]]
TOKEN = "glcbt-64_eZ6tLx2qW9rNc4VbP8kA"
SHA = "3f6c1d2e9a8b7c6d5e4f30211a2b3c4d5e6f7a8b"
MERGE = "6d7e8f9012345678a1b2c3d4e5f60718293a4b5c"
MR_HEAD = "c9d8e7f6a5b4c3d2e1f00918273645a6b7c8d9e0"
# GitLab's ESC[0K prefix, the section keyword, a unix time and the name (Ci::Ansi2json::Parser).
SECTION = re.compile(
    r"^\x1b\[0Ksection_(?P<kind>start|end):(?P<time>\d+):(?P<name>[A-Za-z0-9_.\-]+)"
    r"(?P<options>\[[^\]]*\])?\r\x1b\[0K(?P<title>.*)$"
)


# What Ruby's String#strip removes (GitLab strips both sides of each line with it).
RUBY_STRIP = " \t\n\v\f\r\x00"


def read_dotenv(path: Path) -> dict[str, str]:
    """A dotenv report read as GitLab reads it (``/^(.*?)=(.*)$/``, both sides stripped, last
    value wins); any other line makes GitLab refuse the whole report."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").split("\n")[:-1]:
        match = re.match(r"^(.*?)=(.*)$", line)
        assert match, f"GitLab would refuse the report: {line!r}"
        key, value = match.group(1).strip(RUBY_STRIP), match.group(2).strip(RUBY_STRIP)
        assert re.fullmatch(r"[A-Za-z0-9_]+", key), line
        values[key] = value
    return values


class TestGitLabContract(CIServerContract):
    server_class = GitLabCI
    variants: ClassVar[tuple[str, ...]] = ("push", "merge_request", "tag", "credentials_in_url")

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        assert isinstance(server, GitLabCI)
        return read_dotenv(server.dotenv_path)


def info_for(env: dict[str, str]) -> dict[str, str]:
    info = normalize_build_information(GitLabCI(env, io.StringIO()).build_information())
    return {**info.to_octopus(), **info.extra()}


EXPECTED = {
    "push": {
        "BuildNumber": "412",
        "BuildUrl": "https://gitlab.com/acme/shop/-/pipelines/1873400123",
        "Branch": "main",
        "VcsRoot": "https://gitlab.com/acme/shop",
        "VcsCommitNumber": SHA,
        "PullRequestNumber": "",
        "Tag": "",
        "JobName": "build",
    },
    "merge_request": {
        "BuildNumber": "415",
        "Branch": "feature/basket",
        # A merged-results pipeline builds a merge commit; the head of the branch is kept too.
        "VcsCommitNumber": MERGE,
        "HeadCommit": MR_HEAD,
        # The IID users see (!12), not the instance-wide CI_MERGE_REQUEST_ID.
        "PullRequestNumber": "12",
        "SourceBranch": "feature/basket",
        "TargetBranch": "main",
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0", "BuildNumber": "418", "JobName": "release"},
    "credentials_in_url": {
        "VcsRoot": "https://gitlab.acme.test:8443/platform/web/shop",
        "BuildUrl": "https://gitlab.acme.test:8443/platform/web/shop/-/pipelines/5521",
        "Branch": "release/2.0",
        "BuildNumber": "77",
        "JobName": "Release pipeline - package",
    },
}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_build_information_per_variant(ci_env: CiEnv, variant: str) -> None:
    info = info_for(ci_env("gitlab_ci", variant))
    assert info["BuildEnvironment"] == "GitLab CI"
    assert info["VcsType"] == "Git"
    assert {key: info[key] for key in EXPECTED[variant]} == EXPECTED[variant]


def test_a_detached_merge_request_pipeline_builds_the_head(ci_env: CiEnv) -> None:
    env = ci_env(
        "gitlab_ci",
        "merge_request",
        CI_COMMIT_SHA=MR_HEAD,
        CI_MERGE_REQUEST_SOURCE_BRANCH_SHA="",
        CI_MERGE_REQUEST_EVENT_TYPE="detached",
    )
    info = info_for(env)
    assert (info["VcsCommitNumber"], info["HeadCommit"]) == (MR_HEAD, MR_HEAD)


def test_external_pull_request_of_a_github_mirror(ci_env: CiEnv) -> None:
    env = ci_env(
        "gitlab_ci",
        "push",
        CI_PIPELINE_SOURCE="external_pull_request_event",
        CI_COMMIT_BRANCH="",
        CI_EXTERNAL_PULL_REQUEST_IID="31",
        CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME="fix/login",
        CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_NAME="main",
        CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_SHA=SHA,
    )
    info = info_for(env)
    assert (info["PullRequestNumber"], info["Branch"], info["TargetBranch"]) == (
        "31",
        "fix/login",
        "main",
    )


def test_vcs_root_falls_back_to_the_clone_url_without_the_job_token(ci_env: CiEnv) -> None:
    env = ci_env("gitlab_ci", "credentials_in_url", CI_PROJECT_URL="", CI_PIPELINE_URL="")
    info = info_for(env)
    assert info["VcsRoot"] == "https://gitlab.acme.test:8443/platform/web/shop"
    assert info["BuildUrl"] == ""
    assert TOKEN not in json.dumps(info)


def test_build_url_is_composed_when_gitlab_gives_none(ci_env: CiEnv) -> None:
    info = info_for(ci_env("gitlab_ci", "push", CI_PIPELINE_URL=""))
    assert info["BuildUrl"] == "https://gitlab.com/acme/shop/-/pipelines/1873400123"


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"GITLAB_CI": "false"},
        {"CI": "true", "CI_SERVER": "yes"},
        {"CI_JOB_TOKEN": TOKEN, "CI_COMMIT_SHA": SHA},  # variables copied into another CI
        # Jenkins's GitLab plugin sets gitlab* variables, never GITLAB_CI.
        {"JENKINS_URL": "http://jenkins/", "gitlabMergeRequestIid": "3", "BUILD_NUMBER": "7"},
    ],
)
def test_no_false_positives(env: dict[str, str]) -> None:
    assert not GitLabCI.detect(env)


def test_detection_does_not_import_requests() -> None:
    code = (
        "import sys, octoci_plugins.gitlab_ci as g; "
        "assert g.GitLabCI.detect({'GITLAB_CI': 'true'}); "
        "print(sorted(m for m in ('requests', 'urllib3') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_secrets_declared_for_the_run(ci_env: CiEnv) -> None:
    env = ci_env("gitlab_ci", "push", OCTOCI_GITLAB_TOKEN="glpat-1234567890abcdef")
    assert set(GitLabCI(env, io.StringIO()).secrets()) == {TOKEN, "glpat-1234567890abcdef"}


def test_the_job_token_never_reaches_the_cli_output(
    ci_env: CiEnv, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    env = ci_env("gitlab_ci", "credentials_in_url", OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1")
    result = run_cli("info", "--json", "--no-commits", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "gitlab_ci"
    assert data["BuildInformation"]["VcsRoot"] == "https://gitlab.acme.test:8443/platform/web/shop"
    assert TOKEN not in result.stdout + result.stderr


def test_non_utf8_variable_through_the_cli_exits_2(
    ci_env: CiEnv, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    env = ci_env("gitlab_ci", "push", CI_COMMIT_BRANCH="caf\udce9")
    result = run_cli("info", "--json", "--no-commits", env=env, cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.count("error") == 1
    assert "CI_COMMIT_BRANCH is not valid UTF-8" in result.stderr


# ---------------------------------------------------------------------------- dotenv outputs
def make(ci_env: CiEnv, variant: str = "push", **overrides: str) -> tuple[GitLabCI, io.StringIO]:
    """The adapter as octoci creates it (its secrets masked), and what it writes."""
    stream = io.StringIO()
    pm = create_plugin_manager(load_entrypoints=False)
    server = pm.select_server(ci_env("gitlab_ci", variant, **overrides), stream, name="gitlab_ci")
    assert isinstance(server, GitLabCI)
    return server, stream


def test_outputs_accumulate_in_the_dotenv_report(ci_env: CiEnv) -> None:
    server, stream = make(ci_env)
    server.set_output("RELEASE", "1.4.0")
    server.set_output("DEPLOYMENT_URL", "https://octopus.acme.test/app#/Spaces-1/tasks?a=b=c")
    server.set_output("RELEASE", "1.4.1")
    assert server.dotenv_path == Path(server.env["CI_PROJECT_DIR"]) / "octoci.env"
    assert read_dotenv(server.dotenv_path) == {
        "RELEASE": "1.4.1",
        "DEPLOYMENT_URL": "https://octopus.acme.test/app#/Spaces-1/tasks?a=b=c",
    }
    assert stream.getvalue() == ""


def test_the_report_path_can_be_chosen(ci_env: CiEnv, tmp_path: Path) -> None:
    server, _ = make(ci_env, OCTOCI_DOTENV_FILE="reports/deploy.env")
    server.set_output("RELEASE", "1.4.0")
    assert (Path(server.env["CI_PROJECT_DIR"]) / "reports" / "deploy.env").is_file()
    absolute = tmp_path / "elsewhere.env"
    server, _ = make(ci_env, OCTOCI_DOTENV_FILE=str(absolute))
    server.set_output("RELEASE", "1.4.0")
    assert read_dotenv(absolute) == {"RELEASE": "1.4.0"}


@given(value=st.text(st.characters(codec="utf-8")))
def test_a_value_is_either_read_back_exactly_or_refused(value: str) -> None:
    try:
        line = dotenv_line("OCTOCI_VALUE", value)
    except UnrepresentableValueError:
        assert value != value.strip() or any(ch in value for ch in "\n\r\x00")
        return
    match = re.match(r"^(.*?)=(.*)$", line)
    assert match is not None
    assert "\n" not in line
    key, read = match.group(1).strip(RUBY_STRIP), match.group(2).strip(RUBY_STRIP)
    assert (key, read) == ("OCTOCI_VALUE", value)


@pytest.mark.parametrize("value", ["two\nlines", " padded", "ends with a blank "])
def test_values_gitlab_cannot_carry_go_to_the_log_with_a_warning(
    ci_env: CiEnv, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    server, stream = make(ci_env)
    with caplog.at_level(logging.WARNING, logger="octoci"):
        server.set_output("NOTES", value)
    assert not server.dotenv_path.exists()
    assert len(caplog.records) == 1
    assert "NOTES" in caplog.records[0].getMessage()
    assert stream.getvalue().startswith("octoci output NOTES=")


def test_the_report_stays_under_gitlabs_size_limit(
    ci_env: CiEnv, caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = make(ci_env)
    server.set_output("A", "x" * 3000)
    with caplog.at_level(logging.WARNING, logger="octoci"):
        server.set_output("B", "y" * 3000)
    assert "5120 bytes" in caplog.text
    assert set(read_dotenv(server.dotenv_path)) == {"A"}


@pytest.mark.parametrize("name", ["release-number", "a b", "", "caf\u00e9"])
def test_output_names_gitlab_refuses_are_input_errors(ci_env: CiEnv, name: str) -> None:
    server, _ = make(ci_env)
    with pytest.raises(InputError, match="letters, digits and '_'"):
        server.set_output(name, "1")


def test_a_secret_is_kept_out_of_the_report_with_a_warning(
    ci_env: CiEnv, caplog: pytest.LogCaptureFixture
) -> None:
    server, stream = make(ci_env)
    access_token = "eyJhbGciOiJSUzI1NiJ9.octopus-access-token"
    server.mask(access_token)
    server.set_output("RELEASE", "1.4.0")
    with caplog.at_level(logging.WARNING, logger="octoci"):
        server.set_output("access_token", access_token)
        server.set_output("CLONE", f"https://gitlab-ci-token:{TOKEN}@gitlab.com/acme/shop.git")
    assert read_dotenv(server.dotenv_path) == {"RELEASE": "1.4.0"}
    assert [r.getMessage().split()[1] for r in caplog.records] == ["access_token", "CLONE"]
    assert access_token not in caplog.text + stream.getvalue()
    assert TOKEN not in caplog.text + stream.getvalue()


# ---------------------------------------------------------------------------- sections
def sections(text: str) -> list[dict[str, str]]:
    found = []
    for line in text.split("\n"):
        if match := SECTION.match(line):
            found.append(match.groupdict())
    return found


def test_groups_are_collapsible_sections_that_nest(ci_env: CiEnv) -> None:
    server, stream = make(ci_env)
    before = int(time.time())
    with server.group("Pushing packages"):
        server.write("inside")
        with server.group(f"Build information\nfor {TOKEN}"):
            server.write("deeper")
    found = sections(stream.getvalue())
    assert [(s["kind"], s["name"]) for s in found] == [
        ("start", "octoci_1"),
        ("start", "octoci_2"),
        ("end", "octoci_2"),
        ("end", "octoci_1"),
    ]
    assert found[0]["title"] == "Pushing packages"
    assert found[1]["title"] == "Build information for ***"  # one line, token masked
    assert all(int(s["time"]) >= before for s in found)
    assert "inside\n" in stream.getvalue()


def test_the_summary_is_a_section_of_the_log(ci_env: CiEnv) -> None:
    server, stream = make(ci_env)
    server.add_summary("## Octopus Deploy\n\nRelease **1.4.0** created")
    found = sections(stream.getvalue())
    assert [s["kind"] for s in found] == ["start", "end"]
    assert "Release **1.4.0** created" in stream.getvalue()


# ---------------------------------------------------------------------------- ID tokens
def jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


ID_TOKEN = jwt(
    {
        "iss": "https://gitlab.com",
        "aud": "ServiceAccounts-12",
        "sub": "project_path:acme/shop:ref_type:branch:ref:main",
        "exp": 4102444800,
    }
)


def test_id_token_from_the_declared_variable_is_masked(ci_env: CiEnv) -> None:
    server, stream = make(ci_env, OCTOCI_ID_TOKEN=ID_TOKEN)
    assert server.id_token("ServiceAccounts-12") == ID_TOKEN
    server.write(f"token {ID_TOKEN}")
    assert ID_TOKEN not in stream.getvalue()


def test_id_token_variable_name_is_configurable(ci_env: CiEnv) -> None:
    server, _ = make(ci_env, OCTOCI_ID_TOKEN_VARIABLE="OCTOPUS_JWT", OCTOPUS_JWT=ID_TOKEN)
    assert server.id_token("ServiceAccounts-12") == ID_TOKEN
    assert ID_TOKEN in server.secrets()


def test_no_id_token_declared_is_none(ci_env: CiEnv) -> None:
    server, _ = make(ci_env)
    assert server.id_token("ServiceAccounts-12") is None


def test_a_named_variable_that_is_missing_is_an_input_error(ci_env: CiEnv) -> None:
    server, _ = make(ci_env, OCTOCI_ID_TOKEN_VARIABLE="OCTOPUS_JWT")
    with pytest.raises(InputError, match="declare it under 'id_tokens:'"):
        server.id_token("ServiceAccounts-12")
    server, _ = make(ci_env, OCTOCI_ID_TOKEN_VARIABLE="not a name")
    with pytest.raises(InputError, match="is not a variable name"):
        server.id_token("ServiceAccounts-12")


def test_the_wrong_audience_is_a_warning_naming_the_yaml(
    ci_env: CiEnv, caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = make(ci_env, OCTOCI_ID_TOKEN=ID_TOKEN)
    with caplog.at_level(logging.WARNING, logger="octoci"):
        assert server.id_token("ServiceAccounts-99") == ID_TOKEN
    assert "id_tokens:" in caplog.text
    assert ID_TOKEN not in caplog.text


def test_a_token_that_is_not_a_jwt_is_an_input_error(ci_env: CiEnv) -> None:
    server, _ = make(ci_env, OCTOCI_ID_TOKEN="not-a-jwt-at-all")
    with pytest.raises(InputError, match="not a JWT") as caught:
        server.id_token("ServiceAccounts-12")
    assert "not-a-jwt-at-all" not in str(caught.value)


def test_artifact_root_is_the_project_directory(ci_env: CiEnv) -> None:
    server, _ = make(ci_env)
    assert server.artifact_roots() == [Path(server.env["CI_PROJECT_DIR"])]
