from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from octoci.model import BuildInformation, Commit, Package, RunReport

OCTOPUS_KEYS = [
    "BuildEnvironment",
    "BuildNumber",
    "BuildUrl",
    "Branch",
    "VcsType",
    "VcsRoot",
    "VcsCommitNumber",
    "Commits",
]


def test_to_octopus_is_exactly_octopus_build_information() -> None:
    info = BuildInformation(
        build_environment="Jenkins",
        build_number="7",
        build_url="https://ci/job/7/",
        branch="main",
        vcs_root="https://github.com/acme/shop",
        vcs_commit_number="abc",
        commits=(Commit("abc", "Fix it"),),
        pull_request_number="12",
    )
    data = info.to_octopus()
    assert list(data) == OCTOPUS_KEYS
    assert data["Commits"] == [{"Id": "abc", "Comment": "Fix it"}]
    assert "PullRequestNumber" not in data
    assert info.extra()["PullRequestNumber"] == "12"


def test_round_trip_through_octopus_json() -> None:
    info = BuildInformation(
        build_environment="TeamCity",
        build_number="1",
        branch="dev",
        vcs_commit_number="f00",
        commits=(Commit("f00", "a"), Commit("e11", "b\n\nbody")),
        tag="v1",
        job_name="Shop",
    )
    assert BuildInformation.from_octopus(info.to_octopus(), info.extra()) == info


def test_from_octopus_rejects_wrong_types_by_name() -> None:
    with pytest.raises(TypeError, match="BuildNumber"):
        BuildInformation.from_octopus({"BuildNumber": ["1"]})
    with pytest.raises(TypeError, match="Commits"):
        BuildInformation.from_octopus({"Commits": "abc"})
    with pytest.raises(TypeError, match="Id"):
        BuildInformation.from_octopus({"Commits": [{"Comment": "x"}]})


def test_numbers_are_accepted_as_text() -> None:
    assert BuildInformation.from_octopus({"BuildNumber": 42}).build_number == "42"


def test_dataclasses_are_frozen() -> None:
    info = BuildInformation()
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.branch = "x"  # type: ignore[misc]
    assert info.replace(branch="x").branch == "x"
    assert RunReport().replace(space="Spaces-2").space == "Spaces-2"
    assert Package(Path("a"), "a", "1").pushed is None
