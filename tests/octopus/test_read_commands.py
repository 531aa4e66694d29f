"""``octoci release list|show`` and ``octoci task show``: what a real ``octoci publish`` did, read
back end to end from the emulator over HTTP - text, ``--json``, and bad input (exit code 2)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.testing import CliResult
from octoci_emulator import Emulator

Octoci = Callable[..., CliResult]

#: Shop on a three-phase lifecycle, a Hotfix channel that may go anywhere, a runbook;
#: Production deployments fail.
SEED: dict[str, Any] = {
    "tasks": {
        "queued_seconds": 0.0,
        "executing_seconds": 0.05,
        "outcomes": [
            {"environment": "Production", "state": "Failed", "error": "Step 'Deploy' failed"}
        ],
    },
    "environments": ["Dev", "Test", "Production"],
    "lifecycles": [
        {
            "name": "Main",
            "phases": [
                {"name": "Dev", "optional": ["Dev"]},
                {"name": "Test", "optional": ["Test"]},
                {"name": "Production", "optional": ["Production"]},
            ],
        },
        {"name": "Flat", "phases": [{"name": "All", "optional": ["Dev", "Test", "Production"]}]},
    ],
    "projects": [
        {
            "name": "Shop",
            "lifecycle": "Main",
            "packages": ["Acme.Web"],
            "channels": [
                {"name": "Default", "default": True},
                {"name": "Hotfix", "lifecycle": "Flat"},
            ],
            "runbooks": ["Restart"],
        }
    ],
}

CONFIG = """\
project = "Shop"
deploy_to = ["Dev"]
wait = true
poll_interval = 0.05

[[packages]]
id = "Acme.Web"
base_path = "web"
"""


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return SEED


@pytest.fixture
def repo(git_repo: Callable[..., Path]) -> Path:
    """A repository with octoci.toml (project Shop) and two commits since v1.0.0."""
    repo = git_repo(["Start", "Add the basket (#12)", "Fix the total"], tags={0: "v1.0.0"})
    (repo / "web").mkdir()
    (repo / "web" / "index.html").write_text("<h1>Shop</h1>\n", encoding="utf-8")
    (repo / "octoci.toml").write_text(CONFIG, encoding="utf-8")
    return repo


@pytest.fixture
def published(octoci: Octoci, repo: Path) -> Path:
    """Two real ``octoci publish`` runs: 2.0.0 to Dev then Test, 2.0.1 in Hotfix to Dev and
    Production (which fails)."""
    first = octoci("publish", "--version", "2.0.0", "--promote-to", "Test", cwd=repo)
    assert first.exit_code == 0, first.stderr
    second = octoci("publish", "--version", "2.0.1", "--channel", "Hotfix",
                    "--deploy-to", "Dev", "--promote-to", "Production", cwd=repo)  # fmt: skip
    assert second.exit_code == 3, second.stderr  # Production failed
    return repo


def _json(result: CliResult) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _refused(result: CliResult, *parts: str) -> None:
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one line, no traceback
    for part in parts:
        assert part in result.stderr, result.stderr


def test_release_list_newest_first_with_take_and_channel(octoci: Octoci, published: Path) -> None:
    everything = _json(octoci("release", "list", "--json", cwd=published))  # project from the file
    assert everything["Project"] == "Shop"
    assert [(r["Version"], r["Channel"]) for r in everything["Releases"]] == [
        ("2.0.1", "Hotfix"),
        ("2.0.0", "Default"),
    ]
    first = everything["Releases"][1]
    assert first["Id"].startswith("Releases-")
    assert first["Url"].endswith(f"/deployments/releases/{first['Id']}")
    assert first["Assembled"]
    newest = _json(octoci("release", "list", "--project", "Shop", "--take", "1", "--json"))
    assert [r["Version"] for r in newest["Releases"]] == ["2.0.1"]
    default = _json(octoci("release", "list", "--project", "Shop", "--channel", "default",
                           "--json"))  # fmt: skip
    assert [r["Version"] for r in default["Releases"]] == ["2.0.0"]
    text = octoci("release", "list", "--project", "Shop")
    assert text.exit_code == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "Releases of Shop, newest first:"
    # Aligned columns: the channel starts in the same place on every row.
    assert lines[1].index("Hotfix") == lines[2].index("Default")


def test_release_show_packages_build_information_deployments_and_progression(
    octoci: Octoci, published: Path, octopus_emulator: Emulator
) -> None:
    data = _json(octoci("release", "show", "2.0.1", "--project", "Shop", "--json"))
    assert (data["Project"], data["Version"], data["Channel"]) == ("Shop", "2.0.1", "Hotfix")
    assert [
        (p["PackageReferenceName"] or p["ActionName"], p["Version"]) for p in data["Packages"]
    ] == [("Acme.Web", "2.0.1")]
    (info,) = data["BuildInformation"]
    assert (info["PackageId"], info["Version"], info["Branch"]) == ("Acme.Web", "2.0.1", "main")
    assert info["Commits"] == 2  # since v1.0.0
    states = {(d["EnvironmentName"], d["State"]) for d in data["Deployments"]}
    assert states == {("Dev", "Success"), ("Production", "Failed")}
    tasks = {t["Id"] for t in octopus_emulator.documents("task")}
    for deployment in data["Deployments"]:
        assert deployment["ServerTaskId"] in tasks
        assert deployment["Url"].endswith(f"/tasks/{deployment['ServerTaskId']}")
    hotfix = data["Progression"]["Phases"]
    assert [(p["Name"], p["Environments"]) for p in hotfix] == [
        ("All", ["Dev", "Test", "Production"])  # the channel's lifecycle
    ]
    older = _json(octoci("release", "show", "2.0.0", "--project", "Shop", "--json"))
    phases = [(p["Name"], p["Progress"]) for p in older["Progression"]["Phases"]]
    assert phases == [("Dev", "Complete"), ("Test", "Complete"), ("Production", "Current")]
    assert older["Progression"]["NextEnvironments"] == ["Production"]
    # Without a version: the newest release, as text.
    text = octoci("release", "show", "--project", "Shop")
    assert text.exit_code == 0, text.stderr
    assert text.stdout.startswith("Release 2.0.1 of Shop (")
    for heading in ("Packages:", "Build information:", "Deployments:", "Lifecycle:"):
        assert heading in text.stdout.splitlines()
    assert "Failed" in text.stdout


def test_task_show_names_what_the_task_ran_and_prints_its_log(
    octoci: Octoci, published: Path
) -> None:
    shown = _json(octoci("release", "show", "2.0.1", "--project", "Shop", "--json"))
    failed = next(d for d in shown["Deployments"] if d["EnvironmentName"] == "Production")
    data = _json(octoci("task", "show", failed["ServerTaskId"], "--log", "--json"))
    assert data["TaskId"] == failed["ServerTaskId"]
    assert (data["State"], data["IsCompleted"], data["FinishedSuccessfully"]) == (
        "Failed", True, False,
    )  # fmt: skip
    assert "Step 'Deploy' failed" in data["ErrorMessage"]
    assert (data["ProjectName"], data["ReleaseVersion"], data["EnvironmentName"]) == (
        "Shop", "2.0.1", "Production",
    )  # fmt: skip
    assert data["DeploymentId"] == failed["DeploymentId"]
    assert data["QueueTime"]
    assert data["CompletedTime"]
    assert data["Url"] == failed["Url"]
    assert "Step 'Deploy' failed" in data["Log"]
    text = octoci("task", "show", failed["ServerTaskId"])
    assert text.exit_code == 0, text.stderr
    assert text.stdout.splitlines()[0] == f"Task {failed['ServerTaskId']}"
    assert "release 2.0.1" in text.stdout
    assert "Log:" not in text.stdout  # only with --log


def test_task_show_of_a_runbook_run_names_the_runbook(octoci: Octoci) -> None:
    run = _json(octoci("runbook", "run", "--project", "Shop", "--runbook", "Restart",
                       "--environment", "Dev", "--wait", "--poll-interval", "0.05", "--json"))  # fmt: skip
    (task,) = run["Tasks"]
    data = _json(octoci("task", "show", task["ServerTaskId"], "--json"))
    assert (data["RunbookName"], data["EnvironmentName"], data["State"]) == (
        "Restart", "Dev", "Success",
    )  # fmt: skip
    assert data["RunbookRunId"]
    assert data["ReleaseVersion"] == ""


def test_unknown_project_release_channel_or_task_is_one_line_with_close_matches(
    octoci: Octoci, published: Path
) -> None:
    _refused(octoci("release", "list", "--project", "Shpo"), "project 'Shpo'", "'Shop'")
    _refused(octoci("release", "list", "--project", "Shop", "--channel", "Hotfx"),
             "channel 'Hotfx'", "'Hotfix'")  # fmt: skip
    _refused(octoci("release", "show", "2.0.2", "--project", "Shop"),
             "release '2.0.2' of Shop was not found", "'2.0.1'")  # fmt: skip
    _refused(octoci("task", "show", "ServerTasks-99"), "task 'ServerTasks-99' was not found")
