"""The GitHub Actions adapter against recorded environments: detection, build information, bad input."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from octoci.errors import InputError
from octoci.normalize import normalize_build_information
from octoci.server import CIServer
from octoci.testing import CIServerContract, CliResult
from octoci_plugins._tags import previous_version_tag
from octoci_plugins.github_actions import GitHubActions

CiEnv = Callable[..., dict[str, str]]

C2 = "b7c9e1f2a3d4c5b6a7980f1e2d3c4b5a69788776"
C3 = "9f1c2e0d4b5a6c7d8e9f0a1b2c3d4e5f6a7b8c9d"
MERGE = "e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4"
HEAD_PR = "4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f"


def read_github_outputs(path: Path) -> dict[str, str]:
    """Read ``$GITHUB_OUTPUT`` the way the runner does: ``name=value`` lines and
    ``name<<DELIMITER`` blocks, lines ending at ``\n`` (a ``\r`` stays part of the value)."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_bytes().decode("utf-8").split("\n"))
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value_lines = []
            for value_line in lines:
                if value_line == delimiter:
                    break
                value_lines.append(value_line)
            else:
                raise AssertionError(f"block {name} is not closed by {delimiter}")
            outputs[name] = "\n".join(value_lines)
        else:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


class TestGitHubActionsContract(CIServerContract):
    server_class = GitHubActions
    variants: ClassVar[tuple[str, ...]] = (
        "push",
        "pull_request",
        "tag",
        "workflow_dispatch",
        "schedule",
        "merge_group",
        "credentials_in_url",
    )

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        return read_github_outputs(Path(server.env["GITHUB_OUTPUT"]))


def info_for(env: dict[str, str]) -> dict[str, str]:
    server = GitHubActions(env, io.StringIO())
    info = normalize_build_information(server.build_information())
    return {**info.to_octopus(), **info.extra()}


EXPECTED = {
    "push": {
        "BuildNumber": "42",
        "BuildUrl": "https://github.com/acme/shop/actions/runs/7001234567",
        "Branch": "main",
        "VcsRoot": "https://github.com/acme/shop",
        "VcsCommitNumber": C3,
        "PullRequestNumber": "",
        "Tag": "",
        "JobName": "CI - build",
    },
    "pull_request": {
        "BuildNumber": "43",
        "BuildUrl": "https://github.com/acme/shop/actions/runs/7001234600",
        "Branch": "feature/basket",
        "VcsCommitNumber": MERGE,
        "PullRequestNumber": "17",
        "SourceBranch": "feature/basket",
        "TargetBranch": "main",
        "HeadCommit": HEAD_PR,
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0", "VcsCommitNumber": C3, "BuildNumber": "44"},
    "workflow_dispatch": {"Branch": "main", "JobName": "CI - release", "BuildNumber": "45"},
    "schedule": {"Branch": "main", "BuildNumber": "46", "PullRequestNumber": ""},
    "merge_group": {
        # The queue's temporary branch is reported as the branch it lands on.
        "Branch": "main",
        "TargetBranch": "main",
        "PullRequestNumber": "17",
        "VcsCommitNumber": "5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7",
        "HeadCommit": "5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7",
    },
    "credentials_in_url": {
        "VcsRoot": "https://ghe.acme.test/acme/shop",
        "BuildUrl": "https://ghe.acme.test/acme/shop/actions/runs/88",
        "Branch": "release/2.0",
        "VcsCommitNumber": C2,
    },
}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_build_information_per_variant(ci_env: CiEnv, variant: str) -> None:
    info = info_for(ci_env("github_actions", variant))
    assert info["BuildEnvironment"] == "GitHub Actions"
    assert info["VcsType"] == "Git"
    assert {key: info[key] for key in EXPECTED[variant]} == EXPECTED[variant]


def test_credentials_never_reach_the_build_information(ci_env: CiEnv) -> None:
    info = info_for(ci_env("github_actions", "credentials_in_url"))
    assert "ghp_s3cr3tT0ken" not in json.dumps(info)


def test_pull_request_number_from_the_ref_when_the_payload_has_none(ci_env: CiEnv) -> None:
    env = ci_env("github_actions", "pull_request", GITHUB_EVENT_PATH="")
    info = info_for(env)
    assert (info["PullRequestNumber"], info["Branch"]) == ("17", "feature/basket")
    assert (info["TargetBranch"], info["HeadCommit"]) == ("main", "")


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"GITHUB_ACTIONS": "false"},
        {"GITHUB_ACTIONS": ""},
        {"CI": "true", "GITHUB_SHA": C3},  # GITHUB_SHA alone is not GitHub Actions
        {"TF_BUILD": "True", "BUILD_BUILDID": "1"},
        {"JENKINS_URL": "http://jenkins/", "BUILD_NUMBER": "3"},
    ],
)
def test_no_false_positives(env: dict[str, str]) -> None:
    assert not GitHubActions.detect(env)


def test_detects_compatible_runners() -> None:
    assert GitHubActions.detect({"GITHUB_ACTIONS": "true", "ACT": "true"})
    assert GitHubActions.detect({"GITHUB_ACTIONS": "True"})


def test_detection_does_not_need_requests_imported() -> None:
    # The adapter package must import nothing beyond the standard library and octoci.
    import subprocess
    import sys

    code = (
        "import sys, octoci_plugins.github_actions as g; "
        "assert g.GitHubActions.detect({'GITHUB_ACTIONS': 'true'}); "
        "print(sorted(m for m in ('requests', 'urllib3') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_malformed_event_file_is_one_line_input_error(ci_env: CiEnv, tmp_path: Path) -> None:
    bad = tmp_path / "event.json"
    bad.write_text('{"pull_request": {"number": 17,', encoding="utf-8")
    env = ci_env("github_actions", "pull_request", GITHUB_EVENT_PATH=str(bad))
    with pytest.raises(InputError) as caught:
        GitHubActions(env, io.StringIO()).build_information()
    assert "not valid JSON" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("[1, 2]", "does not hold a JSON object"),
        ('{"pull_request": "17"}', "'pull_request' is not an object"),
        ('{"pull_request": {"number": 17, "head": []}}', "'pull_request.head' is not an object"),
        ('{"pull_request": {"number": {"n": 1}}}', "'pull_request.number' is not a string"),
    ],
)
def test_payload_of_the_wrong_shape(
    ci_env: CiEnv, tmp_path: Path, payload: str, message: str
) -> None:
    bad = tmp_path / "event.json"
    bad.write_text(payload, encoding="utf-8")
    env = ci_env("github_actions", "pull_request", GITHUB_EVENT_PATH=str(bad))
    with pytest.raises(InputError, match=message):
        GitHubActions(env, io.StringIO()).build_information()


def test_bad_input_through_the_cli_exits_2_with_one_line(
    ci_env: CiEnv, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    bad = tmp_path / "event.json"
    bad.write_bytes(b'{"pull_request": "\xff\xfe"}')
    env = ci_env("github_actions", "pull_request", GITHUB_EVENT_PATH=str(bad))
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1
    assert "is not UTF-8" in errors[0]


def test_non_utf8_variable_through_the_cli_exits_2(
    ci_env: CiEnv, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    # On POSIX, os.environ carries undecodable bytes as surrogate escapes.
    env = ci_env("github_actions", "push", GITHUB_REF="refs/heads/caf\udce9")
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 2
    assert "GITHUB_REF is not valid UTF-8" in result.stderr


@pytest.mark.parametrize(
    ("current", "tags", "expected"),
    [
        ("v1.10.0", ["v1.9.0", "v1.10.0", "v1.2.0", "v2.0.0"], "v1.9.0"),
        ("v1.0.0", ["v1.0.0", "v2.0.0"], None),
        ("web-v2.0", ["api-v3.1", "web-v1.9", "web-v2.0"], "web-v1.9"),
        ("v1.2.0", ["v1.1.0", "v1.2.0-rc1", "v1.2.0"], "v1.1.0"),
        ("v1.2.0-rc2", ["v1.1.0", "v1.2.0-rc1"], "v1.2.0-rc1"),
    ],
)
def test_previous_version_tag(current: str, tags: list[str], expected: str | None) -> None:
    assert previous_version_tag(current, tags) == expected
