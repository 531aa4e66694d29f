"""With --json, stdout is only the JSON; the runner still gets ::add-mask:: with the real secret."""

from __future__ import annotations

import json
from collections.abc import Callable

from octoci.testing import CliResult, parse_ci_output


def test_info_json_stays_parseable_and_masks_reach_the_runner(
    run_cli: Callable[..., CliResult], ci_env: Callable[..., dict[str, str]]
) -> None:
    key = "API-ABCDEFGHIJKLMNOP1234"
    env = ci_env("github_actions", "push", OCTOPUS_API_KEY=key)
    result = run_cli("info", "--json", "--no-commits", env=env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["Server"] == "github_actions"
    assert key not in result.stdout
    masks = [m.value for m in parse_ci_output(result.stderr) if m.name == "add-mask"]
    assert key in masks, "the runner must be told the real value to mask"
    others = [m for m in parse_ci_output(result.stderr) if m.name != "add-mask"]
    assert all(key not in m.value for m in others)


def test_github_token_is_masked_in_octocis_own_output(
    run_cli: Callable[..., CliResult], ci_env: Callable[..., dict[str, str]]
) -> None:
    token = "ghs_TOKENVALUE0123456789"
    env = ci_env("github_actions", "push", GITHUB_TOKEN=token, OCTOCI_SERVER=token)
    result = run_cli("info", env=env)
    assert result.exit_code == 2
    assert result.leaks(token) == []
    assert "unknown build server '***'" in result.stderr
