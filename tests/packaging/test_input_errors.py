"""``octoci pack`` when an input cannot be read: the error names the input and the real cause.

* a file octoci may not read: exit 2, ``cannot read <file>: Permission denied; ...``;
* a file that vanishes after the walk listed it: exit 1, ``<file> vanished while packing ...``;
* a file name that is not UTF-8: exit 2, the name shown escaped, with an ``--exclude`` pattern;
* error and success lines can be printed to a strict UTF-8 stream whatever the names hold.

Every case leaves nothing on disk: no package, no temporary file, no out folder it created.
"""

from __future__ import annotations

import ctypes
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import octoci.packaging.selection as selection_module
import octoci.packaging.tarwriter as tarwriter
import octoci.packaging.zipwriter as zipwriter
from octoci.cli import run
from octoci.model import PackageEntry

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes and byte names")


def pack_args(base: Path, out: Path, *extra: str) -> list[str]:
    return [
        "--no-plugins",
        "pack",
        "--id",
        "Acme.Web",
        "--version",
        "1.0.0",
        "--base-path",
        str(base),
        "--out-folder",
        str(out),
        *extra,
    ]


def only_one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr  # no traceback
    assert lines[0].startswith("octoci: error: ")
    return lines[0].removeprefix("octoci: error: ")


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir()) if out.exists() else []


# ------------------------------------------------------------------------------ unreadable
# CI runs as root, which reads a file whatever its mode: CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
# bypass the permission check. The octoci process below drops both from its capability bounding
# set before exec (prctl PR_CAPBSET_DROP), so as root it is still uid 0, owns every file of the
# test, and is refused a mode-000 file exactly like a normal user. Without root, chmod is enough.
_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _preexec_without_read_override() -> Callable[[], None] | None:
    if os.geteuid() != 0:
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork

    def drop() -> None:
        for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
            if prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return drop


def octoci_as_a_user(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real ``octoci`` command, in a process for which file modes are binding."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCTOPUS_", "OCTOCI_"))}
    return subprocess.run(
        [sys.executable, "-m", "octoci", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        # Runs between fork and exec: only a prctl call, nothing that takes a lock.
        preexec_fn=_preexec_without_read_override(),
        check=False,
    )


@posix_only
@pytest.mark.parametrize(
    ("package_format", "size"),
    [
        ("zip", 10),  # one whole-entry segment, read on a worker thread
        ("zip", 5 * 1024 * 1024),  # over 4 MiB: the incompressibility probe reads it first
        ("tar.gz", 10),
        ("nupkg", 10),
    ],
)
def test_an_unreadable_input_is_exit_2_naming_the_input(
    helpers: Any, tmp_path: Path, package_format: str, size: int
) -> None:
    base = helpers.make_tree(tmp_path / "build", {"app/a.txt": b"a", "app/x.dll": b"M" * size})
    secret = base / "app" / "x.dll"
    secret.chmod(0)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("not ours")
    done = octoci_as_a_user(pack_args(base, out, "--format", package_format), tmp_path)
    assert done.returncode == 2, done.stderr
    assert only_one_error_line(done.stderr) == (
        f"cannot read {secret}: Permission denied; give the user running octoci read access "
        "to it, or leave it out with --exclude"
    )
    assert done.stdout == ""
    assert leftovers(out) == ["keep.txt"]  # no package, no .partial file


@posix_only
def test_an_unreadable_input_leaves_no_out_folder_and_exclude_gets_past_it(
    helpers: Any, tmp_path: Path
) -> None:
    base = helpers.make_tree(tmp_path / "build", {"a.txt": b"a", "x.dll": b"MZ"})
    (base / "x.dll").chmod(0)
    out = tmp_path / "out"
    refused = octoci_as_a_user(pack_args(base, out), tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert not out.exists()
    packed = octoci_as_a_user(pack_args(base, out, "--exclude", "*.dll"), tmp_path)
    assert packed.returncode == 0, packed.stderr
    with zipfile.ZipFile(out / "Acme.Web.1.0.0.zip") as archive:
        assert archive.namelist() == ["a.txt"]


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_a_file_that_fails_only_when_read_is_named(
    helpers: Any, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    """Opening /proc/self/mem works; reading its first byte (an unmapped address) fails with
    EIO: an error from read() itself, which carries no file name of its own."""
    base = helpers.make_tree(tmp_path / "build", {"a.txt": b"a"})
    (base / "mem").symlink_to("/proc/self/mem")
    out = tmp_path / "out"
    args = pack_args(base, out, "--allow-external-links")
    result = run_cli(*args, cwd=tmp_path)
    assert result.exit_code == 1, result.stderr
    assert only_one_error_line(result.stderr) == f"cannot read {base / 'mem'}: Input/output error"
    assert not out.exists()


# ------------------------------------------------------------------------------ vanished
@pytest.fixture
def vanishing_tree(helpers: Any, tmp_path: Path) -> Path:
    return helpers.make_tree(
        tmp_path / "build", {"app/a.txt": b"a" * 100, "app/b.dll": b"MZ" * 100, "z.txt": b"z"}
    )


@pytest.mark.parametrize("replaced_by_a_folder", [False, True])
def test_a_file_removed_after_the_walk_is_exit_1_vanished(
    vanishing_tree: Path,
    run_cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    replaced_by_a_folder: bool,
) -> None:
    """The build deletes a file (or puts a folder in its place) between the walk and the
    packing, before the file is even stat'ed."""
    gone = vanishing_tree / "app" / "b.dll"
    real_select = selection_module.select_entries

    def select_then_delete(*args: Any, **kwargs: Any) -> list[PackageEntry]:
        entries = real_select(*args, **kwargs)
        gone.unlink()
        if replaced_by_a_folder:
            gone.mkdir()
        return entries

    monkeypatch.setattr(selection_module, "select_entries", select_then_delete)
    out = vanishing_tree.parent / "out"
    result = run_cli(*pack_args(vanishing_tree, out), cwd=vanishing_tree.parent)
    assert result.exit_code == 1, result.stderr
    assert only_one_error_line(result.stderr) == (
        f"{gone} vanished while packing (it was listed, then removed or replaced before it was "
        "read); pack again when the build has finished writing its files"
    )
    assert not out.exists()


@pytest.mark.parametrize("threads", ["1", "3"])  # inline, and on the worker threads
@pytest.mark.parametrize(
    ("package_format", "module", "planner"),
    [("zip", zipwriter, "plan_file"), ("tar.gz", tarwriter, "_member_segments")],
)
def test_a_file_removed_after_it_was_planned_is_exit_1_vanished(
    vanishing_tree: Path,
    run_cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    package_format: str,
    module: Any,
    planner: str,
    threads: str,
) -> None:
    """The file is stat'ed and planned, then deleted before its bytes are read."""
    gone = vanishing_tree / "app" / "b.dll"
    real_plan = getattr(module, planner)

    def plan_then_delete(entry: PackageEntry, *args: Any) -> Any:
        planned = real_plan(entry, *args)
        if entry.source == gone:
            gone.unlink()
        return planned

    monkeypatch.setattr(module, planner, plan_then_delete)
    out = vanishing_tree.parent / "out"
    args = pack_args(vanishing_tree, out, "--format", package_format, "--threads", threads)
    result = run_cli(*args, cwd=vanishing_tree.parent)
    assert result.exit_code == 1, result.stderr
    line = only_one_error_line(result.stderr)
    assert line.startswith(f"{gone} vanished while packing"), line
    assert "cannot write" not in line
    assert not out.exists()


# ------------------------------------------------------------------------------ not UTF-8
def byte_named(folder: Path, *names: bytes) -> Path:
    """``folder`` / ``names`` (raw bytes), as Python sees it (surrogate escapes); skipped where
    the file system refuses such names (macOS APFS)."""
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), *names)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"latin-1 named")
    except OSError:
        pytest.skip("this file system only takes UTF-8 names")
    return path


@pytest.fixture
def latin1_tree(helpers: Any, tmp_path: Path) -> Path:
    return helpers.make_tree(tmp_path / "build", {"a.txt": b"a", "bin/app.dll": b"MZ"})


@pytest.mark.parametrize("package_format", ["zip", "nupkg", "tar.gz", "tar", "tar.bz2"])
def test_a_file_name_that_is_not_utf8_is_exit_2_naming_it(
    latin1_tree: Path, run_cli: Callable[..., Any], package_format: str
) -> None:
    byte_named(latin1_tree, b"caf\xe9.txt")
    out = latin1_tree.parent / "out"
    args = pack_args(latin1_tree, out, "--format", package_format)
    result = run_cli(*args, cwd=latin1_tree.parent)
    assert result.exit_code == 2, result.stderr
    line = only_one_error_line(result.stderr)
    assert line.startswith(
        f"cannot pack {latin1_tree}/caf\\xe9.txt: its name caf\\xe9.txt is not valid UTF-8"
    )
    assert line.endswith(
        "rename the file (e.g. convmv -f latin1 -t utf-8 --notest) "
        "or leave it out with --exclude 'caf?.txt'"
    )
    assert not out.exists()


def test_the_exclude_the_error_suggests_gets_past_it(
    latin1_tree: Path, run_cli: Callable[..., Any]
) -> None:
    byte_named(latin1_tree, b"bin", b"caf\xe9.txt")
    byte_named(latin1_tree, b"d\xff\xfe", b"deep", b"z.txt")
    out = latin1_tree.parent / "out"
    first = run_cli(*pack_args(latin1_tree, out), cwd=latin1_tree.parent)
    assert first.exit_code == 2
    assert only_one_error_line(first.stderr).endswith("--exclude 'bin/caf?.txt'")
    second = run_cli(*pack_args(latin1_tree, out, "--exclude", "bin/caf?.txt"), cwd=out.parent)
    assert second.exit_code == 2
    line = only_one_error_line(second.stderr)
    assert f"cannot pack {latin1_tree}/d\\xff\\xfe/deep/z.txt: the folder name d\\xff\\xfe" in line
    assert line.endswith(
        "rename the folder (e.g. convmv -f latin1 -t utf-8 --notest) "
        "or leave it out with --exclude 'd??/**'"
    )
    args = pack_args(latin1_tree, out, "--exclude", "bin/caf?.txt", "--exclude", "d??/**")
    third = run_cli(*args, cwd=out.parent)
    assert third.exit_code == 0, third.stderr
    with zipfile.ZipFile(out / "Acme.Web.1.0.0.zip") as archive:
        assert archive.namelist() == ["a.txt", "bin/app.dll"]


# ------------------------------------------------------------------------------ printing
class StrictStreams:
    """stdout and stderr that refuse what their encoding cannot encode, as a terminal's stdout
    does (Python's own stderr is lenient, a pipe or an embedding program's may not be)."""

    def __init__(self, encoding: str = "utf-8") -> None:
        self.encoding = encoding
        self.out = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="strict")
        self.err = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="strict")

    def run(self, args: list[str], cwd: Path, **env: str) -> int:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), **env}
        return run(args, env=env, stdout=self.out, stderr=self.err, cwd=cwd)

    @staticmethod
    def text(stream: io.TextIOWrapper) -> str:
        stream.flush()
        buffer = stream.buffer
        assert isinstance(buffer, io.BytesIO)
        return buffer.getvalue().decode(stream.encoding)


@pytest.mark.parametrize("debug", [False, True])
def test_an_error_naming_a_non_utf8_file_prints_on_a_strict_stream(
    latin1_tree: Path, debug: bool
) -> None:
    name = byte_named(latin1_tree, b"caf\xe9.txt")
    streams = StrictStreams()
    args = (["--debug"] if debug else []) + pack_args(latin1_tree, latin1_tree.parent / "out")
    assert streams.run(args, latin1_tree.parent) == 2
    err = streams.text(streams.err)
    assert err.splitlines()[-1].startswith(f"octoci: error: cannot pack {latin1_tree}/caf\\xe9.txt")
    assert ("Traceback" in err) is debug
    assert str(name) not in err


def test_a_package_in_a_folder_whose_name_is_not_utf8_is_reported(
    latin1_tree: Path,
) -> None:
    out = byte_named(latin1_tree.parent, b"out\xe9", b"placeholder").parent
    shown = f"{latin1_tree.parent}/out\\xe9/Acme.Web.1.0.0.zip"
    streams = StrictStreams()
    assert streams.run(pack_args(latin1_tree, out), latin1_tree.parent) == 0
    assert streams.text(streams.out).startswith(f"Packed 2 files into {shown} (")
    streams = StrictStreams()
    args = [*pack_args(latin1_tree, out), "--json", "--overwrite"]
    assert streams.run(args, latin1_tree.parent) == 0, streams.text(streams.err)
    assert json.loads(streams.text(streams.out))["Path"] == shown


@pytest.mark.parametrize(
    ("encoding", "shown"),
    [("utf-8", "caf\\xe9-\u00fc"), ("ascii", "caf\\xe9-\\xfc")],
    ids=["utf-8", "ascii"],
)
def test_any_error_line_prints_on_a_strict_stream(
    tmp_path: Path, encoding: str, shown: str
) -> None:
    """A message that still holds a raw name (the missing base path, from the command line) is
    escaped by the error handler itself, and so is what the stream's encoding cannot show."""
    missing = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9-\xc3\xbc")  # Latin-1, then UTF-8
    streams = StrictStreams(encoding)
    assert streams.run(pack_args(Path(missing), tmp_path / "out"), tmp_path) == 2
    assert streams.text(streams.err) == (
        f"octoci: error: the base path {tmp_path}/{shown} does not exist; "
        "pass --base-path with a folder to pack\n"
    )


def test_a_secret_is_masked_before_the_error_line_is_escaped(tmp_path: Path) -> None:
    """On an ASCII stream the escaped form of a secret (``\\xc4``) would slip past the mask."""
    secret = "API-\u00c4BCDEFGHIJKLMNOPQRSTUV"
    streams = StrictStreams("ascii")
    args = pack_args(tmp_path / secret, tmp_path / "out")
    assert streams.run(args, tmp_path, OCTOPUS_API_KEY=secret) == 2
    err = streams.text(streams.err)
    assert err == (
        f"octoci: error: the base path {tmp_path}/*** does not exist; "
        "pass --base-path with a folder to pack\n"
    )
