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
import urllib.request
from pathlib import Path

from octoci_emulator import Emulator, mint_id_token, parse_seed

CLIENT = "@octopusdeploy/api-client@3.11.0"
HERE = Path(__file__).resolve().parent
SERVICE_ACCOUNT = "00000000-0000-4000-8000-00000000c1c1"
ISSUER = "https://conformance.ci.example"
ISSUER_SECRET = "conformance-issuer-secret"
SEED = {
    "tasks": {"queued_seconds": 0.1, "executing_seconds": 0.3},
    "projects": [{"name": "My Project", "packages": ["MyApp.Web"]}],
    "oidc": [{"issuer": ISSUER, "secret": ISSUER_SECRET, "service_account_id": SERVICE_ACCOUNT}],
}
#: (package version, credentials): the API-key run, then the access-token run.
RUNS = (("1.2.3", "api-key"), ("1.2.4", "access-token"))


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
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as scratch, Emulator(seed=parse_seed(SEED)) as octo:
        for version, mode in RUNS:
            package = Path(scratch) / f"MyApp.Web.{version}.zip"
            package.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
            env = {
                **os.environ,
                "OCTOPUS_URL": octo.url,
                "CONFORMANCE_PACKAGE": str(package),
                "CONFORMANCE_VERSION": version,
                "NODE_PATH": str(args.node_dir / "node_modules"),
                "NO_PROXY": "127.0.0.1,localhost",
            }
            env.pop("OCTOPUS_ACCESS_TOKEN", None)
            if mode == "api-key":
                env["OCTOPUS_API_KEY"] = octo.api_key
            else:
                env["OCTOPUS_ACCESS_TOKEN"] = _access_token(octo.url)
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
                print(f"conformance: the client's sequence failed ({mode})", file=sys.stderr)
                return 1
            result = json.loads(done.stdout.strip().splitlines()[-1])
            if result.get("states") != ["Success"]:
                problems.append(f"{mode}: unexpected task states {result.get('states')}")
        problems += _check(octo)
    for problem in problems:
        print(f"conformance: {problem}", file=sys.stderr)
    if not problems:
        print("conformance: @octopusdeploy/api-client sequence passed against the emulator")
    return 1 if problems else 0


def _access_token(url: str) -> str:
    """An access token from the emulator's token exchange, as the OIDC login action gets one."""
    body = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "audience": SERVICE_ACCOUNT,
        "subject_token": mint_id_token(
            issuer=ISSUER,
            secret=ISSUER_SECRET,
            subject="repo:acme/shop:ref:refs/heads/main",
            audience=SERVICE_ACCOUNT,
        ),
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
    }
    with urllib.request.urlopen(f"{url}/.well-known/openid-configuration") as reply:
        endpoint = json.load(reply)["token_endpoint"]
    request = urllib.request.Request(
        endpoint,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as reply:
        return str(json.load(reply)["access_token"])


def _check(octo: Emulator) -> list[str]:
    problems = []
    versions = [version for version, _ in RUNS]
    packages = sorted((p["PackageId"], p["Version"]) for p in octo.packages())
    if packages != [("MyApp.Web", v) for v in versions]:
        problems.append(f"expected packages {versions}, found {packages}")
    info = octo.documents("buildinfo")
    if len(info) != len(RUNS) or any(i["WorkItems"][0]["Id"] != "12" for i in info):
        problems.append(f"build information not stored as mapped: {info}")
    deployments = octo.documents("deployment")
    if len(deployments) != len(RUNS):
        problems.append(f"expected {len(RUNS)} deployments, found {len(deployments)}")
    return problems


if __name__ == "__main__":
    sys.exit(main())
