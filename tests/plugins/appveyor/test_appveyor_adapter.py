"""The AppVeyor adapter: detection (``True``/``true``), build information on Windows and Linux
images (pull requests' base branch, tag builds), and the build worker API for messages, output
variables and artifacts, against a local server answering as AppVeyor's documents."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from octoci.errors import OctociError
from octoci.normalize import normalize_build_information
from octoci.server import CIServer
from octoci.testing import CIServerContract
from octoci_plugins.appveyor import AppVeyor
from octoci_plugins.appveyor import worker_api as worker_api_module
from octoci_plugins.appveyor.worker_api import WorkerApi, WorkerApiError

EnvFactory = Callable[..., dict[str, str]]
TOKEN = "v2.appveyor-api-token-k2f7q9x1m3n5"


class WorkerFake:
    """The build worker API: records every call; ``api/artifacts`` answers an upload URL on
    this server, where the file is received."""

    def __init__(self, httpserver: HTTPServer) -> None:
        self.url = httpserver.url_for("/")
        self.calls: list[tuple[str, str, Any]] = []
        self.uploads: dict[str, bytes] = {}
        self.status = 200
        for path in ("api/build/messages", "api/build/compilationmessages", "api/build/variables"):
            httpserver.expect_request(f"/{path}", method="POST").respond_with_handler(self.record)
        httpserver.expect_request("/api/artifacts").respond_with_handler(self.artifacts)
        httpserver.expect_request("/upload", method="POST").respond_with_handler(self.form_upload)
        httpserver.expect_request("/upload", method="PUT").respond_with_handler(self.put_upload)

    def record(self, request: Request) -> Response:
        self.calls.append((request.method, request.path, request.get_json()))
        return Response("", status=self.status if self.status != 200 else 204)

    def artifacts(self, request: Request) -> Response:
        self.calls.append((request.method, request.path, request.get_json()))
        if request.method == "PUT":
            return Response("", status=204)
        upload = self.url.rstrip("/") + "/upload?file=" + request.get_json()["fileName"]
        return Response(json.dumps(upload), content_type="application/json")

    def form_upload(self, request: Request) -> Response:
        self.uploads[request.args["file"]] = request.files["file"].read()
        return Response("", status=200)

    def put_upload(self, request: Request) -> Response:
        self.uploads[request.args["file"]] = request.get_data()
        return Response("", status=200)

    def bodies(self, path: str) -> list[Any]:
        return [body for _, called, body in self.calls if called == path]


@pytest.fixture
def worker(httpserver: HTTPServer) -> WorkerFake:
    return WorkerFake(httpserver)


class TestAppVeyorContract(CIServerContract):
    server_class = AppVeyor
    variants = ("push", "pull_request", "tag")

    @pytest.fixture(autouse=True)
    def _worker(self, worker: WorkerFake) -> None:
        self.worker = worker

    def make(self, env: dict[str, str]) -> tuple[CIServer, io.StringIO]:
        return super().make({**env, "APPVEYOR_API_URL": self.worker.url})

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        return {b["name"]: b["value"] for b in self.worker.bodies("/api/build/variables")}


def info_for(env: dict[str, str], cwd: Path | None = None) -> dict[str, str]:
    server = AppVeyor(env, io.StringIO(), cwd=cwd)
    info = normalize_build_information(server.build_information())
    return {**info.to_octopus(), **info.extra()}


EXPECTED = {
    "push": {
        "BuildNumber": "1.0.45",
        "BuildUrl": "https://ci.appveyor.com/project/acme/shop/builds/51234567",
        "Branch": "main",
        "VcsRoot": "https://github.com/acme/shop",
        "VcsCommitNumber": "9f1c2e0d7b4a5c6e8f9012a3b4c5d6e7f8091a2b",
        "PullRequestNumber": "",
        "Tag": "",
        "JobName": "Shop",
    },
    "pull_request": {
        "BuildNumber": "1.0.47",
        # APPVEYOR_REPO_BRANCH is the base (main): the branch is the head's.
        "Branch": "feature/login",
        "PullRequestNumber": "7",
        "SourceBranch": "feature/login",
        "TargetBranch": "main",
        "VcsCommitNumber": "e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4",
        "HeadCommit": "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f",
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0", "BuildNumber": "1.4.0.48"},
}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_build_information_of_each_recording(ci_env: EnvFactory, variant: str) -> None:
    got = info_for(ci_env("appveyor", variant))
    assert got["BuildEnvironment"] == "AppVeyor"
    assert got["VcsType"] == "Git"
    for key, value in EXPECTED[variant].items():
        assert got[key] == value, key


@pytest.mark.parametrize(
    ("value", "detected"),
    [("True", True), ("true", True), ("TRUE", True), ("False", False), ("", False), ("no", False)],
)
def test_detection_in_any_case(value: str, detected: bool) -> None:
    assert AppVeyor.detect({"APPVEYOR": value}) is detected
    assert not AppVeyor.detect({"APPVEYOR_BUILD_NUMBER": "45", "CI": "True"})


def test_a_tag_flag_without_a_tag_name_is_a_branch_build(ci_env: EnvFactory) -> None:
    got = info_for(ci_env("appveyor", "push", APPVEYOR_REPO_TAG="true"))
    assert (got["Tag"], got["Branch"]) == ("", "main")


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        ("bitBucket", "https://bitbucket.org/acme/shop"),
        ("gitLab", "https://gitlab.com/acme/shop"),
        ("GitHub", "https://github.com/acme/shop"),
    ],
)
def test_repository_url_per_provider(ci_env: EnvFactory, provider: str, url: str) -> None:
    assert info_for(ci_env("appveyor", "push", APPVEYOR_REPO_PROVIDER=provider))["VcsRoot"] == url


def test_self_hosted_providers_take_the_clones_origin(
    ci_env: EnvFactory, git_repo: Callable[..., Path]
) -> None:
    repo = git_repo(remote="https://ci:s3cretPassw0rd@git.acme.example/shop/shop.git")
    env = ci_env(
        "appveyor",
        "push",
        APPVEYOR_REPO_PROVIDER="gitHubEnterprise",
        APPVEYOR_BUILD_FOLDER=str(repo),
    )
    assert info_for(env)["VcsRoot"] == "https://git.acme.example/shop/shop"
    unknown = ci_env("appveyor", "push", APPVEYOR_REPO_PROVIDER="gitea", APPVEYOR_BUILD_FOLDER="")
    assert info_for(unknown, cwd=repo.parent)["VcsRoot"] == ""


def test_artifact_root_is_the_build_folder(ci_env: EnvFactory) -> None:
    env = ci_env("appveyor", "push")
    assert AppVeyor(env, io.StringIO()).artifact_roots() == [Path(env["APPVEYOR_BUILD_FOLDER"])]


def test_the_api_token_is_a_secret(ci_env: EnvFactory) -> None:
    env = ci_env("appveyor", "push", OCTOCI_APPVEYOR_TOKEN=TOKEN)
    assert AppVeyor(env, io.StringIO()).secrets() == [TOKEN]


# ---------------------------------------------------------------------- the build worker API
def server_for(ci_env: EnvFactory, worker: WorkerFake, variant: str = "pull_request") -> AppVeyor:
    return AppVeyor(ci_env("appveyor", variant, APPVEYOR_API_URL=worker.url), io.StringIO())


def test_outputs_are_build_variables(ci_env: EnvFactory, worker: WorkerFake) -> None:
    server = server_for(ci_env, worker)
    server.set_output("OCTOCI_RELEASE", "1.2.3")
    assert worker.calls == [
        ("POST", "/api/build/variables", {"name": "OCTOCI_RELEASE", "value": "1.2.3"})
    ]
    assert "OCTOCI_RELEASE" in server.stream.getvalue()  # type: ignore[attr-defined]


def test_annotations_are_build_messages(ci_env: EnvFactory, worker: WorkerFake) -> None:
    server = server_for(ci_env, worker)
    server.annotate("warning", "Package Shop.1.0.47 already exists")
    server.annotate("error", "Bad version", file="version.txt", line=3)
    server.annotate("notice", "Release 1.0.47 created")
    assert worker.bodies("/api/build/messages") == [
        {"message": "Package Shop.1.0.47 already exists", "category": "warning", "details": ""},
        {"message": "Release 1.0.47 created", "category": "information", "details": ""},
    ]
    assert worker.bodies("/api/build/compilationmessages") == [
        {"message": "Bad version", "category": "error", "fileName": "version.txt", "line": 3}
    ]


def test_the_summary_is_a_message_with_details(ci_env: EnvFactory, worker: WorkerFake) -> None:
    server = server_for(ci_env, worker)
    summary = "## Octopus Deploy\n\n[Release 1.0.47](https://octopus.example/r/1) deployed to Dev\n"
    server.add_summary(summary)
    ((body),) = worker.bodies("/api/build/messages")
    assert body == {"message": "Octopus Deploy", "category": "information", "details": summary}


def test_secrets_never_reach_the_worker_api(ci_env: EnvFactory, worker: WorkerFake) -> None:
    server = server_for(ci_env, worker)
    server.mask(TOKEN)
    server.annotate("error", f"refused {TOKEN}")
    server.add_summary(f"token {TOKEN}")
    server.set_output("X", f"v {TOKEN}")
    assert worker.calls
    assert TOKEN not in json.dumps([body for *_, body in worker.calls])


def test_artifacts_are_uploaded_through_the_worker_api(
    ci_env: EnvFactory, worker: WorkerFake, tmp_path: Path
) -> None:
    package = tmp_path / "Shop.1.0.47.nupkg"
    package.write_bytes(b"PK\x03\x04 package bytes")
    server = server_for(ci_env, worker)
    assert server.publish_artifact(package, "shop-package")
    assert worker.bodies("/api/artifacts") == [
        {
            "path": str(package),
            "fileName": "Shop.1.0.47.nupkg",
            "name": "shop-package",
            "type": "OctopusPackage",
        }
    ]
    assert worker.uploads == {"Shop.1.0.47.nupkg": b"PK\x03\x04 package bytes"}


def test_cloud_storage_uploads_are_put_then_finalised(
    ci_env: EnvFactory, worker: WorkerFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The local server stands in for storage.googleapis.com (the real host cannot be served).
    monkeypatch.setattr(worker_api_module, "_PUT_UPLOAD_HOSTS", ("localhost",))
    report = tmp_path / "report.txt"
    report.write_text("ok", encoding="utf-8")
    assert server_for(ci_env, worker).publish_artifact(report)
    assert worker.uploads == {"report.txt": b"ok"}
    assert worker.calls[-1] == ("PUT", "/api/artifacts", {"fileName": "report.txt", "size": 2})


def test_without_the_worker_api_everything_goes_to_the_log(ci_env: EnvFactory) -> None:
    env = ci_env("appveyor", "push")
    del env["APPVEYOR_API_URL"]
    stream = io.StringIO()
    server = AppVeyor(env, stream)
    server.set_output("A", "1")
    server.annotate("warning", "careful")
    assert not server.publish_artifact(Path("x.zip"))
    assert stream.getvalue().splitlines() == ["octoci output A=1", "warning: careful"]


def test_a_failing_worker_api(
    ci_env: EnvFactory, worker: WorkerFake, caplog: pytest.LogCaptureFixture
) -> None:
    worker.status = 500
    server = server_for(ci_env, worker)
    with pytest.raises(WorkerApiError, match=r"cannot set the build variable A \(HTTP 500\)"):
        server.set_output("A", "1")
    # Messages are best effort: one warning, and the text is in the log anyway.
    with caplog.at_level(logging.WARNING, logger="octoci"):
        server.annotate("warning", "one")
        server.annotate("warning", "two")
    assert len([r for r in caplog.records if r.name == "octoci"]) == 1
    assert "warning: two" in server.stream.getvalue()  # type: ignore[attr-defined]


@pytest.mark.slow
def test_an_unreachable_worker_api_is_one_line_error() -> None:
    api = WorkerApi("http://127.0.0.1:9/")
    with pytest.raises(OctociError, match="cannot set the build variable") as raised:
        api.set_variable("A", "1")
    assert "\n" not in str(raised.value)
    with pytest.raises(ValueError, match="category"):
        api.add_message("x", "debug")
