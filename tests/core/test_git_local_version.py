from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from octoci.commits import commits_for_build
from octoci.errors import OctociError
from octoci.git import GitError, Repository
from octoci.local import LocalServer
from octoci.model import BuildInformation, CaptureOptions, Commit
from octoci.versioning import branch_label, version_from_git, version_from_tag

MakeRepo = Callable[..., Path]


def test_local_build_information_from_git(git_repo: MakeRepo) -> None:
    repo = git_repo(["one", "two"], remote="git@github.com:acme/shop.git")
    info = LocalServer({}, io.StringIO(), cwd=repo).build_information()
    assert info.build_environment == "Local"
    assert info.branch == "main"
    assert info.build_number == "2"
    assert info.vcs_root == "git@github.com:acme/shop.git"  # raw; the core normalises
    assert info.vcs_commit_number == Repository(repo).head()
    assert info.job_name == "repo"


def test_local_on_a_detached_tag(git_repo: MakeRepo, run_git: Callable[..., str]) -> None:
    repo = git_repo(["one", "two"], tags={1: "v1.0.0"})
    run_git(repo, "checkout", "-q", "v1.0.0")
    info = LocalServer({}, io.StringIO(), cwd=repo).build_information()
    assert (info.branch, info.tag) == ("v1.0.0", "v1.0.0")


def test_local_outside_a_repository(tmp_path: Path) -> None:
    info = LocalServer({}, io.StringIO(), cwd=tmp_path).build_information()
    assert info.vcs_commit_number == ""
    assert info.job_name == tmp_path.name


def test_local_never_claims_an_environment() -> None:
    assert not LocalServer.detect({"CI": "true"})


def test_commits_keep_full_messages(git_repo: MakeRepo) -> None:
    repo = git_repo(["subject\n\nbody line\nwith \x1f odd separators", "second"])
    commits = Repository(repo).commits("HEAD")
    assert [c.comment for c in commits] == [
        "second",
        "subject\n\nbody line\nwith \x1f odd separators",
    ]


def test_git_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(GitError, match=r"git rev-parse failed in .*: fatal"):
        Repository(tmp_path).head()


def options(**kwargs: object) -> CaptureOptions:
    return CaptureOptions(**kwargs)  # type: ignore[arg-type]


def test_fallback_takes_commits_since_previous_tag(git_repo: MakeRepo) -> None:
    repo = git_repo(["a", "b", "c", "d"], tags={1: "v1.0.0"})
    server = LocalServer({}, io.StringIO(), cwd=repo)
    info = server.build_information()
    assert [c.comment for c in commits_for_build(server, info, options())] == ["d", "c"]


def test_fallback_on_a_tag_build_starts_at_the_tag_before(git_repo: MakeRepo) -> None:
    repo = git_repo(["a", "b", "c"], tags={0: "v1.0.0", 2: "v1.1.0"})
    server = LocalServer({}, io.StringIO(), cwd=repo)
    info = server.build_information()
    assert [c.comment for c in commits_for_build(server, info, options())] == ["c", "b"]


def test_explicit_range_and_limit(git_repo: MakeRepo, caplog: pytest.LogCaptureFixture) -> None:
    repo = git_repo(["a", "b", "c", "d"])
    server = LocalServer({}, io.StringIO(), cwd=repo)
    info = server.build_information()
    got = commits_for_build(server, info, options(commit_range="HEAD~3..HEAD", max_commits=2))
    assert [c.comment for c in got] == ["d", "c"]
    assert "more than 2 commits" in caplog.text
    assert commits_for_build(server, info, options(fetch_commits=False)) == []


class ApiServer(LocalServer):
    """A server whose commit API answers, or fails."""

    name = "api"
    failure: OctociError | None = None

    def commits(self, info: BuildInformation) -> list[Commit] | None:
        if self.failure is not None:
            raise self.failure
        return [Commit("api1", "from the API")]


def test_server_api_wins_and_failures_fall_back_with_one_warning(
    git_repo: MakeRepo, caplog: pytest.LogCaptureFixture
) -> None:
    repo = git_repo(["a"])
    server = ApiServer({}, io.StringIO(), cwd=repo)
    info = server.build_information()
    assert commits_for_build(server, info, options()) == [Commit("api1", "from the API")]
    server.failure = OctociError("HTTP 503")
    with caplog.at_level(logging.WARNING, logger="octoci"):
        got = commits_for_build(server, info, options())
    assert [c.comment for c in got] == ["a"]
    assert len(caplog.records) == 1
    assert "HTTP 503" in caplog.text
    with pytest.raises(OctociError, match="HTTP 503"):
        commits_for_build(server, info, options(strict=True))


def test_fallback_outside_git_warns_and_returns_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = LocalServer({}, io.StringIO(), cwd=tmp_path)
    assert commits_for_build(server, BuildInformation(), options()) == []
    assert "not a git repository" in caplog.text


@pytest.mark.parametrize(
    ("tag", "expected"), [("v1.2.3", "1.2.3"), ("1.2.3-rc.1", "1.2.3-rc.1"), ("release", None)]
)
def test_version_from_tag(tag: str, expected: str | None) -> None:
    assert version_from_tag(tag) == expected


@pytest.mark.parametrize(
    ("info", "label"),
    [
        (BuildInformation(branch="main"), "ci"),
        (BuildInformation(branch="feature/Login_page"), "feature-login-page"),
        (BuildInformation(branch="feature/x", pull_request_number="17"), "pr-17"),
        (BuildInformation(branch="123"), "b123"),
    ],
)
def test_branch_label(info: BuildInformation, label: str) -> None:
    assert branch_label(info) == label


def test_versions_from_git(git_repo: MakeRepo, run_git: Callable[..., str]) -> None:
    repo = git_repo(["a", "b", "c"], tags={0: "v1.4.0"})
    on_main = BuildInformation(branch="main")
    assert version_from_git(Repository(repo), on_main) == "1.4.1-ci.2"
    assert version_from_git(Repository(repo), BuildInformation(branch="feat/x")) == "1.4.1-feat-x.2"
    run_git(repo, "tag", "v1.5.0")
    assert version_from_git(Repository(repo), on_main) == "1.5.0"
    assert version_from_git(Repository(repo), BuildInformation(tag="v9.0.0")) == "9.0.0"


def test_version_without_tags_and_after_prerelease_tag(git_repo: MakeRepo) -> None:
    untagged = git_repo(["a", "b"], name="untagged")
    assert version_from_git(Repository(untagged), BuildInformation(branch="main")) == "0.1.0-ci.2"
    pre = git_repo(["a", "b"], tags={0: "2.0.0-beta.1"}, name="pre")
    assert version_from_git(Repository(pre), BuildInformation(branch="main")) == "2.0.0-beta.1.ci.1"


def test_version_outside_git_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(OctociError, match="pass --version"):
        version_from_git(Repository(tmp_path), BuildInformation())


def test_head_state_in_one_call(git_repo: MakeRepo, run_git: Callable[..., str]) -> None:
    repo = git_repo(["a"])
    state = Repository(repo).head_state()
    assert state is not None
    assert (state.toplevel.name, state.shallow, state.branch) == ("repo", False, "main")
    assert state.commit == run_git(repo, "rev-parse", "HEAD")
    run_git(repo, "checkout", "-q", "--detach")
    detached = Repository(repo).head_state()
    assert detached is not None
    assert detached.branch == ""


def test_repository_without_commits(tmp_path: Path, run_git: Callable[..., str]) -> None:
    (tmp_path / "fresh").mkdir()
    run_git(tmp_path / "fresh", "init", "-q", "-b", "trunk")
    state = Repository(tmp_path / "fresh").head_state()
    assert state is not None
    assert (state.commit, state.branch) == ("", "trunk")
    info = LocalServer({}, io.StringIO(), cwd=tmp_path / "fresh").build_information()
    assert (info.branch, info.vcs_commit_number, info.job_name) == ("trunk", "", "fresh")
    assert Repository(tmp_path).head_state() is None
