from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from octoci.model import BuildInformation, Commit
from octoci.normalize import (
    normalize_branch,
    normalize_build_information,
    normalize_vcs_root,
    normalize_vcs_type,
    strip_url_credentials,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://github.com/acme/shop.git", "https://github.com/acme/shop"),
        ("https://github.com/acme/shop/", "https://github.com/acme/shop"),
        ("git@github.com:acme/shop.git", "https://github.com/acme/shop"),
        ("ssh://git@github.com/acme/shop.git", "https://github.com/acme/shop"),
        ("ssh://git@github.com:22/acme/shop.git", "https://github.com/acme/shop"),
        ("git://github.com/acme/shop.git", "https://github.com/acme/shop"),
        (
            "https://gitlab-ci-token:glcbt-SECRET@gitlab.com/acme/shop.git",
            "https://gitlab.com/acme/shop",
        ),
        ("https://x-access-token:ghs_S3CRET@github.com/acme/shop", "https://github.com/acme/shop"),
        (
            "https://acme@dev.azure.com/acme/Shop/_git/web",
            "https://dev.azure.com/acme/Shop/_git/web",
        ),
        ("git@ssh.dev.azure.com:v3/acme/Shop/web", "https://dev.azure.com/acme/Shop/_git/web"),
        (
            "acme@vs-ssh.visualstudio.com:v3/acme/Shop/web",
            "https://acme.visualstudio.com/Shop/_git/web",
        ),
        ("http://bitbucket.org/acme/shop", "https://bitbucket.org/acme/shop"),
        (
            "ssh://git@bitbucket.acme.local:7999/proj/shop.git",
            "https://bitbucket.acme.local/scm/proj/shop",
        ),
        ("http://tfs.acme.local:8080/tfs/Default/", "http://tfs.acme.local:8080/tfs/Default"),
        ("HTTPS://GitHub.com/acme/shop", "https://github.com/acme/shop"),
        ("", ""),
        ("/home/me/shop/.git", "/home/me/shop"),
        ("C:/work/shop.git", "C:/work/shop"),
    ],
)
def test_vcs_root(raw: str, expected: str) -> None:
    assert normalize_vcs_root(raw) == expected


def test_strip_credentials_leaves_non_urls_alone() -> None:
    assert strip_url_credentials("git@github.com:a/b") == "git@github.com:a/b"


hosts = st.from_regex(r"[a-z][a-z0-9]{0,10}(\.[a-z]{2,5}){1,2}", fullmatch=True)
segments = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,12}", fullmatch=True)
secrets = st.from_regex(r"[A-Za-z0-9_\-]{4,20}", fullmatch=True)


@st.composite
def repo_urls(draw: st.DrawFn) -> tuple[str, str]:
    """A repository URL in any of the forms servers use, and the host it lives on."""
    host = draw(hosts)
    path = "/".join(draw(st.lists(segments, min_size=1, max_size=3)))
    suffix = draw(st.sampled_from(["", ".git", "/", ".git/"]))
    form = draw(st.sampled_from(["https", "https-creds", "scp", "ssh", "ssh-port", "http"]))
    user, secret = draw(segments), draw(secrets)
    url = {
        "https": f"https://{host}/{path}{suffix}",
        "https-creds": f"https://{user}:{secret}@{host}/{path}{suffix}",
        "scp": f"git@{host}:{path}{suffix}",
        "ssh": f"ssh://git@{host}/{path}{suffix}",
        "ssh-port": f"ssh://git@{host}:2222/{path}{suffix}",
        "http": f"http://{user}@{host}/{path}{suffix}",
    }[form]
    return url, host


@given(repo_urls())
def test_vcs_root_properties(case: tuple[str, str]) -> None:
    url, host = case
    root = normalize_vcs_root(url)
    assert "@" not in root, "credentials or user info left in VcsRoot"
    assert not root.endswith((".git", "/"))
    assert root.startswith(("https://", "http://"))
    assert root.split("/")[2].split(":")[0] == host
    assert normalize_vcs_root(root) == root, "not idempotent"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("refs/heads/main", "main"),
        ("refs/heads/feature/login", "feature/login"),
        ("origin/main", "main"),
        ("refs/remotes/origin/release/1.0", "release/1.0"),
        ("remotes/origin/dev", "dev"),
        ("refs/tags/v1.2.3", "v1.2.3"),
        ("main", "main"),
        ("origin", "origin"),
    ],
)
def test_branch(raw: str, expected: str) -> None:
    assert normalize_branch(raw) == expected


branch_names = st.from_regex(r"[a-z][a-z0-9\-]{0,8}(/[a-z0-9][a-z0-9\-]{0,8}){0,2}", fullmatch=True)


@given(branch_names, st.sampled_from(["", "refs/heads/", "origin/", "refs/remotes/origin/"]))
def test_branch_properties(name: str, prefix: str) -> None:
    normalized = normalize_branch(prefix + name)
    assert not normalized.startswith(("refs/", "origin/")) or name.startswith("origin/")
    assert normalize_branch(normalized) == normalized


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("TfsGit", "Git"),
        ("GitHub", "Git"),
        ("git", "Git"),
        ("Bitbucket", "Git"),
        ("", "Git"),
        ("TfsVersionControl", "TFVC"),
        ("tfvc", "TFVC"),
        ("Subversion", "Subversion"),
    ],
)
def test_vcs_type(raw: str, expected: str) -> None:
    assert normalize_vcs_type(raw) == expected


def test_pull_request_build_uses_source_branch() -> None:
    info = normalize_build_information(
        BuildInformation(
            branch="refs/pull/12/merge",
            pull_request_number="#12",
            source_branch="refs/heads/feature/x",
            target_branch="refs/heads/main",
            vcs_commit_number="merge-sha",
            head_commit="head-sha",
        )
    )
    assert info.branch == "feature/x"
    assert info.target_branch == "main"
    assert info.pull_request_number == "12"
    assert info.vcs_commit_number == "merge-sha", "VcsCommitNumber is the commit that was built"
    assert info.head_commit == "head-sha"


def test_tag_build_uses_tag_name() -> None:
    info = normalize_build_information(BuildInformation(branch="refs/tags/v2.0.0"))
    assert (info.branch, info.tag) == ("v2.0.0", "v2.0.0")
    explicit = normalize_build_information(BuildInformation(branch="main", tag="refs/tags/v3"))
    assert (explicit.branch, explicit.tag) == ("v3", "v3")


def test_commits_deduplicated_in_order_and_build_url_without_credentials() -> None:
    info = normalize_build_information(
        BuildInformation(
            build_url="https://user:token@ci.example.com/job/1",
            commits=(Commit(" a ", "1"), Commit("b", "2"), Commit("a", "dup"), Commit("", "x")),
        )
    )
    assert [c.id for c in info.commits] == ["a", "b"]
    assert info.build_url == "https://ci.example.com/job/1"


@given(
    st.builds(
        BuildInformation,
        branch=st.sampled_from(["refs/heads/main", "origin/dev", "refs/tags/v1", "x"]),
        vcs_root=st.sampled_from(["git@github.com:a/b.git", "https://u:p@h.io/a/b/", ""]),
        vcs_type=st.sampled_from(["TfsGit", "tfvc", "", "Other"]),
        pull_request_number=st.sampled_from(["", "7"]),
        source_branch=st.sampled_from(["", "refs/heads/feat"]),
    )
)
def test_normalization_is_idempotent(info: BuildInformation) -> None:
    once = normalize_build_information(info)
    assert normalize_build_information(once) == once
