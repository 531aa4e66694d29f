"""Conformance: drive Octopus's official TypeScript client against the emulator.

Installs ``@octopusdeploy/api-client`` with npm (Node 20+ on PATH) into a cache folder, starts an
emulator on an ephemeral port, runs ``driver.cjs`` and checks the emulator's state afterwards.

    python tests/emulator/conformance/run.py [--node-dir DIR]

Exit code 0 when the client's whole sequence worked, 1 otherwise (with the reason on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from octoci.emulator import Emulator, parse_seed

CLIENT = "@octopusdeploy/api-client@3.11.0"
HERE = Path(__file__).resolve().parent
SEED = {
    "tasks": {"queued_seconds": 0.1, "executing_seconds": 0.3},
    "projects": [{"name": "My Project", "packages": ["MyApp.Web"]}],
}


def _install(node_dir: Path) -> None:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        sys.exit("conformance: node and npm must be on PATH")
    node_dir.mkdir(parents=True, exist_ok=True)
    if not (node_dir / "node_modules" / "@octopusdeploy" / "api-client").is_dir():
        if not (node_dir / "package.json").exists():
            (node_dir / "package.json").write_text(
                '{"name": "octoci-conformance", "private": true}'
            )
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", CLIENT],
            cwd=node_dir,
            check=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--node-dir", type=Path, default=Path(tempfile.gettempdir()) / "octoci-conformance-node"
    )
    args = parser.parse_args()
    _install(args.node_dir)
    with tempfile.TemporaryDirectory() as scratch, Emulator(seed=parse_seed(SEED)) as octo:
        package = Path(scratch) / "MyApp.Web.1.2.3.zip"
        package.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
        env = {
            **os.environ,
            "OCTOPUS_URL": octo.url,
            "OCTOPUS_API_KEY": octo.api_key,
            "CONFORMANCE_PACKAGE": str(package),
            "NODE_PATH": str(args.node_dir / "node_modules"),
            "NO_PROXY": "127.0.0.1,localhost",
        }
        done = subprocess.run(
            ["node", str(HERE / "driver.cjs")],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        sys.stderr.write(done.stderr)
        if done.returncode != 0:
            print("conformance: the TypeScript client's sequence failed", file=sys.stderr)
            return 1
        result = json.loads(done.stdout.strip().splitlines()[-1])
        problems = _check(octo, result)
    for problem in problems:
        print(f"conformance: {problem}", file=sys.stderr)
    if not problems:
        print("conformance: @octopusdeploy/api-client sequence passed against the emulator")
    return 1 if problems else 0


def _check(octo: Emulator, result: dict[str, object]) -> list[str]:
    problems = []
    packages = octo.packages()
    if [(p["PackageId"], p["Version"]) for p in packages] != [("MyApp.Web", "1.2.3")]:
        problems.append(f"expected one stored package, found {packages}")
    info = octo.documents("buildinfo")
    if len(info) != 1 or info[0]["WorkItems"][0]["Id"] != "12":
        problems.append(f"build information not stored as mapped: {info}")
    if result.get("states") != ["Success"]:
        problems.append(f"unexpected task states {result.get('states')}")
    deployments = octo.documents("deployment")
    if len(deployments) != 1:
        problems.append(f"expected one deployment, found {len(deployments)}")
    return problems


if __name__ == "__main__":
    sys.exit(main())
