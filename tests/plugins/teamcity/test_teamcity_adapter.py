"""The TeamCity adapter: detection, build information from the properties files, paths, bad input."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from octoci.errors import InputError
from octoci.normalize import normalize_build_information
from octoci.plugins import OctociPluginManager
from octoci.testing import CIServerContract
from octoci_plugins.teamcity import TeamCityServer
from octoci_plugins.teamcity.properties import TeamCityProperties, build_id_from, resolve_path

PASSWORD = "Xq3vT9kLmP2wR7sZ"
EnvFactory = Callable[..., dict[str, str]]


class TestTeamCityContract(CIServerContract):
    server_class = TeamCityServer
    variants = ("push", "pull_request", "tag", "credentials_in_url")


def info_for(env: dict[str, str]) -> dict[str, str]:
    server = TeamCityServer(env, io.StringIO())
    info = normalize_build_information(server.build_information())
    return {**info.to_octopus(), **info.extra()}


EXPECTED = {
    "push": {
        "BuildNumber": "128",
        "BuildUrl": "https://teamcity.acme.example/build/4242",
        "Branch": "main",
        "VcsRoot": "https://github.com/acme/shop",
        "VcsCommitNumber": "9f1c2e0d7b4a5c6e8f9012a3b4c5d6e7f8091a2b",
        "PullRequestNumber": "",
        "Tag": "",
        "JobName": "Shop / Build",
    },
    "pull_request": {
        "BuildNumber": "131",
        # No BUILD_URL on this agent: composed from the build *id*, not the number.
        "BuildUrl": "https://teamcity.acme.example/viewLog.html?buildId=4250",
        "Branch": "feature/login",
        "PullRequestNumber": "7",
        "SourceBranch": "feature/login",
        "TargetBranch": "main",
        "HeadCommit": "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f",
        "VcsCommitNumber": "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f",
    },
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0", "PullRequestNumber": ""},
    "credentials_in_url": {
        "VcsRoot": "https://github.com/acme/shop",
        "BuildUrl": "https://teamcity.acme.example/viewLog.html?buildId=4270",
    },
}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_build_information_of_each_recording(ci_env: EnvFactory, variant: str) -> None:
    got = info_for(ci_env("teamcity", variant))
    assert got["BuildEnvironment"] == "TeamCity"
    assert got["VcsType"] == "Git"
    for key, value in EXPECTED[variant].items():
        assert got[key] == value, key


def test_detection_needs_teamcity_version(ci_env: EnvFactory) -> None:
    assert TeamCityServer.detect({"TEAMCITY_VERSION": "2024.12.1 (build 174331)"})
    assert not TeamCityServer.detect({})
    assert not TeamCityServer.detect({"TEAMCITY_VERSION": "  "})
    # Jenkins (and others) set BUILD_NUMBER and BUILD_VCS_NUMBER-like variables too.
    assert not TeamCityServer.detect({"BUILD_NUMBER": "12", "BUILD_ID": "12"})
    assert not TeamCityServer.detect(ci_env("jenkins", "push"))


def test_only_the_teamcity_adapter_claims_its_recordings(
    ci_env: EnvFactory, run_cli: Callable[..., object]
) -> None:
    from octoci.plugins import create_plugin_manager

    pm = create_plugin_manager(load_entrypoints=False)
    for variant in EXPECTED:
        claiming = [
            s.name for s in pm.server_classes().values() if s.detect(ci_env("teamcity", variant))
        ]
        assert claiming == ["teamcity"]


def test_windows_agent_paths_keep_their_style() -> None:
    windows = resolve_path(
        "C:\\BuildAgent\\temp\\buildTmp\\teamcity.config1.properties",
        PureWindowsPath("C:/BuildAgent/temp/buildTmp"),
    )
    assert windows == PureWindowsPath("C:/BuildAgent/temp/buildTmp/teamcity.config1.properties")
    assert windows.is_absolute()
    assert resolve_path("teamcity.config1.properties", PureWindowsPath("D:\\tmp")) == (
        PureWindowsPath("D:\\tmp\\teamcity.config1.properties")
    )
    posix = resolve_path("/opt/buildagent/temp/c.properties", PurePosixPath("/elsewhere"))
    assert posix == PurePosixPath("/opt/buildagent/temp/c.properties")
    assert resolve_path("c.properties", PurePosixPath("/opt/tmp")) == PurePosixPath(
        "/opt/tmp/c.properties"
    )


def test_windows_checkout_dir_is_unescaped_from_the_properties_file(ci_env: EnvFactory) -> None:
    server = TeamCityServer(ci_env("teamcity", "credentials_in_url"), io.StringIO())
    (root,) = server.artifact_roots()
    assert str(root) == "C:\\BuildAgent\\work\\8b1c2d3e4f5a6b7c"
    assert PureWindowsPath(str(root)).parts == ("C:\\", "BuildAgent", "work", "8b1c2d3e4f5a6b7c")


def test_build_id_comes_from_the_temporary_user_when_the_config_lacks_it() -> None:
    assert build_id_from({"teamcity.auth.userId": "TeamCityBuildId=977"}, {}) == "977"
    assert build_id_from({}, {"teamcity.build.id": "12"}) == "12"
    assert build_id_from({"teamcity.auth.userId": "someone"}, {}) == ""


def write_props(folder: Path, build: str, config: str) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "build.properties").write_text(
        build + "teamcity.configuration.properties.file=config.properties\n", encoding="utf-8"
    )
    (folder / "config.properties").write_text(config, encoding="utf-8")
    return {
        "TEAMCITY_VERSION": "2023.05 (build 129203)",
        "TEAMCITY_BUILD_PROPERTIES_FILE": str(folder / "build.properties"),
        "BUILD_NUMBER": "7",
    }


def test_branch_without_a_branch_specification_falls_back_to_the_root_branch(
    tmp_path: Path,
) -> None:
    # OctopusDeploy/Issues#6766: no branch spec, so no teamcity.build.branch; still a branch.
    env = write_props(
        tmp_path,
        "teamcity.auth.userId=TeamCityBuildId\\=5\n",
        "teamcity.serverUrl=https\\://tc.example/\n"
        "vcsroot.branch=refs/heads/trunk\n"
        "vcsroot.url=https\\://git.example/acme/app.git\n"
        "build.vcs.number=aa11bb22cc33dd44ee55ff6677889900aabbccdd\n",
    )
    got = info_for(env)
    assert got["Branch"] == "trunk"
    assert got["VcsCommitNumber"] == "aa11bb22cc33dd44ee55ff6677889900aabbccdd"
    assert got["BuildUrl"] == "https://tc.example/viewLog.html?buildId=5"


def test_default_logical_branch_uses_the_vcs_ref(tmp_path: Path) -> None:
    env = write_props(
        tmp_path,
        "",
        "teamcity.build.branch=<default>\n"
        "teamcity.build.vcs.branch.App_Root=refs/heads/develop\n"
        "vcsroot.App_Root.url=https\\://git.example/acme/app.git\n",
    )
    assert info_for(env)["Branch"] == "develop"


def test_several_vcs_roots_first_by_id_or_the_chosen_one(tmp_path: Path) -> None:
    config = (
        "teamcity.build.vcs.branch.App_Lib=refs/heads/lib-main\n"
        "teamcity.build.vcs.branch.App_Web=refs/heads/web-main\n"
        "vcsroot.App_Lib.url=https\\://git.example/acme/lib.git\n"
        "vcsroot.App_Web.url=https\\://git.example/acme/web.git\n"
        "build.vcs.number.App_Lib=1111111111111111111111111111111111111111\n"
        "build.vcs.number.App_Web=2222222222222222222222222222222222222222\n"
    )
    env = write_props(tmp_path, "", config)
    env["BUILD_VCS_NUMBER_App_Lib"] = "1111111111111111111111111111111111111111"
    env["BUILD_VCS_NUMBER_App_Web"] = "2222222222222222222222222222222222222222"
    first = info_for(env)
    assert (first["VcsRoot"], first["Branch"]) == ("https://git.example/acme/lib", "lib-main")
    assert first["VcsCommitNumber"] == "1" * 40
    chosen = info_for({**env, "OCTOCI_TEAMCITY_VCS_ROOT": "App_Web"})
    assert (chosen["VcsRoot"], chosen["Branch"]) == ("https://git.example/acme/web", "web-main")
    assert chosen["VcsCommitNumber"] == "2" * 40


def test_tfvc_root(tmp_path: Path) -> None:
    env = write_props(
        tmp_path,
        "",
        "vcsroot.tfs-url=https\\://tfs.acme.example/tfs/DefaultCollection\n"
        "vcsroot.tfs-root=$/Shop/Main\n",
    )
    env["BUILD_VCS_NUMBER"] = "1234"
    got = info_for(env)
    assert (got["VcsType"], got["VcsRoot"], got["VcsCommitNumber"]) == (
        "TFVC",
        "https://tfs.acme.example/tfs/DefaultCollection",
        "1234",
    )


def test_numeric_revision_outside_tfs_is_not_called_git(tmp_path: Path) -> None:
    env = write_props(tmp_path, "", "vcsroot.url=svn\\://svn.example/app/trunk\n")
    env["BUILD_VCS_NUMBER"] = "5821"
    assert info_for(env)["VcsType"] == "Unknown"


def test_pull_request_inferred_from_the_ref_without_the_feature(tmp_path: Path) -> None:
    env = write_props(
        tmp_path,
        "",
        "teamcity.build.branch=merge-requests/12\n"
        "teamcity.build.vcs.branch.R=refs/merge-requests/12/merge\n"
        "vcsroot.R.url=https\\://gitlab.example/acme/app.git\n",
    )
    env["BUILD_VCS_NUMBER"] = "abcdefabcdefabcdefabcdefabcdefabcdefabcd"
    got = info_for(env)
    assert got["PullRequestNumber"] == "12"
    assert got["HeadCommit"] == ""  # a merge ref builds a merge commit, not the head


def test_without_a_properties_file_only_the_environment_is_used() -> None:
    env = {"TEAMCITY_VERSION": "2024.12", "BUILD_NUMBER": "3", "BUILD_VCS_NUMBER": "ab" * 20}
    got = info_for(env)
    assert (got["BuildNumber"], got["VcsCommitNumber"], got["BuildUrl"]) == ("3", "ab" * 20, "")


def test_malformed_properties_file_is_a_one_line_input_error(tmp_path: Path) -> None:
    (tmp_path / "b.properties").write_text("teamcity.build.id=\\u12zz\n", encoding="utf-8")
    env = {
        "TEAMCITY_VERSION": "x",
        "TEAMCITY_BUILD_PROPERTIES_FILE": str(tmp_path / "b.properties"),
    }
    with pytest.raises(InputError, match=r"^TeamCity build properties file .* malformed: line 1"):
        TeamCityProperties.load(env)


def test_non_utf8_configuration_file_is_an_input_error(tmp_path: Path) -> None:
    env = write_props(tmp_path, "", "")
    (tmp_path / "config.properties").write_bytes(b"teamcity.build.branch=caf\xe9\n")
    with pytest.raises(InputError, match=r"TeamCity configuration properties file .* not UTF-8"):
        TeamCityProperties.load(env)


def test_a_missing_properties_file_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {
        "TEAMCITY_VERSION": "x",
        "TEAMCITY_BUILD_PROPERTIES_FILE": str(tmp_path / "gone"),
        "BUILD_NUMBER": "9",
        "BUILD_VCS_NUMBER": "ab" * 20,
    }
    assert TeamCityProperties.load(env, quiet=True) == TeamCityProperties()
    with caplog.at_level(logging.WARNING, logger="octoci"):
        server = TeamCityServer(env, io.StringIO())
        info = normalize_build_information(server.build_information())
        assert server.commits(info) is None
    assert (info.build_number, info.vcs_commit_number) == ("9", "ab" * 20)
    (warning,) = caplog.records  # one warning, not one more for the commits
    assert "does not exist" in warning.getMessage()


def test_a_missing_configuration_file_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = write_props(tmp_path, "teamcity.auth.userId=TeamCityBuildId\\=5\n", "")
    (tmp_path / "config.properties").unlink()
    with caplog.at_level(logging.WARNING, logger="octoci"):
        props = TeamCityProperties.load(env)
    assert (props.build_id, props.config) == ("5", {})
    assert "configuration properties file" in caplog.text


def test_bad_input_through_the_cli_exits_2_with_one_line(
    tmp_path: Path, run_cli: Callable[..., object]
) -> None:
    (tmp_path / "b.properties").write_bytes(b"build.number=\xff\xfe\n")
    env = {
        "TEAMCITY_VERSION": "x",
        "TEAMCITY_BUILD_PROPERTIES_FILE": str(tmp_path / "b.properties"),
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    result = run_cli("info", "--json", env=env, cwd=tmp_path)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1
    assert "not UTF-8" in lines[0]


def test_non_utf8_environment_value_exits_2(tmp_path: Path, run_cli: Callable[..., object]) -> None:
    env = {
        "TEAMCITY_VERSION": "2024.12",
        "BUILD_NUMBER": "4\udcff",
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    result = run_cli("info", "--json", "--no-commits", env=env, cwd=tmp_path)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "BUILD_NUMBER" in result.stderr  # type: ignore[attr-defined]


def test_the_temporary_password_is_declared_a_secret(ci_env: EnvFactory) -> None:
    env = ci_env("teamcity", "push", OCTOCI_TEAMCITY_TOKEN="tc-token-0123456789")
    assert set(TeamCityServer(env, io.StringIO()).secrets()) == {PASSWORD, "tc-token-0123456789"}
    broken = {"TEAMCITY_VERSION": "x", "TEAMCITY_BUILD_PROPERTIES_FILE": "/nonexistent/b.props"}
    assert TeamCityServer(broken, io.StringIO()).secrets() == []  # reported where it is read


def test_the_password_is_masked_in_what_the_adapter_writes(
    ci_env: EnvFactory, octoci_pm: OctociPluginManager
) -> None:
    stream = io.StringIO()
    server = octoci_pm.select_server(ci_env("teamcity", "push"), stream, name="teamcity")
    server.build_information()
    server.write(f"curl -u user:{PASSWORD}")
    server.set_output("x", PASSWORD)
    assert PASSWORD not in stream.getvalue()


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=200))
def test_any_properties_file_content_reads_or_is_an_input_error(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "fuzz.properties"
    path.write_bytes(content)
    env = {"TEAMCITY_VERSION": "x", "TEAMCITY_BUILD_PROPERTIES_FILE": str(path)}
    message = ""
    try:
        TeamCityServer(env, io.StringIO()).build_information()
    except InputError as exc:  # any other exception fails the test
        message = str(exc)
    if message:
        assert "\n" not in message
        assert str(path) in message
