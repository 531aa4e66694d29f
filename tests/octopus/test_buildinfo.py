"""Build information: capture or file, many ids, overwrite modes, re-runs, warnings."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from octoci.errors import InputError
from octoci.model import BuildInformation, Commit
from octoci.octopus.buildinfo import (
    COMMIT_WARNING_THRESHOLD,
    build_information_warnings,
    read_build_information_file,
    validate_build_information_target,
)
from octoci.testing import CliResult
from octoci_emulator import Emulator

INFO = {
    "BuildEnvironment": "Jenkins",
    "BuildNumber": "42",
    "BuildUrl": "https://ci.example/job/shop/42",
    "Branch": "main",
    "VcsType": "Git",
    "VcsRoot": "https://github.com/acme/shop",
    "VcsCommitNumber": "9f1c2e0d",
    "Commits": [{"Id": "9f1c2e0d", "Comment": "Fixes #12: the login page"}],
}


@pytest.fixture
def info_file(tmp_path: Path) -> Path:
    path = tmp_path / "buildinfo.json"
    path.write_text(json.dumps(INFO), encoding="utf-8")
    return path


def test_push_from_file_for_many_ids_and_rerun(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, info_file: Path
) -> None:
    args = ("build-info", "--package-id", "Acme.Web,Acme.Worker", "--version", "1.2.3",
            "--file", info_file.name, "--json")  # fmt: skip
    result = octoci(*args)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["BuildInformation"] == INFO
    assert [(r["PackageId"], r["Result"]) for r in data["Results"]] == [
        ("Acme.Web", "created"),
        ("Acme.Worker", "created"),
    ]
    stored = octopus_emulator.documents("buildinfo")
    assert sorted(d["PackageId"] for d in stored) == ["Acme.Web", "Acme.Worker"]
    assert stored[0]["Commits"][0]["LinkUrl"] == "https://github.com/acme/shop/commit/9f1c2e0d"
    again = octoci(*args)
    assert again.exit_code == 0, again.stderr
    assert {r["Result"] for r in json.loads(again.stdout)["Results"]} == {"identical"}


def test_different_record_needs_an_overwrite_mode(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, info_file: Path
) -> None:
    base = (
        "build-info",
        "--package-id",
        "Acme.Web",
        "--version",
        "1.2.3",
        "--file",
        info_file.name,
    )
    assert octoci(*base).exit_code == 0
    info_file.write_text(json.dumps({**INFO, "BuildNumber": "43"}), encoding="utf-8")
    refused = octoci(*base)
    assert refused.exit_code == 1
    assert "already has different build information" in refused.stderr
    assert octopus_emulator.documents("buildinfo")[0]["BuildNumber"] == "42"
    kept = octoci(*base, "--overwrite-mode", "IgnoreIfExists")
    assert kept.exit_code == 0
    assert "kept (IgnoreIfExists)" in kept.stdout
    assert octoci(*base, "--overwrite-mode", "OverwriteExisting").exit_code == 0
    assert octopus_emulator.documents("buildinfo")[0]["BuildNumber"] == "43"


def test_captured_from_the_build_server(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    git_repo: Callable[..., Path],
) -> None:
    repo = git_repo(["Initial commit", "Fixes #3: crash on start"], tags={0: "v1.0.0"})
    result = octoci("build-info", "--package-id", "Acme.Web", "--version", "1.0.1", cwd=repo)
    assert result.exit_code == 0, result.stderr
    (stored,) = octopus_emulator.documents("buildinfo")
    assert stored["VcsRoot"] == "https://github.com/acme/shop"
    assert [c["Comment"] for c in stored["Commits"]] == ["Fixes #3: crash on start"]


def test_a_file_path_as_package_id_is_refused_before_sending(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, info_file: Path
) -> None:
    result = octoci("build-info", "--package-id", "dist/Acme.Web.1.2.3.zip", "--version", "1.2.3",
                    "--file", info_file.name)  # fmt: skip
    assert result.exit_code == 2
    assert "looks like a file path: pass the package id ('Acme.Web')" in result.stderr
    assert octopus_emulator.documents("buildinfo") == []


def test_a_container_image_name_is_a_package_id_but_a_lower_case_file_path_is_not(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, info_file: Path
) -> None:
    image = octoci("build-info", "--package-id", "acme/shop-web", "--version", "1.2.3",
                   "--file", info_file.name)  # fmt: skip
    assert image.exit_code == 0, image.stderr
    assert "looks like a file" not in image.stdout + image.stderr
    assert [d["PackageId"] for d in octopus_emulator.documents("buildinfo")] == ["acme/shop-web"]
    path = octoci("build-info", "--package-id", "dist/acme.web.1.2.3.zip", "--version", "1.2.3",
                  "--file", info_file.name)  # fmt: skip
    assert path.exit_code == 2
    assert "looks like a file path: pass the package id ('acme.web')" in path.stderr


def test_warnings_for_vcs_type_file_like_ids_and_many_commits() -> None:
    info = BuildInformation(
        vcs_type="SVN",
        commits=tuple(Commit(f"c{i}") for i in range(COMMIT_WARNING_THRESHOLD)),
    )
    warnings = build_information_warnings(["Acme.Web.zip"], info)
    assert len(warnings) == 3
    assert "commits will be hidden" in warnings[0]
    assert "looks like a file name" in warnings[1]
    assert f"{COMMIT_WARNING_THRESHOLD} commits" in warnings[2]
    assert build_information_warnings(["Acme.Web"], BuildInformation(vcs_type="Git")) == []


def test_warnings_reach_the_build_server(octoci: Callable[..., CliResult], info_file: Path) -> None:
    info_file.write_text(json.dumps({**INFO, "VcsType": "SVN"}), encoding="utf-8")
    result = octoci("build-info", "--package-id", "Acme.Web", "--version", "1.2.3",
                    "--file", info_file.name)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "warning: VcsType is 'SVN'" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "is not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"Commits": "abc"}', "Commits must be a list"),
        ('{"BuildNumber": {"a": 1}}', "BuildNumber must be a string"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_build_information_file(path)


def test_wrapped_file_form(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.json"
    path.write_text(json.dumps({"OctopusBuildInformation": INFO}), encoding="utf-8")
    assert read_build_information_file(path).build_number == "42"


def test_bad_version_is_input_error() -> None:
    with pytest.raises(InputError, match="version 'latest'"):
        validate_build_information_target(["Acme.Web"], "latest")


def test_lost_answer_is_retried_and_verified(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, info_file: Path
) -> None:
    octopus_emulator.add_fault(action="lose_response", path="build-information", times=1)
    result = octoci("build-info", "--package-id", "Acme.Web", "--version", "1.2.3",
                    "--file", info_file.name, "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["Results"][0]["Result"] == "identical"
    assert len(octopus_emulator.documents("buildinfo")) == 1
