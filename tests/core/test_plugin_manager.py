from __future__ import annotations

import io
import sys
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

import octoci
from octoci import BuildInformation, CIServer, hookimpl
from octoci.errors import (
    AmbiguousServerError,
    InputError,
    PluginLoadError,
    UnknownServerError,
)
from octoci.local import LocalServer
from octoci.model import Artifact, Package, PackageFormat, RunReport
from octoci.plugins import OctociPluginManager, create_plugin_manager


class Kestrel(CIServer):
    name = "kestrel"
    display_name = "Kestrel"

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        return env.get("KESTREL") == "true"

    def build_information(self) -> BuildInformation:
        return BuildInformation(
            build_environment=self.display_name,
            build_number=self.env.get("KESTREL_BUILD_NUMBER", ""),
            branch="refs/heads/" + self.env.get("KESTREL_BRANCH", ""),
            vcs_root="git@github.com:acme/shop.git",
            vcs_commit_number="abc",
        )

    def commits(self, info: BuildInformation) -> list[octoci.Commit]:
        return [octoci.Commit("abc", "kestrel commit")]


class Heron(Kestrel):
    name = "heron"
    display_name = "Heron"


class KestrelPlugin:
    @hookimpl
    def octoci_servers(self) -> list[type[CIServer]]:
        return [Kestrel]


def test_defaults_register_first_and_local_is_the_fallback(octoci_pm: OctociPluginManager) -> None:
    names = [name for name, _ in octoci_pm.list_name_plugin()]
    assert names[0] == "octoci.defaults"
    server = octoci_pm.select_server({}, io.StringIO())
    assert isinstance(server, LocalServer)


def test_registered_adapter_is_detected_and_normalised(
    octoci_pm: OctociPluginManager, register_plugin: Callable[..., object], tmp_path: Path
) -> None:
    register_plugin(KestrelPlugin())
    env = {"KESTREL": "true", "KESTREL_BUILD_NUMBER": "9", "KESTREL_BRANCH": "main"}
    server = octoci_pm.select_server(env, io.StringIO(), cwd=tmp_path)
    assert isinstance(server, Kestrel)
    info = octoci_pm.capture(server)
    assert (info.branch, info.vcs_root) == ("main", "https://github.com/acme/shop")
    assert [c.comment for c in info.commits] == ["kestrel commit"]


def test_two_adapters_claiming_is_an_error(
    octoci_pm: OctociPluginManager, register_plugin: Callable[..., object]
) -> None:
    class Both:
        @hookimpl
        def octoci_servers(self) -> list[type[CIServer]]:
            return [Kestrel, Heron]

    register_plugin(Both())
    with pytest.raises(AmbiguousServerError, match=r"heron, kestrel.*--server"):
        octoci_pm.select_server({"KESTREL": "true"}, io.StringIO())
    forced = octoci_pm.select_server({"KESTREL": "true"}, io.StringIO(), name="Heron")
    assert isinstance(forced, Heron)


def test_unknown_server_name_lists_known(octoci_pm: OctociPluginManager) -> None:
    with pytest.raises(UnknownServerError, match=r"unknown build server 'nope'; known: .*local"):
        octoci_pm.select_server({}, io.StringIO(), name="nope")


def test_duplicate_adapter_names_are_an_error(
    octoci_pm: OctociPluginManager, register_plugin: Callable[..., object]
) -> None:
    class OtherKestrel(Kestrel):
        pass

    class Clash:
        @hookimpl
        def octoci_servers(self) -> list[type[CIServer]]:
            return [OtherKestrel]

    register_plugin(KestrelPlugin())
    register_plugin(Clash())
    with pytest.raises(PluginLoadError, match="two build-server adapters are named 'kestrel'"):
        octoci_pm.server_classes()


def test_detect_hook_can_preempt_the_default(
    octoci_pm: OctociPluginManager, register_plugin: Callable[..., object]
) -> None:
    class Preempt:
        @hookimpl(tryfirst=True)
        def octoci_detect_server(
            self, env: Mapping[str, str], servers: Sequence[type[CIServer]]
        ) -> type[CIServer] | None:
            return Kestrel if env.get("WRAPPED") else None

    register_plugin(KestrelPlugin())
    register_plugin(Preempt())
    assert isinstance(octoci_pm.select_server({"WRAPPED": "1"}, io.StringIO()), Kestrel)


def test_wrapper_enriches_build_information(
    octoci_pm: OctociPluginManager, register_plugin: Callable[..., object], tmp_path: Path
) -> None:
    class Enrich:
        @hookimpl(wrapper=True)
        def octoci_build_information(self, server: CIServer) -> Iterator[None]:
            info = yield
            return info.replace(job_name="enriched")  # type: ignore[attr-defined,no-any-return]

    register_plugin(Enrich())
    server = octoci_pm.select_server({}, io.StringIO(), cwd=tmp_path)
    info = octoci_pm.capture(server, octoci.CaptureOptions(fetch_commits=False))
    assert info.job_name == "enriched"


def test_addhooks_lets_plugins_add_hook_specs(octoci_pm: OctociPluginManager) -> None:
    spec_module = types.ModuleType("acme_hooks")

    @octoci.hookspec
    def octoci_acme_notify(message: str) -> str:  # type: ignore[empty-body]
        """A third party's own hook."""

    spec_module.octoci_acme_notify = octoci_acme_notify  # type: ignore[attr-defined]

    class Host:
        @hookimpl
        def octoci_addhooks(self, pluginmanager: OctociPluginManager) -> None:
            pluginmanager.add_hookspecs(spec_module)

    class Listener:
        @hookimpl
        def octoci_acme_notify(self, message: str) -> str:
            return message.upper()

    octoci_pm.register(Listener())  # implements the hook before the spec exists
    octoci_pm.register(Host())
    octoci_pm.verify()
    assert octoci_pm.hook.octoci_acme_notify(message="hi") == ["HI"]


def test_misspelt_hook_fails_fast() -> None:
    class Typo:
        @hookimpl
        def octoci_server(self) -> list[Any]:
            return []

    pm = create_plugin_manager(load_entrypoints=False)
    pm.register(Typo(), name="typo")
    with pytest.raises(PluginLoadError, match=r"'typo'.*octoci_server"):
        pm.verify()


def test_essential_plugin_cannot_be_blocked() -> None:
    with pytest.raises(InputError, match="essential"):
        create_plugin_manager(env={"OCTOCI_DISABLE_PLUGINS": "octoci.defaults"})


def test_blocked_builtin_is_not_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("octoci_plugins.fake_builtin")
    module.octoci_servers = hookimpl(lambda: [Kestrel])  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "octoci_plugins.fake_builtin", module)
    pm = create_plugin_manager(load_entrypoints=False, builtins=["fake_builtin"])
    assert "kestrel" in pm.server_classes()
    blocked = create_plugin_manager(
        load_entrypoints=False,
        builtins=["fake_builtin", "never_imported"],
        env={"OCTOCI_DISABLE_PLUGINS": "fake_builtin, never_imported"},
    )
    assert "kestrel" not in blocked.server_classes()
    described = {p.name: p for p in blocked.describe()}
    assert described["fake_builtin"].blocked
    assert described["fake_builtin"].kind == "builtin"


def test_broken_builtin_names_itself() -> None:
    with pytest.raises(PluginLoadError, match="built-in plugin 'does_not_exist'"):
        create_plugin_manager(load_entrypoints=False, builtins=["does_not_exist"])


class FakeDist:
    def __init__(self, name: str) -> None:
        self.name = name
        self.version = "9.9"


def fake_entry_points(
    monkeypatch: pytest.MonkeyPatch, points: dict[str, tuple[str, object]]
) -> None:
    """Make importlib.metadata report ``points``: name -> (distribution, object or exception)."""
    entries = []
    for name, (dist, target) in points.items():
        module_name = f"fake_ep_{name}"
        if isinstance(target, BaseException):
            value = f"{module_name}_missing"
        else:
            monkeypatch.setitem(sys.modules, module_name, target)  # type: ignore[arg-type]
            value = module_name
        ep = metadata.EntryPoint(name=name, value=value, group="octoci")
        entries.append(ep._for(FakeDist(dist)))  # type: ignore[attr-defined]

    def select(**kwargs: Any) -> list[metadata.EntryPoint]:
        return [e for e in entries if kwargs.get("group") == "octoci"]

    monkeypatch.setattr(metadata, "entry_points", select)


def kestrel_module() -> types.ModuleType:
    module = types.ModuleType("kestrel_plugin")
    module.octoci_servers = hookimpl(lambda: [Kestrel])  # type: ignore[attr-defined]
    return module


def test_entry_points_load_block_and_allow(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, {"kestrel": ("octoci-kestrel", kestrel_module())})
    pm = create_plugin_manager(builtins=[])
    assert "kestrel" in pm.server_classes()
    info = {p.name: p for p in pm.describe()}["kestrel"]
    assert (info.kind, info.distribution, info.version) == ("entry-point", "octoci-kestrel", "9.9")
    assert (
        "kestrel"
        not in create_plugin_manager(
            builtins=[], env={"OCTOCI_DISABLE_PLUGINS": "kestrel"}
        ).server_classes()
    )
    assert (
        "kestrel" not in create_plugin_manager(builtins=[], disabled=["kestrel"]).server_classes()
    )
    assert (
        "kestrel"
        not in create_plugin_manager(builtins=[], env={"OCTOCI_PLUGINS": ""}).server_classes()
    )
    assert (
        "kestrel"
        in create_plugin_manager(builtins=[], env={"OCTOCI_PLUGINS": "kestrel"}).server_classes()
    )
    assert (
        "kestrel"
        not in create_plugin_manager(
            builtins=[], env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}
        ).server_classes()
    )
    assert (
        "kestrel" not in create_plugin_manager(builtins=[], load_entrypoints=False).server_classes()
    )


def test_allow_list_naming_nothing_installed_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, {"kestrel": ("octoci-kestrel", kestrel_module())})
    with pytest.raises(InputError, match=r"OCTOCI_PLUGINS names typo.*installed: kestrel"):
        create_plugin_manager(builtins=[], env={"OCTOCI_PLUGINS": "kestrel,typo"})


def test_failing_entry_point_names_its_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, {"broken": ("octoci-broken", ImportError("no module"))})
    with pytest.raises(
        PluginLoadError,
        match=r"plugin 'broken' from the distribution octoci-broken failed to load.*"
        r"OCTOCI_DISABLE_PLUGINS=broken",
    ):
        create_plugin_manager(builtins=[])
    # ... and can be skipped.
    create_plugin_manager(builtins=[], env={"OCTOCI_DISABLE_PLUGINS": "broken"})


def test_entry_point_shadowing_a_builtin_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    builtin = types.ModuleType("octoci_plugins.shadowed")
    monkeypatch.setitem(sys.modules, "octoci_plugins.shadowed", builtin)
    fake_entry_points(monkeypatch, {"shadowed": ("octoci-impostor", kestrel_module())})
    pm = create_plugin_manager(builtins=["shadowed"])
    assert pm.shadowed == {"shadowed": "octoci-impostor"}
    assert "kestrel" not in pm.server_classes()


def test_trace_prints_hook_calls() -> None:
    stream = io.StringIO()
    pm = create_plugin_manager(
        load_entrypoints=False, env={"OCTOCI_TRACE_PLUGINS": "1"}, trace_stream=stream
    )
    pm.server_classes()
    assert "octoci: trace: octoci_servers -> octoci.defaults" in stream.getvalue()


def test_contributions_merge(
    octoci_pm: OctociPluginManager, register_plugin: Callable[..., object], tmp_path: Path
) -> None:
    def write(spec: Any, entries: Any, destination: Path) -> None:
        destination.write_bytes(b"")

    fmt = PackageFormat("jar", ".jar", write)

    class Contrib:
        @hookimpl
        def octoci_package_formats(self) -> list[PackageFormat]:
            return [fmt]

        @hookimpl
        def octoci_secrets(self, env: Mapping[str, str]) -> list[str]:
            return ["plugin-secret"]

        @hookimpl
        def octoci_outputs(self, report: RunReport) -> dict[str, str]:
            return {"extra": "1"}

        @hookimpl
        def octoci_summary(self, report: RunReport) -> str:
            return "plugin section"

        @hookimpl
        def octoci_discover_artifacts(
            self, server: CIServer, search_paths: Sequence[Path]
        ) -> list[Artifact]:
            return [Artifact(tmp_path / "bin", source="contrib")]

    register_plugin(Contrib())
    assert octoci_pm.package_formats()["jar"] is fmt
    assert octoci_pm.secrets({"OCTOPUS_API_KEY": "API-KEY-1"}) == ["plugin-secret", "API-KEY-1"]
    report = RunReport(packages=(Package(tmp_path / "a.1.0.0.zip", "a", "1.0.0", size=3),))
    assert octoci_pm.outputs(report)["extra"] == "1"
    assert octoci_pm.outputs(report)["package_id"] == "a"
    summary = octoci_pm.summary(report)
    assert summary.index("Octopus Deploy") < summary.index("plugin section")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "Acme.Web.1.0.0.zip").write_bytes(b"zip")
    (tmp_path / "out" / "readme.txt").write_text("x")
    server = octoci_pm.select_server({}, io.StringIO(), cwd=tmp_path)
    found = octoci_pm.discover_artifacts(server, [Path("out")])
    assert [(a.package_id, a.source) for a in found] == [
        ("", "contrib"),
        ("Acme.Web", "octoci.defaults"),
    ]


def test_conflicting_outputs_and_formats_are_errors(
    octoci_pm: OctociPluginManager, register_plugin: Callable[..., object]
) -> None:
    class Conflict:
        @hookimpl
        def octoci_outputs(self, report: RunReport) -> dict[str, str]:
            return {"octopus_space": "other"}

        @hookimpl
        def octoci_package_formats(self) -> list[PackageFormat]:
            return [PackageFormat("zip", ".zip", lambda *a: None)]

    class Again:
        @hookimpl
        def octoci_package_formats(self) -> list[PackageFormat]:
            return [PackageFormat("ZIP", ".zip", lambda *a: None)]

    register_plugin(Conflict())
    register_plugin(Again())
    with pytest.raises(PluginLoadError, match="octopus_space"):
        octoci_pm.outputs(RunReport(space="Spaces-1"))
    with pytest.raises(PluginLoadError, match="package format"):
        octoci_pm.package_formats()
