"""The example third-party plugin, really installed, is discovered through its entry point and can
be blocked (the nox session ``example_plugin`` checks the same with a normal install)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parent / "example_plugin"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin installed (built as a wheel by pip) into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
    )
    return target


def octoci(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OCTOCI_", "EXAMPLE_"))}
    environment["PYTHONPATH"] = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "octoci", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_example_plugin_is_discovered(plugin_site: Path) -> None:
    done = octoci(plugin_site, "plugins", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    example = next(p for p in data["plugins"] if p["name"] == "example")
    assert example["kind"] == "entry-point"
    assert example["distribution"] == "octoci-example-plugin"
    assert example["version"] == "1.0.0"
    assert "octoci_example_greeting" in example["hooks"]
    assert "example" in data["servers"]


@pytest.mark.slow
def test_example_plugin_detects_greets_and_masks(plugin_site: Path, tmp_path: Path) -> None:
    env = {
        "EXAMPLE_CI": "true",
        "EXAMPLE_BUILD": "7",
        "EXAMPLE_SHA": "abc123",
        "EXAMPLE_REF": "refs/heads/main",
        "EXAMPLE_REPO": "git@example.com:acme/shop.git",
    }
    done = octoci(plugin_site, "info", "--json", **env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["Server"] == "example"
    assert data["BuildInformation"]["Branch"] == "main"
    assert data["BuildInformation"]["VcsRoot"] == "https://example.com/acme/shop"
    assert data["BuildInformation"]["Commits"][0]["Comment"] == "Commit reported by Example CI"
    greet = octoci(plugin_site, "example-greet", "Ada")
    assert greet.stdout == "Hello, Ada, from the example plugin\n"
    masked = octoci(plugin_site, "example-greet", "token-XYZ-123", EXAMPLE_TOKEN="token-XYZ-123")
    assert masked.stdout == "Hello, ***, from the example plugin\n"
    notified = octoci(plugin_site, "example-greet", "Ada", EXAMPLE_NOTIFY="1")
    assert notified.stderr == "example: the octoci run on local succeeded\n"
    failed = octoci(plugin_site, "push", "missing-*.zip", EXAMPLE_NOTIFY="1")
    assert failed.returncode == 2
    assert failed.stderr.endswith("example: the octoci run on local failed with exit code 2\n")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("plugins", "--json"), {"OCTOCI_DISABLE_PLUGINS": "example"}),
        (("--disable-plugin", "example", "plugins", "--json"), {}),
        (("--no-plugins", "plugins", "--json"), {}),
        (("plugins", "--json"), {"OCTOCI_PLUGINS": ""}),
        (("plugins", "--json"), {"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}),
    ],
)
def test_example_plugin_can_be_blocked(
    plugin_site: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    done = octoci(plugin_site, *args, **env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert "example" not in data["servers"]
    active = [p for p in data["plugins"] if p["name"] == "example" and not p["blocked"]]
    assert active == []
