"""``octoci publish`` end to end against the emulator over real HTTP, on the local "build server":
the whole pipeline, re-runs, failures with their exit codes, nothing half-created, dry runs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import threading
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from octoci.testing import CliResult, run_octoci
from octoci_emulator import DEFAULT_API_KEY, Emulator

Publish = Callable[..., CliResult]


def _error_line(result: CliResult) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("octoci: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_the_whole_pipeline_packs_pushes_releases_deploys_and_promotes(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path
) -> None:
    result = publish("--promote-to", "Test")
    assert result.exit_code == 0, result.stderr
    # The version comes from git: v1.3.0 plus two commits on main.
    version = "1.3.1-ci.2"
    web = sample_repo / ".octoci" / "packages" / f"Acme.Web.{version}.zip"
    api = sample_repo / ".octoci" / "packages" / f"Acme.Api.{version}.tar.gz"
    with zipfile.ZipFile(web) as archive:
        assert sorted(archive.namelist()) == ["app.js", "index.html"]  # *.map excluded
    with tarfile.open(api) as archive:
        assert archive.getnames() == ["api.dll"]
    stored = {(p["PackageId"], p["Version"]) for p in octopus_emulator.packages()}
    assert stored == {("Acme.Web", version), ("Acme.Api", version)}
    infos = octopus_emulator.documents("buildinfo")
    assert sorted(i["PackageId"] for i in infos) == ["Acme.Api", "Acme.Web"]
    assert [c["Comment"] for c in infos[0]["Commits"]][:2] == [
        "Fix the total",
        "Add the basket (#12)",
    ]
    (release,) = octopus_emulator.documents("release")
    assert release["Version"] == version
    assert {p["Version"] for p in release["SelectedPackages"]} == {version}
    tasks = octopus_emulator.documents("task")
    assert sorted(t["State"] for t in tasks) == ["Success", "Success"]
    # Phases in order, as log groups (plain headings on the local server), then the summary.
    headings = [line for line in result.stdout.splitlines() if line.startswith("=== [")]
    assert [h.split("] ")[1].split(" ")[0] for h in headings] == [
        "Packing", "Pushing", "Creating", "Deploying", "Promoting",
    ]  # fmt: skip
    assert "octoci output deployment_states=Dev=Success,Test=Success" in result.stdout
    assert f"| Acme.Web | {version} |" in result.stdout
    assert "Build information for Acme.Web, Acme.Api" in result.stdout
    assert "2 commits" in result.stdout  # since the last tag
    assert result.leaks(octopus_emulator.api_key) == []


def test_a_rerun_succeeds_and_reuses_what_is_there(
    publish: Publish, octopus_emulator: Emulator
) -> None:
    assert publish().exit_code == 0
    again = publish()
    assert again.exit_code == 0, again.stderr
    assert "Acme.Web.1.3.1-ci.2.zip: already in Octopus, identical" in again.stdout
    assert (
        "build information for Acme.Web 1.3.1-ci.2: already in Octopus, identical" in again.stdout
    )
    assert "already exists and will be used as it is" in again.stdout
    assert len(octopus_emulator.documents("release")) == 1
    # The release is already deployed to Dev (queued, running or done): not deployed again.
    assert len(octopus_emulator.documents("task")) == 1
    assert "already deployed to Dev: Deployments-1" in again.stdout


def test_release_exists_fail_stops_before_anything_is_pushed(
    publish: Publish, octopus_emulator: Emulator
) -> None:
    assert publish("--version", "2.0.0").exit_code == 0
    (octopus_emulator.data_dir).exists()
    again = publish("--version", "2.0.0", "--release-exists", "fail", "--package-id", "Other",
                    "--base-path", "web/dist")  # fmt: skip
    assert again.exit_code == 1
    assert "release 2.0.0 of Shop already exists" in _error_line(again)
    assert "Other" not in {p["PackageId"] for p in octopus_emulator.packages()}


def test_an_unknown_environment_is_a_usage_error_and_nothing_is_created(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path
) -> None:
    result = publish("--deploy-to", "Prod")
    assert result.exit_code == 2
    line = _error_line(result)
    assert "environment 'Prod' was not found" in line
    assert "Production" in line  # the close match
    assert octopus_emulator.packages() == []
    assert octopus_emulator.documents("buildinfo") == []
    assert not (sample_repo / ".octoci").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--package-id", "Acme Web!", "--base-path", "web/dist"), "invalid package id"),
        (("--package-id", "Acme.Web", "--base-path", "missing"), "does not exist"),
        (("--version", "1.2.x"), "not valid"),
        (("--format", "rar"), "unknown package format"),
        (("--only", "Acme.Wbe"), "only names Acme.Wbe"),
        (("--no-release",), "deploying needs a release"),
        (("--overwrite-mode", "sometimes"), "unknown overwrite mode"),
        (("--include", "[a-"), "patterns such as"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_creates_nothing(
    publish: Publish,
    octopus_emulator: Emulator,
    sample_repo: Path,
    args: tuple[str, ...],
    message: str,
) -> None:
    result = publish(*args)
    assert result.exit_code == 2, result.stderr
    assert message in _error_line(result)
    assert octopus_emulator.packages() == []
    assert not (sample_repo / ".octoci").exists()


def test_a_malformed_configuration_file_is_exit_2(publish: Publish, sample_repo: Path) -> None:
    (sample_repo / "octoci.toml").write_text('projct = "Shop"\n', encoding="utf-8")
    result = publish()
    assert result.exit_code == 2
    assert "unknown setting 'projct' (did you mean 'project'?)" in _error_line(result)
    (sample_repo / "octoci.toml").write_text("wait = [", encoding="utf-8")
    assert "not valid TOML" in _error_line(publish())


def test_a_failed_deployment_reports_then_exits_3(
    publish: Publish, octopus_emulator: Emulator
) -> None:
    result = publish("--deploy-to", "Production")
    assert result.exit_code == 3
    assert "ended Failed: Step 'Deploy' failed" in _error_line(result)
    # The outputs and summary still reach the build server.
    assert "octoci output deployment_states=Production=Failed" in result.stdout
    assert "| Failed |" in result.stdout


def test_a_failed_deployment_is_not_promoted(publish: Publish, octopus_emulator: Emulator) -> None:
    result = publish("--deploy-to", "Production", "--promote-to", "Test")
    assert result.exit_code == 3
    assert {t["Description"].split(" ")[-1] for t in octopus_emulator.documents("task")} != {"Test"}
    assert len(octopus_emulator.documents("task")) == 1


def test_waiting_too_long_is_exit_4(
    octopus_emulator_factory: Callable[..., Emulator], sample_repo: Path
) -> None:
    octopus = octopus_emulator_factory(
        {
            "tasks": {"hold": True},
            "projects": [{"name": "Shop", "packages": ["Acme.Web", "Acme.Api"]}],
        }
    )
    env = {
        "OCTOPUS_URL": octopus.url,
        "OCTOPUS_API_KEY": octopus.api_key,
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    result = run_octoci("publish", "--timeout", "0.3", "--cancel-on-timeout", env=env,
                        cwd=sample_repo)  # fmt: skip
    assert result.exit_code == 4
    assert "timed out after 0.3 s" in _error_line(result)
    (task,) = octopus.documents("task")
    assert task["State"] in ("Cancelling", "Canceled")


def test_an_octopus_refusal_is_exit_1(
    octopus_emulator_factory: Callable[..., Emulator], sample_repo: Path
) -> None:
    octopus = octopus_emulator_factory(
        {
            "api_keys": [{"key": "API-PUSHONLY", "permissions": ["BuiltInFeedPush"]}],
            "projects": [{"name": "Shop", "packages": ["Acme.Web", "Acme.Api"]}],
        }
    )
    env = {"OCTOPUS_URL": octopus.url, "OCTOPUS_API_KEY": "API-PUSHONLY",
           "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}  # fmt: skip
    result = run_octoci("publish", env=env, cwd=sample_repo)
    assert result.exit_code == 1
    assert "BuildInformationPush" in _error_line(result)
    assert result.leaks("API-PUSHONLY") == []


def test_dry_run_checks_against_the_server_prints_payloads_and_changes_nothing(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path
) -> None:
    result = publish("--dry-run", "--promote-to", "Test", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["DryRun"] is True
    requests = {(r["Method"], r["Path"].rsplit("/", 2)[-2] + "/" + r["Path"].rsplit("/", 1)[-1])
                for r in document["Requests"]}  # fmt: skip
    assert ("POST", "packages/raw") in requests
    assert ("POST", "create/v1") in requests
    release = next(r for r in document["Requests"] if r["Path"].endswith("/releases/create/v1"))
    assert release["Body"]["ProjectName"] == "Shop"
    assert sorted(release["Body"]["Packages"]) == ["Acme.Api:1.3.1-ci.2", "Acme.Web:1.3.1-ci.2"]
    deployments = [r for r in document["Requests"] if "/deployments/create/" in r["Path"]]
    assert [d["Body"]["EnvironmentNames"] for d in deployments] == [["Dev"], ["Test"]]
    info = next(r for r in document["Requests"] if r["Path"].endswith("/build-information"))
    assert info["Body"]["OctopusBuildInformation"]["Commits"][0]["Comment"] == "Fix the total"
    sources = {s["Name"]: s["Source"] for s in document["Settings"]}
    assert sources["project"].startswith("file ")
    assert sources["promote_to"] == "flag"
    # Nothing changed: no package, record, release or task in Octopus, no package on disk.
    for kind in ("package", "buildinfo", "release", "task"):
        assert octopus_emulator.documents(kind) == []
    assert not (sample_repo / ".octoci").exists()


def test_dry_run_still_fails_on_what_octopus_would_refuse(
    publish: Publish, octopus_emulator: Emulator
) -> None:
    result = publish("--dry-run", "--channel", "Hotfix")
    assert result.exit_code == 2
    assert "channel 'Hotfix' was not found" in _error_line(result)


def test_dry_run_sees_packages_already_there(publish: Publish) -> None:
    assert publish("--no-wait").exit_code == 0
    result = publish("--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "Acme.Web.1.3.1-ci.2.zip: already in Octopus, identical" in result.stdout
    assert "release Shop 1.3.1-ci.2 exists, would be used" in result.stdout
    assert "POST /api/Spaces-1/releases/create/v1" in result.stdout


def test_emulator_mode_runs_the_whole_job_without_a_server(sample_repo: Path) -> None:
    # No OCTOPUS_URL and no key: the embedded emulator is seeded with Shop and Dev.
    result = run_octoci("publish", "--emulator", env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"},
                        cwd=sample_repo)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "started an Octopus emulator at http://127.0.0.1:" in result.stdout
    assert "Dev): Success" in result.stdout
    # The release and the deployment as pages of the emulator's web view, as Octopus's portal.
    (release,) = [x for x in result.stdout.splitlines() if x.startswith("  release 1.3.1-ci.2: ")]
    assert re.fullmatch(
        r"  release 1\.3\.1-ci\.2: http://127\.0\.0\.1:\d+/app#/Spaces-1/projects/shop"
        r"/deployments/releases/Releases-1",
        release,
    ), release
    assert re.search(r"  deployment to Dev: Success, http://\S+/app#/Spaces-1/tasks/ServerTasks-\d+",
                     result.stdout)  # fmt: skip
    assert "octoci output deployment_states=Dev=Success" in result.stdout


def test_emulator_mode_ignores_the_jobs_real_server(sample_repo: Path) -> None:
    env = {
        "OCTOPUS_URL": "https://octopus.invalid",
        "OCTOPUS_API_KEY": "API-REALSECRETKEY1234",
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    result = run_octoci("publish", "--emulator", "--dry-run", env=env, cwd=sample_repo)
    assert result.exit_code == 0, result.stderr
    assert "octopus.invalid" not in result.stdout
    assert result.leaks("API-REALSECRETKEY1234") == []


def test_pyproject_tool_octoci_and_environment_precedence(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path
) -> None:
    config = (sample_repo / "octoci.toml").read_text(encoding="utf-8")
    (sample_repo / "octoci.toml").unlink()
    (sample_repo / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n[tool.octoci]\n'
        + config.replace("[[packages]]", "[[tool.octoci.packages]]"),
        encoding="utf-8",
    )
    result = publish("--format", "tar.gz", env={"OCTOCI_DEPLOY_TO": "Test", "OCTOCI_FORMAT": "zip"})
    assert result.exit_code == 0, result.stderr
    # The flag beats the variable, which beats the file's per-package and top-level values.
    assert {p["FileExtension"] for p in octopus_emulator.packages()} == {".tar.gz"}
    (task,) = octopus_emulator.documents("task")
    assert "Test" in task["Description"]


def test_already_built_package_files_are_pushed_as_they_are(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path
) -> None:
    (sample_repo / "dist").mkdir()
    (sample_repo / "dist" / "Acme.Docs.4.0.0.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    result = publish("--package-file", "dist/*.zip", "--no-wait")
    assert result.exit_code == 0, result.stderr
    assert {(p["PackageId"], p["Version"]) for p in octopus_emulator.packages()} == {
        ("Acme.Web", "1.3.1-ci.2"),
        ("Acme.Api", "1.3.1-ci.2"),
        ("Acme.Docs", "4.0.0"),
    }
    (release,) = octopus_emulator.documents("release")
    assert release["Version"] == "1.3.1-ci.2"


def test_without_packages_configured_the_artifact_folders_are_searched(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path
) -> None:
    (sample_repo / "octoci.toml").unlink()
    (sample_repo / "out").mkdir()
    (sample_repo / "out" / "Acme.Web.5.1.0.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    result = publish("--artifact-path", "out", "--version", "5.1.0")
    assert result.exit_code == 0, result.stderr
    assert [p["PackageId"] for p in octopus_emulator.packages()] == ["Acme.Web"]
    nothing = publish("--version", "5.1.0")
    assert nothing.exit_code == 2
    assert "nothing to publish" in _error_line(nothing)


def test_a_package_step_nobody_publishes_is_found_before_anything_is_pushed(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path
) -> None:
    result = publish("--only", "Acme.Web")
    assert result.exit_code == 2
    assert "needs Acme.Api (step 'Acme.Api')" in _error_line(result)
    assert octopus_emulator.packages() == []
    # Once the feed holds some Acme.Api, a release can take it: --only then works.
    (sample_repo / "Acme.Api.1.0.0.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    env = {"OCTOPUS_URL": octopus_emulator.url, "OCTOPUS_API_KEY": octopus_emulator.api_key}
    pushed = run_octoci("push", "Acme.Api.1.0.0.zip", env=env, cwd=sample_repo)
    assert pushed.exit_code == 0, pushed.stderr
    result = publish("--only", "Acme.Web")
    assert result.exit_code == 0, result.stderr
    (release,) = octopus_emulator.documents("release")
    versions = {p["_PackageId"] if "_PackageId" in p else p["ActionName"]: p["Version"]
                for p in release["SelectedPackages"]}  # fmt: skip
    assert versions == {"Acme.Web": "1.3.1-ci.2", "Acme.Api": "1.0.0"}


def test_emulator_mode_seeds_tenants_and_deploys_for_them(sample_repo: Path) -> None:
    result = run_octoci("publish", "--emulator", "--tenant", "Acme Corp", "--deploy-to", "Test",
                        env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}, cwd=sample_repo)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "(Test/Acme Corp): Success" in result.stdout
    assert "octoci output deployment_states=Test/Acme Corp=Success" in result.stdout


def test_the_version_can_come_from_the_build_number(
    publish: Publish, octopus_emulator: Emulator, ci_env: Callable[..., dict[str, str]]
) -> None:
    env = ci_env("jenkins", "push", BUILD_NUMBER="57")
    result = publish("--version-from", "build-number", "--no-commits", env=env)
    assert result.exit_code == 0, result.stderr
    assert {p["Version"] for p in octopus_emulator.packages()} == {"1.0.57"}
    dotted = publish("--no-commits", "--version-prefix", "x", env={**env, "BUILD_NUMBER": "3.1.4",
                     "OCTOCI_VERSION_FROM": "build-number"})  # fmt: skip
    assert dotted.exit_code == 0, dotted.stderr
    assert "3.1.4" in {p["Version"] for p in octopus_emulator.packages()}


def _emulator_state(temp: Path) -> list[Path]:
    return [p for p in temp.iterdir() if p.name.startswith("octoci-emulator-")]


def _default_sigint() -> None:
    # A shell that runs pytest in the background starts it with SIGINT ignored, and children
    # inherit that: give the child Python's own Ctrl-C handling whatever launched the tests.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals to a child process")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_keep_emulator_serves_the_links_until_ctrl_c_or_sigterm(
    sample_repo: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    octoci = Path(sys.executable).with_name("octoci")
    temp = tmp_path / "temp"  # the emulator's temporary state goes here, and must go away
    temp.mkdir()
    env = {**os.environ, "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1", "TMPDIR": str(temp)}
    env.pop("CI", None)
    child = subprocess.Popen(
        [str(octoci), "publish", "--emulator", "--keep-emulator"], cwd=sample_repo, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint,
    )  # fmt: skip
    # Whatever goes wrong, no child outlives the test (and reading its output cannot hang).
    watchdog = threading.Timer(60, child.kill)
    watchdog.start()
    try:
        assert child.stdout is not None
        url = ""
        for line in child.stdout:
            if "the emulator keeps serving at " in line:
                url = line.split(" at ")[1].split(";")[0]
                break
        assert url.startswith("http://127.0.0.1:")
        assert _emulator_state(temp), "the emulator keeps its state elsewhere: fix the test"
        request = urllib.request.Request(
            f"{url}/api/Spaces-1/releases/Releases-1", headers={"X-Octopus-ApiKey": DEFAULT_API_KEY}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.load(answer)["Version"] == "1.3.1-ci.2"
        child.send_signal(signum)
        out, _ = child.communicate(timeout=30)
    finally:
        watchdog.cancel()
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, f"stopped by {signum.name}: exit {child.returncode}"
    assert "emulator stopped" in out
    assert _emulator_state(temp) == []  # a clean stop: the temporary state is removed


def test_json_on_the_local_server_moves_the_outputs_to_stderr(publish: Publish) -> None:
    result = publish("--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert [p["PackageId"] for p in document["Packages"]] == ["Acme.Web", "Acme.Api"]
    assert document["BuildInformation"]["Commits"] == 2
    assert "octoci output release_version=1.3.1-ci.2" in result.stderr
    assert "octoci: [1/5]" not in result.stdout
