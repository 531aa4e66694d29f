"""Conformance: every Octopus client on the npm registry, unmodified, against the emulator.

Installs the pinned clients with npm (Node 20+ on PATH) into a cache folder, then, each against
a fresh emulator on an ephemeral port:

1. ``@octopusdeploy/api-client``'s own integration tests (the npm package ships them; they run
   with the pinned ``jest``), which set up their fixtures - spaces, projects, deployment
   processes, environments - through the emulator's writable API, as against a real Octopus;
2. ``driver.cjs``: the api-client driving the whole CI sequence after creating its fixtures with
   the client's repository classes, with an API key and with an OIDC access token;
3. ``octopack.cjs``: ``@octopusdeploy/octopackjs`` packing and pushing;
4. the ``octopus-deploy`` scripts' command line: octopack, release create, release deploy,
   release promote.

Each step's result is checked against what Octopus answers and what the emulator then holds
(every pushed package verified by hash).

    python tests/emulator/conformance/run.py [--node-dir DIR]

Exit code 0 when every client's steps passed, 1 otherwise (each problem on stderr).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from octoci_emulator import Emulator, mint_id_token, parse_seed

HERE = Path(__file__).resolve().parent
#: The clients under test, and what runs the api-client's own tests (its devDependencies).
PINNED = {
    "@octopusdeploy/api-client": "3.11.0",
    "@octopusdeploy/octopackjs": "0.2.4",
    "octopus-deploy": "6.3.1",
    "jest": "29.7.0",
    "@faker-js/faker": "7.6.0",
}
#: api-client test files that are not run: each with the reason.
SKIPPED_FILES = {
    "features/packages/pack/": "packing unit tests: they read fixture files from the client's "
    "source tree (src/...), which the npm package does not ship, and never call a server",
}
#: api-client tests (full names) that are not run against this emulator: each with the reason.
SKIPPED_TESTS: dict[str, str] = {}

SERVICE_ACCOUNT = "00000000-0000-4000-8000-00000000c1c1"
ISSUER = "https://conformance.ci.example"
ISSUER_SECRET = "conformance-issuer-secret"
#: (space, package version, credentials) of each driver run.
DRIVER_RUNS = (("Conformance key", "1.2.3", "api-key"), ("Conformance token", "1.2.4", "token"))
FAST_TASKS = {"queued_seconds": 0.05, "executing_seconds": 0.2}
#: The api-client's waiter tests need deployments that outlast a 5 s wait, as real ones do.
REAL_TASKS = {"queued_seconds": 0.1, "executing_seconds": 6.5}

Problems = list[str]


def _install(node_dir: Path) -> None:
    """The pinned packages in ``node_dir`` (npm does nothing when they are there already)."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        sys.exit("conformance: node and npm must be on PATH")
    node_dir.mkdir(parents=True, exist_ok=True)
    manifest = {"name": "octoci-conformance", "private": True, "dependencies": PINNED}
    (node_dir / "package.json").write_text(json.dumps(manifest, indent=2))
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=node_dir, check=True
    )
    for name, version in PINNED.items():
        installed = json.loads((node_dir / "node_modules" / name / "package.json").read_text())
        if installed["version"] != version:
            sys.exit(f"conformance: npm installed {name} {installed['version']}, not {version}")


def _node(
    script: list[str], env: Mapping[str, str], node_dir: Path, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", *script],
        env={
            **os.environ,
            **env,
            "NODE_PATH": str(node_dir / "node_modules"),
            "NO_PROXY": "127.0.0.1,localhost",
        },
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _last_json(output: str) -> Any:
    return json.loads(output.strip().splitlines()[-1])


class Rest:
    """The emulator's REST API, as a pipeline configuring Octopus calls it (stdlib only)."""

    def __init__(self, octo: Emulator) -> None:
        self.octo = octo

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.octo.url}/api{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"X-Octopus-ApiKey": self.octo.api_key, "Content-Type": "application/json"},
            method=method,
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            data = reply.read()
        return json.loads(data) if data else None


# -- 1. the api-client's own tests ----------------------------------------------------------------


def api_client_tests(node_dir: Path, scratch: Path) -> Problems:
    """Run the api-client's shipped tests with jest against an emulator; check the outcome."""
    package = node_dir / "node_modules" / "@octopusdeploy" / "api-client" / "dist"
    config = scratch / "jest.config.cjs"
    config.write_text(
        "module.exports = "
        + json.dumps(
            {
                "rootDir": str(package),
                "testMatch": ["**/*.test.js"],
                # The tests live in node_modules, which jest ignores by default.
                "testPathIgnorePatterns": list(SKIPPED_FILES),
                "haste": {"retainAllFiles": True},
                "testEnvironment": "node",
            }
        )
    )
    skipped = "|".join(_regex_escape(name) for name in SKIPPED_TESTS)
    results = scratch / "jest-results.json"
    with Emulator(seed=parse_seed({"tasks": REAL_TASKS})) as octo:
        started = time.monotonic()
        done = _node(
            [
                str(node_dir / "node_modules" / "jest" / "bin" / "jest.js"),
                "--config",
                str(config),
                "--ci",
                "--silent",
                "--forceExit",
                "--maxWorkers=4",
                f"--testNamePattern=^(?!({skipped})$)",
                "--json",
                f"--outputFile={results}",
            ],
            {"OCTOPUS_TEST_URL": octo.url, "OCTOPUS_TEST_API_KEY": octo.api_key},
            node_dir,
            cwd=scratch,
        )
        elapsed = time.monotonic() - started
        leftover = [s["Name"] for s in octo.documents("space") if not s["IsDefault"]]
    if not results.exists():
        return [f"api-client tests did not run: {done.stderr[-2000:]}"]
    report = json.loads(results.read_text())
    problems = []
    outcomes = {
        test["fullName"]: test["status"]
        for suite in report["testResults"]
        for test in suite["assertionResults"]
    }
    failed = sorted(name for name, status in outcomes.items() if status == "failed")
    if failed or report["numFailedTestSuites"]:
        problems.append(f"api-client tests failed: {failed}\n{done.stderr[-4000:]}")
    pending = sorted(name for name, status in outcomes.items() if status == "pending")
    if pending != sorted(SKIPPED_TESTS):
        problems.append(f"api-client tests skipped {pending}, expected {sorted(SKIPPED_TESTS)}")
    passed = sum(status == "passed" for status in outcomes.values())
    if passed < 18:
        problems.append(f"only {passed} api-client tests passed: did the suite change?")
    # Every test deletes the space it made (stopping its task queue first), as on a real server.
    if leftover:
        problems.append(f"api-client tests left spaces behind: {leftover}")
    print(f"conformance: api-client's own tests: {passed} passed in {elapsed:.1f} s")
    return problems


def _regex_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in r".^$*+?()[]{}|\/" else c for c in text)


# -- 2. the api-client driving the CI sequence ----------------------------------------------------


def api_client_sequence(node_dir: Path, scratch: Path) -> Problems:
    """``driver.cjs`` with an API key, then with an access token; check what the emulator holds."""
    seed = {
        # The deployment to Test fails its first run: under guided failure it waits for a person.
        "tasks": {
            **FAST_TASKS,
            "outcomes": [
                {
                    "project": "My Project",
                    "environment": "Test",
                    "state": "Failed",
                    "error": "conformance: the first run fails",
                    "times": 1,
                }
            ],
        },
        "oidc": [
            {"issuer": ISSUER, "secret": ISSUER_SECRET, "service_account_id": SERVICE_ACCOUNT}
        ],
    }
    problems = []
    with Emulator(seed=parse_seed(seed)) as octo:
        for space_name, version, mode in DRIVER_RUNS:
            package = scratch / f"MyApp.Web.{version}.zip"
            package.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
            env = {
                "OCTOPUS_URL": octo.url,
                "CONFORMANCE_SPACE": space_name,
                "CONFORMANCE_PACKAGE": str(package),
                "CONFORMANCE_VERSION": version,
            }
            env["OCTOPUS_API_KEY" if mode == "api-key" else "OCTOPUS_ACCESS_TOKEN"] = (
                octo.api_key if mode == "api-key" else _access_token(octo.url)
            )
            done = _node([str(HERE / "driver.cjs")], env, node_dir)
            if done.returncode != 0:
                problems.append(f"api-client sequence ({mode}) failed:\n{done.stderr[-4000:]}")
                continue
            problems += _check_sequence(octo, _last_json(done.stdout), space_name, package, mode)
    if not problems:
        print("conformance: api-client CI sequence passed (API key and access token)")
    return problems


def _check_sequence(
    octo: Emulator, result: dict[str, Any], space_name: str, package: Path, mode: str
) -> Problems:
    space = next((s for s in octo.documents("space") if s["Name"] == space_name), None)
    if space is None:
        return [f"{mode}: the space {space_name!r} the client created is not there"]
    space_id = space["Id"]
    problems = []
    fixtures = result["fixtures"]
    expected: list[tuple[str, Callable[[list[dict[str, Any]]], bool]]] = [
        ("environment", lambda docs: [d["Name"] for d in docs] == ["Dev", "Test"]),
        ("project", lambda docs: [d["Name"] for d in docs] == ["My Project"]),
        (
            "tenant",
            lambda docs: (
                [d["ProjectEnvironments"] for d in docs]
                == [{fixtures["project"]["Id"]: [fixtures["dev"]["Id"]]}]
            ),
        ),
        (
            "runbook",
            lambda docs: (
                [d["PublishedRunbookSnapshotId"] for d in docs] == [fixtures["snapshot"]["Id"]]
            ),
        ),
    ]
    for kind, check in expected:
        if not check(octo.documents(kind, space_id)):
            problems.append(
                f"{mode}: the {kind} fixtures are not as created: {octo.documents(kind, space_id)}"
            )
    packages = octo.documents("package", space_id)
    if [(p["PackageId"], p["Version"]) for p in packages] != [
        ("MyApp.Web", result["release"]["ReleaseVersion"])
    ]:
        problems.append(f"{mode}: expected one package, found {packages}")
    elif _sha256(octo.package_path(packages[0])) != _sha256(package):
        problems.append(f"{mode}: the stored package differs from the pushed file")
    info = octo.documents("buildinfo", space_id)
    if len(info) != 1 or info[0]["WorkItems"][0]["Id"] != "12":
        problems.append(f"{mode}: build information not stored as mapped: {info}")
    deployments = octo.documents("deployment", space_id)
    dev = [d for d in deployments if d["EnvironmentId"] == fixtures["dev"]["Id"]]
    tenants = sorted(str(d["TenantId"]) for d in dev)
    if tenants != sorted(["None", fixtures["tenant"]["Id"]]):
        problems.append(f"{mode}: expected an untenanted and a tenanted deployment: {deployments}")
    runs = octo.documents("runbookrun", space_id)
    if [r["RunbookId"] for r in runs] != [fixtures["runbook"]["Id"]]:
        problems.append(f"{mode}: expected one run of the runbook, found {runs}")
    states = [octo.wait_for_task(t)["State"] for t in result["taskIds"]]
    if states != ["Success"] * 3:
        problems.append(f"{mode}: unexpected task states {states}")
    interruptions = octo.documents("interruption", space_id)
    guided = result["guided"]
    if [(i["Id"], i["Type"], i["IsPending"]) for i in interruptions] != [
        (guided["interruptionId"], "GuidedFailure", False)
    ] or octo.wait_for_task(guided["taskId"])["State"] != "Success":
        problems.append(f"{mode}: the guided failure was not answered and retried: {interruptions}")
    return problems


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


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- 3. octopackjs ---------------------------------------------------------------------------------


def octopackjs(node_dir: Path, scratch: Path) -> Problems:
    """Pack and push with octopackjs; the stored files must be the packed files, byte for byte."""
    out = scratch / "octopack-out"
    with Emulator(seed=parse_seed({"tasks": FAST_TASKS})) as octo:
        env = {
            "OCTOPUS_URL": octo.url,
            "OCTOPUS_API_KEY": octo.api_key,
            "CONFORMANCE_SPACE_ID": octo.space_id,
            "CONFORMANCE_OUT": str(out),
        }
        done = _node([str(HERE / "octopack.cjs")], env, node_dir)
        if done.returncode != 0:
            return [f"octopackjs failed:\n{done.stderr[-4000:]}"]
        problems = []
        stored = {(p["PackageId"], p["Version"], p["FileExtension"]): p for p in octo.packages()}
        for pushed in _last_json(done.stdout):
            key = (
                pushed["first"]["PackageId"],
                pushed["first"]["Version"],
                pushed["first"]["FileExtension"],
            )
            if pushed["conflict"] != 409:
                problems.append(f"octopackjs: a second push of {pushed['name']} was not refused")
            package = stored.get(key)
            if package is None:
                problems.append(f"octopackjs: {pushed['name']} is not in the feed")
            elif _sha256(octo.package_path(package)) != _sha256(Path(pushed["path"])):
                problems.append(
                    f"octopackjs: the stored {pushed['name']} differs from the packed file"
                )
        if sorted(stored) != [("Shop.Site", "1.0.0", ".zip"), ("Shop.Site", "1.0.1", ".tar.gz")]:
            problems.append(f"octopackjs: unexpected feed contents {sorted(stored)}")
    if not problems:
        print("conformance: octopackjs pack and push passed")
    return problems


# -- 4. the octopus-deploy scripts -----------------------------------------------------------------


def octopus_deploy_scripts(node_dir: Path, scratch: Path) -> Problems:
    """The ``octopus-deploy`` command line through a pipeline: octopack, release create, release
    deploy (with variables), release promote. Its commands log failures and still exit 0, so
    each step is also checked by what the emulator then holds, and by an empty stderr."""
    site = scratch / "scripts-site"
    (site / "css").mkdir(parents=True)
    (site / "index.html").write_text("<h1>Shop</h1>\n")
    (site / "css" / "site.css").write_text("h1 { color: teal; }\n")
    cli = str(node_dir / "node_modules" / "octopus-deploy" / "bin" / "octopus-deploy.js")
    problems: Problems = []
    with Emulator(seed=parse_seed({"tasks": FAST_TASKS})) as octo:
        ids = _configure_scripts_space(Rest(octo))
        common = ["--host", octo.url, "--apiKey", octo.api_key, "--space", "Scripts"]
        project = ["--projectSlugOrId", "shop-site"]
        greeting = json.dumps({"Greeting": "hello"})
        steps: list[tuple[list[str], Callable[[], str]]] = [
            (
                [
                    "octopack",
                    *common,
                    "--packageName",
                    "Shop.Site",
                    "--packageVersion",
                    "2.0.0",
                    "--globs",
                    f"{site}/**",
                    "--base",
                    str(site),
                    "--zip",
                ],
                lambda: _expect_package(octo, ids["space"], "Shop.Site", "2.0.0"),
            ),
            (
                [
                    "release",
                    "create",
                    *common,
                    *project,
                    "--releaseVersion",
                    "2.0.0",
                    "--packageVersion",
                    "2.0.0",
                    "--releaseNotes",
                    "From the scripts",
                ],
                lambda: _expect_releases(octo, ids["space"], ["2.0.0"]),
            ),
            (
                [
                    "release",
                    "deploy",
                    *common,
                    *project,
                    "--releaseVersion",
                    "2.0.1",
                    "--packageVersion",
                    "2.0.0",
                    "--environmentName",
                    "Dev",
                    "--variables",
                    greeting,
                ],
                lambda: _expect_deployments(octo, ids, [("2.0.1", "dev")]),
            ),
            (
                [
                    "release",
                    "promote",
                    *common,
                    *project,
                    "--releaseVersion",
                    "2.0.1",
                    "--environmentName",
                    "Test",
                    "--variables",
                    greeting,
                ],
                lambda: _expect_deployments(octo, ids, [("2.0.1", "dev"), ("2.0.1", "test")]),
            ),
        ]
        for args, check in steps:
            done = _node([cli, *args], {}, node_dir)
            name = " ".join(args[:2]) if args[0] == "release" else args[0]
            if done.returncode != 0 or done.stderr.strip():
                problems.append(
                    f"octopus-deploy {name}: exit {done.returncode}: {done.stderr[-2000:]}"
                )
                break
            problem = check()
            if problem:
                problems.append(f"octopus-deploy {name}: {problem}")
                break
    if not problems:
        print(
            "conformance: octopus-deploy scripts (octopack, release create/deploy/promote) passed"
        )
    return problems


def _configure_scripts_space(rest: Rest) -> dict[str, str]:
    """The scripts' space through the REST API: Dev and Test, a project with a package step and
    a variable set (the scripts read environments and prompted values from it)."""
    space = rest.call(
        "POST", "/spaces", {"Name": "Scripts", "SpaceManagersTeamMembers": ["Users-1"]}
    )
    sid = space["Id"]
    dev = rest.call("POST", f"/{sid}/environments", {"Name": "Dev"})
    test = rest.call("POST", f"/{sid}/environments", {"Name": "Test"})
    lifecycle = rest.call("GET", f"/{sid}/lifecycles/all")[0]
    group = rest.call("GET", f"/{sid}/projectgroups/all")[0]
    project = rest.call(
        "POST",
        f"/{sid}/projects",
        {"Name": "Shop Site", "LifecycleId": lifecycle["Id"], "ProjectGroupId": group["Id"]},
    )
    process = rest.call("GET", f"/{sid}/projects/{project['Id']}/deploymentprocesses")
    process["Steps"] = [
        {
            "Name": "Deploy site",
            "Actions": [
                {
                    "Name": "Deploy site",
                    "ActionType": "Octopus.TentaclePackage",
                    "Properties": {"Octopus.Action.Package.PackageId": "Shop.Site"},
                    "Packages": [{"PackageId": "Shop.Site", "FeedId": "feeds-builtin"}],
                }
            ],
        }
    ]
    rest.call("PUT", f"/{sid}/deploymentprocesses/{process['Id']}", process)
    variables = rest.call("GET", f"/{sid}/variables/{project['VariableSetId']}")
    variables["Variables"] = [
        {"Name": "Greeting", "Value": "hi", "Scope": {"Environment": [env["Id"]]}}
        for env in (dev, test)
    ]
    rest.call("PUT", f"/{sid}/variables/{variables['Id']}", variables)
    return {"space": sid, "project": project["Id"], "dev": dev["Id"], "test": test["Id"]}


def _expect_package(octo: Emulator, space_id: str, package_id: str, version: str) -> str:
    found = [(p["PackageId"], p["Version"]) for p in octo.documents("package", space_id)]
    return "" if found == [(package_id, version)] else f"feed holds {found}"


def _expect_releases(octo: Emulator, space_id: str, versions: list[str]) -> str:
    found = [r["Version"] for r in octo.documents("release", space_id)]
    return "" if found == versions else f"releases are {found}, expected {versions}"


def _expect_deployments(octo: Emulator, ids: dict[str, str], wanted: list[tuple[str, str]]) -> str:
    releases = {r["Id"]: r["Version"] for r in octo.documents("release", ids["space"])}
    found = []
    for deployment in octo.documents("deployment", ids["space"]):
        state = octo.wait_for_task(deployment["TaskId"])["State"]
        if state != "Success":
            return f"deployment {deployment['Id']} ended {state}"
        env = next(k for k in ("dev", "test") if ids[k] == deployment["EnvironmentId"])
        found.append((releases[deployment["ReleaseId"]], env))
    return "" if found == wanted else f"deployments are {found}, expected {wanted}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--node-dir", type=Path, default=Path(tempfile.gettempdir()) / "octoci-conformance-node"
    )
    args = parser.parse_args()
    started = time.monotonic()
    node_dir = args.node_dir.resolve()  # node runs in other folders
    _install(node_dir)
    print(f"conformance: npm packages ready in {time.monotonic() - started:.1f} s")
    problems: Problems = []
    with tempfile.TemporaryDirectory() as scratch:
        for step in (api_client_tests, api_client_sequence, octopackjs, octopus_deploy_scripts):
            problems += step(node_dir, Path(scratch))
    for problem in problems:
        print(f"conformance: {problem}", file=sys.stderr)
    total = time.monotonic() - started
    clients = ", ".join(f"{name}@{version}" for name, version in list(PINNED.items())[:3])
    if problems:
        print(f"conformance: {len(problems)} problem(s) in {total:.1f} s", file=sys.stderr)
        return 1
    print(f"conformance: {clients} passed against the emulator in {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
