"""``octoci push --repository`` and ``octoci publish`` with ``[[packages]] repository``: the
built-in feed, the ``directory`` kind and a third party's kind, against the emulator."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

import octoci
from octoci.errors import InputError
from octoci.repositories import PackageRepository, RepositoryConfig, RepositoryKind
from octoci.repositories.octopus_feed import KIND as OCTOPUS
from octoci.repositories.registry import repository_configs, repository_secrets
from octoci.testing import CliResult
from octoci_emulator import Emulator

from .conftest import SHELF_TOKEN, ShelfPlugin, sha1_of

Run = Callable[..., CliResult]


def _share(project: Path, folder: Path) -> None:
    (project / "octoci.toml").write_text(
        f'[repositories.share]\nkind = "directory"\npath = "{folder.as_posix()}"\n',
        encoding="utf-8",
    )


def test_push_to_a_directory_repository_stores_the_file_and_nothing_in_octopus(
    octoci_run: Run,
    project: Path,
    package: Callable[..., Path],
    octopus_emulator: Emulator,
    tmp_path: Path,
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    _share(project, share)
    path = package("Acme.Web.1.0.0.zip", b"first build")
    result = octoci_run("push", "--repository", "share", "dist/*.zip", "--json")
    assert result.exit_code == 0, result.stderr
    stored = share / "Acme.Web.1.0.0.zip"
    assert stored.read_bytes() == b"first build"
    assert [p.name for p in share.iterdir()] == ["Acme.Web.1.0.0.zip"]  # no partial file left
    assert octopus_emulator.packages() == []
    (entry,) = json.loads(result.stdout)["Packages"]
    assert entry["Repository"] == "share"
    assert entry["Location"] == str(stored)
    assert entry["Hash"] == sha1_of(path)
    assert entry["Result"] == "created"
    assert "to the repository 'share'" in result.stderr
    again = octoci_run("push", "--repository", "share", "dist/*.zip")
    assert again.exit_code == 0, again.stderr
    assert "already in the repository 'share', identical" in again.stdout


def test_a_version_already_in_a_repository_follows_the_overwrite_modes(
    octoci_run: Run, project: Path, package: Callable[..., Path], tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    _share(project, share)
    (share / "Acme.Web.1.0.0.zip").write_bytes(b"an earlier build")
    package("Acme.Web.1.0.0.zip", b"this build")
    env = {"OCTOCI_REPOSITORY": "share"}
    failed = octoci_run("push", "dist/Acme.Web.1.0.0.zip", env=env)
    assert failed.exit_code == 1
    (line,) = failed.stderr.strip().splitlines()
    assert "is already in the repository 'share' with different content" in line
    assert (share / "Acme.Web.1.0.0.zip").read_bytes() == b"an earlier build"
    ignored = octoci_run("push", "dist/Acme.Web.1.0.0.zip", "--overwrite-mode", "ignore", env=env)
    assert ignored.exit_code == 0
    assert "yours was NOT uploaded" in ignored.stdout + ignored.stderr
    assert (share / "Acme.Web.1.0.0.zip").read_bytes() == b"an earlier build"
    replaced = octoci_run(
        "push", "dist/Acme.Web.1.0.0.zip", "--overwrite-mode", "overwrite", env=env
    )
    assert replaced.exit_code == 0, replaced.stderr
    assert (share / "Acme.Web.1.0.0.zip").read_bytes() == b"this build"


def test_the_default_is_the_built_in_feed_named_in_the_json(
    octoci_run: Run, package: Callable[..., Path], octopus_emulator: Emulator
) -> None:
    path = package("Acme.Web.1.0.0.zip")
    result = octoci_run("push", "dist/*.zip", "--json")
    assert result.exit_code == 0, result.stderr
    (entry,) = json.loads(result.stdout)["Packages"]
    assert entry["Repository"] == "octopus"
    assert entry["Location"].startswith(octopus_emulator.url + "/api/")
    assert [p["Hash"] for p in octopus_emulator.packages()] == [sha1_of(path)]
    assert "repository" not in result.stderr  # the built-in feed's line is as it always was


def test_a_plugin_kind_gets_its_secret_from_the_environment_masked_everywhere(
    octoci_run: Run, project: Path, package: Callable[..., Path], shelf_plugin: ShelfPlugin
) -> None:
    (project / "octoci.toml").write_text(
        '[repositories.shelf-a]\nkind = "shelf"\nurl = "https://shelf.example"\n', encoding="utf-8"
    )
    package("Acme.Web.1.0.0.zip", b"shelved")
    wrong = "wrong-token-77aa11"
    refused = octoci_run(
        "push", "--repository", "shelf-a", "dist/*.zip",
        env={"OCTOCI_REPOSITORY_SHELF_A_TOKEN": wrong}, plugins=[shelf_plugin],
    )  # fmt: skip
    assert refused.exit_code == 2
    (line,) = refused.stderr.strip().splitlines()
    assert "refused the token" in line
    assert refused.leaks(wrong) == []
    assert shelf_plugin.shelf.held == {}
    pushed = octoci_run(
        "push", "--repository", "shelf-a", "dist/*.zip", "--json",
        env={"OCTOCI_REPOSITORY_SHELF_A_TOKEN": SHELF_TOKEN}, plugins=[shelf_plugin],
    )  # fmt: skip
    assert pushed.exit_code == 0, pushed.stderr
    assert shelf_plugin.shelf.held == {("Acme.Web", "1.0.0"): b"shelved"}
    assert json.loads(pushed.stdout)["Packages"][0]["Location"] == "shelf://Acme.Web/1.0.0"


def test_a_repository_that_stores_other_bytes_is_an_error_not_a_success(
    octoci_run: Run, project: Path, package: Callable[..., Path], shelf_plugin: ShelfPlugin
) -> None:
    (project / "octoci.toml").write_text(
        f'[repositories.shelf]\nkind = "shelf"\ntoken = "{SHELF_TOKEN}"\n', encoding="utf-8"
    )
    package("Acme.Web.1.0.0.zip", b"shelved")
    shelf_plugin.shelf.damage = True
    result = octoci_run("push", "--repository", "shelf", "dist/*.zip", plugins=[shelf_plugin])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "to the repository 'shelf' failed: it holds Acme.Web 1.0.0 with SHA-1" in line
    assert result.leaks(SHELF_TOKEN) == []  # from the file, masked all the same


def test_bad_repository_configuration_is_one_line_naming_what_is_known(
    octoci_run: Run, project: Path, package: Callable[..., Path]
) -> None:
    package("Acme.Web.1.0.0.zip")
    cases = {
        '[repositories.r]\nkind = "mavn"\n': "unknown kind 'mavn'",
        '[repositories.r]\nkind = "directory"\npaht = "x"\n': "unknown key 'paht'",
        '[repositories.r]\npath = "x"\n': (
            "kind is required; known kinds: directory, http, maven, octopus, s3"
        ),
        '[repositories.octopus]\nkind = "directory"\n': "is the built-in feed's name",
        '[repositories.r]\nkind = "directory"\n': "path is required",
    }
    for text, expected in cases.items():
        (project / "octoci.toml").write_text(text, encoding="utf-8")
        result = octoci_run("push", "--repository", "r", "dist/*.zip")
        assert result.exit_code == 2, (text, result.stderr)
        (line,) = result.stderr.strip().splitlines()
        assert expected in line, line
    (project / "octoci.toml").unlink()
    unknown = octoci_run("push", "--repository", "nope", "dist/*.zip")
    assert unknown.exit_code == 2
    assert "names the repository 'nope', which no [repositories.nope] table" in unknown.stderr
    assert "configured: octopus" in unknown.stderr


PUBLISH_CONFIG = """\
[repositories.share]
kind = "directory"
path = "{share}"

[[packages]]
id = "Acme.Web"
base_path = "web"
repository = "share"

[[packages]]
id = "Acme.Api"
base_path = "api"
"""


def _publish_project(project: Path, share: Path) -> None:
    (project / "octoci.toml").write_text(
        PUBLISH_CONFIG.format(share=share.as_posix()), encoding="utf-8"
    )
    for name in ("web", "api"):
        (project / name).mkdir()
        (project / name / "index.txt").write_text(name, encoding="utf-8")


def test_publish_routes_each_package_to_its_repository(
    octoci_run: Run, project: Path, tmp_path: Path, octopus_emulator: Emulator
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    _publish_project(project, share)
    result = octoci_run("publish", "--version", "1.0.0", "--no-build-info", "--json")
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in share.iterdir()] == ["Acme.Web.1.0.0.zip"]
    assert [p["PackageId"] for p in octopus_emulator.packages()] == ["Acme.Api"]
    packages = {p["PackageId"]: p for p in json.loads(result.stdout)["Packages"]}
    assert packages["Acme.Web"]["Repository"] == "share"
    assert packages["Acme.Api"]["Repository"] == "octopus"
    dry = octoci_run("publish", "--version", "1.0.0", "--no-build-info", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "already in the repository 'share', identical" in dry.stdout + dry.stderr


def test_a_missing_folder_is_found_before_anything_is_pushed(
    octoci_run: Run, project: Path, tmp_path: Path, octopus_emulator: Emulator
) -> None:
    _publish_project(project, tmp_path / "no-such-share")
    result = octoci_run("publish", "--version", "1.0.0", "--no-build-info")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "repositories.share: the folder" in line
    assert "does not exist" in line
    assert octopus_emulator.packages() == []


def test_publish_reports_a_failed_repository_among_several_and_keeps_the_others(
    octoci_run: Run,
    project: Path,
    tmp_path: Path,
    octopus_emulator: Emulator,
    shelf_plugin: ShelfPlugin,
) -> None:
    _publish_project(project, tmp_path)
    config = project / "octoci.toml"
    text = config.read_text(encoding="utf-8").replace(
        'repository = "share"', 'repository = "shelf"'
    )
    config.write_text(text + '\n[repositories.shelf]\nkind = "shelf"\n', encoding="utf-8")
    shelf_plugin.shelf.damage = True
    result = octoci_run(
        "publish", "--version", "1.0.0", "--no-build-info", "--json",
        env={"OCTOCI_REPOSITORY_SHELF_TOKEN": SHELF_TOKEN}, plugins=[shelf_plugin],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "1 of 2 packages failed: Acme.Web.1.0.0.zip: pushing" in result.stderr
    assert [p["PackageId"] for p in octopus_emulator.packages()] == ["Acme.Api"]
    document = json.loads(result.stdout)
    assert [p["PackageId"] for p in document["Packages"] if p["Pushed"]] == ["Acme.Api"]
    assert result.leaks(SHELF_TOKEN) == []


def test_push_to_another_repository_needs_no_octopus_server(
    octoci_run: Run, project: Path, package: Callable[..., Path], tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    _share(project, share)
    package("Acme.Web.1.0.0.zip", b"no octopus here")
    offline = {"OCTOPUS_URL": "", "OCTOPUS_API_KEY": ""}
    result = octoci_run("push", "--repository", "share", "dist/*.zip", "--json", env=offline)
    assert result.exit_code == 0, result.stderr
    assert (share / "Acme.Web.1.0.0.zip").read_bytes() == b"no octopus here"
    assert json.loads(result.stdout)["Packages"][0]["Repository"] == "share"
    # A file for the built-in feed still needs the server, and says so in one line.
    to_octopus = octoci_run("push", "dist/*.zip", env=offline)
    assert to_octopus.exit_code == 2
    (line,) = to_octopus.stderr.strip().splitlines()
    assert "no Octopus server URL" in line


class _ChainPlugin:
    """A kind whose client reads its secret from ``CHAIN_SECRET`` by itself (as boto3 reads
    ``AWS_SECRET_ACCESS_KEY``), and whose error repeats it."""

    @octoci.hookimpl
    def octoci_repository_kinds(self) -> list[RepositoryKind]:
        def create(config: RepositoryConfig) -> PackageRepository:
            raise InputError(f"the chain refused {os.environ.get('CHAIN_SECRET', '')!r}")

        return [
            RepositoryKind(
                name="chain", description="tests", create=create, secret_variables=("CHAIN_SECRET",)
            )
        ]


def test_secrets_a_kind_reads_from_the_environment_are_masked(
    octoci_run: Run, project: Path, package: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "octoci.toml").write_text('[repositories.c]\nkind = "chain"\n', encoding="utf-8")
    package("Acme.Web.1.0.0.zip")
    secret = "chain-secret-4242aa"
    monkeypatch.setenv("CHAIN_SECRET", secret)
    result = octoci_run(
        "push", "--repository", "c", "dist/*.zip",
        env={"CHAIN_SECRET": secret}, plugins=[_ChainPlugin()],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "the chain refused" in result.stderr
    assert result.leaks(secret) == []


def test_the_s3_kind_masks_boto3s_environment_secrets() -> None:
    from octoci.repositories.s3 import KIND as S3

    configs = repository_configs({"r": {"kind": "s3", "bucket": "b"}}, {"s3": S3}, {})
    env = {"AWS_SECRET_ACCESS_KEY": "aws-secret-9911", "AWS_SESSION_TOKEN": "tok-5566"}
    assert repository_secrets(configs, {"s3": S3, "octopus": OCTOPUS}, env) == [
        "aws-secret-9911",
        "tok-5566",
    ]
