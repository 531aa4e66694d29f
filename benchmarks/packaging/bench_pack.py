"""Benchmark ``octoci pack`` side by side with the reference packers, in the same run.

Usage (from the repository root)::

    .venv/bin/python benchmarks/packaging/bench_pack.py build-tree /tmp/octoci-bench/tree
    .venv/bin/python benchmarks/packaging/bench_pack.py run /tmp/octoci-bench/tree --reps 3

``build-tree`` writes a seeded tree shaped like the one in ``shared/spec/packaging.md`` section 0.1:
about 5,000 files and 310 MB of text (slices of real .py/.js/.html/.css/.json files on this
machine), DLL-like binaries (slices of real shared libraries) and incompressible data (random
bytes named like images, fonts and archives).

``run`` packs the tree with every method, round-robin (repetition 1 of every method, then 2 ...),
each in its own process so wall time and peak RSS (``wait4``) are the process's own, and prints
the median of each as a ratio against Info-ZIP ``zip -r -6`` measured in the same run, plus the
ratio against a plain ``cat`` of the tree (the physical floor). Compare ratios, not seconds: the
machine is shared and noisy. It then checks that octoci's output is byte-identical after every
mtime changes, and, when ``rdiff`` (librsync) is installed, how large a delta a 1% change gives.

Nothing here asserts a timing: it reports. To try the libdeflate engine without installing it
into the project, put it on ``PYTHONPATH`` (``pip install --target DIR deflate``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SEED = 20_261_127
TEXT_SUFFIXES = (".py", ".js", ".html", ".css", ".json", ".xml", ".md", ".txt")
MEDIA_SUFFIXES = (".png", ".jpg", ".woff2", ".gz", ".bin", ".dat")


# ----------------------------------------------------------------------------- tree
def _corpus(roots: Sequence[Path], suffixes: tuple[str, ...], limit: int) -> bytes:
    """Concatenated real files (sorted, so the corpus is the same on every run here)."""
    chunks: list[bytes] = []
    total = 0
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if total >= limit:
                break
            if path.suffix in suffixes and path.is_file() and not path.is_symlink():
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
                chunks.append(data)
                total += len(data)
    if not chunks:
        raise SystemExit(f"no {suffixes} files found under {roots}")
    return b"".join(chunks)


def _sizes(rng: random.Random, count: int, median: int, cap: int, total: int) -> list[int]:
    raw = [min(cap, max(64, int(rng.lognormvariate(0, 1.3) * median))) for _ in range(count)]
    scale = total / sum(raw)
    return [min(cap, max(64, int(size * scale))) for size in raw]


def build_tree(target: Path) -> None:
    """Write the benchmark tree (about 5,000 files, 310 MB) to ``target``."""
    rng = random.Random(SEED)
    if target.exists():
        shutil.rmtree(target)
    prefix = Path(sys.prefix)
    text = _corpus(
        [Path(sys.base_prefix) / "lib", prefix / "lib", Path("/usr/share")],
        TEXT_SUFFIXES,
        120_000_000,
    )
    binary = _corpus(
        [Path("/usr/lib/x86_64-linux-gnu"), Path("/usr/lib"), prefix / "lib"],
        (".so",),
        200_000_000,
    )
    kinds: list[tuple[str, int, int, int, int, Callable[[int], bytes]]] = [
        ("src", 2700, 16_000, 2_000_000, 105_000_000, lambda n: _slice(rng, text, n)),
        ("bin", 1500, 24_000, 4_000_000, 115_000_000, lambda n: _slice(rng, binary, n)),
        ("media", 800, 29_000, 7_300_000, 90_000_000, rng.randbytes),
    ]
    folders = [f"{a}/{b}" for a in ("app", "lib", "web", "tools", "assets") for b in range(115)]
    for kind, count, median, cap, total, content in kinds:
        for index, size in enumerate(_sizes(rng, count, median, cap, total)):
            suffix = (
                rng.choice(TEXT_SUFFIXES)
                if kind == "src"
                else ".dll"
                if kind == "bin"
                else rng.choice(MEDIA_SUFFIXES)
            )
            path = target / rng.choice(folders) / f"{kind}{index:04}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content(size))
    files = [p for p in target.rglob("*") if p.is_file()]
    print(f"{len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB in {target}")


def _slice(rng: random.Random, corpus: bytes, size: int) -> bytes:
    if size >= len(corpus):
        return (corpus * (size // len(corpus) + 1))[:size]
    start = rng.randrange(0, len(corpus) - size)
    return corpus[start : start + size]


# ----------------------------------------------------------------------------- methods
@dataclass
class Method:
    """One way to pack the tree: a command, the file it writes (None: it writes nothing)."""

    name: str
    command: list[str]
    output: Path | None
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    walls: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    size: int = 0
    sha256: str = ""


ZIPFILE_SCRIPT = """
import os, sys, zipfile
base, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
    for folder, dirs, files in os.walk(base):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            archive.write(path, os.path.relpath(path, base))
"""


ZLIB_NG_SCRIPT = (
    "import zipfile\nfrom zlib_ng import zlib_ng\nzipfile.zlib = zlib_ng\n" + ZIPFILE_SCRIPT
)


def _importable(python: str, module: str) -> bool:
    probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True, check=False)
    return probe.returncode == 0


def methods(tree: Path, work: Path, python: str) -> list[Method]:
    """Every method this machine can run, the Info-ZIP baseline first."""
    found: list[Method] = []
    shell_cat = f"find {tree} -type f -print0 | xargs -0 cat > /dev/null"
    found.append(Method("cat (read the tree)", ["sh", "-c", shell_cat], None))
    if shutil.which("zip"):
        out = work / "infozip.zip"
        found.append(
            Method(
                "Info-ZIP zip -r -6",
                ["sh", "-c", f"rm -f {out}; zip -r -q -6 {out} ."],
                out,
                cwd=tree,
            )
        )
    if shutil.which("tar"):
        out = work / "gnutar.tar.gz"
        found.append(
            Method("GNU tar czf (gzip -6)", ["tar", "czf", str(out), "-C", str(tree), "."], out)
        )
    out = work / "zipfile.zip"
    found.append(
        Method("Python zipfile level 6", [python, "-c", ZIPFILE_SCRIPT, str(tree), str(out)], out)
    )
    variants: list[tuple[str, str, list[str]]] = []
    if _importable(python, "zlib_ng"):
        out = work / "zlibng.zip"
        found.append(
            Method(
                "Python zipfile + zlib-ng level 6",
                [python, "-c", ZLIB_NG_SCRIPT, str(tree), str(out)],
                out,
            )
        )
    if _importable(python, "deflate"):
        variants += [
            ("octoci zip (libdeflate, level 6)", "zip", ["--engine", "libdeflate"]),
            (
                "octoci zip (libdeflate, level 1)",
                "zip",
                ["--engine", "libdeflate", "--compression-level", "1"],
            ),
        ]
    variants += [
        ("octoci zip (zlib, level 6)", "zip", ["--engine", "zlib"]),
        ("octoci zip (zlib, level 6, 1 thread)", "zip", ["--engine", "zlib", "--threads", "1"]),
        ("octoci tar.gz (zlib, level 6)", "tar.gz", ["--engine", "zlib"]),
        ("octoci nupkg (default engine)", "nupkg", []),
    ]
    for index, (name, fmt, extra) in enumerate(variants):
        folder = work / f"octoci{index}"
        ext = {"zip": ".zip", "tar.gz": ".tar.gz", "nupkg": ".nupkg"}[fmt]
        command = [
            python,
            "-m",
            "octoci",
            "--no-plugins",
            "pack",
            "--id",
            "Bench",
            "--version",
            "1.0.0",
            "--format",
            fmt,
            "--base-path",
            str(tree),
            "--out-folder",
            str(folder),
            "--overwrite",
            *extra,
        ]
        found.append(Method(name, command, folder / f"Bench.1.0.0{ext}"))
    return found


TIME = shutil.which("time") or "/usr/bin/time"


def _run(method: Method) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run; fails loudly if the command fails.

    Peak RSS comes from GNU time when installed: ``wait4`` on a child forked from this Python
    process would count the parent's pages it had before ``exec``.
    """
    env = {**os.environ, **method.env}
    report = Path(os.environ.get("TMPDIR", "/tmp")) / "octoci-bench-rss.txt"
    use_time = Path(TIME).exists()
    command = [TIME, "-f", "%M", "-o", str(report), *method.command] if use_time else method.command
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=method.cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{method.name} failed ({process.returncode}): {stderr.strip()}")
    kib = int(report.read_text().split()[-1]) if use_time else usage.ru_maxrss
    return wall, kib / 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _touch_all(tree: Path, when: float) -> None:
    for path in tree.rglob("*"):
        os.utime(path, (when, when), follow_symlinks=False)


# ----------------------------------------------------------------------------- delta
def _delta_ratio(old: Path, new: Path, work: Path) -> float | None:
    """rdiff delta size / new package size (2 KiB blocks, as Octodiff's default)."""
    if not shutil.which("rdiff"):
        return None
    signature, delta = work / "sig", work / "delta"
    subprocess.run(["rdiff", "-f", "-b", "2048", "signature", str(old), str(signature)], check=True)
    subprocess.run(["rdiff", "-f", "delta", str(signature), str(new), str(delta)], check=True)
    return delta.stat().st_size / new.stat().st_size


def delta_check(tree: Path, work: Path, python: str, all_methods: list[Method]) -> list[str]:
    """Change 1% of the files (edit text, patch binaries), repack, measure the deltas."""
    if not shutil.which("rdiff"):
        return ["delta: skipped (rdiff, from librsync, is not installed)"]
    rng = random.Random(SEED + 1)
    files = sorted(p for p in tree.rglob("*") if p.is_file())
    chosen = rng.sample(files, max(1, len(files) // 100))
    wanted = [
        m
        for m in all_methods
        if m.output is not None
        and ("Info-ZIP" in m.name or "tar czf" in m.name or "octoci" in m.name)
    ]
    old_copies = {}
    for method in wanted:
        assert method.output is not None
        copy = work / f"old-{abs(hash(method.name))}{''.join(method.output.suffixes)}"
        shutil.copyfile(method.output, copy)
        old_copies[method.name] = copy
    backups = {path: path.read_bytes() for path in chosen}
    lines = []
    try:
        for path in chosen:
            data = bytearray(backups[path])
            for _ in range(3):
                spot = rng.randrange(len(data)) if data else 0
                data[spot : spot + 8] = rng.randbytes(8)
            path.write_bytes(bytes(data))
        for method in wanted:
            assert method.output is not None
            _run(method)
            ratio = _delta_ratio(old_copies[method.name], method.output, work)
            lines.append(f"delta after a 1% change: {method.name}: {ratio:.2%} of the package")
    finally:
        for path, data in backups.items():
            path.write_bytes(data)
    return lines


# ----------------------------------------------------------------------------- report
def run(tree: Path, reps: int, work: Path, python: str, as_json: Path | None) -> None:
    """Run every method ``reps`` times round-robin and print the ratio table."""
    work.mkdir(parents=True, exist_ok=True)
    all_methods = methods(tree, work, python)
    tree_bytes = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
    for method in all_methods:  # warm the page cache and catch a broken method early
        if method.name.startswith("cat"):
            _run(method)
    for rep in range(reps):
        for method in all_methods:
            wall, rss = _run(method)
            method.walls.append(wall)
            method.rss.append(rss)
            if method.output is not None:
                method.size = method.output.stat().st_size
                digest = _sha256(method.output)
                if rep and method.sha256 != digest:
                    method.sha256 = "differs between repetitions"
                elif not rep:
                    method.sha256 = digest
        print(f"repetition {rep + 1}/{reps} done", file=sys.stderr)
    baseline = next((m for m in all_methods if m.name.startswith("Info-ZIP")), None)
    cat = next(m for m in all_methods if m.name.startswith("cat"))
    base_wall = statistics.median(baseline.walls) if baseline else float("nan")
    base_size = baseline.size if baseline else 0
    cat_wall = statistics.median(cat.walls)
    rows = []
    header = (
        "| method | wall s | MB/s | x zip -6 throughput | x cat time | out MB | "
        "out / zip -6 | peak RSS MB |"
    )
    print(f"\nTree: {tree_bytes / 1e6:.1f} MB; median of {reps}; {os.cpu_count()} CPUs\n")
    print(header)
    print("|" + "---|" * 8)
    for method in all_methods:
        wall = statistics.median(method.walls)
        rss = max(method.rss)
        size_ratio = f"{method.size / base_size:.3f}" if method.output and base_size else "-"
        out_mb = f"{method.size / 1e6:.1f}" if method.output else "-"
        print(
            f"| {method.name} | {wall:.2f} | {tree_bytes / 1e6 / wall:.0f} | "
            f"{base_wall / wall:.2f} | {wall / cat_wall:.1f} | {out_mb} | {size_ratio} | "
            f"{rss:.0f} |"
        )
        rows.append(
            {
                "method": method.name,
                "walls": method.walls,
                "wall": wall,
                "rss_mb": rss,
                "size": method.size,
                "x_infozip": base_wall / wall,
                "size_vs_infozip": method.size / base_size if base_size else None,
                "x_cat": wall / cat_wall,
                "sha256": method.sha256,
            }
        )
    notes = []
    octoci_methods = [m for m in all_methods if m.name.startswith("octoci")]
    _touch_all(tree, time.time())
    for method in octoci_methods:
        before = method.sha256
        _run(method)
        assert method.output is not None
        same = _sha256(method.output) == before
        notes.append(
            f"reproducible after touching every file: {method.name}: {'yes' if same else 'NO'}"
        )
    notes += delta_check(tree, work, python, all_methods)
    print()
    for line in notes:
        print(f"- {line}")
    if as_json:
        as_json.write_text(
            json.dumps({"tree_bytes": tree_bytes, "rows": rows, "notes": notes}, indent=2)
        )


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``build-tree DIR`` or ``run DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build-tree", help="write the seeded benchmark tree")
    build.add_argument("tree", type=Path)
    bench = sub.add_parser("run", help="pack the tree with every method and print ratios")
    bench.add_argument("tree", type=Path)
    bench.add_argument("--reps", type=int, default=3)
    bench.add_argument("--work", type=Path, default=Path("/tmp/octoci-bench/work"))
    bench.add_argument("--python", default=sys.executable, help="interpreter that runs octoci")
    bench.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if args.command == "build-tree":
        build_tree(args.tree)
    else:
        run(args.tree, args.reps, args.work, args.python, args.json)


if __name__ == "__main__":
    main()
