"""The Continua CI adapter against recorded environments: detection (names in any case), build
information, changeset commits with messages from git, and ``@@continua[...]`` messages."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from octoci.errors import InputError
from octoci.normalize import normalize_build_information
from octoci.testing import CIServerContract, CliResult, parse_ci_output
from octoci_plugins.continua_ci import ContinuaCI
from octoci_plugins.continua_ci.messages import build_message, escape

CiEnv = Callable[..., dict[str, str]]
C1 = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
C2 = "2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"
C3 = "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"
PASSWORD = "Xq3vT9kLmP2wR7sZ"


class TestContinuaContract(CIServerContract):
    server_class = ContinuaCI
    variants: ClassVar[tuple[str, ...]] = ("push", "pull_request", "tag", "credentials_in_url")


def info_for(env: dict[str, str], cwd: Path | None = None) -> dict[str, str]:
    server = ContinuaCI(env, io.StringIO(), cwd=cwd)
    info = normalize_build_information(server.build_information())
    return {**info.to_octopus(), **info.extra()}


EXPECTED = {
    "push": {
        "BuildNumber": "87",
        "BuildUrl": "https://continua.acme.test/Shop/Build_and_Package/builds/view/3321",
        "Branch": "master",
        "VcsRoot": "https://github.com/acme/shop",
        "VcsCommitNumber": C3,
        "PullRequestNumber": "",
        "Tag": "",
        "JobName": "Shop / Build and Package",
    },
    "pull_request": {"PullRequestNumber": "17", "VcsCommitNumber": C2, "HeadCommit": C2},
    # Two tags on the built changeset: the one that looks like a version.
    "tag": {"Branch": "v1.4.0", "Tag": "v1.4.0", "BuildNumber": "91"},
    "credentials_in_url": {
        "VcsRoot": "https://git.acme.test/platform/shop",
        "Branch": "release/2.0",
    },
}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_build_information_per_variant(ci_env: CiEnv, variant: str) -> None:
    info = info_for(ci_env("continua_ci", variant))
    assert (info["BuildEnvironment"], info["VcsType"]) == ("Continua CI", "Git")
    assert {key: info[key] for key in EXPECTED[variant]} == EXPECTED[variant]


def test_names_are_matched_in_any_case(ci_env: CiEnv) -> None:
    # Python on Windows upper-cases the names in os.environ.
    env = {key.upper(): value for key, value in ci_env("continua_ci", "push").items()}
    assert ContinuaCI.detect(env)
    assert info_for(env) == info_for(ci_env("continua_ci", "push"))


@pytest.mark.parametrize(
    ("branch", "number"),
    [
        ("refs/pull/17/head", "17"),
        ("pull/17/merge", "17"),
        ("refs/pull-requests/8/from", "8"),
        ("refs/merge-requests/5/head", "5"),
        ("pr/12", "12"),
        ("feature/pull-up", ""),
        ("pr/fix", ""),
    ],
)
def test_pull_request_refs(ci_env: CiEnv, branch: str, number: str) -> None:
    env = ci_env("continua_ci", "push", **{"ContinuaCI.Build.LatestChangeset.Branch": branch})
    assert info_for(env)["PullRequestNumber"] == number


def test_branch_falls_back_to_the_triggering_branch(ci_env: CiEnv) -> None:
    env = ci_env(
        "continua_ci",
        "push",
        **{
            "ContinuaCI.Build.LatestChangeset.Branch": "",
            "ContinuaCI.Build.TriggeringBranch": "",
            "ContinuaCI.Build.RepositoryBranches": "develop,master",
        },
    )
    assert info_for(env)["Branch"] == "develop"


def test_settings_from_plain_variables_and_the_git_remote(
    ci_env: CiEnv, git_repo: Callable[..., Path]
) -> None:
    repo = git_repo(["first"], remote="git@github.com:acme/web.git")
    env = ci_env(
        "continua_ci",
        "push",
        **{"ContinuaCI.Variable.OctociBuildUrl": "", "ContinuaCI.Variable.OctociRepositoryUrl": ""},
        OCTOCI_BUILD_URL="https://ci.acme.test/builds/view/1",
    )
    info = info_for(env, cwd=repo)
    assert info["BuildUrl"] == "https://ci.acme.test/builds/view/1"
    assert info["VcsRoot"] == "https://github.com/acme/web"


def test_without_any_repository_setting_the_root_is_empty(ci_env: CiEnv, tmp_path: Path) -> None:
    env = ci_env("continua_ci", "push", **{"ContinuaCI.Variable.OctociRepositoryUrl": ""})
    assert info_for(env, cwd=tmp_path)["VcsRoot"] == ""


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"CI": "true"},
        {"ContinuaCI.Version": "  "},
        {"CONTINUA": "1", "BUILD_NUMBER": "3"},
        {"TEAMCITY_VERSION": "2024.12", "BUILD_NUMBER": "3"},
    ],
)
def test_no_false_positives(env: dict[str, str]) -> None:
    assert not ContinuaCI.detect(env)


def test_detected_by_any_continua_variable() -> None:
    assert ContinuaCI.detect({"ContinuaCI.Version": "1.9.2.1052"})
    assert ContinuaCI.detect({"continuaci.build.id": "12"})


def test_the_password_in_the_repository_url_is_a_secret(
    ci_env: CiEnv, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    env = ci_env("continua_ci", "credentials_in_url", OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1")
    assert ContinuaCI(env, io.StringIO()).secrets() == [PASSWORD]
    result = run_cli("info", "--json", "--no-commits", env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == "continua_ci"
    assert data["BuildInformation"]["VcsRoot"] == "https://git.acme.test/platform/shop"
    assert PASSWORD not in result.stdout + result.stderr


# ---------------------------------------------------------------------------- commits
@pytest.fixture
def history(git_repo: Callable[..., Path], run_git: Callable[..., str]) -> tuple[Path, list[str]]:
    """A repository with three commits; their ids oldest first."""
    repo = git_repo(["Add the basket\n\nCloses #12", "Fix the total", "Bump to 1.4"])
    return repo, run_git(repo, "rev-list", "--reverse", "HEAD").split()


def env_for(ci_env: CiEnv, revisions: list[str], latest: str, **overrides: str) -> dict[str, str]:
    return ci_env(
        "continua_ci",
        "push",
        **{
            "ContinuaCI.Build.ChangesetRevisions": ",".join(revisions),
            "ContinuaCI.Build.LatestChangeset.Revision": latest,
        },
        **overrides,
    )


def commits_of(env: dict[str, str], cwd: Path) -> list[tuple[str, str]] | None:
    server = ContinuaCI(env, io.StringIO(), cwd=cwd)
    listed = server.commits(normalize_build_information(server.build_information()))
    return None if listed is None else [(c.id, c.comment) for c in listed]


def test_changesets_newest_first_with_messages_from_git(
    ci_env: CiEnv, history: tuple[Path, list[str]]
) -> None:
    repo, ids = history
    got = commits_of(env_for(ci_env, ids, ids[-1]), repo)
    assert got == [
        (ids[2], "Bump to 1.4"),
        (ids[1], "Fix the total"),
        (ids[0], "Add the basket\n\nCloses #12"),
    ]
    # Listed newest first already: kept as given; short ids become full ones.
    got = commits_of(env_for(ci_env, [ids[2][:10], ids[1][:10]], ids[2][:10]), repo)
    assert got == [(ids[2], "Bump to 1.4"), (ids[1], "Fix the total")]


def test_a_changeset_git_does_not_know_keeps_its_id_with_one_warning(
    ci_env: CiEnv, history: tuple[Path, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    repo, ids = history
    unknown = "f" * 40
    with caplog.at_level(logging.WARNING, logger="octoci"):
        got = commits_of(env_for(ci_env, [ids[1], unknown, ids[2]], ids[2]), repo)
    assert got == [(ids[2], "Bump to 1.4"), (unknown, ""), (ids[1], "Fix the total")]
    assert len(caplog.records) == 1
    assert "1 of 3 changesets" in caplog.text


def test_without_a_repository_the_ids_come_alone(
    ci_env: CiEnv, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="octoci"):
        got = commits_of(env_for(ci_env, [C1, C2, C3], C3), tmp_path)
    assert got == [(C3, ""), (C2, ""), (C1, "")]
    assert "not a git repository" in caplog.text


def test_other_repository_types_keep_the_ids(ci_env: CiEnv, tmp_path: Path) -> None:
    env = env_for(ci_env, ["1041", "1042"], "1042", **{"ContinuaCI.Variable.OctociVcsType": "TFVC"})
    assert commits_of(env, tmp_path) == [("1042", ""), ("1041", "")]


def test_no_changesets_falls_back_to_git(ci_env: CiEnv, tmp_path: Path) -> None:
    assert commits_of(env_for(ci_env, [], C3), tmp_path) is None


@pytest.mark.parametrize("bad", ["--output=/tmp/x", "a b", "HEAD~1^{tree}"])
def test_a_revision_that_is_no_revision_is_an_input_error(
    ci_env: CiEnv, tmp_path: Path, bad: str
) -> None:
    with pytest.raises(InputError, match="ChangesetRevisions"):
        commits_of(env_for(ci_env, [C1, bad], C1), tmp_path)


def test_info_json_end_to_end(
    ci_env: CiEnv, history: tuple[Path, list[str]], run_cli: Callable[..., CliResult]
) -> None:
    repo, ids = history
    env = env_for(ci_env, ids[1:], ids[2], OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1")
    result = run_cli("info", "--json", env=env, cwd=repo)
    assert result.exit_code == 0, result.stderr
    build = json.loads(result.stdout)["BuildInformation"]
    assert (build["BuildEnvironment"], build["BuildNumber"], build["VcsCommitNumber"]) == (
        "Continua CI",
        "87",
        ids[2],
    )
    assert build["Commits"] == [
        {"Id": ids[2], "Comment": "Bump to 1.4"},
        {"Id": ids[1], "Comment": "Fix the total"},
    ]


# ---------------------------------------------------------------------------- messages
# Python's splitlines() (used by the test parser) also breaks at these; Continua's agent reads
# lines at \n and \r only, so they are written as they are (see the test below).
OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
SPECIAL = st.sampled_from([*"\\'[]\n\r", "\\n", "@@continua[", "']"])
TEXT = st.lists(
    st.one_of(st.text(alphabet=st.characters(blacklist_characters=OTHER_BREAKS)), SPECIAL),
    max_size=10,
).map("".join)


@given(name=TEXT, value=TEXT)
def test_set_build_variable_round_trips_any_text(name: str, value: str) -> None:
    line = build_message("setBuildVariable", name=name, value=value)
    assert "\n" not in line
    assert "\r" not in line
    (message,) = parse_ci_output(line)
    assert (message.protocol, message.name) == ("continua", "setBuildVariable")
    assert message.properties == {"name": name, "value": value}


def test_documented_escapes() -> None:
    assert escape("\\'[]\n\r") == "\\\\\\'\\[\\]\\n\\r"
    assert escape("café 🚀 50%") == "café 🚀 50%"
    assert escape("a\u2028b") == "a\u2028b"


def test_invalid_message_names_are_refused() -> None:
    with pytest.raises(ValueError, match="not a Continua message type"):
        build_message("bad name]", value="x")
    with pytest.raises(ValueError, match="not a Continua message parameter"):
        build_message("message", **{"va lue": "x"})


def make(ci_env: CiEnv) -> tuple[ContinuaCI, io.StringIO]:
    stream = io.StringIO()
    return ContinuaCI(ci_env("continua_ci", "push"), stream), stream


def test_outputs_are_build_variables_skipped_when_undefined(ci_env: CiEnv) -> None:
    server, stream = make(ci_env)
    server.set_output("OctopusRelease", "1.4.0")
    (message,) = parse_ci_output(stream.getvalue())
    assert message.name == "setBuildVariable"
    assert message.properties == {
        "name": "OctopusRelease",
        "value": "1.4.0",
        "skipIfNotDefined": "true",
    }


def test_text_that_looks_like_a_message_cannot_command_continua(ci_env: CiEnv) -> None:
    server, stream = make(ci_env)
    server.write("commit: @@continua[setBuildStatus value='pwned']\nplain line")
    first, second = parse_ci_output(stream.getvalue())
    assert (first.name, first.properties["status"]) == ("message", "information")
    assert first.properties["value"] == "commit: @@continua[setBuildStatus value='pwned']"
    assert (second.protocol, second.value) == ("text", "plain line")


def test_groups_nest_and_close_by_name(ci_env: CiEnv) -> None:
    server, stream = make(ci_env)
    with server.group("Pushing [packages]"), server.group("Build information"):
        server.write("inside")
    names = [(m.name, m.properties.get("name")) for m in parse_ci_output(stream.getvalue())]
    assert names == [
        ("startGroup", "Pushing [packages]"),
        ("startGroup", "Build information"),
        ("text", None),
        ("endGroup", "Build information"),
        ("endGroup", "Pushing [packages]"),
    ]


@pytest.mark.parametrize(
    ("level", "status"), [("notice", "information"), ("warning", "warning"), ("error", "error")]
)
def test_annotations_are_messages_with_a_status(ci_env: CiEnv, level: str, status: str) -> None:
    server, stream = make(ci_env)
    server.annotate(level, "It's [done]", file="src/app.py", line=3)  # type: ignore[arg-type]
    (message,) = parse_ci_output(stream.getvalue())
    assert message.properties == {"value": "It's [done] (src/app.py:3)", "status": status}


def test_the_summary_is_a_group(ci_env: CiEnv) -> None:
    server, stream = make(ci_env)
    server.add_summary("## Octopus Deploy\n\nRelease **1.4.0** created")
    messages = parse_ci_output(stream.getvalue())
    assert [(m.name, m.value) for m in messages] == [
        ("startGroup", ""),
        ("text", "## Octopus Deploy"),
        ("text", "Release **1.4.0** created"),
        ("endGroup", ""),
    ]
    assert messages[0].properties == messages[-1].properties == {"name": "Octopus Deploy summary"}


def test_artifact_root_is_the_output_folder(ci_env: CiEnv, tmp_path: Path) -> None:
    server = ContinuaCI(ci_env("continua_ci", "push"), io.StringIO(), cwd=tmp_path)
    assert server.artifact_roots() == [tmp_path / "Output"]
