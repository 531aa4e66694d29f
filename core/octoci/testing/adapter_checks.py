"""Checks every build-server adapter's tests make, as ready-made tests a test module declares
with its own data.

Example (in ``tests/test_my_server.py``)::

    from octoci.testing import fields_per_variant_test, not_detected_test

    EXPECTED = {"push": {"BuildNumber": "57", "Branch": "main"}, "tag": {"Tag": "v1.4.0"}}
    test_info_json_per_variant = fields_per_variant_test("my_server", EXPECTED, "My Server")
    test_no_false_positives = not_detected_test(MyServer, [{}, {"MY_SERVER": "false"}])
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from octoci.server import CIServer

if TYPE_CHECKING:
    from octoci.testing import CliResult

__all__ = ["fields_per_variant_test", "info_json", "not_detected_test"]

RunCli = Callable[..., "CliResult"]
CiEnv = Callable[..., dict[str, str]]


def info_json(run_cli: RunCli, env: Mapping[str, str], cwd: Path, server: str) -> dict[str, Any]:
    """``octoci info --json --no-commits`` under ``env`` (built-in plugins only), checked to
    succeed and to name ``server``; its build information and extra fields as one mapping."""
    result = run_cli(
        "info",
        "--json",
        "--no-commits",
        env={**env, "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"},
        cwd=cwd,
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Server"] == server
    return {**data["BuildInformation"], **data.get("Extra", {})}


def fields_per_variant_test(
    server: str,
    expected: Mapping[str, Mapping[str, str]],
    build_environment: str | None = None,
) -> Callable[..., None]:
    """A test, parametrized by recording variant, that ``octoci info --json`` under each of
    ``server``'s recordings gives the ``expected[variant]`` fields (an absent field counts as
    ``""``) and, when given, ``build_environment`` as its BuildEnvironment."""

    @pytest.mark.parametrize("variant", sorted(expected))
    def test(ci_env: CiEnv, run_cli: RunCli, tmp_path: Path, variant: str) -> None:
        info = info_json(run_cli, ci_env(server, variant), tmp_path, server)
        if build_environment is not None:
            assert info["BuildEnvironment"] == build_environment
        assert {key: info.get(key, "") for key in expected[variant]} == dict(expected[variant])

    return test


def not_detected_test(
    server_class: type[CIServer], near_misses: Sequence[Mapping[str, str]]
) -> Callable[..., None]:
    """A test, parametrized by environment, that ``server_class`` claims none of
    ``near_misses`` (environments that look like its builds but are not)."""

    @pytest.mark.parametrize("env", [dict(env) for env in near_misses])
    def test(env: dict[str, str]) -> None:
        assert not server_class.detect(env)

    return test
