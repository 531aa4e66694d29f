"""``octoci publish`` on a project with automatic release creation (Octopus's built-in package
repository trigger), end to end against the emulator over HTTP: one release holding both new
package versions and their build information, deployed once to Dev by the lifecycle, then
promoted by hand; the checks that refuse a release Octopus created from other versions."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.testing import CliResult, run_octoci
from octoci_emulator import Emulator

Publish = Callable[..., CliResult]
VERSION = "1.3.1-ci.2"  # the sample repository's version from git

#: Shop with two packages; pushing Acme.Web creates a release that deploys itself to Dev; Test
#: and Production are deployed by hand, in that order.
SEED: dict[str, Any] = {
    "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.05},
    "environments": ["Dev", "Test", "Production"],
    "lifecycles": [
        {
            "name": "Pipeline",
            "phases": [
                {"name": "Dev", "automatic": ["Dev"]},
                {"name": "Test", "optional": ["Test"]},
                {"name": "Production", "optional": ["Production"]},
            ],
        }
    ],
    "projects": [
        {
            "name": "Shop",
            "lifecycle": "Pipeline",
            "packages": ["Acme.Web", "Acme.Api"],
            "auto_create_release": "Acme.Web",
        }
    ],
}


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return SEED


def _octoci(emulator: Emulator, cwd: Path, *args: str) -> CliResult:
    env = {
        "OCTOPUS_URL": emulator.url,
        "OCTOPUS_API_KEY": emulator.api_key,
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    return run_octoci(*args, env=env, cwd=cwd)


def _push_earlier_api(emulator: Emulator, folder: Path) -> None:
    """Acme.Api 1.0.0 in the feed: what Octopus would take if Acme.Web went first."""
    earlier = folder / "Acme.Api.1.0.0.zip"
    with zipfile.ZipFile(earlier, "w") as archive:
        archive.writestr("api.dll", b"old")
    result = _octoci(emulator, folder, "push", str(earlier))
    assert result.exit_code == 0, result.stderr


def _deployments_per_environment(emulator: Emulator) -> dict[str, int]:
    names = {e["Id"]: e["Name"] for e in emulator.documents("environment")}
    counts: dict[str, int] = {}
    for deployment in emulator.documents("deployment"):
        name = names[deployment["EnvironmentId"]]
        counts[name] = counts.get(name, 0) + 1
    return counts


def _error_line(result: CliResult) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("octoci: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_one_publish_leaves_one_release_with_both_packages_deployed_once_then_promoted(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path, tmp_path: Path
) -> None:
    _push_earlier_api(octopus_emulator, tmp_path)
    result = publish("--json")
    assert result.exit_code == 0, result.stderr
    # Exactly one release, holding both new versions and their build information.
    (release,) = octopus_emulator.documents("release")
    assert release["Version"] == VERSION
    selected = {p["ActionName"]: p["Version"] for p in release["SelectedPackages"]}
    assert selected == {"Acme.Web": VERSION, "Acme.Api": VERSION}
    linked = {(b["PackageId"], b["Version"]) for b in release["BuildInformation"]}
    assert linked == {("Acme.Web", VERSION), ("Acme.Api", VERSION)}
    # Deployed once to Dev, by the lifecycle; octoci followed it instead of deploying again.
    assert _deployments_per_environment(octopus_emulator) == {"Dev": 1}
    assert "created by Octopus (automatic release creation)" in result.stderr
    assert "already existed" not in result.stderr
    assert "deployed to Dev by Octopus" in result.stderr
    document = json.loads(result.stdout)
    assert document["Release"]["Version"] == VERSION
    assert document["Release"]["AutomaticReleaseCreation"] is True
    assert [(d["EnvironmentName"], d["State"], d["Origin"]) for d in document["Deployments"]] == [
        ("Dev", "Success", "automatic")
    ]
    # The order that makes it right: build information, the sibling, the trigger last.
    headings = [line for line in result.stderr.splitlines() if line.startswith("=== [")]
    assert [h.split("] ", 1)[1] for h in headings] == [
        "Pushing build information for 2 packages",
        "Packing 2 packages and pushing 1",
        "Pushing Acme.Web (it triggers automatic release creation)",
        "Adopting the release Octopus creates for Shop",
        f"Deploying Shop {VERSION} to Dev",
    ]

    # A re-run is safe: nothing pushed, created or deployed twice.
    again = publish()
    assert again.exit_code == 0, again.stderr
    assert f"release Shop {VERSION} already existed" in again.stdout
    assert len(octopus_emulator.documents("release")) == 1
    assert _deployments_per_environment(octopus_emulator) == {"Dev": 1}

    # Production before Test is refused and leaves nothing behind.
    early = _octoci(octopus_emulator, sample_repo, "release", "deploy", "--project", "Shop",
                    "--version", VERSION, "--environment", "Production")  # fmt: skip
    assert early.exit_code == 2
    assert "Production" in _error_line(early)
    assert _deployments_per_environment(octopus_emulator) == {"Dev": 1}

    to_test = _octoci(octopus_emulator, sample_repo, "release", "promote", "--project", "Shop",
                      "--from", "Dev", "--wait")  # fmt: skip
    assert to_test.exit_code == 0, to_test.stderr
    assert _deployments_per_environment(octopus_emulator) == {"Dev": 1, "Test": 1}
    to_production = _octoci(octopus_emulator, sample_repo, "release", "promote", "--project",
                            "Shop", "--from", "Test", "--wait")  # fmt: skip
    assert to_production.exit_code == 0, to_production.stderr
    assert _deployments_per_environment(octopus_emulator) == {"Dev": 1, "Test": 1, "Production": 1}
    assert {t["State"] for t in octopus_emulator.documents("task")} == {"Success"}


def test_a_dry_run_predicts_the_automatic_release_and_deployment(
    publish: Publish, octopus_emulator: Emulator
) -> None:
    result = publish("--dry-run", "--promote-to", "Test")
    assert result.exit_code == 0, result.stderr
    assert (
        f"release Shop {VERSION} would be created by Octopus (automatic release creation) "
        "when Acme.Web is pushed"
    ) in result.stdout
    assert "Octopus would then deploy it to Dev by itself" in result.stdout
    assert "Dev: Octopus would deploy there by itself" in result.stdout
    assert "would deploy to Dev" not in result.stdout
    assert "would deploy to Test" in result.stdout  # the promotion, by octoci
    # The requests a real run would send: no release and no Dev deployment from octoci.
    assert "/releases/create/v1" not in result.stdout
    assert "deployments/create" in result.stdout  # the promotion to Test
    assert octopus_emulator.packages() == []
    assert octopus_emulator.documents("release") == []


def test_a_release_version_other_than_the_automatic_one_is_refused_before_anything_is_pushed(
    publish: Publish, octopus_emulator: Emulator
) -> None:
    result = publish("--release-version", "9.0.0")
    assert result.exit_code == 2
    line = _error_line(result)
    assert f"creates release {VERSION} by itself when Acme.Web {VERSION} is pushed" in line
    assert "drop --release-version" in line
    assert octopus_emulator.packages() == []
    assert octopus_emulator.documents("buildinfo") == []


def test_a_release_octopus_created_from_other_versions_is_refused_before_anything_is_pushed(
    publish: Publish, octopus_emulator: Emulator, tmp_path: Path
) -> None:
    _push_earlier_api(octopus_emulator, tmp_path)
    # Acme.Web alone (as a job that pushes it first would): Octopus creates the release with
    # the Acme.Api already in the feed.
    first = publish("--only", "Acme.Web")
    assert first.exit_code == 0, first.stderr
    (release,) = octopus_emulator.documents("release")
    assert {p["ActionName"]: p["Version"] for p in release["SelectedPackages"]} == {
        "Acme.Web": VERSION,
        "Acme.Api": "1.0.0",
    }
    result = publish()
    assert result.exit_code == 1
    line = _error_line(result)
    assert f"release {VERSION} of Shop exists already and holds Acme.Api at 1.0.0" in line
    assert f"(this run pushed {VERSION})" in line
    assert {p["Version"] for p in octopus_emulator.packages() if p["PackageId"] == "Acme.Api"} == {
        "1.0.0"
    }
    assert _deployments_per_environment(octopus_emulator) == {"Dev": 1}


def test_no_release_from_octopus_in_time_is_a_timeout_not_a_success(
    publish: Publish, octopus_emulator: Emulator
) -> None:
    # A disabled project: Octopus's trigger fails to create the release (its audit log says so).
    store = octopus_emulator.app.store
    (project,) = octopus_emulator.documents("project")
    store.put("project", {**project, "IsDisabled": True})
    result = publish("--timeout", "0.5")
    assert result.exit_code == 4
    line = _error_line(result)
    assert "Octopus created no release of Shop within 0.5 s of Acme.Web" in line
    assert "octoci release create" in line
    assert octopus_emulator.documents("release") == []
    assert octopus_emulator.documents("deployment") == []
    assert "octoci output package_ids=Acme.Web,Acme.Api" in result.stdout  # outputs still go out


def test_the_emulator_numbers_an_automatic_release_by_the_project_versioning(
    octopus_emulator: Emulator, tmp_path: Path
) -> None:
    # Without a donor package Octopus numbers the release by its version template (the next
    # patch), not by the pushed package's version.
    store = octopus_emulator.app.store
    (project,) = octopus_emulator.documents("project")
    store.put(
        "project", {**project, "VersioningStrategy": {"Template": "#{Octopus.Version.NextPatch}"}}
    )
    web = tmp_path / "Acme.Web.2.5.0.zip"
    with zipfile.ZipFile(web, "w") as archive:
        archive.writestr("index.html", "<h1>Shop</h1>")
    _push_earlier_api(octopus_emulator, tmp_path)
    assert _octoci(octopus_emulator, tmp_path, "push", str(web)).exit_code == 0
    (release,) = octopus_emulator.documents("release")
    assert release["Version"] == "0.0.1"
    assert {p["ActionName"]: p["Version"] for p in release["SelectedPackages"]} == {
        "Acme.Web": "2.5.0",
        "Acme.Api": "1.0.0",
    }


def test_an_adopted_release_that_holds_other_versions_fails_with_what_to_do(
    publish: Publish, octopus_emulator: Emulator, tmp_path: Path
) -> None:
    # Numbered by a template, so the pre-flight cannot know the release by its version: the
    # release is found by the triggering package's version, and checked when adopted.
    store = octopus_emulator.app.store
    (project,) = octopus_emulator.documents("project")
    store.put(
        "project", {**project, "VersioningStrategy": {"Template": "#{Octopus.Version.NextPatch}"}}
    )
    _push_earlier_api(octopus_emulator, tmp_path)
    first = publish("--only", "Acme.Web")
    assert first.exit_code == 0, first.stderr
    assert "Octopus numbered it 0.0.1 by the project's release versioning rules" in first.stdout
    result = publish()
    assert result.exit_code == 1
    line = _error_line(result)
    assert (
        "release Shop 0.0.1, created by Octopus (automatic release creation), holds Acme.Api "
        f"at 1.0.0 (this run pushed {VERSION})"
    ) in line
    assert "do not deploy it" in line
    assert len(octopus_emulator.documents("release")) == 1
    assert _deployments_per_environment(octopus_emulator) == {"Dev": 1}
    assert "octoci output release_version=0.0.1" in result.stdout  # what there is, reported


def test_promote_to_goes_on_from_the_automatic_deployment(
    publish: Publish, octopus_emulator: Emulator
) -> None:
    result = publish("--promote-to", "Test")
    assert result.exit_code == 0, result.stderr
    assert _deployments_per_environment(octopus_emulator) == {"Dev": 1, "Test": 1}
    assert "octoci output deployment_states=Dev=Success,Test=Success" in result.stdout
