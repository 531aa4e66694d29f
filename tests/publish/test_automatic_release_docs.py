"""docs/pipeline.md stays true: its commands, run in its order against the emulator started from
its seed (examples/arc-pipeline), do what its table says."""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from octoci.testing import run_octoci
from octoci_emulator import Emulator

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "pipeline.md"
EXAMPLE = ROOT / "examples" / "arc-pipeline"


def _commands() -> list[list[str]]:
    """The page's "Try it" commands, as arguments."""
    section = PAGE.read_text(encoding="utf-8").split("## Try it", 1)[1]
    block = re.findall(r"```bash\n(.*?)\n```", section, flags=re.DOTALL)[0]
    return [shlex.split(line) for line in block.splitlines() if line.strip()]


def _deployments(emulator: Emulator) -> dict[str, int]:
    names = {e["Id"]: e["Name"] for e in emulator.documents("environment")}
    counts: dict[str, int] = {}
    for deployment in emulator.documents("deployment"):
        counts[names[deployment["EnvironmentId"]]] = (
            counts.get(names[deployment["EnvironmentId"]], 0) + 1
        )
    return counts


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs a git checkout (build information)")
def test_the_pipeline_page_runs_as_written(
    octopus_emulator_factory: Callable[..., Any], tmp_path: Path
) -> None:
    start, export, *steps = _commands()
    assert start == ["octoci", "emulator", "--seed", "seed.toml", "--port", "8065"]
    seed = tomllib.loads((EXAMPLE / "seed.toml").read_text(encoding="utf-8"))
    emulator: Emulator = octopus_emulator_factory(seed)
    assert export[0] == "export"
    variables = dict(item.split("=", 1) for item in export[1:])
    env = {
        "OCTOPUS_URL": emulator.url,  # the page's port, wherever the test's emulator listens
        "OCTOPUS_API_KEY": variables["OCTOPUS_API_KEY"],
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    results = []
    for args in steps:
        assert args[0] == "octoci"
        extra = ("--out-folder", str(tmp_path)) if args[1] == "publish" else ()
        result = run_octoci(*args[1:], *extra, env=env, cwd=EXAMPLE)
        results.append(result)
        if args[1] == "publish" and "--dry-run" in args:
            assert result.exit_code == 0, result.stderr
            assert (
                "release Shop 1.0.0 would be created by Octopus (automatic release creation) "
                "when Acme.Shop.Web is pushed"
            ) in result.stdout
            assert "Octopus would then deploy it to Dev by itself" in result.stdout
            assert emulator.documents("release") == []
        elif args[1] == "publish":
            assert result.exit_code == 0, result.stderr
            (release,) = emulator.documents("release")
            assert {p["Version"] for p in release["SelectedPackages"]} == {"1.0.0"}
            assert sorted(b["PackageId"] for b in release["BuildInformation"]) == [
                "Acme.Shop.Api",
                "Acme.Shop.Web",
            ]
            assert _deployments(emulator) == {"Dev": 1}
        elif args[1:3] == ["release", "deploy"]:
            assert result.exit_code == 2
            assert "Production" in result.stderr
            assert _deployments(emulator) == {"Dev": 1}
        elif "Dev" in args:  # promote --from Dev
            assert result.exit_code == 0, result.stderr
            assert _deployments(emulator) == {"Dev": 1, "Test": 1}
        else:
            assert result.exit_code == 0, result.stderr
            assert _deployments(emulator) == {"Dev": 1, "Test": 1, "Production": 1}
    first, again = [
        r for a, r in zip(steps, results, strict=True) if a[1] == "publish" and "--dry-run" not in a
    ]
    assert "created by Octopus (automatic release creation)" in first.stdout
    assert "deployed to Dev by Octopus" in first.stdout
    for said in ("identical", "already existed", "already deployed to Dev"):
        assert said in again.stdout, said
