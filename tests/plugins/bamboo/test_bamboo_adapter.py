"""The Bamboo adapter: detection, build information from ``bamboo_*`` variables (any case),
several plan repositories, rebuilds, tags, outputs for "Inject Bamboo variables", bad input."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from octoci.errors import InputError
from octoci.files import parse_properties
from octoci.normalize import normalize_build_information
from octoci.server import CIServer
from octoci.testing import CIServerContract, CliResult
from octoci_plugins.bamboo import BambooServer

EnvFactory = Callable[..., dict[str, str]]
PASSWORD = "BAMBOO-pat-Xq3vT9kLmP2wR7sZ"
SHA = "9f1c2e0d7b4a5c6e8f9012a3b4c5d6e7f8091a2b"


class TestBambooContract(CIServerContract):
    server_class = BambooServer
    variants = ("push", "pull_request", "tag", "credentials_in_url")

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        assert isinstance(server, BambooServer)
        text = server.output_files.properties_path.read_text(encoding="utf-8")
        return parse_properties(text)


def info_for(env: dict[str, str]) -> dict[str, str]:
    info = normalize_build_information(BambooServer(env, io.StringIO()).build_information())
    return {**info.to_octopus(), **info.extra()}


EXPECTED = {
    "push": {
        "BuildNumber": "28",
        # The plan's result, not the job's (SHOP-BUILD-JOB1-28).
        "BuildUrl": "https://bamboo.acme.example/browse/SHOP-BUILD-28",
        "Branch": "main",
        "VcsRoot": "https://bitbucket.acme.example/scm/shop/shop",
        "VcsCommitNumber": SHA,
        "PullRequestNumber": "",
        "Tag": "",
        "JobName": "Shop - Build",
    },
    "pull_request": {
        "BuildNumber": "3",
        "BuildUrl": "https://bamboo.acme.example/browse/SHOP-BUILD7-3",
        "Branch": "feature/login",
        "PullRequestNumber": "7",
        "SourceBranch": "feature/login",
        "TargetBranch": "main",
        "HeadCommit": "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f",
    },
    "tag": {
        "Branch": "v1.4.0",
        "Tag": "v1.4.0",
        "VcsCommitNumber": "5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081",
    },
    "credentials_in_url": {
        # Windows agent: upper-case names; Bamboo under a context path.
        "BuildUrl": "https://bamboo.acme.example/bamboo/browse/SHOP-BUILD-29",
        "VcsRoot": "https://bitbucket.acme.example/scm/shop/shop",
        # A rebuild without new changes still reports the built commit.
        "VcsCommitNumber": SHA,
        "Branch": "main",
    },
}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_build_information_of_each_recording(ci_env: EnvFactory, variant: str) -> None:
    got = info_for(ci_env("bamboo", variant))
    assert got["BuildEnvironment"] == "Bamboo"
    assert got["VcsType"] == "Git"
    for key, value in EXPECTED[variant].items():
        assert got[key] == value, key


def test_credentials_never_reach_the_build_information(ci_env: EnvFactory) -> None:
    got = info_for(ci_env("bamboo", "credentials_in_url"))
    assert "Zp8wQk3vN5tR2mXy" not in str(got)
    assert "ci-bot" not in str(got)


@pytest.mark.parametrize(
    "env",
    [
        {"bamboo_buildKey": "SHOP-BUILD-JOB1"},
        {"bamboo_planKey": "SHOP-BUILD"},
        {"BAMBOO_AGENTID": "131073"},
        {"Bamboo_PlanKey": "SHOP-BUILD"},
    ],
)
def test_detects_bamboo_markers_in_any_case(env: dict[str, str]) -> None:
    assert BambooServer.detect(env)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"bamboo_buildNumber": "12"},
        {"bamboo_planKey": "  "},
        {"BAMBOO_HOME": "/var/atlassian/bamboo"},
        {"BUILD_NUMBER": "12", "CI": "true"},
    ],
)
def test_no_false_positives(env: dict[str, str]) -> None:
    assert not BambooServer.detect(env)


def test_other_repositories_of_the_plan_can_be_reported(ci_env: EnvFactory) -> None:
    by_number = info_for(ci_env("bamboo", "push", OCTOCI_BAMBOO_REPOSITORY="2"))
    by_name = info_for(ci_env("bamboo", "push", bamboo_OCTOCI_BAMBOO_REPOSITORY="shop-config"))
    for got in (by_number, by_name):
        assert got["VcsRoot"] == "https://github.com/acme/shop-config"
        assert got["VcsCommitNumber"] == "77aa88bb99cc00dd11ee22ff33aa44bb55cc66dd"
        assert got["Branch"] == "master"


def test_an_unknown_repository_is_one_line_input_error(
    ci_env: EnvFactory, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    env = ci_env("bamboo", "push", OCTOCI_BAMBOO_REPOSITORY="nope")
    with pytest.raises(InputError, match=r"names no repository .*1 \(shop\), 2 \(shop-config\)"):
        info_for(env)
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "OCTOCI_BAMBOO_REPOSITORY=nope" in result.stderr


def test_a_custom_build_of_a_commit_is_not_a_tag(ci_env: EnvFactory) -> None:
    got = info_for(ci_env("bamboo", "push", bamboo_customRevision="1a2b3c4d5e6f"))
    assert (got["Tag"], got["Branch"]) == ("", "main")


def test_subversion_repositories_are_not_called_git(ci_env: EnvFactory) -> None:
    got = info_for(ci_env("bamboo", "push", bamboo_planRepository_1_type="svnv2"))
    assert got["VcsType"] == "Unknown"


def test_commit_range_is_the_repositorys_previous_revision(ci_env: EnvFactory) -> None:
    server = BambooServer(ci_env("bamboo", "push"), io.StringIO())
    info = server.build_information()
    assert server.commit_range(info) == f"1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d..{SHA}"
    rebuild = BambooServer(ci_env("bamboo", "credentials_in_url"), io.StringIO())
    # previousRevision == revision: an empty range, so a rebuild sends no commits.
    assert rebuild.commit_range(rebuild.build_information()) == f"{SHA}..{SHA}"


def test_artifact_root_is_the_build_working_directory(ci_env: EnvFactory) -> None:
    env = ci_env("bamboo", "push")
    (root,) = BambooServer(env, io.StringIO()).artifact_roots()
    assert root == Path(env["bamboo_build_working_directory"])


def test_outputs_go_to_a_properties_file_for_the_inject_task(ci_env: EnvFactory) -> None:
    env = ci_env("bamboo", "push")
    stream = io.StringIO()
    server = BambooServer(env, stream)
    server.set_output("octoci.release", "1.2.3")
    server.set_output("octoci.url", "https://octopus.example/app#/releases/1")
    folder = Path(env["bamboo_build_working_directory"])
    props = parse_properties((folder / "octoci-outputs.properties").read_text(encoding="utf-8"))
    assert props == {
        "octoci.release": "1.2.3",
        "octoci.url": "https://octopus.example/app#/releases/1",
    }
    assert (folder / "octoci-outputs.json").is_file()
    # Announced once, without the values.
    assert stream.getvalue().count("octoci-outputs.properties") == 1
    assert "1.2.3" not in stream.getvalue()


# Within the BMP: the writer stores other characters as a UTF-16 surrogate pair, as Java does
# (and Bamboo reads them so), but octoci.files.parse_properties does not join the pair yet.
BMP_TEXT = st.characters(blacklist_categories=["Cs"], max_codepoint=0xFFFF)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(BMP_TEXT, min_size=1, max_size=12), value=st.text(BMP_TEXT, max_size=30))
def test_any_output_round_trips_through_the_properties_file(
    ci_env: EnvFactory, name: str, value: str
) -> None:
    env = ci_env("bamboo", "push")
    server = BambooServer(env, io.StringIO())
    server.set_output(name, value)
    text = server.output_files.properties_path.read_text(encoding="utf-8")
    assert text.isascii()
    assert parse_properties(text)[name] == value


def test_output_file_can_be_chosen(ci_env: EnvFactory, tmp_path: Path) -> None:
    env = ci_env("bamboo", "push", OCTOCI_OUTPUT_FILE=str(tmp_path / "out" / "vars.json"))
    BambooServer(env, io.StringIO()).set_output("a", "b")
    assert parse_properties((tmp_path / "out" / "vars.properties").read_text("utf-8")) == {"a": "b"}


def test_the_password_is_a_secret_in_either_spelling(ci_env: EnvFactory) -> None:
    for spelling in ("OCTOCI_BAMBOO_PASSWORD", "bamboo_OCTOCI_BAMBOO_PASSWORD"):
        env = ci_env("bamboo", "push", **{spelling: PASSWORD})
        assert BambooServer(env, io.StringIO()).secrets() == [PASSWORD]


def test_a_password_in_a_repository_url_is_a_secret(ci_env: EnvFactory) -> None:
    with_url = BambooServer(ci_env("bamboo", "credentials_in_url"), io.StringIO())
    assert with_url.secrets() == ["Zp8wQk3vN5tR2mXy"]
    assert BambooServer(ci_env("bamboo", "push"), io.StringIO()).secrets() == []


def test_detection_does_not_need_the_extra() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import octoci_plugins.bamboo as b; "
        "assert b.BambooServer.detect({'bamboo_planKey': 'A-B'}); "
        "assert 'atlassian' not in sys.modules and 'requests' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
