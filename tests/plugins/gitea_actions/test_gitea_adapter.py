"""Gitea Actions and Forgejo Actions against recorded environments: told apart from GitHub and
from each other, URLs on their own server, commits from the push payload or git, GitHub's files
for outputs and the summary, and their job tokens kept secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from octoci.normalize import normalize_build_information
from octoci.server import CIServer
from octoci.testing import CIServerContract, CliResult
from octoci_plugins.gitea_actions import ForgejoActions, GiteaActions
from octoci_plugins.github_actions import GitHubActions

CiEnv = Callable[..., dict[str, str]]
SHA = "4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071"
PR_HEAD = "8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b"
VARIANTS = ("push", "pull_request", "tag")


def read_output_file(path: Path) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` as the runners read it: ``name=value`` and ``name<<DELIM`` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").split("\n"))
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for value_line in lines:
                if value_line == delimiter:
                    break
                block.append(value_line)
            outputs[name] = "\n".join(block)
        elif line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


class TestGiteaContract(CIServerContract):
    server_class = GiteaActions
    variants: ClassVar[tuple[str, ...]] = VARIANTS

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        return read_output_file(Path(server.env["GITHUB_OUTPUT"]))


class TestForgejoContract(TestGiteaContract):
    server_class = ForgejoActions


def info_for(server_class: type[CIServer], env: dict[str, str]) -> dict[str, str]:
    info = normalize_build_information(server_class(env, io.StringIO()).build_information())
    return {**info.to_octopus(), **info.extra()}


EXPECTED = {
    ("gitea_actions", "push"): {
        "BuildEnvironment": "Gitea Actions",
        "BuildNumber": "311",
        # Current Gitea finds a run by its id first (go-gitea/gitea#38288).
        "BuildUrl": "https://gitea.acme.example/acme/shop/actions/runs/1877",
        "Branch": "main",
        "VcsRoot": "https://gitea.acme.example/acme/shop",
        "VcsCommitNumber": SHA,
    },
    ("gitea_actions", "pull_request"): {
        "Branch": "feature/basket",
        "PullRequestNumber": "9",
        "SourceBranch": "feature/basket",
        "TargetBranch": "main",
        "HeadCommit": PR_HEAD,
    },
    ("gitea_actions", "tag"): {"Branch": "v1.4.0", "Tag": "v1.4.0", "JobName": "CI - release"},
    ("forgejo_actions", "push"): {
        "BuildEnvironment": "Forgejo Actions",
        "BuildNumber": "57",
        # Forgejo serves a run at its number, not its id (runs/90211 is a 404 there).
        "BuildUrl": "https://codeberg.org/acme/shop/actions/runs/57",
        "VcsRoot": "https://codeberg.org/acme/shop",
    },
    ("forgejo_actions", "pull_request"): {"PullRequestNumber": "9", "Branch": "feature/basket"},
    ("forgejo_actions", "tag"): {"Tag": "v1.4.0"},
}
CLASSES: dict[str, type[CIServer]] = {
    "gitea_actions": GiteaActions,
    "forgejo_actions": ForgejoActions,
}


@pytest.mark.parametrize(("server", "variant"), sorted(EXPECTED))
def test_build_information_per_recording(ci_env: CiEnv, server: str, variant: str) -> None:
    info = info_for(CLASSES[server], ci_env(server, variant))
    assert {key: info[key] for key in EXPECTED[server, variant]} == EXPECTED[server, variant]


@pytest.mark.parametrize("server", sorted(CLASSES))
@pytest.mark.parametrize("variant", VARIANTS)
def test_github_steps_aside(ci_env: CiEnv, server: str, variant: str) -> None:
    env = ci_env(server, variant)
    assert not GitHubActions.detect(env)
    other = (CLASSES.keys() - {server}).pop()
    assert not CLASSES[other].detect(env)
    assert CLASSES[server].detect(env)


def test_github_itself_is_still_github(ci_env: CiEnv) -> None:
    env = ci_env("github_actions", "push")
    assert GitHubActions.detect(env)
    assert not GiteaActions.detect(env)
    assert not ForgejoActions.detect(env)


def test_info_json_lists_the_push_payloads_commits(
    ci_env: CiEnv, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    env = ci_env("gitea_actions", "push", OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1")
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "gitea_actions"
    build = data["BuildInformation"]
    assert build["BuildUrl"] == "https://gitea.acme.example/acme/shop/actions/runs/1877"
    assert [c["Comment"] for c in build["Commits"]] == [
        "Fix rounding in totals",
        "Add the basket page",
    ]
    # Only the runner's masking command may carry the token (the runner masks it from then on).
    lines = (result.stdout + result.stderr).splitlines()
    assert all(line.startswith("::add-mask::") for line in lines if env["GITEA_TOKEN"] in line)


def test_info_json_of_a_forgejo_pull_request_reads_git_without_calling_githubs_api(
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    repo = git_repo(["base", "one", "two"])
    base, head = run_git(repo, "rev-parse", "HEAD~2"), run_git(repo, "rev-parse", "HEAD")
    env = ci_env("forgejo_actions", "pull_request", OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1")
    event = Path(env["GITHUB_EVENT_PATH"])
    payload = json.loads(event.read_text(encoding="utf-8"))
    payload["pull_request"]["base"]["sha"], payload["pull_request"]["head"]["sha"] = base, head
    event.write_text(json.dumps(payload), encoding="utf-8")
    # GITHUB_API_URL points nowhere: a call to it would fail and warn.
    env["GITHUB_API_URL"] = "http://127.0.0.1:9/api/v1"
    result = run_cli("info", "--json", env={**env, "GITHUB_SHA": head}, cwd=repo)
    assert result.exit_code == 0, result.stderr
    build = json.loads(result.stdout)["BuildInformation"]
    assert build["BuildEnvironment"] == "Forgejo Actions"
    assert [c["Comment"] for c in build["Commits"]] == ["two", "one"]
    assert "cannot reach" not in result.stderr


def test_outputs_and_summary_go_to_githubs_files(ci_env: CiEnv) -> None:
    server = ForgejoActions(ci_env("forgejo_actions", "push"), io.StringIO())
    server.set_output("RELEASE", "1.4.0")
    server.add_summary("## Released 1.4.0")
    assert read_output_file(Path(server.env["GITHUB_OUTPUT"])) == {"RELEASE": "1.4.0"}
    assert "## Released 1.4.0" in Path(server.env["GITHUB_STEP_SUMMARY"]).read_text("utf-8")


def test_the_job_tokens_are_secrets(ci_env: CiEnv) -> None:
    env = ci_env("forgejo_actions", "push", FORGEJO_TOKEN="forgejo-token-1", GITHUB_TOKEN="gh-2")
    assert set(ForgejoActions(env, io.StringIO()).secrets()) >= {"forgejo-token-1", "gh-2"}


def test_no_token_no_warning_about_githubs_api(
    ci_env: CiEnv, caplog: pytest.LogCaptureFixture
) -> None:
    server = GiteaActions(
        ci_env("gitea_actions", "tag", GITHUB_TOKEN="", GITEA_TOKEN=""), io.StringIO()
    )
    info = normalize_build_information(server.build_information())
    with caplog.at_level(logging.WARNING, logger="octoci"):
        assert server.commits(info) is None
    assert "GITHUB_TOKEN" not in caplog.text
