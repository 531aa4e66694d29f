"""The normalisation rules every build-server adapter shares.

Octopus's own plugins disagree (the GitHub action sends ``refs/pull/2/merge``, the Azure extension
``refs/heads/main``, the Jenkins plugin ``origin/main``), and Octopus builds commit links from
``VcsRoot``, so a root with credentials or in ``git@`` form breaks the links or leaks a token.
octoci applies one convention, whatever the server:

* **VcsRoot**: credentials removed; ``git@host:path``, ``ssh://`` and ``git://`` turned into
  ``https://``; ``.git`` and trailing ``/`` dropped; ``http://bitbucket.org`` upgraded to https.
* **Branch**: no ``refs/heads/``, ``refs/remotes/`` or ``origin/``; for a pull/merge-request build the
  source branch; for a tag build the tag name.
* **VcsType**: ``Git`` or ``TFVC`` for every alias a server uses (``TfsGit``, ``GitHub``,
  ``TfsVersionControl`` ...); an unknown type is kept as given.
* **VcsCommitNumber**: the commit that was built (a pull request's merge commit where the server
  builds one; the head commit is kept separately as ``head_commit``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from octoci.model import BuildInformation, Commit

__all__ = [
    "normalize_branch",
    "normalize_build_information",
    "normalize_vcs_root",
    "normalize_vcs_type",
    "strip_url_credentials",
]

_SCP_FORM = re.compile(r"^(?:(?P<user>[^@/\s]+)@)?(?P<host>[A-Za-z0-9.\-]+):(?!//)(?P<path>.+)$")
_AZURE_SSH_PATH = re.compile(r"^/?v3/(?P<org>[^/]+)/(?P<project>[^/]+)/(?P<repo>[^/]+)$")
# Bitbucket Server / Data Center serves ssh on 7999 and https clones under /scm/.
_BITBUCKET_SERVER_SSH_PORT = 7999

_GIT_ALIASES = {
    "git",
    "tfsgit",
    "github",
    "githubenterprise",
    "bitbucket",
    "bitbucketserver",
    "gitlab",
    "externalgit",
    "azurerepos",
    "azure repos git",
    "codecommit",
}
_TFVC_ALIASES = {"tfvc", "tfsversioncontrol", "tfs"}


def strip_url_credentials(url: str) -> str:
    """``url`` without ``user[:password]@``; anything that is not a URL is returned unchanged.

    >>> strip_url_credentials("https://gitlab-ci-token:s3cr3t@gitlab.com/acme/shop.git")
    'https://gitlab.com/acme/shop.git'
    """
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def normalize_vcs_root(url: str) -> str:
    """A repository URL fit for Octopus's ``VcsRoot``: https, no credentials, no ``.git``.

    >>> normalize_vcs_root("git@github.com:acme/shop.git")
    'https://github.com/acme/shop'
    >>> normalize_vcs_root("https://x-access-token:ghs_123@github.com/acme/shop.git/")
    'https://github.com/acme/shop'
    >>> normalize_vcs_root("git@ssh.dev.azure.com:v3/acme/Shop/web")
    'https://dev.azure.com/acme/Shop/_git/web'
    """
    url = url.strip()
    if not url:
        return ""
    if "://" not in url:
        scp = _SCP_FORM.match(url)
        # "C:/repo" and "C:\repo" are Windows paths, not scp-style hosts.
        if scp is None or len(scp["host"]) == 1:
            return _drop_git_suffix(url)
        url = f"ssh://{scp['host']}/{scp['path'].lstrip('/')}"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    path = parts.path
    port = parts.port if _has_valid_port(parts.netloc) else None
    if scheme in {"ssh", "git", "git+ssh", "ssh+git"}:
        if host == "ssh.dev.azure.com" and (m := _AZURE_SSH_PATH.match(path)):
            host, path = "dev.azure.com", f"/{m['org']}/{m['project']}/_git/{m['repo']}"
        elif host.startswith("vs-ssh.visualstudio.com") and (m := _AZURE_SSH_PATH.match(path)):
            host, path = f"{m['org']}.visualstudio.com", f"/{m['project']}/_git/{m['repo']}"
        elif port == _BITBUCKET_SERVER_SSH_PORT:
            path = "/scm" + path
        scheme, port = "https", None
    elif scheme == "http" and host == "bitbucket.org":
        scheme = "https"
    elif scheme not in {"http", "https"}:
        return _drop_git_suffix(url)
    netloc = host if port is None else f"{host}:{port}"
    return _drop_git_suffix(urlunsplit((scheme, netloc, path, "", "")))


def _has_valid_port(netloc: str) -> bool:
    try:
        urlsplit(f"//{netloc}").port  # noqa: B018 - raises on a bad port
    except ValueError:
        return False
    return True


def _drop_git_suffix(url: str) -> str:
    url = url.rstrip("/")
    if url.endswith(".git"):
        url = url[: -len(".git")].rstrip("/")
    return url


_BRANCH_PREFIXES = ("refs/heads/", "refs/remotes/origin/", "remotes/origin/", "origin/")


def normalize_branch(ref: str) -> str:
    """A branch name without ``refs/heads/`` or ``origin/``; a tag ref becomes the tag name.

    >>> normalize_branch("refs/heads/feature/login")
    'feature/login'
    >>> normalize_branch("origin/main")
    'main'
    >>> normalize_branch("refs/tags/v1.2.0")
    'v1.2.0'
    """
    ref = ref.strip()
    if ref.startswith("refs/tags/"):
        return ref[len("refs/tags/") :]
    # Stripping repeatedly makes the rule idempotent for refs like "refs/remotes/origin/x".
    changed = True
    while changed:
        changed = False
        for prefix in _BRANCH_PREFIXES:
            if ref.startswith(prefix) and len(ref) > len(prefix):
                ref = ref[len(prefix) :]
                changed = True
    return ref


def normalize_vcs_type(vcs_type: str) -> str:
    """``Git`` or ``TFVC`` for the names servers use; an unknown type is returned as given.

    >>> normalize_vcs_type("TfsGit"), normalize_vcs_type("TfsVersionControl"), normalize_vcs_type("")
    ('Git', 'TFVC', 'Git')
    """
    key = vcs_type.strip().lower()
    if not key or key in _GIT_ALIASES:
        return "Git"
    if key in _TFVC_ALIASES:
        return "TFVC"
    return vcs_type.strip()


def _tag_from(ref: str) -> str:
    return ref[len("refs/tags/") :] if ref.startswith("refs/tags/") else ""


def normalize_build_information(info: BuildInformation) -> BuildInformation:
    """Apply every rule of this module to a raw ``BuildInformation``; idempotent.

    Example::

        raw = BuildInformation(branch="refs/heads/main", vcs_root="git@github.com:acme/shop.git")
        normalize_build_information(raw).branch  # 'main'
    """
    tag = (info.tag or _tag_from(info.branch.strip())).strip()
    tag = tag[len("refs/tags/") :] if tag.startswith("refs/tags/") else tag
    source = normalize_branch(info.source_branch) if info.source_branch else ""
    target = normalize_branch(info.target_branch) if info.target_branch else ""
    if info.pull_request_number and source:
        branch = source
    elif tag:
        branch = tag
    else:
        branch = normalize_branch(info.branch)
    seen: set[str] = set()
    commits = []
    for commit in info.commits:
        commit_id = commit.id.strip()
        if commit_id and commit_id not in seen:
            seen.add(commit_id)
            commits.append(Commit(commit_id, commit.comment))
    return info.replace(
        build_environment=info.build_environment.strip(),
        build_number=info.build_number.strip(),
        build_url=strip_url_credentials(info.build_url.strip()),
        branch=branch,
        vcs_type=normalize_vcs_type(info.vcs_type),
        vcs_root=normalize_vcs_root(info.vcs_root),
        vcs_commit_number=info.vcs_commit_number.strip(),
        commits=tuple(commits),
        pull_request_number=info.pull_request_number.strip().lstrip("#"),
        source_branch=source,
        target_branch=target,
        tag=tag,
        head_commit=info.head_commit.strip(),
        job_name=info.job_name.strip(),
    )
