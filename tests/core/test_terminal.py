"""``octoci publish`` on a terminal outside CI (the local adapter): an aligned text summary, the
outputs on one line, routine details only with ``--verbose``, ``--quiet`` down to the result."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.cli import run
from octoci.testing import CliResult
from octoci.testing import emulator as emulator_fixtures
from octoci_emulator import Emulator

octopus_emulator = emulator_fixtures.octopus_emulator

CONFIG = """\
project = "Shop"
package_id = "Acme.Web"
base_path = "dist"
deploy_to = ["Dev"]
wait = true
poll_interval = 0.05
"""

SEED: dict[str, Any] = {
    "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.05},
    "environments": ["Dev"],
    "lifecycles": [{"name": "Flat", "phases": [{"name": "All", "optional": ["Dev"]}]}],
    "projects": [{"name": "Shop", "lifecycle": "Flat", "packages": ["Acme.Web"]}],
}


class Terminal(io.StringIO):
    """Standard output as a terminal: what ``isatty()`` tells octoci."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return SEED


@pytest.fixture
def shop(git_repo: Callable[..., Path]) -> Path:
    repo = git_repo(["Start the shop", "Add the basket"], tags={0: "v1.3.0"})
    (repo / "dist").mkdir()
    (repo / "dist" / "index.html").write_text("<h1>Shop</h1>\n", encoding="utf-8")
    (repo / "octoci.toml").write_text(CONFIG, encoding="utf-8")
    return repo


def publish(
    emulator: Emulator, cwd: Path, *args: str, tty: bool = True, env: Mapping[str, str] = {}
) -> CliResult:
    """``octoci [args] publish`` with standard output a terminal (or not), outside CI."""
    out, err = (Terminal() if tty else io.StringIO()), io.StringIO()
    base = {
        "OCTOPUS_URL": emulator.url,
        "OCTOPUS_API_KEY": emulator.api_key,
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PATH": os.environ["PATH"],
        **env,
    }
    code = run([*args, "publish"], env=base, stdout=out, stderr=err, cwd=cwd)
    return CliResult(code, out.getvalue(), err.getvalue())


def test_the_summary_is_aligned_text_and_the_outputs_one_line(
    octopus_emulator: Emulator, shop: Path
) -> None:
    result = publish(octopus_emulator, shop)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "|" not in result.stdout
    assert "###" not in result.stdout
    package_row = next(line for line in lines if line.startswith("Acme.Web "))
    header = lines[lines.index(package_row) - 1]
    # Columns line up: each header starts where its value does.
    assert header.split() == ["Package", "Version", "Size", "Result"]
    assert package_row.index("1.3.1-ci.1") == header.index("Version")
    assert package_row.index("pushed") == header.index("Result")
    deployment = next(line for line in lines if line.startswith("Dev "))
    assert deployment.split()[:3] == ["Dev", "-", "Success"]
    assert deployment.split()[3].startswith(octopus_emulator.url)  # the task's link
    (outputs,) = [line for line in lines if line.startswith("outputs: ")]
    assert "release_version=1.3.1-ci.1" in outputs.split()
    assert "deployment_states=Dev=Success" in outputs.split()
    assert "octoci output " not in result.stdout
    # Routine: no earlier version to build a delta against (only with --verbose).
    assert "delta" not in result.stderr


def test_a_log_keeps_the_markdown_and_an_output_a_line(
    octopus_emulator: Emulator, shop: Path
) -> None:
    result = publish(octopus_emulator, shop, tty=False)
    assert result.exit_code == 0, result.stderr
    assert "| Acme.Web | 1.3.1-ci.1 |" in result.stdout
    assert "octoci output release_version=1.3.1-ci.1" in result.stdout.splitlines()
    # In CI (an unknown one, CI=true) a terminal is a log too.
    in_ci = publish(octopus_emulator, shop, "--verbose", env={"CI": "true"})
    assert "octoci output release_version=1.3.1-ci.1" in in_ci.stdout.splitlines()


def test_verbose_shows_details_without_tracebacks(octopus_emulator: Emulator, shop: Path) -> None:
    result = publish(octopus_emulator, shop, "--verbose")
    assert result.exit_code == 0, result.stderr
    assert "octoci: debug: Acme.Web.1.3.1-ci.1.zip: no earlier version in Octopus" in result.stderr
    failed = publish(octopus_emulator, shop, "--verbose", env={"OCTOPUS_URL": "not a url"})
    assert failed.exit_code == 2
    assert "Traceback" not in failed.stderr


def test_quiet_shows_errors_and_the_final_result_line_only(
    octopus_emulator: Emulator, shop: Path
) -> None:
    result = publish(octopus_emulator, shop, "--quiet")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == 1, result.stdout
    assert "Success" in result.stdout
    failed = publish(octopus_emulator, shop, "-q", env={"OCTOPUS_URL": "not a url"})
    assert failed.exit_code == 2
    assert failed.stdout == ""
    assert failed.stderr.startswith("octoci: error: ")


def test_quiet_and_verbose_together_is_a_usage_error(
    octopus_emulator: Emulator, shop: Path
) -> None:
    result = publish(octopus_emulator, shop, "--quiet", "--verbose")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "octoci: error: --quiet and --verbose (or --debug) cannot be used together"
    ]
