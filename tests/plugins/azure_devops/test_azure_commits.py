"""Commits of Azure DevOps & TFS builds through the real ``azure-devops`` SDK against a local
server: every page, truncated messages re-read, TFVC changesets, failures and the git fallback."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from octoci.model import BuildInformation
from octoci.normalize import normalize_build_information
from octoci.testing import CliResult
from octoci_plugins._http import CommitSourceError
from octoci_plugins.azure_devops import AzureDevOps

from .conftest import TOKEN, FakeAzureDevOps, change

CiEnv = Callable[..., dict[str, str]]
REPO_ID = "3c1d6b7a-2d7e-4f5b-9a3e-6f8d2b1c0e9a"


def sha(n: int) -> str:
    return f"{n:040x}"


def git_location(server: FakeAzureDevOps, commit_id: str) -> str:
    return f"{server.collection_url}e8b0c6a4/_apis/git/repositories/{REPO_ID}/commits/{commit_id}"


def make(ci_env: CiEnv, variant: str, server: FakeAzureDevOps, **overrides: str) -> AzureDevOps:
    env = ci_env("azure_devops", variant, **{**server.env_overrides(), **overrides})
    return AzureDevOps(env, io.StringIO())


def info_of(adapter: AzureDevOps) -> BuildInformation:
    return normalize_build_information(adapter.build_information())


def test_every_page_of_changes_with_full_messages(
    ci_env: CiEnv, azure_server: FakeAzureDevOps
) -> None:
    first = [change(sha(i), f"Commit {i}") for i in range(300, 100, -1)]  # 200 changes
    truncated = change(
        sha(100),
        "Rework the basket: split the pricing rules into",
        messageTruncated=True,
        location=git_location(azure_server, sha(100)),
    )
    second = [truncated, *(change(sha(i), f"Commit {i}") for i in range(99, 0, -1))]
    azure_server.serve_build_changes(812, [first, second])
    full = "Rework the basket: split the pricing rules into\nseparate modules (AB#4711)"
    azure_server.serve_git_commit(REPO_ID, sha(100), full)
    adapter = make(ci_env, "push", azure_server)
    commits = adapter.commits(info_of(adapter))
    assert commits is not None
    assert len(commits) == 300
    assert [c.id for c in commits[:2]] == [sha(300), sha(299)]  # as the API lists them
    assert commits[200].comment == full
    requested = [
        (r.method, r.path, r.args.get("continuationToken")) for r, _ in azure_server.httpserver.log
    ]
    changes_path = f"{azure_server.collection_path}Online Shop/_apis/build/builds/812/changes"
    assert ("GET", changes_path, None) in requested
    assert ("GET", changes_path, "page-1") in requested
    azure_server.httpserver.check_assertions()


def test_tfvc_changesets_with_a_truncated_comment_re_read(
    ci_env: CiEnv, azure_server: FakeAzureDevOps
) -> None:
    azure_server.project = "Shop"
    azure_server.serve_build_changes(
        5120,
        [
            [
                change("1234", "Fix the invoice total", kind="TfsVersionControl"),
                change(
                    "1230",
                    "Move the tax tables to the",
                    kind="TfsVersionControl",
                    messageTruncated=True,
                ),
            ]
        ],
    )
    azure_server.serve_changeset(1230, "Move the tax tables to the database (AB#99)")
    adapter = make(ci_env, "tfvc", azure_server)
    commits = adapter.commits(info_of(adapter))
    assert [(c.id, c.comment) for c in commits or []] == [
        ("1234", "Fix the invoice total"),
        ("1230", "Move the tax tables to the database (AB#99)"),
    ]


def test_truncated_messages_of_github_repositories_are_kept_with_a_warning(
    ci_env: CiEnv, azure_server: FakeAzureDevOps, caplog: pytest.LogCaptureFixture
) -> None:
    azure_server.serve_build_changes(
        815,
        [[change(sha(1), "A long GitHub message", kind="GitHub", messageTruncated=True)]],
    )
    adapter = make(ci_env, "pull_request", azure_server)
    commits = adapter.commits(info_of(adapter))
    assert [c.comment for c in commits or []] == ["A long GitHub message"]
    assert "truncated" in caplog.text


@pytest.mark.parametrize(("status", "error"), [(401, "AuthenticationError"), (404, "404")])
def test_api_failures_are_commit_source_errors_without_the_token(
    ci_env: CiEnv, azure_server: FakeAzureDevOps, status: int, error: str
) -> None:
    azure_server.httpserver.expect_request(
        f"{azure_server.collection_path}Online Shop/_apis/build/builds/812/changes"
    ).respond_with_data("denied", status=status, content_type="text/plain")
    adapter = make(ci_env, "push", azure_server)
    with pytest.raises(CommitSourceError) as caught:
        adapter.commits(info_of(adapter))
    assert error in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_no_token_means_git_with_one_warning(
    ci_env: CiEnv, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = AzureDevOps(ci_env("azure_devops", "push"), io.StringIO())
    assert adapter.commits(info_of(adapter)) is None
    assert "SYSTEM_ACCESSTOKEN: $(System.AccessToken)" in caplog.text


# ---------------------------------------------------------------------- end to end, via the CLI
def test_info_json_with_commits_from_the_build_changes_api(
    ci_env: CiEnv,
    azure_server: FakeAzureDevOps,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    azure_server.serve_build_changes(
        812,
        [[change(sha(2), "Bump version to 1.4.0")], [change(sha(1), "Add the basket page")]],
    )
    env = ci_env("azure_devops", "push", **azure_server.env_overrides())
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "azure_devops"
    assert data["BuildInformation"] == {
        "BuildEnvironment": "Azure DevOps",
        "BuildNumber": "20261126.3",
        "BuildUrl": f"{azure_server.collection_url}Online%20Shop/_build/results?buildId=812",
        "Branch": "main",
        "VcsType": "Git",
        "VcsRoot": "https://dev.azure.com/acme/Online%20Shop/_git/web",
        "VcsCommitNumber": "9f1c2e0d4b5a6c7d8e9f0a1b2c3d4e5f6a7b8c9d",
        "Commits": [
            {"Id": sha(2), "Comment": "Bump version to 1.4.0"},
            {"Id": sha(1), "Comment": "Add the basket page"},
        ],
    }
    assert data["Extra"]["JobName"] == "shop-ci - Build and test"
    assert result.leaks(TOKEN) == []


def test_info_json_for_tfvc_on_premises(
    ci_env: CiEnv,
    azure_server: FakeAzureDevOps,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    azure_server.project = "Shop"
    azure_server.serve_build_changes(
        5120, [[change("1234", "Fix the invoice total", kind="TfsVersionControl")]]
    )
    env = ci_env("azure_devops", "tfvc", **azure_server.env_overrides())
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    build = json.loads(result.stdout)["BuildInformation"]
    assert build["VcsType"] == "TFVC"
    assert build["Branch"] == "$/Shop/Main"
    assert build["VcsCommitNumber"] == "1234"
    assert build["VcsRoot"] == "http://tfs.acme.local:8080/tfs/DefaultCollection"
    assert build["Commits"] == [{"Id": "1234", "Comment": "Fix the invoice total"}]


def test_info_json_falls_back_to_git_when_the_api_fails_and_strict_fails(
    ci_env: CiEnv,
    azure_server: FakeAzureDevOps,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["one", "two", "three"], tags={0: "v1.3.0"})
    azure_server.httpserver.expect_request(
        f"{azure_server.collection_path}Online Shop/_apis/build/builds/812/changes"
    ).respond_with_data("no", status=401, content_type="text/plain")
    env = ci_env(
        "azure_devops",
        "push",
        **azure_server.env_overrides(),
        BUILD_SOURCEVERSION=run_git(repo, "rev-parse", "HEAD"),
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    commits = json.loads(result.stdout)["BuildInformation"]["Commits"]
    assert [c["Comment"] for c in commits] == ["three", "two"]
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "Azure DevOps build changes API" in warnings[0]
    assert result.leaks(TOKEN) == []

    strict = run_cli("info", "--json", "--strict", env=env, cwd=repo)
    assert strict.exit_code == 1
    assert "Azure DevOps build changes API" in strict.stderr


@pytest.mark.slow
def test_an_unreachable_server_warns_once_and_uses_git(
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["one", "two"], tags={0: "v1.0.0"})
    env = ci_env(
        "azure_devops",
        "push",
        SYSTEM_ACCESSTOKEN=TOKEN,
        # Port 9 (discard) is closed on test machines: the connection is refused.
        SYSTEM_COLLECTIONURI="http://127.0.0.1:9/acme/",
        BUILD_SOURCEVERSION=run_git(repo, "rev-parse", "HEAD"),
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert [c["Comment"] for c in json.loads(result.stdout)["BuildInformation"]["Commits"]] == [
        "two"
    ]
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    # An issue of Azure's (octoci's warnings go through the adapter), once.
    assert warnings == [
        "##vso[task.logissue type=warning;]could not read the commit list from Azure DevOps "
        "(Azure DevOps build changes API: cannot reach http://127.0.0.1:9); using git instead"
    ]
