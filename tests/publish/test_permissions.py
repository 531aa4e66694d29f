"""The permission pre-check: what a run needs, and what Octopus's permission listing grants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from octoci.octopus.executions import DeployRequest, ReleaseRequest
from octoci.octopus.preflight import ServerNeeds, missing_permissions, required_permissions
from octoci.testing import run_octoci
from octoci_emulator import Emulator


def _plan(**changes: Any) -> ServerNeeds:
    values: dict[str, Any] = {"build_information": True}
    values.update(changes)
    return ServerNeeds(**values)


def test_required_permissions_follow_the_plan() -> None:
    assert required_permissions(_plan()) == ["BuiltInFeedPush", "BuildInformationPush"]
    assert required_permissions(_plan(build_information=False)) == ["BuiltInFeedPush"]
    full = _plan(
        overwrite_mode="OverwriteExisting",
        release=ReleaseRequest(project="Shop"),
        deploy=DeployRequest(project="Shop", environments=("Dev",)),
    )
    assert required_permissions(full) == [
        "BuiltInFeedPush",
        "BuiltInFeedAdminister",
        "BuildInformationPush",
        "BuildInformationAdminister",
        "ReleaseCreate",
        "DeploymentCreate",
    ]


def test_missing_permissions_reads_the_space_grants() -> None:
    listing = {
        "SpacePermissions": {
            "BuiltInFeedPush": [{"SpaceId": "Spaces-1", "RestrictedToProjectIds": []}],
            "ReleaseCreate": [{"SpaceId": "Spaces-2"}],
            "DeploymentCreate": [{"SpaceId": None}],
        }
    }
    needed = ["BuiltInFeedPush", "ReleaseCreate", "DeploymentCreate", "BuildInformationPush"]
    assert missing_permissions(listing, "Spaces-1", needed) == [
        "ReleaseCreate",
        "BuildInformationPush",
    ]
    assert missing_permissions(None, "Spaces-1", needed) is None
    assert missing_permissions({"Other": 1}, "Spaces-1", needed) is None


def test_a_server_without_a_permission_listing_is_noted(
    octopus_emulator: Emulator, tmp_path: Path
) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("hi", encoding="utf-8")
    env = {
        "OCTOPUS_URL": octopus_emulator.url,
        "OCTOPUS_API_KEY": octopus_emulator.api_key,
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    args = ("publish", "--dry-run", "--package-id", "Site", "--base-path", "site",
            "--version", "1.0.0", "--no-commits")  # fmt: skip
    result = run_octoci(*args, env=env, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "permissions not checked" in result.stdout
    # The embedded emulator's key may do everything: no note there.
    emulated = run_octoci(*args, "--emulator", env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"},
                          cwd=tmp_path)  # fmt: skip
    assert emulated.exit_code == 0, emulated.stderr
    assert "permissions not checked" not in emulated.stdout
