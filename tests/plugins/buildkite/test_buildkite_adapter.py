"""Buildkite against recorded environments: detection, build information, and meta-data,
annotations, redaction and OIDC through a stand-in ``buildkite-agent`` on PATH that keeps what
it is told (meta-data read back with its ``get``)."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
from pytest_httpserver import HTTPServer
from tests.plugins.shared.git_commits import commits_from_git_test

from octoci.server import CIServer
from octoci.testing import CIServerContract, CliResult, fields_per_variant_test
from octoci_plugins.buildkite import Buildkite

CiEnv = Callable[..., dict[str, str]]
SHA = "2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"
PRSHA = "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3"
FAKE_AGENT = """\
import json, sys
from pathlib import Path
state = Path(__file__).with_name("agent-state.json")
data = json.loads(state.read_text()) if state.exists() else {"meta": {}, "calls": []}
args = sys.argv[1:]
stdin = sys.stdin.read()
data["calls"].append([args, stdin])
if args[:2] == ["meta-data", "set"]:
    data["meta"][args[2]] = args[3] if len(args) > 3 else stdin
elif args[:2] == ["meta-data", "get"]:
    sys.stdout.write(data["meta"][args[2]])
elif args[:2] == ["oidc", "request-token"]:
    sys.stdout.write("eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ" + args[3] + "In0.sig\\n")
state.write_text(json.dumps(data))
"""


@pytest.fixture
def agent_env(ci_env: CiEnv, tmp_path: Path) -> Callable[..., dict[str, str]]:
    """A recording with a stand-in ``buildkite-agent`` first on PATH."""
    bin_dir = tmp_path / "agent-bin"
    bin_dir.mkdir()
    script = bin_dir / "agent.py"
    script.write_text(FAKE_AGENT, encoding="utf-8")
    launcher = bin_dir / "buildkite-agent"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)

    def load(variant: str = "push", **overrides: str) -> dict[str, str]:
        path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
        return ci_env("buildkite", variant, PATH=path, **overrides)

    return load


def agent_state(server: CIServer) -> dict[str, object]:
    path = Path(server.env["PATH"].split(os.pathsep)[0]) / "agent-state.json"
    return (
        dict(json.loads(path.read_text(encoding="utf-8")))
        if path.exists()
        else {"meta": {}, "calls": []}
    )


needs_sh = pytest.mark.skipif(os.name == "nt", reason="the stand-in agent is a shell launcher")


class TestBuildkiteContract(CIServerContract):
    server_class = Buildkite
    variants: ClassVar[tuple[str, ...]] = ("push", "pull_request", "tag", "windows")


EXPECTED = {
    "push": {
        "BuildEnvironment": "Buildkite",
        "BuildNumber": "1024",
        "BuildUrl": "https://buildkite.com/acme/shop/builds/1024",
        "Branch": "main",
        "VcsRoot": "https://github.com/acme/shop",
        "VcsCommitNumber": SHA,
        "PullRequestNumber": "",
        "JobName": ":package: Package",
    },
    "pull_request": {
        "Branch": "feature/basket",
        "PullRequestNumber": "31",
        "SourceBranch": "feature/basket",
        "TargetBranch": "main",
        "HeadCommit": PRSHA,
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0"},
    "windows": {"Branch": "main", "BuildNumber": "1024"},
}


test_build_information_per_variant = fields_per_variant_test("buildkite", EXPECTED)
test_info_json_reads_git_since_the_base_revision = commits_from_git_test(
    "buildkite",
    {"BUILDKITE_COMMIT": "{HEAD}", "OCTOCI_BASE_REVISION": "{HEAD~2}"},
    ["third", "second"],
    secrets=("BUILDKITE_AGENT_ACCESS_TOKEN",),
    remote="git@github.com:acme/shop.git",
)


@needs_sh
def test_outputs_are_meta_data_and_secrets_are_redacted(
    agent_env: Callable[..., dict[str, str]],
) -> None:
    stream = io.StringIO()
    server = Buildkite(agent_env(), stream)
    server.set_output("RELEASE", "1.4.0")
    server.set_output("NOTES", "two\nlines")
    token = "octopus-access-token-4711"
    server.mask(token)
    server.set_output("OCTOPUS_ACCESS_TOKEN", token)
    state = agent_state(server)
    assert state["meta"] == {"RELEASE": "1.4.0", "NOTES": "two\nlines"}
    assert [["redactor", "add"], token] in state["calls"]
    assert token not in stream.getvalue()


@needs_sh
def test_annotations_summary_and_oidc(agent_env: Callable[..., dict[str, str]]) -> None:
    server = Buildkite(agent_env(), io.StringIO())
    server.annotate("warning", "package is large", file="shop.nupkg")
    server.add_summary("## Released 1.4.0")
    token = server.id_token("ServiceAccounts-12")
    calls = agent_state(server)["calls"]
    assert isinstance(calls, list)
    assert [c[0][:3] for c in calls[:2]] == [
        ["annotate", "--style", "warning"],
        ["annotate", "--style", "info"],
    ]
    assert calls[1][1] == "## Released 1.4.0"
    assert token is not None
    assert calls[-2][0] == ["oidc", "request-token", "--audience", "ServiceAccounts-12"]


def test_without_the_agent_outputs_are_log_lines(ci_env: CiEnv, tmp_path: Path) -> None:
    stream = io.StringIO()
    Buildkite(ci_env("buildkite", "push", PATH=str(tmp_path)), stream).set_output(
        "RELEASE", "1.4.0"
    )
    assert stream.getvalue() == "octoci output RELEASE=1.4.0\n"


# ---------------------------------------------------------------- commits since the last pass
API_TOKEN = "bkua_6f2e0c1d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"


def api_build(number: int, commit: str, state: str = "passed") -> dict[str, object]:
    """One build as Buildkite's REST API lists it (the fields octoci reads, and some others)."""
    return {
        "id": f"0190b2c4-{number:04d}-4f70-8a9b-0c1d2e3f4a5b",
        "url": f"https://api.buildkite.com/v2/organizations/acme/pipelines/shop/builds/{number}",
        "web_url": f"https://buildkite.com/acme/shop/builds/{number}",
        "number": number,
        "state": state,
        "blocked": False,
        "message": f"Build {number}",
        "commit": commit,
        "branch": "main",
        "source": "webhook",
        "created_at": "2026-11-26T10:00:00.000Z",
    }


def commits_env(
    ci_env: CiEnv, httpserver: HTTPServer, repo_head: str, **overrides: str
) -> dict[str, str]:
    return ci_env(
        "buildkite",
        "push",
        BUILDKITE_COMMIT=repo_head,
        OCTOCI_BUILDKITE_API_URL=httpserver.url_for("/v2"),
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
        **{"OCTOCI_BUILDKITE_TOKEN": API_TOKEN, **overrides},
    )


def test_info_json_lists_the_commits_since_the_previous_passed_build(
    ci_env: CiEnv,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third", "fourth"], tags={0: "v1.0.0"})
    passed, head = run_git(repo, "rev-parse", "HEAD~2"), run_git(repo, "rev-parse", "HEAD")
    httpserver.expect_request(
        "/v2/organizations/acme/pipelines/shop/builds",
        method="GET",
        headers={"Authorization": f"Bearer {API_TOKEN}"},
        query_string={"branch": "main", "state": "passed", "per_page": "30"},
    ).respond_with_json(
        # Newest first: this build (a retry that passed earlier) and one of the same commit
        # are stepped over.
        [api_build(1024, head), api_build(1023, head), api_build(1019, passed)]
    )
    result = run_cli("info", "--json", env=commits_env(ci_env, httpserver, head), cwd=repo)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [c["Comment"] for c in data["BuildInformation"]["Commits"]] == ["fourth", "third"]
    assert result.leaks(API_TOKEN) == []
    assert "Buildkite" not in result.stderr  # no warning: the API answered
    httpserver.check_assertions()


def test_without_a_token_one_warning_and_the_commits_since_the_previous_tag(
    ci_env: CiEnv,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third"], tags={0: "v1.0.0"})
    head = run_git(repo, "rev-parse", "HEAD")
    env = commits_env(ci_env, httpserver, head, OCTOCI_BUILDKITE_TOKEN="")
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [c["Comment"] for c in data["BuildInformation"]["Commits"]] == ["third", "second"]
    assert result.stderr.count("no OCTOCI_BUILDKITE_TOKEN") == 1
    assert httpserver.log == []


def test_a_refused_token_warns_and_falls_back_to_git(
    ci_env: CiEnv,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["first", "second", "third"], tags={1: "v1.0.0"})
    head = run_git(repo, "rev-parse", "HEAD")
    httpserver.expect_request("/v2/organizations/acme/pipelines/shop/builds").respond_with_json(
        {"message": "Authentication required"}, status=401
    )
    result = run_cli("info", "--json", env=commits_env(ci_env, httpserver, head), cwd=repo)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [c["Comment"] for c in data["BuildInformation"]["Commits"]] == ["third"]
    assert "refused the credential (HTTP 401)" in result.stderr
    assert result.leaks(API_TOKEN) == []
