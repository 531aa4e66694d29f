"""Push a large package to the emulator with ``octoci push`` and with curl, in the same run.

Usage: ``python benchmarks/bench_push.py [--size-mb 1024] [--runs 5] [--store disk|memory] [--json]``
(``OCTOCI_BENCH_PUSH_MB`` also sets the size, so CI can run a small one).

The emulator runs in this process on 127.0.0.1; each client runs as its own process, curl and
octoci alternating so a busy machine slows both alike. Reported per client: median wall time of
the whole process (start-up included, which only counts against octoci), throughput, and the
octoci process's peak RSS (``wait4``). Targets (issue 4): octoci's throughput at least 0.9x
curl's multipart upload of the same file (checked from 512 MiB: below that, start-up
dominates), and peak RSS at most 64 MB (always checked).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 0.9
TARGET_RSS_MB = 64.0
#: Smaller pushes report the throughput ratio without checking it.
MIN_RATIO_MB = 512


def make_file(path: Path, size: int) -> None:
    """``size`` bytes of incompressible data (one random MiB repeated; written once)."""
    block = os.urandom(1024 * 1024)
    with path.open("wb") as handle:
        remaining = size
        while remaining > 0:
            handle.write(block[: min(remaining, len(block))])
            remaining -= len(block)


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """``(seconds, peak RSS in MB, exit code, stderr)`` of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # wait4 gives this child's own rusage (ru_maxrss is KiB on Linux, bytes on macOS).
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.read() if process.stderr else ""
    if process.stdout:
        process.stdout.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return elapsed, usage.ru_maxrss / scale, process.returncode, stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size-mb", type=int, default=int(os.environ.get("OCTOCI_BENCH_PUSH_MB", "1024"))
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--store", choices=("disk", "memory"), default="disk")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    curl = shutil.which("curl")
    if curl is None:
        print("curl is not installed", file=sys.stderr)
        return 2

    from octoci_emulator import Emulator, parse_seed

    size = options.size_mb * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="octoci-bench-push-") as tmp:
        folder = Path(tmp)
        package = folder / "Bench.Package.1.0.0.zip"
        make_file(package, size)
        # --store disk (default): the emulator keeps uploads on disk, as it and Octopus do.
        # --store memory: in RAM (/dev/shm), so the server is faster and octoci's fixed start-up
        # (Python, plugins, discovery) weighs more: the stricter comparison.
        shm = Path("/dev/shm")
        in_memory = options.store == "memory" and shm.is_dir() and os.access(shm, os.W_OK)
        store_root = shm if in_memory else folder
        store = Path(tempfile.mkdtemp(prefix="octoci-bench-emulator-", dir=store_root))
        emulator = Emulator(data_dir=store, seed=parse_seed({})).start()
        try:
            url = f"{emulator.url}/api/{emulator.space_id}/packages/raw?overwriteMode=OverwriteExisting"
            header_file = folder / "headers.txt"
            # From a file, so the key is not on curl's command line.
            header_file.write_text(f"X-Octopus-ApiKey: {emulator.api_key}\n")
            curl_argv = [
                curl, "-sS", "--fail", "-o", os.devnull, "-H", f"@{header_file}",
                "-F", f"file=@{package};filename={package.name}", url,
            ]  # fmt: skip
            env = {
                **{
                    k: v for k, v in os.environ.items() if not k.startswith(("OCTOCI_", "OCTOPUS_"))
                },
                "OCTOPUS_URL": emulator.url,
                "OCTOPUS_API_KEY": emulator.api_key,
                "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
                "NO_PROXY": "127.0.0.1,localhost",
                # An installed octoci has compiled bytecode; a checkout run with
                # PYTHONDONTWRITEBYTECODE=1 would recompile every module on every run and charge
                # that to octoci. The cache goes to the temporary folder, not the source tree.
                "PYTHONPYCACHEPREFIX": str(folder / "pycache"),
            }
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            octoci_argv = [
                sys.executable, "-m", "octoci", "push", str(package),
                "--overwrite-mode", "OverwriteExisting", "--progress-interval", "0",
            ]  # fmt: skip
            # Warm-up: fills the bytecode cache and the page cache for both clients.
            for argv in (curl_argv, octoci_argv):
                run_measured(argv, env)
            timings: dict[str, list[float]] = {"curl": [], "octoci": []}
            rss: dict[str, list[float]] = {"curl": [], "octoci": []}
            clients = [("curl", curl_argv), ("octoci", octoci_argv)]
            for run in range(options.runs):
                # Alternate who goes first, so a slow spell of the machine hits both alike.
                for name, argv in clients if run % 2 == 0 else clients[::-1]:
                    elapsed, peak, code, stderr = run_measured(argv, env)
                    if code != 0:
                        print(f"{name} failed ({code}): {stderr.strip()}", file=sys.stderr)
                        return 1
                    timings[name].append(elapsed)
                    rss[name].append(peak)
        finally:
            emulator.stop()
            shutil.rmtree(store, ignore_errors=True)

    mib = size / (1024 * 1024)
    result = {
        "size_mb": options.size_mb,
        "store": options.store,
        "runs": options.runs,
        "curl_seconds": statistics.median(timings["curl"]),
        "octoci_seconds": statistics.median(timings["octoci"]),
        "curl_mb_per_s": mib / statistics.median(timings["curl"]),
        "octoci_mb_per_s": mib / statistics.median(timings["octoci"]),
        "octoci_peak_rss_mb": max(rss["octoci"]),
        "curl_peak_rss_mb": max(rss["curl"]),
        "curl_runs_seconds": [round(t, 3) for t in timings["curl"]],
        "octoci_runs_seconds": [round(t, 3) for t in timings["octoci"]],
    }
    result["throughput_ratio"] = result["octoci_mb_per_s"] / result["curl_mb_per_s"]
    # The throughput target is for large pushes: below ~512 MiB octoci's start-up (Python,
    # plugins, discovery) is a visible share of the time, so a small CI run checks memory only.
    result["ratio_checked"] = options.size_mb >= MIN_RATIO_MB
    result["ok"] = result["octoci_peak_rss_mb"] <= TARGET_RSS_MB and (
        result["throughput_ratio"] >= TARGET_RATIO or not result["ratio_checked"]
    )
    if options.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"push {options.size_mb} MiB to the emulator ({options.store} store), "
            f"median of {options.runs} runs"
        )
        print(
            f"  curl    {result['curl_seconds']:7.2f} s  {result['curl_mb_per_s']:8.1f} MiB/s  "
            f"peak RSS {result['curl_peak_rss_mb']:6.1f} MB"
        )
        print(
            f"  octoci  {result['octoci_seconds']:7.2f} s  {result['octoci_mb_per_s']:8.1f} MiB/s  "
            f"peak RSS {result['octoci_peak_rss_mb']:6.1f} MB"
        )
        print(
            f"  throughput ratio {result['throughput_ratio']:.2f} (target >= {TARGET_RATIO}"
            f"{'' if result['ratio_checked'] else f', checked from {MIN_RATIO_MB} MiB'}); "
            f"peak RSS {result['octoci_peak_rss_mb']:.1f} MB (target <= {TARGET_RSS_MB:.0f})"
            f" -> {'OK' if result['ok'] else 'MISSED'}"
        )
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
