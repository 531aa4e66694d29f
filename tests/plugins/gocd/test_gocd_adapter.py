"""The GoCD adapter through ``octoci info --json`` under recorded builds: build information
per kind of build, commits from git over the range GoCD names, outputs read back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from tests.plugins.shared.git_commits import commits_from_git_test

from octoci.server import CIServer
from octoci.testing import CIServerContract, CliResult, fields_per_variant_test, not_detected_test
from octoci_plugins._outputs import OutputFiles
from octoci_plugins.gocd import GoCD

CiEnv = Callable[..., dict[str, str]]
SHA = "5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b"
PR_SHA = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
BASE = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"


class TestGoCDContract(CIServerContract):
    server_class = GoCD

    @pytest.fixture(autouse=True)
    def _in_a_temporary_folder(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        # The adapter writes its outputs into the working directory.
        monkeypatch.chdir(tmp_path)

    variants: ClassVar[tuple[str, ...]] = ("push", "pull_request", "tag", "windows")

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        return OutputFiles(server.cwd / "octoci-outputs.json").read()


EXPECTED: dict[str, dict[str, str]] = {
    "push": {
        "BuildNumber": "142",
        "BuildUrl": "https://gocd.acme.example/go/pipelines/shop/142/build/1",
        "VcsCommitNumber": SHA,
        "JobName": "shop/build/publish",
    },
    "pull_request": {"VcsCommitNumber": PR_SHA, "JobName": "shop-pr-12/build/publish"},
    "tag": {"BuildNumber": "142", "JobName": "shop-release/build/publish"},
    "windows": {"BuildNumber": "142"},
}


test_info_json_per_variant = fields_per_variant_test("gocd", EXPECTED, "GoCD")
test_commits_are_this_builds_from_git = commits_from_git_test(
    "gocd",
    {"GO_REVISION": "{HEAD}", "GO_TO_REVISION": "{HEAD}", "GO_FROM_REVISION": "{HEAD~1}"},
    ["third", "second"],
    warnings=1,
)
test_no_false_positives = not_detected_test(
    GoCD, [{}, {"GO_SERVER_URL": "https://go.example/go"}, {"GO_PIPELINE_NAME": "x"}]
)


def test_commits_come_from_the_pipeline_instance_api(
    ci_env: CiEnv, run_cli: Callable[..., CliResult], httpserver: Any, tmp_path: Path
) -> None:
    answer = {
        "build_cause": {
            "material_revisions": [
                {
                    "changed": True,
                    "material": {"type": "Git", "description": "URL: https://github.com/acme/shop"},
                    "modifications": [
                        {"revision": SHA, "comment": "Add the basket\n"},
                        {"revision": BASE, "comment": "Fix the login"},
                    ],
                },
                {"changed": False, "material": {"type": "Pipeline"}, "modifications": []},
            ]
        }
    }
    httpserver.expect_request(
        "/go/api/pipelines/shop/142",
        headers={
            "Authorization": "Bearer gocd-token-0123",
            "Accept": "application/vnd.go.cd.v1+json",
        },
    ).respond_with_json(answer)
    env = ci_env(
        "gocd",
        "push",
        GO_SERVER_URL=httpserver.url_for("/go/"),
        OCTOCI_GOCD_TOKEN="gocd-token-0123",
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    commits = json.loads(result.stdout)["BuildInformation"]["Commits"]
    assert [(c["Id"], c["Comment"]) for c in commits] == [
        (SHA, "Add the basket"),
        (BASE, "Fix the login"),
    ]
    assert "gocd-token-0123" not in result.stdout + result.stderr
