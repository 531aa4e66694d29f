"""``octoci publish`` of a two-package monorepo against ``octoci pack`` of the same two packages.

Usage: ``python benchmarks/bench_publish_overlap.py [--runs N] [--scale F] [--main PATH]``

Issue 18 item 2: with packing and pushing overlapped (each package pushed while the next is
packed), publishing 2 x 150 MB (``--scale 1``) to the emulator should take at most 1.10x the time
of packing the two alone. Each method runs as its own process, alternating, N times (a busy
machine slows all alike), each after ``sync``; a fresh emulator (in this process, 127.0.0.1, disk
store) takes each publish, so every run uploads every byte. Methods:

* ``octoci --version``: start-up alone (pack x2 pays it twice, publish once; the second
  ratio printed takes one start-up off packing);
* ``octoci pack x2``: ``octoci pack`` of package A, then of package B (one shell, two processes);
* ``octoci publish``: both packages packed and pushed, then their build information;
* ``pack x2 + push`` (the sequential reference): the two packs, then ``octoci push`` of both;
* with ``--main PATH`` (a checkout of main), that checkout's ``octoci publish`` too.

Printed: median wall seconds, and each ratio to ``octoci pack x2`` (target for publish: 1.10).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pack_command import build_tree

TARGET = 1.10


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall seconds of one process; it must succeed. What earlier runs wrote (packages, the
    emulator's store, and the removal of the last run's) is put on disk first (``sync``), so a
    run does not pay for another's writeback."""
    if hasattr(os, "sync"):
        os.sync()
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 2 x about 150 MB")
    parser.add_argument("--main", type=Path, help="a checkout of main, to time its publish too")
    options = parser.parse_args()

    from octoci_emulator import Emulator, parse_seed

    octoci = [sys.executable, "-m", "octoci"]
    with tempfile.TemporaryDirectory(prefix="octoci-bench-overlap-") as temp:
        work = Path(temp)
        sizes = []
        for name, seed in (("a", 18), ("b", 19)):
            # The "large" kind of bench_pack_command at half scale: about 150 MB each.
            files, total = build_tree(work / name, "large", 0.5 * options.scale, seed=seed)
            sizes.append((files, total))
        (work / "octoci.toml").write_text(
            'out_folder = "out"\noverwrite_mode = "OverwriteExisting"\ndelta = false\n'
            '[[packages]]\nid = "Bench.A"\nbase_path = "a"\n'
            '[[packages]]\nid = "Bench.B"\nbase_path = "b"\n'
        )
        subprocess.run(["sh", "-c", "cat a/*/*/*/* b/*/*/*/* > /dev/null"], cwd=work, check=True)
        base_env = dict(os.environ)
        base_env.pop("OCTOCI_DELTA", None)
        version = ["--version", "1.0.0"]

        def pack_both(env: dict[str, str]) -> float:
            total = 0.0
            for name in ("A", "B"):
                argv = [*octoci, "pack", "--id", f"Bench.{name}", *version, "--base-path",
                        name.lower(), "--out-folder", "packs", "--overwrite"]  # fmt: skip
                total += timed(argv, work, env)
            return total

        def with_emulator(run: Callable[[dict[str, str]], float]) -> Callable[[], float]:
            def go() -> float:
                store = Path(tempfile.mkdtemp(prefix="store-", dir=work))
                emulator = Emulator(data_dir=store, seed=parse_seed({})).start()
                try:
                    env = {**base_env, "OCTOPUS_URL": emulator.url,
                           "OCTOPUS_API_KEY": emulator.api_key}  # fmt: skip
                    return run(env)
                finally:
                    emulator.stop()
                    subprocess.run(["rm", "-rf", str(store)], check=True)

            return go

        def publish(env: dict[str, str]) -> float:
            return timed([*octoci, "publish", *version, "--no-commits"], work, env)

        def sequential(env: dict[str, str]) -> float:
            packs = pack_both(env)
            files = ["packs/Bench.A.1.0.0.zip", "packs/Bench.B.1.0.0.zip"]
            push = [*octoci, "push", *files, "--overwrite-mode", "OverwriteExisting", "--no-delta"]
            return packs + timed(push, work, env)

        methods: dict[str, Callable[[], float]] = {
            # Start-up alone: pack x2 pays it twice, publish once.
            "octoci --version": lambda: timed([*octoci, "--version"], work, base_env),
            "octoci pack x2": lambda: pack_both(base_env),
            "octoci publish": with_emulator(publish),
            "pack x2 + push (sequential)": with_emulator(sequential),
        }
        if options.main is not None:
            main_path = options.main.resolve()
            paths = [str(main_path / "core"), str(main_path / "plugins")]

            def main_publish(env: dict[str, str]) -> float:
                return publish({**env, "PYTHONPATH": os.pathsep.join(paths)})

            methods["main's octoci publish"] = with_emulator(main_publish)
        walls: dict[str, list[float]] = {name: [] for name in methods}
        for _ in range(options.runs):
            for name, run in methods.items():
                walls[name].append(run())
    med = {name: statistics.median(w) for name, w in walls.items()}
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    megabytes = sum(t for _, t in sizes) / 1e6
    print(
        f"2 packages, {sum(f for f, _ in sizes)} files, {megabytes:.1f} MB, runs={options.runs}, "
        f"load average at the end {load[0]:.2f} {load[1]:.2f}"
    )
    for name in methods:
        runs = " ".join(f"{w:.2f}" for w in walls[name])
        print(f"  {name:<30} {med[name]:7.2f} s  x pack {med[name] / med['octoci pack x2']:5.2f}"
              f"  ({runs})")  # fmt: skip
    ratio = med["octoci publish"] / med["octoci pack x2"]
    strict = med["octoci publish"] / (med["octoci pack x2"] - med["octoci --version"])
    print(f"publish / (pack x2 less one start-up): {strict:.3f}")
    print(f"publish / pack: {ratio:.3f} (target at most {TARGET:.2f}: "
          f"{'met' if ratio <= TARGET else 'NOT met'})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
