"""Start-up cost of the octoci command line, as a ratio to ``python -c pass`` in the same run.

Usage: ``python benchmarks/bench_startup.py [--runs N] [--json]``

Each command is run N times (default 15) interleaved with the baseline, so a busy shared
machine slows both alike; the report gives medians and the ratio of medians. It also lists
which heavy libraries each command imported (none may: requests, azure-devops, atlassian,
jenkins, teamcity-messages).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("requests", "urllib3", "azure", "msrest", "atlassian", "jenkins", "teamcity")
TARGET_RATIO = 5.0  # issue 18, item 4: `octoci --help` at most 5x `python -c pass`


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - start


def heavy_imports(args: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    """The heavy top-level modules loaded by running ``octoci <args>`` in-process."""
    probe = (
        "import sys, io\n"
        "from octoci.cli import run\n"
        f"run({args!r}, stdout=io.StringIO(), stderr=io.StringIO())\n"
        f"print(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return [m for m in done.stdout.strip().split(",") if m]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTOCI_")}
    # Installed packages carry compiled bytecode (pip compiles at install time); a shell with
    # PYTHONDONTWRITEBYTECODE=1 would make every run recompile every module and measure that.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        git_env = {
            **env,
            "GIT_AUTHOR_NAME": "b",
            "GIT_AUTHOR_EMAIL": "b@b",
            "GIT_COMMITTER_NAME": "b",
            "GIT_COMMITTER_EMAIL": "b@b",
        }
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=git_env)
        for i in range(20):
            subprocess.run(
                ["git", "commit", "-q", "--allow-empty", "-m", f"c{i}"],
                cwd=repo,
                check=True,
                env=git_env,
            )
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "octoci --version": [sys.executable, "-m", "octoci", "--version"],
            "octoci --help": [sys.executable, "-m", "octoci", "--help"],
            "octoci info": [sys.executable, "-m", "octoci", "info"],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for argv in commands.values():  # warm the page cache and .pyc files
            timed(argv, repo, env)
        for _ in range(options.runs):
            for name, argv in commands.items():
                samples[name].append(timed(argv, repo, env))
        base = statistics.median(samples["python -c pass"])
        results = {
            name: {
                "median_ms": round(statistics.median(s) * 1000, 1),
                "ratio": round(statistics.median(s) / base, 2),
            }
            for name, s in samples.items()
        }
        results["octoci --help"]["heavy_imports"] = heavy_imports(["--help"], repo, env)
        results["octoci info"]["heavy_imports"] = heavy_imports(["info"], repo, env)
    if options.json:
        print(json.dumps(results, indent=2))
    else:
        print(
            f"{'command':<20} {'median':>9} {'ratio':>7}  heavy imports (target ratio <= {TARGET_RATIO})"
        )
        for name, r in results.items():
            heavy = ",".join(r.get("heavy_imports", [])) or ("none" if "heavy_imports" in r else "")
            print(f"{name:<20} {r['median_ms']:>7.1f}ms {r['ratio']:>6.2f}x  {heavy}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
