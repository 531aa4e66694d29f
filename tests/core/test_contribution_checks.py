"""What plugins return from the contribution hooks is checked: a wrong type ends the run with exit
code 1 and one line naming the plugin, the hook and what was expected, never the value."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

import octoci
from octoci import BuildInformation, CIServer, RunReport, hookimpl
from octoci.contributions import PluginResultError
from octoci.plugins import OctociPluginManager
from octoci.testing import CliResult
from octoci_emulator import Emulator

RunCli = Callable[..., CliResult]
SECRET = "s3cr3t-value-never-shown"
FIX = "; fix the plugin or disable it with OCTOCI_DISABLE_PLUGINS="


class BadServers:
    @hookimpl
    def octoci_servers(self) -> Any:
        return [CIServer, "github_actions"]


class BadSecrets:
    @hookimpl
    def octoci_secrets(self, env: Mapping[str, str]) -> Any:
        return SECRET  # a bare string, not a list of them


class BadSecretItem:
    @hookimpl
    def octoci_secrets(self, env: Mapping[str, str]) -> Any:
        return [SECRET, 42]


class BadFormats:
    @hookimpl
    def octoci_package_formats(self) -> Any:
        return {"jar": ".jar"}


class BadArtifacts:
    @hookimpl
    def octoci_discover_artifacts(self, server: CIServer, search_paths: Sequence[Path]) -> Any:
        return [str(path) for path in search_paths]


class BadOutputValue:
    @hookimpl
    def octoci_outputs(self, report: RunReport) -> Any:
        return {"package_count": len(report.packages)}


class BadOutputName:
    @hookimpl
    def octoci_outputs(self, report: RunReport) -> Any:
        return {1: SECRET}


class BadSummary:
    @hookimpl
    def octoci_summary(self, report: RunReport) -> Any:
        return ["## packages", SECRET]


class LeakyServer(CIServer):
    """An adapter whose secrets() returns one string instead of a list."""

    name = "leaky"
    display_name = "Leaky CI"

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        return False

    def build_information(self) -> BuildInformation:
        return BuildInformation(build_environment=self.display_name)

    def secrets(self) -> Any:
        return SECRET


class LeakyPlugin:
    @hookimpl
    def octoci_servers(self) -> list[type[CIServer]]:
        return [LeakyServer]


def expected_line(plugin: str, got: str, hook: str, must: str) -> str:
    return (
        f"octoci: error: the plugin '{plugin}' returned {got} from {hook}, which must return "
        f"{must}{FIX}{plugin}"
    )


def check(result: CliResult, line: str) -> None:
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [line]
    assert result.leaks(SECRET) == []
    assert SECRET not in result.stdout + result.stderr  # not even masked: never shown


@pytest.mark.parametrize(
    ("plugin", "got", "hook", "must"),
    [
        (BadServers(), "a list holding a str", "octoci_servers", "a list of CIServer subclasses"),
        (BadSecrets(), "a str", "octoci_secrets", "a list of str"),
        (BadSecretItem(), "a list holding an int", "octoci_secrets", "a list of str"),
    ],
)
def test_what_every_run_asks_is_checked(
    run_cli: RunCli, tmp_path: Path, plugin: object, got: str, hook: str, must: str
) -> None:
    env = {"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = run_cli("info", "--json", "--no-commits", env=env, cwd=tmp_path, plugins=[plugin])
    check(result, expected_line(type(plugin).__name__, got, hook, must))


def test_an_adapters_secrets_are_checked(run_cli: RunCli, tmp_path: Path) -> None:
    env = {"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = run_cli(
        "--server", "leaky", "info", "--no-commits", env=env, cwd=tmp_path, plugins=[LeakyPlugin()]
    )
    hook = "LeakyServer.secrets() (the 'leaky' adapter)"
    check(result, expected_line("LeakyPlugin", "a str", hook, "a list of str"))


@pytest.mark.parametrize(
    ("plugin", "got", "hook", "must"),
    [
        (BadFormats(), "a dict", "octoci_package_formats", "a list of PackageFormat"),
        (BadArtifacts(), "a list holding a str", "octoci_discover_artifacts", "a list of Artifact"),
    ],
)
def test_what_pack_asks_is_checked(
    run_cli: RunCli, tmp_path: Path, plugin: object, got: str, hook: str, must: str
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "index.html").write_text("<h1>hi</h1>", encoding="utf-8")
    result = run_cli(
        "pack", "--id", "Bundle", "--version", "1.0.0", "--from-artifacts",
        "--artifact-path", "out", "--out-folder", "dist",
        env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}, cwd=tmp_path, plugins=[plugin],
    )  # fmt: skip
    check(result, expected_line(type(plugin).__name__, got, hook, must))
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


OUTPUTS = "a mapping of str names to str values"


@pytest.mark.parametrize(
    ("plugin", "got", "hook", "must"),
    [
        (
            BadOutputValue(),
            "the output 'package_count' with an int value",
            "octoci_outputs",
            OUTPUTS,
        ),
        (BadOutputName(), "an output name of type int", "octoci_outputs", OUTPUTS),
        (BadSummary(), "a list", "octoci_summary", "a str (or None for no section)"),
    ],
)
def test_what_a_push_hands_to_the_build_server_is_checked(
    run_cli: RunCli,
    octopus_emulator: Emulator,
    tmp_path: Path,
    plugin: object,
    got: str,
    hook: str,
    must: str,
) -> None:
    (tmp_path / "Acme.Web.1.0.0.zip").write_bytes(b"PK-zip" * 100)
    env = {
        "OCTOPUS_URL": octopus_emulator.url,
        "OCTOPUS_API_KEY": octopus_emulator.api_key,
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    result = run_cli("push", "Acme.Web.1.0.0.zip", env=env, cwd=tmp_path, plugins=[plugin])
    lines = result.stderr.splitlines()
    assert lines[-1] == expected_line(type(plugin).__name__, got, hook, must)
    check(CliResult(result.exit_code, result.stdout, lines[-1]), lines[-1])


def test_an_entry_point_plugin_is_named_with_its_distribution(
    octoci_pm: OctociPluginManager, register_plugin: Callable[..., object]
) -> None:
    octoci_pm.distributions["acme"] = ("acme-octoci", "1.2.0")
    register_plugin(BadServers(), name="acme")
    with pytest.raises(PluginResultError) as raised:
        octoci_pm.server_classes()
    assert str(raised.value) == (
        "the plugin 'acme' (from acme-octoci 1.2.0) returned a list holding a str from "
        "octoci_servers, which must return a list of CIServer subclasses; fix the plugin or "
        "disable it with OCTOCI_DISABLE_PLUGINS=acme"
    )
    assert (
        octoci_pm.label("github_actions") == f"'github_actions' (from octoci {octoci.__version__})"
    )


class WrapsSecrets:
    @hookimpl(wrapper=True)
    def octoci_secrets(self, env: Mapping[str, str]) -> Any:
        values = yield
        return [*values, "extra"]


def test_a_wrapper_on_a_hook_that_collects_results_is_an_error(
    run_cli: RunCli, tmp_path: Path
) -> None:
    env = {"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = run_cli("info", "--no-commits", env=env, cwd=tmp_path, plugins=[WrapsSecrets()])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "octoci: error: the plugin 'WrapsSecrets' wraps octoci_secrets, which collects every "
        "plugin's result and cannot be wrapped; implement it without wrapper=True, or disable "
        "the plugin with OCTOCI_DISABLE_PLUGINS=WrapsSecrets"
    ]
