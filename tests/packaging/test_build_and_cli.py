"""Building a package end to end and ``octoci pack``: validation first, atomic writes, output."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

import octoci
from octoci.errors import InputError
from octoci.model import Artifact, PackageEntry, PackageFormat, PackageSpec
from octoci.packaging.build import build_package, find_format


def test_invalid_id_and_version_fail_before_any_work(tree: Path, pack, tmp_path: Path) -> None:
    out = tmp_path / "never"
    with pytest.raises(InputError, match=r"invalid package id 'Acme\.2'.*like 'Acme\.Web'"):
        pack(tree, id="Acme.2", out_folder=out)
    with pytest.raises(InputError, match=r"invalid version '1\.x'.*like 1\.2\.3"):
        pack(tree, version="1.x", out_folder=out)
    with pytest.raises(InputError, match=r"unknown package format 'tar\.xz'"):
        pack(tree, format="tar.xz", out_folder=out)
    with pytest.raises(InputError, match="compression level 12"):
        pack(tree, compression_level=12, out_folder=out)
    assert not out.exists()


def test_format_aliases(helpers) -> None:
    assert find_format(helpers.formats, "TGZ").name == "tar.gz"
    assert find_format(helpers.formats, ".nupkg").name == "nupkg"
    assert find_format(helpers.formats, "targz").extension == ".tar.gz"


def test_overwrite_is_needed_to_replace(tree: Path, pack, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = pack(tree, out_folder=out)
    with pytest.raises(InputError, match="already exists; pass --overwrite"):
        pack(tree, out_folder=out)
    (tree / "new.txt").write_text("new")
    second = pack(tree, out_folder=out, overwrite=True)
    assert second.sha256 != first.sha256
    assert [p.name for p in out.iterdir()] == ["Acme.Web.1.2.3.zip"]


def test_a_failing_writer_leaves_nothing_behind(tree: Path, tmp_path: Path) -> None:
    def broken(spec: PackageSpec, entries: Sequence[PackageEntry], destination: Path) -> None:
        destination.write_bytes(b"half a package")
        raise OSError(28, "No space left on device")

    formats = {"zip": PackageFormat("zip", ".zip", broken)}
    out = tmp_path / "out"
    with pytest.raises(octoci.OctociError, match="No space left"):
        build_package(PackageSpec(id="A", version="1.0.0", base_path=tree, out_folder=out), formats)
    assert not out.exists()  # the folder we created is gone too


def test_an_interrupted_write_leaves_nothing_behind(tree: Path, tmp_path: Path) -> None:
    def interrupted(spec: PackageSpec, entries: Sequence[PackageEntry], destination: Path) -> None:
        destination.write_bytes(b"PK partial")
        raise KeyboardInterrupt

    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("not ours")
    formats = {"zip": PackageFormat("zip", ".zip", interrupted)}
    with pytest.raises(KeyboardInterrupt):
        build_package(PackageSpec(id="A", version="1.0.0", base_path=tree, out_folder=out), formats)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]  # an existing folder is kept


def test_the_package_being_written_is_not_packed_into_itself(tree: Path, pack) -> None:
    first = pack(tree, out_folder=tree)
    second = pack(tree, out_folder=tree, overwrite=True)
    assert first.sha256 == second.sha256


def cli(run_cli, *args: str, cwd: Path, env: dict[str, str] | None = None, plugins=()):
    return run_cli("--no-plugins", "pack", *args, cwd=cwd, env=env or {}, plugins=plugins)


def test_cli_json_output(tree: Path, run_cli, tmp_path: Path) -> None:
    result = cli(
        run_cli,
        "--id",
        "Acme.Web",
        "--version",
        "1.0.0",
        "--base-path",
        str(tree),
        "--out-folder",
        "out",
        "--exclude",
        "media/**",
        "--json",
        cwd=tmp_path,
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    path = Path(data["Path"])
    assert path == tmp_path / "out" / "Acme.Web.1.0.0.zip"
    assert data["Size"] == path.stat().st_size
    assert len(data["Sha256"]) == 64
    assert data["Format"] == "zip"
    assert data["Files"] == 8
    assert data["Engine"]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--id", "Acme.2", "--version", "1.0.0"], {}, "invalid package id 'Acme.2'"),
        (["--id", "Acme", "--version", "one"], {}, "invalid version 'one'"),
        (
            ["--id", "Acme", "--version", "1.0.0", "--include", "*.dll"],
            {},
            "no files to pack under",
        ),
        (["--id", "Acme", "--version", "1.0.0", "--format", "rar"], {}, "unknown package format"),
        (["--id", "Acme", "--version", "1.0.0", "--author", "me"], {}, "needs --format nupkg"),
        (
            ["--id", "Acme", "--version", "1.0.0"],
            {"SOURCE_DATE_EPOCH": "yesterday"},
            "SOURCE_DATE_EPOCH",
        ),
        (["--id", "Acme", "--version", "1.0.0", "--base-path", "missing"], {}, "does not exist"),
        (["--id", "Acme", "--version", "1.0.0", "--include", "/abs/*"], {}, "is absolute"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(
    tree: Path, run_cli, args: list[str], env: dict[str, str], message: str
) -> None:
    base = [] if "--base-path" in args else ["--base-path", str(tree)]
    result = cli(run_cli, *args, *base, "--out-folder", "out", cwd=tree.parent, env=env)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tree.parent / "out").exists()


def test_cli_nupkg_metadata_and_release_notes_file(tree: Path, run_cli, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("Fixed the login page", encoding="utf-8")
    result = cli(
        run_cli,
        "--id",
        "Acme.Web",
        "--version",
        "1.0.0",
        "--format",
        "nupkg",
        "--base-path",
        str(tree),
        "--out-folder",
        "out",
        "--author",
        "Ann",
        "--author",
        "Bob",
        "--tag",
        "web",
        "--release-notes-file",
        str(notes),
        cwd=tmp_path,
    )
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "Acme.Web.1.0.0.nupkg") as archive:
        nuspec = archive.read("Acme.Web.nuspec").decode()
    assert "<authors>Ann, Bob</authors>" in nuspec
    assert "<releaseNotes>Fixed the login page</releaseNotes>" in nuspec
    assert "<tags>web</tags>" in nuspec


def test_cli_source_date_epoch(tree: Path, run_cli, tmp_path: Path) -> None:
    args = ["--id", "A", "--version", "1.0.0", "--base-path", str(tree), "--json", "--overwrite"]
    one = json.loads(
        cli(run_cli, *args, cwd=tmp_path, env={"SOURCE_DATE_EPOCH": "1700000000"}).stdout
    )
    two = json.loads(cli(run_cli, *args, cwd=tmp_path).stdout)
    assert one["Sha256"] != two["Sha256"]


class VersionPlugin:
    """Computes the version, as a build-server plugin would."""

    @octoci.hookimpl(tryfirst=True)
    def octoci_package_version(self, server: object, info: object) -> str:
        return "3.1.4-ci.7"


def test_cli_version_from_the_plugins(tree: Path, run_cli, tmp_path: Path) -> None:
    result = cli(
        run_cli,
        "--id",
        "Acme",
        "--base-path",
        str(tree),
        "--json",
        cwd=tmp_path,
        plugins=[VersionPlugin()],
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["Path"].endswith("Acme.3.1.4-ci.7.zip")


class ArtifactPlugin:
    """Reports a folder and a ready-made package, as a build-server plugin would."""

    def __init__(self, folder: Path, package: Path) -> None:
        self.folder, self.package = folder, package

    @octoci.hookimpl
    def octoci_discover_artifacts(self, server: object, search_paths: object) -> list[Artifact]:
        return [
            Artifact(self.folder, source="test"),
            Artifact(self.package, "Old", "1.0.0", source="test"),
        ]


def test_cli_from_artifacts(helpers, run_cli, tmp_path: Path) -> None:
    folder = helpers.make_tree(tmp_path / "publish", {"site/index.html": b"<p>", "app.dll": b"MZ"})
    ready = helpers.make_tree(tmp_path / "dist", {"Old.1.0.0.zip": b"PK"}) / "Old.1.0.0.zip"
    plugin = ArtifactPlugin(folder, ready)
    result = cli(
        run_cli,
        "--id",
        "Acme",
        "--version",
        "1.0.0",
        "--from-artifacts",
        "--json",
        "--out-folder",
        "out",
        cwd=tmp_path,
        plugins=[plugin],
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["Files"] == 2  # the ready-made package is not repacked


def test_cli_from_artifacts_with_nothing_found(run_cli, tmp_path: Path) -> None:
    result = cli(
        run_cli,
        "--id",
        "Acme",
        "--version",
        "1.0.0",
        "--from-artifacts",
        "--artifact-path",
        str(tmp_path),
        cwd=tmp_path,
    )
    assert result.exit_code == 2
    assert "no artifacts to pack were found" in result.stderr


def test_the_core_plugin_registers_every_format(octoci_pm) -> None:
    formats = octoci_pm.package_formats()
    assert {name: f.extension for name, f in formats.items()} == {
        "zip": ".zip",
        "nupkg": ".nupkg",
        "tar.gz": ".tar.gz",
        "tar": ".tar",
        "tar.bz2": ".tar.bz2",
    }


def test_help_does_not_import_the_writers() -> None:
    import subprocess
    import sys

    code = (
        "import io, sys\n"
        "from octoci.cli import run\n"
        "run(['--help'], env={}, stdout=io.StringIO(), stderr=io.StringIO())\n"
        "loaded = [m for m in sys.modules if m.startswith('octoci.packaging.')]\n"
        "print(','.join(sorted(loaded)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() in ("", "octoci.packaging.plugin")
