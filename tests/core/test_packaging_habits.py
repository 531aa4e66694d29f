"""Habits of a well-kept Python package: typed markers, a lean testing extra, one set of tool pins."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _nox_pin(name: str) -> str:
    found = re.search(rf'^{name} = "([^"]+)"$', (ROOT / "noxfile.py").read_text(), re.MULTILINE)
    assert found, f"noxfile.py has no {name} pin"
    return found.group(1)


def _pre_commit_pins() -> set[str]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    return {
        dependency
        for repo in config["repos"]
        for hook in repo["hooks"]
        for dependency in hook.get("additional_dependencies", [])
    }


def test_every_import_package_of_the_wheel_carries_a_py_typed_marker() -> None:
    wheel = _pyproject()["tool"]["hatch"]["build"]["targets"]["wheel"]  # type: ignore[index]
    packages = wheel["packages"]
    assert packages == ["core/octoci", "plugins/octoci_plugins", "plugins/octoci_emulator"]
    for package in packages:
        assert (ROOT / package / "py.typed").is_file(), f"{package}/py.typed is missing"


def test_the_testing_extra_is_lean_and_the_test_extra_builds_on_it() -> None:
    extras = _pyproject()["project"]["optional-dependencies"]  # type: ignore[index]
    assert [re.split(r"[<>=!~ ]", item)[0] for item in extras["testing"]] == ["pytest"]
    assert "octoci[testing]" in extras["test"]


def test_ruff_and_mypy_are_pinned_alike_in_nox_pre_commit_and_the_dev_extra() -> None:
    ruff, mypy = _nox_pin("RUFF"), _nox_pin("MYPY")
    assert ruff in _pre_commit_pins()
    dev = _pyproject()["project"]["optional-dependencies"]["dev"]  # type: ignore[index]
    assert ruff in dev
    assert mypy in dev
    hook = next(
        hook
        for repo in yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"]
        for hook in repo["hooks"]
        if hook["id"] == "mypy"
    )
    # The mypy hook runs the environment's mypy, which the typecheck session installs as MYPY.
    assert hook["entry"] == "python -m mypy"
