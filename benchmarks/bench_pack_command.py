"""``octoci pack`` (the command, whole process) against ``zip -r -6`` on the same trees, same run.

Usage: ``python benchmarks/bench_pack_command.py [--runs N] [--scale F] [--tree small|large|both]``

Two seeded trees like issue 18's: ``small`` holds many small files (about 4,800 files, 311 MB at
``--scale 1``: text, ELF-like binaries, already-compressed data), ``large`` a few large ones. Each
method runs N times round-robin (a busy machine slows all alike) in a wrapper process
that reads the child's peak RSS (``getrusage``). Printed per tree: median wall time, ratio to
``zip -r -6`` (speed), output size ratio to zip's, peak RSS, CPU seconds (user + system; the load
average is printed too, as other work on the machine slows the threads), the ratio against one
thread (``--threads 1``) and against ``cat`` of the tree (the read limit). ``octoci pack`` runs
once per repetition on unchanged input; its outputs must be byte-identical across repetitions,
and the last one must pass ``zipfile``'s CRC check, ``unzip -t`` (when installed) and hold
exactly the tree's files.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

_TEXT_WORDS = (
    *("def", "return", "import", "class", "self", "value", "for", "while", "if", "else"),
    *("None", "True", "False", "async", "await", "function", "const", "let", "export"),
    *("<div>", "</div>", "<span class=", "href=", '{"key": [1, 2, 3],', '"name": "octoci"}'),
)


def _text(rng: random.Random, size: int) -> bytes:
    words = [rng.choice(_TEXT_WORDS) for _ in range(size // 5 + 1)]
    lines = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    return "\n".join(lines).encode()[:size]


def _binary(rng: random.Random, size: int) -> bytes:
    # ELF-like: runs of zeros, repeated instruction-ish patterns and tables, some entropy.
    out = bytearray()
    while len(out) < size:
        kind = rng.random()
        n = rng.randint(64, 4096)
        if kind < 0.25:
            out += bytes(n)
        elif kind < 0.6:
            out += rng.randbytes(16) * (n // 16)
        else:
            out += rng.randbytes(n // 2) + bytes(n // 2)
    return bytes(out[:size])


def build_tree(root: Path, kind: str, scale: float, seed: int = 18) -> tuple[int, int]:
    """Write the seeded tree; returns (files, bytes)."""
    rng = random.Random(f"{seed}-{kind}")
    if kind == "small":
        plan = [("text", 2600, 40_000), ("bin", 1450, 80_000), ("rand", 750, 110_000)]
    else:
        plan = [("text", 6, 18_000_000), ("bin", 6, 20_000_000), ("rand", 4, 20_000_000)]
    files = total = 0
    for category, count, mean in plan:
        for index in range(max(1, int(count * scale))):
            size = max(1, int(rng.expovariate(1 / mean)))
            size = min(size, mean * 20)
            folder = root / category / f"d{index % 97:02d}" / f"s{index % 7}"
            folder.mkdir(parents=True, exist_ok=True)
            if category == "text":
                data, ext = _text(rng, size), ".js"
            elif category == "bin":
                data, ext = _binary(rng, size), ".dll"
            else:
                data, ext = rng.randbytes(size), ".png"
            (folder / f"f{index}{ext}").write_bytes(data)
            files += 1
            total += size
    return files, total


def run_measured(argv: list[str], cwd: Path) -> tuple[float, float, float]:
    """Wall seconds, the child's peak RSS in MB and its CPU seconds (user + system: on a shared
    machine, what a busy second core cannot hide) (one child per call, so RUSAGE_CHILDREN's
    maximum is this child's once a fresh wrapper process runs it)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "w = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(w, u.ru_maxrss, u.ru_utime + u.ru_stime)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *argv], cwd=cwd, capture_output=True, text=True, check=True
    )
    wall, rss_kb, cpu = done.stdout.split()
    return float(wall), int(rss_kb) / 1024, float(cpu)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(package: Path, listing: list[str]) -> str:
    """Check the package as a reader would: every entry's CRC (Python's zipfile, and Info-ZIP's
    ``unzip -t`` when installed) and the entry names against the tree. A fast pack of a broken
    archive is no result, so a failure stops the benchmark."""
    with zipfile.ZipFile(package) as archive:
        names = sorted(archive.namelist())
        bad = archive.testzip()
    if bad is not None:
        raise SystemExit(f"{package}: entry {bad} fails its CRC check")
    if names != listing:
        raise SystemExit(f"{package}: its entries are not the tree's files")
    checks = ["zipfile CRCs ok", "names = tree"]
    if shutil.which("unzip"):
        done = subprocess.run(["unzip", "-tqq", str(package)], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"unzip -t {package} failed: {done.stdout}{done.stderr}")
        checks.append("unzip -t ok")
    else:
        checks.append("unzip not installed")
    return ", ".join(checks)


def bench_tree(kind: str, scale: float, runs: int, work: Path) -> None:
    tree = work / f"tree-{kind}"
    files, total = build_tree(tree, kind, scale)
    out = work / f"out-{kind}"
    out.mkdir()
    octoci = [sys.executable, "-m", "octoci", "pack", "--id", "Bench", "--version", "1.0.0"]
    listing = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
    methods = {
        "cat": ["sh", "-c", "find . -type f -print0 | xargs -0 cat > /dev/null"],
        "zip -r -6": ["zip", "-q", "-r", "-6", str(out / "zip.zip"), "."],
        "octoci pack": [*octoci, "--base-path", ".", "--out-folder", str(out / "n"), "--overwrite"],
        "octoci pack --threads 1": [
            *octoci,
            "--base-path",
            ".",
            "--out-folder",
            str(out / "one"),
            "--overwrite",
            "--threads",
            "1",
        ],
    }
    outputs = {
        "cat": out / "none",
        "zip -r -6": out / "zip.zip",
        "octoci pack": out / "n" / "Bench.1.0.0.zip",
        "octoci pack --threads 1": out / "one" / "Bench.1.0.0.zip",
    }
    subprocess.run(methods["cat"], cwd=tree, check=True)  # warm the page cache
    walls: dict[str, list[float]] = {name: [] for name in methods}
    cpus: dict[str, list[float]] = {name: [] for name in methods}
    rss: dict[str, float] = dict.fromkeys(methods, 0.0)
    digests: set[str] = set()
    for _ in range(runs):
        for name, argv in methods.items():
            # Each method writes a new file: the previous output is removed outside the timing
            # (replacing a 100 MB file costs its unlink, which is no part of packing).
            outputs[name].unlink(missing_ok=True)
            wall, peak, cpu = run_measured(argv, tree)
            walls[name].append(wall)
            cpus[name].append(cpu)
            rss[name] = max(rss[name], peak)
            if name == "octoci pack":
                digests.add(sha256(out / "n" / "Bench.1.0.0.zip"))
    med = {name: statistics.median(w) for name, w in walls.items()}
    zip_size = (out / "zip.zip").stat().st_size
    ours = (out / "n" / "Bench.1.0.0.zip").stat().st_size
    print(f"tree {kind}: {files} files, {total / 1e6:.1f} MB ({len(listing)} listed), runs={runs}")
    for name in methods:
        print(
            f"  {name:<26} {med[name]:7.2f} s  x zip {med['zip -r -6'] / med[name]:5.2f}"
            f"  peak RSS {rss[name]:6.1f} MB  CPU {statistics.median(cpus[name]):6.2f} s"
        )
    print(f"  size octoci/zip: {ours / zip_size:.4f} ({ours} / {zip_size} bytes)")
    print(f"  octoci vs --threads 1: {med['octoci pack --threads 1'] / med['octoci pack']:.2f}x")
    print(
        f"  octoci vs cat (the read limit): {med['cat'] / med['octoci pack']:.3f}x of cat's speed"
    )
    print(f"  reproducible over {runs} runs: {'yes' if len(digests) == 1 else 'NO'}")
    print(f"  archive: {verify(out / 'n' / 'Bench.1.0.0.zip', listing)}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  load average (1 min) at the end: {load:.2f} on {os.cpu_count()} cores")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--tree", choices=("small", "large", "both"), default="both")
    options = parser.parse_args()
    if shutil.which("zip") is None:
        print("zip (Info-ZIP) is not installed", file=sys.stderr)
        return 2
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("small", "large") if options.tree == "both" else (options.tree,):
            bench_tree(kind, options.scale, options.runs, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
