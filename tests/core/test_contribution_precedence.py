"""What a plugin says against what the core would find itself, through the ``octoci`` command:
a plugin's artifact wins over the core's default discovery of the same file, and a server API
that answers "no commits" is an answer (only a failure falls back to git)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from octoci import BuildInformation, CIServer, Commit, hookimpl
from octoci.errors import OctociError
from octoci.model import Artifact
from octoci.testing import CliResult

RunCli = Callable[..., CliResult]


def write_zip(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("index.html", "<h1>legacy</h1>")
    return path


class ContentArtifacts:
    """A plugin that knows better than the file name: this zip is content to pack, not a package."""

    def __init__(self, *paths: Path) -> None:
        self.paths = paths

    @hookimpl
    def octoci_discover_artifacts(
        self, server: CIServer, search_paths: Sequence[Path]
    ) -> list[Artifact]:
        return [Artifact(path, source="content-plugin") for path in self.paths]


class PackageArtifacts:
    """A plugin that reports package files as paths relative to the build's folder."""

    def __init__(self, *paths: Path) -> None:
        self.paths = paths

    @hookimpl
    def octoci_discover_artifacts(
        self, server: CIServer, search_paths: Sequence[Path]
    ) -> list[Artifact]:
        return [Artifact(path, "Legacy", "1.0.0", source="package-plugin") for path in self.paths]


@pytest.mark.parametrize("spelling", ["absolute", "relative"])
def test_a_plugins_artifact_wins_over_the_core_default_for_the_same_file(
    run_cli: RunCli, tmp_path: Path, spelling: str
) -> None:
    legacy = write_zip(tmp_path / "out" / "Legacy.1.0.0.zip")
    reported = legacy if spelling == "absolute" else Path("out/Legacy.1.0.0.zip")
    # The core's default finds out/Legacy.1.0.0.zip too, as the ready-made package Legacy 1.0.0,
    # which pack --from-artifacts skips; the plugin's word (content to pack) must win.
    result = run_cli(
        "--no-plugins",
        "pack",
        "--id",
        "Bundle",
        "--version",
        "2.0.0",
        "--from-artifacts",
        "--artifact-path",
        "out",
        "--out-folder",
        "dist",
        "--json",
        cwd=tmp_path,
        plugins=[ContentArtifacts(reported)],
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["Files"] == 1
    with zipfile.ZipFile(tmp_path / "dist" / "Bundle.2.0.0.zip") as bundle:
        assert bundle.namelist() == ["Legacy.1.0.0.zip"]


def test_without_a_plugin_the_core_default_sees_a_package_and_packs_nothing(
    run_cli: RunCli, tmp_path: Path
) -> None:
    write_zip(tmp_path / "out" / "Legacy.1.0.0.zip")
    result = run_cli(
        "--no-plugins",
        "pack",
        "--id",
        "Bundle",
        "--version",
        "2.0.0",
        "--from-artifacts",
        "--artifact-path",
        "out",
        cwd=tmp_path,
    )
    assert result.exit_code == 2
    assert f"no artifacts to pack were found in {tmp_path / 'out'};" in result.stderr


def test_a_package_a_plugin_reports_by_a_relative_path_is_published_once(
    run_cli: RunCli, git_repo: Callable[..., Path]
) -> None:
    repo = git_repo(["Start"])
    write_zip(repo / "out" / "Legacy.1.0.0.zip")
    # The relative path is relative to the build's folder (not to where the process runs), and
    # is the same file the core's default reports by its absolute path: one package, pushed once.
    result = run_cli(
        "--no-plugins",
        "publish",
        "--emulator",
        "--artifact-path",
        "out",
        "--json",
        cwd=repo,
        plugins=[PackageArtifacts(Path("out/Legacy.1.0.0.zip"))],
    )
    assert result.exit_code == 0, result.stderr
    pushed = json.loads(result.stdout)["Packages"]
    assert [(p["PackageId"], p["Path"], p["Pushed"]) for p in pushed] == [
        ("Legacy", str(repo / "out" / "Legacy.1.0.0.zip"), True)
    ]


# ---------------------------------------------------------------------- commits
class Kestrel(CIServer):
    """A server whose API answers with ``KESTREL_COMMITS``: a list, "none" (no API) or "fail"."""

    name = "kestrel"
    display_name = "Kestrel"

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        return env.get("KESTREL") == "true"

    def build_information(self) -> BuildInformation:
        return BuildInformation(
            build_environment=self.display_name,
            build_number="7",
            branch="refs/heads/main",
            vcs_root="https://github.com/acme/shop.git",
        )

    def commits(self, info: BuildInformation) -> list[Commit] | None:
        answer = self.env.get("KESTREL_COMMITS", "")
        if answer == "none":
            return None
        if answer == "fail":
            raise OctociError("Kestrel API: answered HTTP 503")
        return [Commit(f"{n:040x}", f"api commit {n}") for n in range(int(answer or 0))]


class KestrelPlugin:
    @hookimpl
    def octoci_servers(self) -> list[type[CIServer]]:
        return [Kestrel]


@pytest.mark.parametrize(
    ("answer", "comments", "warned"),
    [
        ("0", [], False),  # the API's answer: this build has no new commits
        ("2", ["api commit 0", "api commit 1"], False),
        ("none", ["three", "two"], False),  # no API: git since the previous tag
        ("fail", ["three", "two"], True),  # the API failed: git, with a warning
    ],
)
def test_an_empty_commit_list_from_the_server_is_not_replaced_by_git(
    run_cli: RunCli,
    git_repo: Callable[..., Path],
    answer: str,
    comments: list[str],
    warned: bool,
) -> None:
    repo = git_repo(["one", "two", "three"], tags={0: "v1.0.0"})
    env = {"KESTREL": "true", "KESTREL_COMMITS": answer, "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = run_cli("info", "--json", env=env, cwd=repo, plugins=[KestrelPlugin()])
    assert result.exit_code == 0, result.stderr
    commits = json.loads(result.stdout)["BuildInformation"]["Commits"]
    assert [c["Comment"] for c in commits] == comments
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert bool(warnings) is warned, warnings
