"""The Bitbucket Cloud API through atlassian-python-api's ``Cloud`` client, against a local server
answering as Bitbucket's REST reference shows (repository, pipelines and commits endpoints), and
``octoci info`` end to end."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from octoci.testing import CliResult
from octoci_plugins._http import CommitSourceError
from octoci_plugins.bitbucket_pipelines.commits import commits_between, previous_successful_commit

EnvFactory = Callable[..., dict[str, str]]
TOKEN = "ATCTT3xFfGN0bitbucket-repo-token-9271"

#: A small history: main C1..C5 (C5 = the push recording's commit), a tag commit T on C5, and
#: feature/login F1, F2 (F2 = the pull-request recording's commit) branched from C3.
C1, C2, C3, C4 = (f"{n}" * 40 for n in "1234")
C5 = "9f1c2e0d7b4a5c6e8f9012a3b4c5d6e7f8091a2b"
T = "5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081"
F1 = "f1" * 20
F2 = "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"
PARENTS = {C1: [], C2: [C1], C3: [C2], C4: [C3], C5: [C4], T: [C5], F1: [C3], F2: [F1]}
#: Newest first, the order Bitbucket lists commits in.
ORDER = [T, F2, F1, C5, C4, C3, C2, C1]
MESSAGES = {sha: f"Commit {sha[:4]}\n\nBody of {sha[:4]}\n" for sha in ORDER}
BRANCHES = {"main": C5, "feature/login": F2}


def pipeline(
    number: int, ref: str, sha: str, result: str = "SUCCESSFUL", ref_type: str = "branch"
) -> dict[str, Any]:
    state: dict[str, Any] = {"name": "COMPLETED", "type": "pipeline_state_completed"}
    state["result"] = {"name": result, "type": f"pipeline_state_completed_{result.lower()}"}
    if result == "IN_PROGRESS":
        state = {"name": "IN_PROGRESS", "type": "pipeline_state_in_progress"}
    target: dict[str, Any] = {
        "type": "pipeline_ref_target",
        "ref_type": ref_type,
        "ref_name": ref,
        "commit": {"type": "commit", "hash": sha},
        "selector": {"type": "branches" if ref_type == "branch" else "tags", "pattern": ref},
    }
    if ref_type == "pullrequest":
        target = {
            "type": "pipeline_pullrequest_target",
            "source": ref,
            "destination": "main",
            "commit": {"type": "commit", "hash": sha},
            "pullrequest": {"type": "pullrequest", "id": 7},
        }
    return {
        "type": "pipeline",
        "uuid": f"{{00000000-0000-4000-8000-{number:012d}}}",
        "build_number": number,
        "created_on": f"2026-11-{number % 28 + 1:02d}T05:00:00.000000+00:00",
        "state": state,
        "target": target,
        "trigger": {"type": "pipeline_trigger_push", "name": "PUSH"},
    }


class BitbucketApi:
    """Answers ``/2.0/repositories/acme/shop[/pipelines/|/commits/]`` and records the requests."""

    def __init__(self, httpserver: HTTPServer, pipelines: list[dict[str, Any]]) -> None:
        self.base = httpserver.url_for("/2.0").rstrip("/")
        self.pipelines = sorted(pipelines, key=lambda p: -int(p["build_number"]))
        self.requests: list[Request] = []
        self.status = 200
        repo = "/2.0/repositories/acme/shop"
        httpserver.expect_request(repo).respond_with_handler(self.repository)
        httpserver.expect_request(f"{repo}/pipelines/").respond_with_handler(self.list_pipelines)
        httpserver.expect_request(f"{repo}/commits/").respond_with_handler(self.commits)

    def _json(self, request: Request, body: Any) -> Response:
        self.requests.append(request)
        if self.status != 200:
            error = {"type": "error", "error": {"message": "Access denied"}}
            return Response(json.dumps(error), status=self.status, content_type="application/json")
        return Response(json.dumps(body), content_type="application/json")

    def repository(self, request: Request) -> Response:
        url = f"{self.base}/repositories/acme/shop"
        return self._json(
            request,
            {
                "type": "repository",
                "full_name": "acme/shop",
                "name": "shop",
                "uuid": "{2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e}",
                "scm": "git",
                "links": {
                    "self": {"href": url},
                    "commits": {"href": f"{url}/commits"},
                    "html": {"href": "https://bitbucket.org/acme/shop"},
                },
            },
        )

    def list_pipelines(self, request: Request) -> Response:
        assert request.args.get("sort") == "-created_on"
        size = int(request.args.get("pagelen", "10"))
        page = int(request.args.get("page", "1"))
        chosen = self.pipelines
        if "target.branch" in request.args:
            branch = request.args["target.branch"]
            chosen = [p for p in chosen if p["target"].get("ref_name") == branch]
        values = chosen[(page - 1) * size : page * size]
        body: dict[str, Any] = {
            "page": page,
            "pagelen": size,
            "size": len(chosen),
            "values": values,
        }
        if page * size < len(chosen):
            body["next"] = f"{self.base}/repositories/acme/shop/pipelines/?page={page + 1}"
        return self._json(request, body)

    def commits(self, request: Request) -> Response:
        def resolve(ref: str) -> str:
            return BRANCHES.get(ref, ref)

        def ancestors(sha: str) -> set[str]:
            seen, todo = set(), [sha]
            while todo:
                current = todo.pop()
                if current not in seen:
                    seen.add(current)
                    todo.extend(PARENTS[current])
            return seen

        included = set().union(*(ancestors(resolve(r)) for r in request.args.getlist("include")))
        excluded = set().union(*(ancestors(resolve(r)) for r in request.args.getlist("exclude")))
        shas = [sha for sha in ORDER if sha in included - excluded]
        size = 2
        page = int(request.args.get("page", "1"))
        values = [
            {
                "type": "commit",
                "hash": sha,
                "message": MESSAGES[sha],
                "date": "2026-11-27T05:00:00+00:00",
                "author": {"type": "author", "raw": "Jane Doe <jane@acme.example>"},
                "parents": [{"type": "commit", "hash": p} for p in PARENTS[sha]],
            }
            for sha in shas[(page - 1) * size : page * size]
        ]
        body: dict[str, Any] = {"pagelen": size, "values": values}
        if page * size < len(shas):
            query = "&".join(
                [f"include={r}" for r in request.args.getlist("include")]
                + [f"exclude={r}" for r in request.args.getlist("exclude")]
                + [f"page={page + 1}"]
            )
            body["next"] = f"{self.base}/repositories/acme/shop/commits/?{query}"
        return self._json(request, body)


#: The repository's pipelines: the push recording is #42 on main at C5.
PIPELINES = [
    pipeline(43, "main", C5, "IN_PROGRESS"),
    pipeline(41, "main", C4, "FAILED"),
    pipeline(40, "feature/login", F1),
    pipeline(39, "feature/login", F1, ref_type="pullrequest"),
    pipeline(38, "main", C2),
    pipeline(37, "v1.3.0", C3, ref_type="tag"),
    pipeline(36, "main", C1),
]


@pytest.fixture
def bitbucket_api(httpserver: HTTPServer) -> BitbucketApi:
    """The local Bitbucket API with :data:`PIPELINES`."""
    return BitbucketApi(httpserver, PIPELINES)


def cloud(httpserver: HTTPServer) -> Any:
    from atlassian.bitbucket import Cloud

    return Cloud(url=httpserver.url_for("/"), token=TOKEN)


def ids(commits: list[Any]) -> list[str]:
    return [c.id for c in commits]


def test_previous_successful_pipeline_of_the_same_branch(
    httpserver: HTTPServer, bitbucket_api: BitbucketApi
) -> None:
    client = cloud(httpserver)
    # #43 is newer, #41 failed, #40/#39 are another branch and a pull request: #38 at C2.
    assert previous_successful_commit(client.get, "acme/shop", build_number=42, branch="main") == C2
    assert bitbucket_api.requests[0].args["target.branch"] == "main"
    assert bitbucket_api.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    # A pull-request pipeline of feature/login is not that branch's previous build.
    assert (
        previous_successful_commit(client.get, "acme/shop", build_number=41, branch="feature/login")
        == F1
    )
    assert previous_successful_commit(client.get, "acme/shop", build_number=45, tag=True) == C3
    assert (
        previous_successful_commit(client.get, "acme/shop", build_number=36, branch="main") is None
    )


def test_the_previous_successful_pipeline_on_a_later_page(httpserver: HTTPServer) -> None:
    failed = [pipeline(100 + n, "main", C4, "FAILED") for n in range(60)]
    BitbucketApi(httpserver, [*failed, pipeline(99, "main", C2)])
    client = cloud(httpserver)
    assert (
        previous_successful_commit(client.get, "acme/shop", build_number=200, branch="main") == C2
    )
    pages = [int(request.args["page"]) for request, _ in httpserver.log]
    assert pages == [1, 2]


def test_commits_between_two_commits_all_pages(
    httpserver: HTTPServer, bitbucket_api: BitbucketApi
) -> None:
    repository = cloud(httpserver).repositories.get("acme", "shop")
    assert ids(commits_between(repository.commits, C5, C2)) == [C5, C4, C3]
    assert commits_between(repository.commits, C5, C2)[0].comment == "Commit 9f1c\n\nBody of 9f1c"
    # A pull request: the source's commits not in the destination branch.
    assert ids(commits_between(repository.commits, F2, "main")) == [F2, F1]


def test_the_list_is_capped_with_a_warning(
    httpserver: HTTPServer, bitbucket_api: BitbucketApi, caplog: pytest.LogCaptureFixture
) -> None:
    repository = cloud(httpserver).repositories.get("acme", "shop")
    with caplog.at_level(logging.WARNING, logger="octoci"):
        assert ids(commits_between(repository.commits, C5, C1, limit=3)) == [C5, C4, C3]
    assert "more than 3 commits" in caplog.text


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_is_an_error_without_it(
    httpserver: HTTPServer, bitbucket_api: BitbucketApi, status: int
) -> None:
    bitbucket_api.status = status
    with pytest.raises(CommitSourceError) as raised:
        previous_successful_commit(
            cloud(httpserver).get, "acme/shop", build_number=42, branch="main"
        )
    assert f"refused the credential (HTTP {status})" in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_a_pipelines_answer_of_the_wrong_shape(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/2.0/repositories/acme/shop/pipelines/").respond_with_json(["x"])
    with pytest.raises(CommitSourceError, match="not a page"):
        previous_successful_commit(
            cloud(httpserver).get, "acme/shop", build_number=42, branch="main"
        )


# ---------------------------------------------------------------------- end to end, via the CLI
def info_json(result: CliResult) -> dict[str, Any]:
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize(
    ("variant", "expected"),
    [("push", [C5, C4, C3]), ("pull_request", [F2, F1]), ("tag", [T, C5, C4])],
)
def test_info_json_with_commits_from_the_api(
    ci_env: EnvFactory,
    httpserver: HTTPServer,
    bitbucket_api: BitbucketApi,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
    variant: str,
    expected: list[str],
) -> None:
    env = ci_env(
        "bitbucket_pipelines",
        variant,
        OCTOCI_BITBUCKET_TOKEN=TOKEN,
        OCTOCI_BITBUCKET_API_URL=httpserver.url_for("/"),
    )
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    data = info_json(result)
    assert data["Server"] == "bitbucket_pipelines"
    commits = data["BuildInformation"]["Commits"]
    assert [c["Id"] for c in commits] == expected
    assert commits[0]["Comment"] == MESSAGES[expected[0]].rstrip()
    assert result.stderr == ""
    assert TOKEN not in result.stdout + result.stderr


def test_info_json_for_a_push(
    ci_env: EnvFactory,
    httpserver: HTTPServer,
    bitbucket_api: BitbucketApi,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    env = ci_env(
        "bitbucket_pipelines",
        "push",
        OCTOCI_BITBUCKET_USER="ci-bot@acme.example",
        OCTOCI_BITBUCKET_TOKEN=TOKEN,
        OCTOCI_BITBUCKET_API_URL=httpserver.url_for("/"),
    )
    data = info_json(run_cli("info", "--json", env=env, cwd=tmp_path))
    assert data["BuildInformation"] == {
        "BuildEnvironment": "Bitbucket Pipelines",
        "BuildNumber": "42",
        "BuildUrl": "https://bitbucket.org/acme/shop/pipelines/results/42",
        "Branch": "main",
        "VcsType": "Git",
        "VcsRoot": "https://bitbucket.org/acme/shop",
        "VcsCommitNumber": C5,
        "Commits": [{"Id": sha, "Comment": MESSAGES[sha].rstrip()} for sha in (C5, C4, C3)],
    }
    # An API token with a user is sent as basic authentication.
    assert all(r.authorization and r.authorization.type == "basic" for r in bitbucket_api.requests)


def test_info_json_falls_back_to_git_with_one_warning_when_bitbucket_refuses(
    ci_env: EnvFactory,
    httpserver: HTTPServer,
    bitbucket_api: BitbucketApi,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    bitbucket_api.status = 401
    repo = git_repo(["one", "two", "three"], tags={0: "v1.0.0"})
    env = ci_env(
        "bitbucket_pipelines",
        "push",
        OCTOCI_BITBUCKET_TOKEN=TOKEN,
        OCTOCI_BITBUCKET_API_URL=httpserver.url_for("/"),
        BITBUCKET_COMMIT=run_git(repo, "rev-parse", "HEAD"),
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    comments = [c["Comment"] for c in info_json(result)["BuildInformation"]["Commits"]]
    assert comments == ["three", "two"]
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "HTTP 401" in warnings[0]
    assert TOKEN not in result.stdout + result.stderr
    strict = run_cli("info", "--json", "--strict", env=env, cwd=repo)
    assert strict.exit_code == 1
    assert TOKEN not in strict.stdout + strict.stderr


def test_info_json_without_an_earlier_successful_pipeline_uses_git_quietly(
    ci_env: EnvFactory,
    httpserver: HTTPServer,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    BitbucketApi(httpserver, [pipeline(41, "main", C4, "FAILED")])
    repo = git_repo(["one", "two", "three"], tags={1: "v1.0.0"})
    env = ci_env(
        "bitbucket_pipelines",
        "push",
        OCTOCI_BITBUCKET_TOKEN=TOKEN,
        OCTOCI_BITBUCKET_API_URL=httpserver.url_for("/"),
        BITBUCKET_COMMIT=run_git(repo, "rev-parse", "HEAD"),
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert [c["Comment"] for c in info_json(result)["BuildInformation"]["Commits"]] == ["three"]
    assert "warning" not in result.stderr


def test_info_json_without_a_token_warns_what_to_configure(
    ci_env: EnvFactory,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["base", "feature one", "feature two"])
    run_git(repo, "update-ref", "refs/remotes/origin/main", run_git(repo, "rev-parse", "HEAD~2"))
    env = ci_env(
        "bitbucket_pipelines", "pull_request", BITBUCKET_COMMIT=run_git(repo, "rev-parse", "HEAD")
    )
    result = run_cli("info", "--json", env=env, cwd=repo)
    comments = [c["Comment"] for c in info_json(result)["BuildInformation"]["Commits"]]
    assert comments == ["feature two", "feature one"]
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "OCTOCI_BITBUCKET_TOKEN" in warnings[0]
