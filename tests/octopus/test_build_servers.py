"""Results reach the active build-server adapter: GitHub Actions outputs, summary, groups and
annotations (a recorded GitHub Actions environment)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from octoci.testing import CliResult
from octoci_emulator import Emulator


def test_push_outputs_and_summary_on_github_actions(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    make_package: Callable[..., Path],
    ci_env: Callable[..., dict[str, str]],
) -> None:
    env = ci_env("github_actions", "push")
    make_package("Acme.Web.1.0.0.zip")
    make_package("Acme.Api.1.0.0.zip")
    result = octoci("push", "*.zip", env=env)
    assert result.exit_code == 0, result.stderr
    outputs = Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    assert "package_ids" in outputs
    assert "Acme.Api,Acme.Web" in outputs
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "| Acme.Web | 1.0.0 |" in summary
    assert "::group::Pushing 2 packages" in result.stdout
    assert "::endgroup::" in result.stdout


def test_build_info_warnings_become_annotations(
    octoci: Callable[..., CliResult],
    octopus_emulator: Emulator,
    ci_env: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    env = ci_env("github_actions", "push")
    (tmp_path / "info.json").write_text(json.dumps({"VcsType": "SVN"}), encoding="utf-8")
    result = octoci("build-info", "--package-id", "Acme.Web", "--version", "1.0.0",
                    "--file", "info.json", env=env)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "::warning title=octoci::VcsType is 'SVN'" in result.stdout
