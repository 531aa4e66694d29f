"""The Jenkins adapter: detection, build information, output files and their escaping."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from octoci.errors import InputError
from octoci.files import parse_properties
from octoci.normalize import normalize_build_information
from octoci.server import CIServer
from octoci.testing import CIServerContract, CliResult
from octoci_plugins._outputs import to_properties
from octoci_plugins.jenkins import JenkinsServer
from octoci_plugins.jenkins.adapter import jenkins_output_files

EnvFactory = Callable[..., dict[str, str]]


class TestJenkinsContract(CIServerContract):
    server_class = JenkinsServer
    variants = ("push", "pull_request", "tag", "freestyle_tag", "credentials_in_url")

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        """Jenkins outputs are files: read the JSON, and check the properties file agrees."""
        assert isinstance(server, JenkinsServer)
        files = server.output_files
        from_json = json.loads(files.json_path.read_text(encoding="utf-8"))
        from_properties = parse_properties(files.properties_path.read_text(encoding="utf-8"))
        assert from_json == from_properties
        return dict(from_json)


def info_for(env: dict[str, str]) -> dict[str, str]:
    server = JenkinsServer(env, io.StringIO())
    info = normalize_build_information(server.build_information())
    return {**info.to_octopus(), **info.extra()}


EXPECTED = {
    "push": {
        "BuildNumber": "57",
        "BuildUrl": "https://jenkins.acme.example/job/shop/57/",
        "Branch": "main",  # GIT_BRANCH=origin/main; Octopus's plugin sends "origin/main"
        "VcsRoot": "https://github.com/acme/shop",
        "VcsCommitNumber": "9f1c2e0d7b4a5c6e8f9012a3b4c5d6e7f8091a2b",
        "JobName": "shop",
    },
    "pull_request": {
        "Branch": "feature/login",
        "PullRequestNumber": "7",
        "SourceBranch": "feature/login",
        "TargetBranch": "main",
        "VcsCommitNumber": "7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b",
        "JobName": "acme/shop/PR-7",
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0", "PullRequestNumber": ""},
    # GIT_BRANCH=origin/tags/1.2.0 from the refspec +refs/tags/*:refs/remotes/origin/tags/*
    "freestyle_tag": {"Branch": "1.2.0", "Tag": "1.2.0", "JobName": "shop-release"},
    "credentials_in_url": {
        "VcsRoot": "https://github.com/acme/shop",
        "Branch": "feature/login",
        "JobName": "acme/shop/feature%2Flogin",
    },
}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_build_information_of_each_recording(ci_env: EnvFactory, variant: str) -> None:
    got = info_for(ci_env("jenkins", variant))
    assert (got["BuildEnvironment"], got["VcsType"]) == ("Jenkins", "Git")
    for key, value in EXPECTED[variant].items():
        assert got[key] == value, key


def test_ghprb_and_gitlab_plugin_pull_requests() -> None:
    base = {"JENKINS_URL": "https://j.example/", "BUILD_NUMBER": "4", "GIT_COMMIT": "ab" * 20}
    ghprb = info_for(
        {
            **base,
            "ghprbPullId": "31",
            "ghprbSourceBranch": "fix/crash",
            "ghprbTargetBranch": "release/2.x",
            "ghprbActualCommit": "cd" * 20,
            "GIT_BRANCH": "origin/pr/31/merge",
        }
    )
    assert (ghprb["PullRequestNumber"], ghprb["Branch"], ghprb["TargetBranch"]) == (
        "31",
        "fix/crash",
        "release/2.x",
    )
    assert ghprb["HeadCommit"] == "cd" * 20
    gitlab = info_for(
        {
            **base,
            "gitlabMergeRequestId": "90125",
            "gitlabMergeRequestIid": "12",
            "gitlabSourceBranch": "feature/x",
            "gitlabTargetBranch": "main",
        }
    )
    assert (gitlab["PullRequestNumber"], gitlab["Branch"]) == ("12", "feature/x")


@pytest.mark.parametrize(
    ("git_branch", "branch", "tag"),
    [
        ("origin/tags/1.2.0", "1.2.0", "1.2.0"),
        ("refs/tags/v2.0.0", "v2.0.0", "v2.0.0"),
        ("refs/remotes/origin/tags/release/3", "release/3", "release/3"),
        ("origin/main", "main", ""),
        ("origin/tagsmith", "tagsmith", ""),
        ("origin/feature/tags/x", "feature/tags/x", ""),
    ],
)
def test_a_freestyle_git_branch_names_a_tag_or_a_branch(
    git_branch: str, branch: str, tag: str
) -> None:
    got = info_for({"JENKINS_URL": "https://j.example/", "BUILD_ID": "3", "GIT_BRANCH": git_branch})
    assert (got["Branch"], got["Tag"]) == (branch, tag)


def test_info_json_of_a_freestyle_tag_build(
    ci_env: EnvFactory, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    env = ci_env("jenkins", "freestyle_tag", OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1")
    result = run_cli("info", "--json", "--no-commits", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "jenkins"
    build = data["BuildInformation"]
    assert (build["Branch"], build["BuildNumber"]) == ("1.2.0", "58")
    assert data["Extra"]["Tag"] == "1.2.0"  # octoci before 17 said Branch "tags/1.2.0", no tag


def test_subversion_job_is_not_called_git() -> None:
    got = info_for(
        {
            "JENKINS_URL": "https://j.example/",
            "BUILD_NUMBER": "9",
            "SVN_REVISION": "5821",
            "SVN_URL": "https://svn.example/repo/trunk",
        }
    )
    assert (got["VcsType"], got["VcsCommitNumber"], got["VcsRoot"]) == (
        "SVN",
        "5821",
        "https://svn.example/repo/trunk",
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"JENKINS_URL": "https://jenkins.example/", "BUILD_ID": "12"}, True),
        ({"JENKINS_URL": "https://jenkins.example/", "BUILD_URL": "https://j/job/a/1/"}, True),
        ({"HUDSON_URL": "https://hudson.example/", "BUILD_ID": "3"}, True),
        # The Jenkins CLI's settings on a developer's machine are not a build.
        ({"JENKINS_URL": "https://jenkins.example/", "JENKINS_API_TOKEN": "t"}, False),
        # Jenkins root URL not configured: JENKINS_URL is unset, BUILD_TAG still says Jenkins.
        ({"BUILD_TAG": "jenkins-shop-12", "BUILD_NUMBER": "12"}, True),
        ({"JENKINS_HOME": "/var/jenkins_home", "BUILD_ID": "12"}, True),
        ({"BUILD_NUMBER": "12"}, False),
        ({"BUILD_NUMBER": "12", "BUILD_ID": "12"}, False),
        ({"BUILD_TAG": "nightly-12", "BUILD_NUMBER": "12"}, False),
        ({"JENKINS_HOME": "/home/me/.jenkins"}, False),
        ({"JENKINS_URL": ""}, False),
        ({}, False),
    ],
)
def test_detection(env: dict[str, str], expected: bool) -> None:
    assert JenkinsServer.detect(env) is expected


def test_teamcity_builds_are_not_jenkins(ci_env: EnvFactory) -> None:
    # TeamCity sets BUILD_NUMBER too.
    assert not JenkinsServer.detect(ci_env("teamcity", "push"))


def test_commit_range_for_the_git_fallback(ci_env: EnvFactory) -> None:
    server = JenkinsServer(ci_env("jenkins", "push"), io.StringIO())
    info = server.build_information()
    assert server.commit_range(info) == (
        "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d..9f1c2e0d7b4a5c6e8f9012a3b4c5d6e7f8091a2b"
    )
    first_build = JenkinsServer(ci_env("jenkins", "tag"), io.StringIO())
    assert first_build.commit_range(first_build.build_information()) is None


def test_artifact_root_is_the_workspace(ci_env: EnvFactory) -> None:
    env = ci_env("jenkins", "push")
    server = JenkinsServer(env, io.StringIO())
    assert server.artifact_roots() == [Path(env["WORKSPACE"])]
    assert server.publish_artifact(Path("a.zip")) is False  # archiveArtifacts is a Pipeline step


# ---------------------------------------------------------------------- output files
VALUES = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30)


@given(key=VALUES.filter(bool), value=VALUES)
def test_properties_escaping_round_trips(key: str, value: str) -> None:
    parsed = parse_properties(to_properties({key: value}))
    # Java stores characters outside the BMP as a surrogate pair, and so does our writer;
    # Java's String holds them as such, Python needs them joined back.
    joined = {
        k.encode("utf-16", "surrogatepass").decode("utf-16"): v.encode(
            "utf-16", "surrogatepass"
        ).decode("utf-16")
        for k, v in parsed.items()
    }
    assert joined == {key: value}


def test_properties_file_is_ascii() -> None:
    text = to_properties({"release notes": "café = ☕\n#1 : done 🚀", " lead": " space"})
    assert text.isascii()
    assert parse_properties(text)["release notes"].startswith("café = ☕\n#1 : done ")


def test_outputs_accumulate_over_steps_in_both_files(ci_env: EnvFactory) -> None:
    env = ci_env("jenkins", "push")
    stream = io.StringIO()
    JenkinsServer(env, stream).set_output("package_version", "1.2.3")
    JenkinsServer(env, stream).set_output("release_url", "https://o.example/app#/r?a=b:c")
    files = jenkins_output_files(env, Path())
    expected = {"package_version": "1.2.3", "release_url": "https://o.example/app#/r?a=b:c"}
    assert json.loads(files.json_path.read_text(encoding="utf-8")) == expected
    assert parse_properties(files.properties_path.read_text(encoding="utf-8")) == expected
    assert files.json_path == Path(env["WORKSPACE"]) / "octoci-outputs.json"
    assert "octoci-outputs.json" in stream.getvalue()


def test_output_file_can_be_chosen(tmp_path: Path) -> None:
    env = {"JENKINS_URL": "https://j.example/", "OCTOCI_OUTPUT_FILE": "out/o.json"}
    JenkinsServer(env, io.StringIO(), cwd=tmp_path).set_output("a", "b")
    assert json.loads((tmp_path / "out" / "o.json").read_text(encoding="utf-8")) == {"a": "b"}
    assert (tmp_path / "out" / "o.properties").read_text(encoding="utf-8") == "a=b\n"


def test_a_corrupt_output_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "octoci-outputs.json").write_text("{nope", encoding="utf-8")
    server = JenkinsServer({"WORKSPACE": str(tmp_path)}, io.StringIO())
    with pytest.raises(InputError, match="not valid JSON"):
        server.set_output("a", "b")


def test_summary_in_the_console_and_a_file(ci_env: EnvFactory) -> None:
    env = ci_env("jenkins", "push", OCTOPUS_API_KEY="API-SECRET0123456789")
    stream = io.StringIO()
    server = JenkinsServer(env, stream)
    server.mask("API-SECRET0123456789")
    server.add_summary("### Release [1.2.3](https://o.example/r/1)\nkey API-SECRET0123456789")
    server.add_summary("Deployed to Production")
    console = stream.getvalue()
    assert "### Release [1.2.3](https://o.example/r/1)" in console
    assert "API-SECRET0123456789" not in console
    summary = (Path(env["WORKSPACE"]) / "octoci-summary.md").read_text(encoding="utf-8")
    assert summary == (
        "### Release [1.2.3](https://o.example/r/1)\nkey ***\n\nDeployed to Production\n\n"
    )


def test_the_api_token_url_password_and_id_token_are_secrets() -> None:
    env = {
        "JENKINS_URL": "https://bot:url-pass%2Fword@jenkins.example/",
        "BUILD_ID": "8",
        "JENKINS_API_TOKEN": "11aa22bb33cc44dd55ee",
        "OCTOCI_ID_TOKEN": "eyJ.a.b",
    }
    # The URL's password as written (%2F) and decoded: either can be printed.
    assert set(JenkinsServer(env, io.StringIO()).secrets()) == {
        "11aa22bb33cc44dd55ee",
        "url-pass%2Fword",
        "url-pass/word",
        "eyJ.a.b",
    }


def test_non_utf8_variable_exits_2(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    env = {
        "JENKINS_URL": "https://j.example/",
        "BUILD_ID": "5",
        "GIT_BRANCH": "origin/caf\udce9",
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    result = run_cli("info", "--json", "--no-commits", env=env, cwd=tmp_path)
    assert result.exit_code == 2
    assert "GIT_BRANCH" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
