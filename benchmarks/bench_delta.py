"""Octodiff delta speed and size against librsync's ``rdiff delta``, in the same run.

Usage: ``python benchmarks/bench_delta.py [--size-mb 300] [--runs 3] [--json] [--keep DIR]``
(``OCTOCI_BENCH_DELTA_MB`` also sets the size).

Files (generated once, seeded): a basis that alternates 1 MiB of random bytes with 1 MiB of
word-like text (its size is not a multiple of 2048, so the signature ends with a short chunk); a
new version with 20 regions overwritten (1 % in all) plus 5 small inserts and 2 small deletes
that shift alignment; and an unrelated file from another seed. Each measurement runs in its own
process, after ``sync`` (what earlier steps wrote is on disk first), methods alternating, and
the median is reported with the child's peak RSS (``wait4``).
Times exclude interpreter start-up and imports; they include parsing the signature, the scan and
writing the delta. SHA-1 over the new file is the physical reference.

The whole delta push, end to end (``--no-push`` skips it): an emulator in this process on
127.0.0.1 holds the basis as version 1.0.0; each run is one ``octoci push`` process (start-up
included) of the 1 %-changed file as 1.0.1 (``OverwriteExisting``), with the emulator's cached
signatures deleted first, so every run pays the server's signature, the client's delta, the
upload and the server's patch and SHA-1 check. The reference is librsync doing the same three
steps, ``rdiff signature`` + ``rdiff delta`` + ``rdiff patch``, as processes in the same run. The
phases are reported separately, with their ratios against rdiff's step: each in its own process
(the server's signature and patch as the emulator computes them, ``build_signature`` and
``apply_delta`` into a hashing, fsynced file; the client's delta), and the push's own phases as
``octoci push --verbose`` logs them (signature as the client waits for it, delta, upload with the
server's patch and check), next to the whole process. The push's peak RSS is checked too.

Targets (issue 18): delta at most 2 % of the file; octoci's delta at least **2x** as fast as
``rdiff delta`` on the 1 % file and on the unrelated file; the whole push at least as fast as
librsync's three steps; peak RSS at most 128 MB. ``rdiff`` (Debian/Ubuntu: ``apt-get install
rdiff``) is required: without it the benchmark stops and says so.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_RATIO = 0.02
#: octoci's delta speed against ``rdiff delta``'s, same files, same run.
TARGET_SPEEDUP = 2.0
#: The whole push against librsync's signature + delta + patch.
TARGET_PUSH_SPEEDUP = 1.0
TARGET_RSS_MB = 128.0
#: The client's rule: a delta above 95 % of the file is not worth sending.
NOT_WORTH_IT = 0.95
MIB = 1024 * 1024
#: The push's phases as ``octoci push --verbose`` logs them, matched to librsync's three steps.
PUSH_PHASES = ("signature", "delta", "upload + patch")
PHASES = re.compile(
    r"delta push phases: signature ([\d.]+) s .*?delta ([\d.]+) s, upload and Octopus's patch "
    r"and check ([\d.]+) s"
)


def _text_block(rng: random.Random, size: int) -> bytes:
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
        for _ in range(5000)
    ]
    # Zipf-like: early words are much more frequent.
    weights = [1 / (rank + 1) for rank in range(len(words))]
    out = io.StringIO()
    length = 0
    for word in rng.choices(words, weights, k=size // 3):
        out.write(word)
        out.write(" ")
        length += len(word) + 1
        if length >= size:
            break
    return out.getvalue().encode()[:size].ljust(size, b" ")


def make_basis(path: Path, size: int, seed: int) -> None:
    """Alternating 1 MiB blocks of random bytes and word text."""
    rng = random.Random(seed)
    text = [_text_block(rng, MIB) for _ in range(4)]
    with path.open("wb") as handle:
        written = 0
        block_no = 0
        while written < size:
            block = rng.randbytes(MIB) if block_no % 2 == 0 else rng.choice(text)
            block = block[: size - written]
            handle.write(block)
            written += len(block)
            block_no += 1


def make_changed(basis: Path, path: Path, seed: int) -> None:
    """``basis`` with 20 regions overwritten (1 % in all), 5 small inserts and 2 small deletes."""
    rng = random.Random(seed)
    size = basis.stat().st_size
    region = size // 100 // 20
    edits: list[tuple[int, str, int]] = []
    for _ in range(20):
        edits.append((rng.randrange(0, size - region), "overwrite", region))
    for _ in range(5):
        edits.append((rng.randrange(0, size), "insert", rng.randint(1, 100)))
    for _ in range(2):
        edits.append((rng.randrange(0, size - 200), "delete", rng.randint(1, 100)))
    edits.sort()
    with basis.open("rb") as source, path.open("wb") as out:
        position = 0
        for offset, kind, length in edits:
            if offset < position:
                continue
            shutil.copyfileobj(_limited(source, offset - position), out)
            position = offset
            if kind == "overwrite":
                out.write(rng.randbytes(length))
                source.seek(length, os.SEEK_CUR)
                position += length
            elif kind == "insert":
                out.write(rng.randbytes(length))
            else:
                source.seek(length, os.SEEK_CUR)
                position += length
        shutil.copyfileobj(source, out)


def _limited(source: Any, count: int) -> io.BytesIO:
    return io.BytesIO(source.read(count))


# ---- children: each measurement is one process -------------------------------------------------


def child(argv: list[str]) -> None:
    """Run one measurement and print ``{"seconds": ..., ...}`` as JSON."""
    kind = argv[0]
    if kind == "generate":
        work, size = Path(argv[1]), int(argv[2])
        make_basis(work / "basis.bin", size, seed=1)
        make_changed(work / "basis.bin", work / "new1pct.bin", seed=2)
        make_basis(work / "unrelated.bin", size, seed=3)
        return
    if kind == "sha1":
        import hashlib

        start = time.perf_counter()
        digest = hashlib.sha1()
        with Path(argv[1]).open("rb", buffering=0) as handle:
            buffer = bytearray(MIB)
            view = memoryview(buffer)
            while got := handle.readinto(buffer):
                digest.update(view[:got])
        print(json.dumps({"seconds": time.perf_counter() - start}))
        return
    if kind == "signature":
        from octoci.octodiff import build_signature
        from octoci.octodiff.builder import numpy_available

        numpy_available()  # a server has NumPy loaded already: not part of the measured time
        start = time.perf_counter()
        with Path(argv[1]).open("rb") as source, Path(argv[2]).open("wb") as out:
            build_signature(source, out)
        print(json.dumps({"seconds": time.perf_counter() - start}))
        return
    if kind == "verify":
        from octoci.octodiff import apply_delta

        with Path(argv[1]).open("rb") as basis, Path(argv[2]).open("rb") as delta:
            apply_delta(basis, delta, lambda block: None)  # raises unless the SHA-1 matches
        return
    if kind == "patch":
        from octoci_emulator.api_delta import patch_into
        from octoci_emulator.package_files import Sink

        start = time.perf_counter()
        sink = Sink(Path(argv[3]))  # the emulator's own patch: hashed, written, fsynced
        patch_into(sink, Path(argv[1]), Path(argv[2]))
        sink.discard()
        print(json.dumps({"seconds": time.perf_counter() - start}))
        return
    if kind == "octoci":
        from octoci.octodiff import DeltaTooLargeError, build_delta, parse_signature
        from octoci.octodiff.builder import numpy_available

        numpy_available()  # imports numpy: imports are not part of the measured time
        # Nor are the helper processes' modules, which the build imports when it starts them
        # (in ``octoci push`` their imports, json and subprocess, are loaded already).
        import octoci.octodiff.chunk_hasher
        import octoci.octodiff.scan_helper  # noqa: F401

        new, signature_path, out_path, engine, limited = argv[1:6]
        start = time.perf_counter()
        signature = parse_signature(Path(signature_path).read_bytes())
        size = Path(new).stat().st_size
        limit = int(size * NOT_WORTH_IT) if limited == "1" else None
        result: dict[str, Any] = {}
        with Path(out_path).open("wb") as out:
            try:
                stats = build_delta(Path(new), signature, out, limit=limit, engine=engine)
                result = {"delta": stats.delta_size, "switched": False}
                helper_rss, result["helper_segments"] = stats.helper_peak_rss, stats.helper_segments
            except DeltaTooLargeError as exc:
                result = {"delta": None, "switched": True, "scanned": exc.scanned}
                helper_rss = exc.helper_peak_rss
        # The helpers are other processes (the chunk hasher, then the scan helper if the file
        # shares little; never both at once): the larger peak counts on top of this one's.
        result["helper_rss_mb"] = helper_rss / MIB
        result["seconds"] = time.perf_counter() - start
        print(json.dumps(result))
        return
    raise SystemExit(f"unknown child {kind}")


def settle() -> None:
    """Write out what earlier steps left dirty before the next one is timed.

    The emulator fsyncs what it stores and rdiff does not; on ext4 (``data=ordered``) an fsync
    also waits for other files' dirty data, so without this the server's patch paid for the
    writeback of the 300 MB files that ``rdiff delta`` and the generator had just written
    (1.0 s for the patch here instead of 0.3). Each step then pays only for its own writes.
    """
    if hasattr(os, "sync"):
        os.sync()


def measure(argv: list[str]) -> tuple[dict[str, Any], float]:
    """Run a child (after :func:`settle`); ``(its JSON, peak RSS in MB)``."""
    settle()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    assert process.stdout is not None
    assert process.stderr is not None
    out, err = process.stdout.read(), process.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed: {err}")
    rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    result = json.loads(out) if out.strip() else {}
    # A delta build's helper process: its peak added to this one's, an upper bound.
    return result, rss + result.get("helper_rss_mb", 0.0)


def measure_rdiff(*args: str) -> tuple[dict[str, Any], float]:
    """One ``rdiff`` command timed from outside (its start-up is a few ms), after :func:`settle`."""
    settle()
    start = time.perf_counter()
    result, rss = measure(["rdiff", "-f", *args])
    result["seconds"] = time.perf_counter() - start
    return result, rss


def measure_rdiff_delta(signature: Path, new: Path, out: Path) -> tuple[dict[str, Any], float]:
    """``rdiff delta``, with the delta's size."""
    result, rss = measure_rdiff("delta", str(signature), str(new), str(out))
    result["delta"] = out.stat().st_size
    return result, rss


def measure_push(
    work: Path, basis: Path, changed: Path, runs: int, librsync: list[str]
) -> dict[str, Any]:
    """The whole delta push with ``octoci push`` against librsync's three steps, alternating."""
    from octoci_emulator import Emulator, parse_seed

    store = work / "emulator"
    shutil.rmtree(store, ignore_errors=True)
    emulator = Emulator(data_dir=store, seed=parse_seed({})).start()
    try:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OCTOCI_", "OCTOPUS_"))},
            "OCTOPUS_URL": emulator.url,
            "OCTOPUS_API_KEY": emulator.api_key,
            "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
            "NO_PROXY": "127.0.0.1,localhost",
            "PYTHONPYCACHEPREFIX": str(work / "pycache"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        first, second = work / "Bench.1.0.0.zip", work / "Bench.1.0.1.zip"
        shutil.copyfile(basis, first)
        shutil.copyfile(changed, second)

        def push(package: Path) -> tuple[float, str]:
            settle()
            start = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "octoci", "--verbose", "push", str(package),
                 "--overwrite-mode", "OverwriteExisting", "--progress-interval", "0"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
            assert process.stdout is not None
            output = process.stdout.read()
            _, status, usage = os.wait4(process.pid, 0)
            elapsed = time.perf_counter() - start
            process.returncode = code = os.waitstatus_to_exitcode(status)
            if code != 0:
                raise SystemExit(f"octoci push failed ({code}): {output}")
            rss.append(usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024))
            return elapsed, output

        rss: list[float] = []

        push(first)
        octoci_times: list[float] = []
        librsync_times: list[float] = []
        phases: dict[str, list[float]] = {}
        outputs: list[str] = []
        for _ in range(runs):
            # The emulator caches a stored file's signature: drop it, so each run pays for it.
            shutil.rmtree(store / "signatures", ignore_errors=True)
            elapsed, output = push(second)
            octoci_times.append(elapsed)
            outputs.append(output)
            found = PHASES.search(output)
            if found is not None:
                for phase, seconds in zip(PUSH_PHASES, found.groups(), strict=True):
                    phases.setdefault(f"octoci {phase}", []).append(float(seconds))
            total = 0.0
            for phase, step in zip(PUSH_PHASES, librsync, strict=True):
                settle()
                start = time.perf_counter()
                subprocess.run(step.split("\0"), check=True, capture_output=True)
                seconds = time.perf_counter() - start
                phases.setdefault(f"rdiff {phase}", []).append(seconds)
                total += seconds
            librsync_times.append(total)
    finally:
        emulator.stop()
        shutil.rmtree(store, ignore_errors=True)
    as_delta = all(PHASES.search(out) for out in outputs)
    octoci_s = statistics.median(octoci_times)
    librsync_s = statistics.median(librsync_times)
    return {
        "octoci_push_s": round(octoci_s, 3),
        "octoci_runs_s": [round(t, 3) for t in octoci_times],
        "librsync_three_steps_s": round(librsync_s, 3),
        "librsync_runs_s": [round(t, 3) for t in librsync_times],
        "speedup": round(librsync_s / octoci_s, 3),
        "phases_s": {name: round(statistics.median(t), 3) for name, t in phases.items()},
        # At least the process's own peak: wait4 also counts the pages of this process (which
        # runs the emulator) that it was spawned from, so it is an upper bound.
        "octoci_push_peak_rss_mb": round(max(rss[1:], default=0.0), 1),
        "pushed_as_delta": as_delta,
        "last_output": outputs[-1].strip().splitlines()[-1:] if outputs else [],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size-mb", type=float, default=float(os.environ.get("OCTOCI_BENCH_DELTA_MB", 300))
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated files here")
    parser.add_argument("--no-push", action="store_true", help="skip the end-to-end push")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0

    rdiff = shutil.which("rdiff")
    if rdiff is None:
        print(
            "rdiff (librsync) is required as the reference: install it "
            "(Debian/Ubuntu: apt-get install rdiff) and run again",
            file=sys.stderr,
        )
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="octoci-bench-delta-"))
    work.mkdir(parents=True, exist_ok=True)
    size = int(args.size_mb * 1_000_000) + 12_345
    basis, changed, unrelated = work / "basis.bin", work / "new1pct.bin", work / "unrelated.bin"
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    if not basis.exists() or basis.stat().st_size != size:
        # In a child: generating holds large buffers, and every later child's peak RSS (wait4)
        # would include this process's peak (the pages it is spawned from).
        measure([*me, "generate", str(work), str(size)])
    signature = work / "basis.sig"
    sig_result, sig_rss = measure([*me, "signature", str(basis), str(signature)])
    rdiff_sig = work / "basis.rdiff-sig"
    subprocess.run([rdiff, "-f", "-b", "2048", "signature", str(basis), str(rdiff_sig)], check=True)

    methods: dict[str, list[tuple[dict[str, Any], float]]] = {}
    scenarios = [("1pct", changed), ("unrelated", unrelated)]
    sink_dir = work / "sink"
    sink_dir.mkdir(exist_ok=True)
    for _ in range(args.runs):
        # The server's side, phase by phase: octoci's signature and patch, rdiff's.
        for method, argv in (
            ("signature", [*me, "signature", str(basis), str(signature)]),
            ("rdiff signature", ["rdiff", "-f", "-b", "2048", "signature", str(basis),
                                 str(rdiff_sig)]),
        ):  # fmt: skip
            methods.setdefault(f"server|{method}", []).append(
                measure(argv) if method == "signature" else measure_rdiff(*argv[2:])
            )
        # In a child: the parent stays small, because a child's peak RSS (wait4) counts the
        # parent's pages it was forked with.
        measure([*me, "octoci", str(changed), str(signature), str(work / "d1"), "auto", "0"])
        subprocess.run(
            [rdiff, "-f", "delta", str(rdiff_sig), str(changed), str(work / "d1.rdiff")],
            check=True,
        )
        methods.setdefault("server|patch", []).append(
            measure([*me, "patch", str(basis), str(work / "d1"), str(sink_dir)])
        )
        methods.setdefault("server|rdiff patch", []).append(
            measure_rdiff("patch", str(basis), str(work / "d1.rdiff"), str(work / "p.rdiff"))
        )
        for name, new in scenarios:
            runs = [
                ("sha1", [*me, "sha1", str(new)]),
                ("octoci", [*me, "octoci", str(new), str(signature), str(work / "d"), "auto", "0"]),
            ]
            if name == "unrelated":
                runs.append(
                    (
                        "octoci, 95 % stop",
                        [*me, "octoci", str(new), str(signature), str(work / "d"), "auto", "1"],
                    )
                )
            for method, argv in runs:
                methods.setdefault(f"{name}|{method}", []).append(measure(argv))
            methods.setdefault(f"{name}|rdiff", []).append(
                measure_rdiff_delta(rdiff_sig, new, work / "d.rdiff")
            )

    # Correctness of the measured output: the 1 % delta rebuilds the file exactly (in a child).
    check = subprocess.run([*me, "verify", str(basis), str(work / "d1")], check=False)
    if check.returncode != 0:
        raise SystemExit("the 1 % delta does not rebuild the new file")

    rows = []
    new_mb = size / 1_000_000
    for key, results in methods.items():
        scenario, method = key.split("|")
        seconds = [r["seconds"] for r, _ in results]
        median = statistics.median(seconds)
        deltas = [r.get("delta") for r, _ in results]
        rows.append(
            {
                "scenario": scenario,
                "method": method,
                "median_s": round(median, 3),
                "mb_s": round(new_mb / median, 1),
                "runs_s": [round(s, 3) for s in seconds],
                "peak_rss_mb": round(max(rss for _, rss in results), 1),
                "delta_ratio": (
                    round(deltas[0] / size, 5) if deltas and deltas[0] is not None else None
                ),
                "switched_early": any(r.get("switched") for r, _ in results),
            }
        )

    def row(scenario: str, method: str) -> dict[str, Any] | None:
        return next((r for r in rows if r["scenario"] == scenario and r["method"] == method), None)

    checks: dict[str, Any] = {}
    ours = row("1pct", "octoci")
    assert ours is not None
    checks["delta at most 2 % of the file"] = ours["delta_ratio"] <= TARGET_RATIO
    speedups: dict[str, float] = {}
    for scenario in ("1pct", "unrelated"):
        mine, theirs = row(scenario, "octoci"), row(scenario, "rdiff")
        assert mine is not None
        assert theirs is not None
        speedups[scenario] = round(theirs["median_s"] / mine["median_s"], 3)
        checks[f"delta {TARGET_SPEEDUP:g}x rdiff delta ({scenario}): {speedups[scenario]}x"] = (
            speedups[scenario] >= TARGET_SPEEDUP
        )
    # Phase by phase against librsync's step, each in its own process (same files, same run).
    phase_rows: list[tuple[str, float, float]] = []
    for label, (scenario, mine_name, theirs_name) in {
        "signature (server)": ("server", "signature", "rdiff signature"),
        "delta, 1 % change (client)": ("1pct", "octoci", "rdiff"),
        "delta, unrelated (client)": ("unrelated", "octoci", "rdiff"),
        "patch + check (server)": ("server", "patch", "rdiff patch"),
    }.items():
        mine, theirs = row(scenario, mine_name), row(scenario, theirs_name)
        assert mine is not None
        assert theirs is not None
        phase_rows.append((label, mine["median_s"], theirs["median_s"]))
    three = [phase_rows[i] for i in (0, 1, 3)]
    phase_rows.append(
        (
            "signature + delta + patch",
            sum(mine for _, mine, _ in three),
            sum(theirs for _, _, theirs in three),
        )
    )
    checks["peak RSS at most 128 MB"] = all(
        r["peak_rss_mb"] <= TARGET_RSS_MB for r in rows if r["method"].startswith("octoci")
    )
    push: dict[str, Any] | None = None
    if not args.no_push:
        d, z = "\0", work
        librsync = [
            d.join(["rdiff", "-f", "-b", "2048", "signature", str(basis), str(z / "s.rdiff")]),
            d.join(["rdiff", "-f", "delta", str(z / "s.rdiff"), str(changed), str(z / "d.rdiff")]),
            d.join(["rdiff", "-f", "patch", str(basis), str(z / "d.rdiff"), str(z / "p.rdiff")]),
        ]
        push = measure_push(work, basis, changed, args.runs, librsync)
        checks["the push went as a delta"] = push["pushed_as_delta"]
        checks[f"octoci push peak RSS at most 128 MB: {push['octoci_push_peak_rss_mb']} MB"] = (
            push["octoci_push_peak_rss_mb"] <= TARGET_RSS_MB
        )
        checks[
            f"whole push {TARGET_PUSH_SPEEDUP:g}x librsync's three steps: {push['speedup']}x"
        ] = push["speedup"] >= TARGET_PUSH_SPEEDUP
    report = {
        "size_bytes": size,
        "signature": {"seconds": round(sig_result["seconds"], 3), "peak_rss_mb": round(sig_rss, 1)},
        "rows": rows,
        "speedup_over_rdiff_delta": speedups,
        "phases": [
            {
                "phase": label,
                "octoci_s": round(mine, 3),
                "rdiff_s": round(theirs, 3),
                "speedup": round(theirs / mine, 3),
            }
            for label, mine, theirs in phase_rows
        ],
        "push": push,
        "checks": checks,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"new file {size:,} B; signature built in {sig_result['seconds']:.2f} s")
        print(f"{'scenario':10} {'method':20} {'median s':>9} {'MB/s':>8} {'RSS MB':>7}  delta/new")
        for r in rows:
            ratio = "" if r["delta_ratio"] is None else f"{r['delta_ratio']:.2%}"
            if r["switched_early"]:
                ratio = "switched to full upload"
            print(
                f"{r['scenario']:10} {r['method']:20} {r['median_s']:9.3f} {r['mb_s']:8.1f} "
                f"{r['peak_rss_mb']:7.1f}  {ratio}"
            )
        print(f"\n{'phase (median of runs)':30} {'octoci s':>9} {'rdiff s':>9}  speedup")
        for label, mine, theirs in phase_rows:
            print(f"{label:30} {mine:9.3f} {theirs:9.3f}  {theirs / mine:.2f}x")
        if push is not None:
            times = push["phases_s"]
            print(f"\n{'push phase (octoci push)':30} {'octoci s':>9} {'rdiff s':>9}  speedup")
            for phase in PUSH_PHASES:
                mine_s, theirs_s = times.get(f"octoci {phase}"), times[f"rdiff {phase}"]
                if mine_s is None:
                    print(f"{phase:30} {'?':>9} {theirs_s:9.3f}  (no phase times in the output)")
                else:
                    ratio = f"{theirs_s / mine_s:.2f}x" if mine_s else "-"
                    print(f"{phase:30} {mine_s:9.3f} {theirs_s:9.3f}  {ratio}")
            print(
                f"{'whole (octoci: the process)':30} {push['octoci_push_s']:9.3f} "
                f"{push['librsync_three_steps_s']:9.3f}  {push['speedup']:.2f}x"
            )
            print(
                f"whole delta push: octoci push {push['octoci_push_s']:.3f} s "
                f"(runs {push['octoci_runs_s']}), rdiff signature + delta + patch "
                f"{push['librsync_three_steps_s']:.3f} s (runs {push['librsync_runs_s']}): "
                f"{push['speedup']}x"
            )
        for name, ok in checks.items():
            print(f"{'PASS' if ok is True else 'FAIL' if ok is False else 'SKIP'}  {name}: {ok}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(ok is not False for ok in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
