"""``CIServer.export_variable`` of every built-in adapter, under its recorded environment: the
servers with a safe way mask a secret before they write it where later steps read it; the others
write it nowhere and say ``False`` (``octoci login`` then warns)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from octoci.plugins import OctociPluginManager
from octoci.testing import parse_ci_output

CiEnv = Callable[..., dict[str, str]]
SECRET = "s3cret-access-token-0123456789"


def _files(folder: Path) -> str:
    """Everything written under ``folder`` (the recording's files, octoci's output files)."""
    return "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()
    )


@pytest.mark.parametrize(
    ("server", "mask_command"),
    [
        ("github_actions", "add-mask"),
        ("azure_devops", "task.setsecret"),
        ("teamcity", None),  # no masking command: a declared password parameter hides it
        ("circleci", None),
    ],
)
def test_a_secret_is_masked_before_it_is_handed_on(
    octoci_pm: OctociPluginManager,
    ci_env: CiEnv,
    tmp_path: Path,
    server: str,
    mask_command: str | None,
) -> None:
    env = ci_env(server, "push", BASH_ENV=str(tmp_path / "bash_env"))
    if server == "teamcity":
        (config,) = Path(env["TEAMCITY_BUILD_PROPERTIES_FILE"]).parent.glob("teamcity.config*")
        with config.open("a", encoding="utf-8") as handle:
            handle.write("env.OCTOPUS_ACCESS_TOKEN=\n")
    stream = io.StringIO()
    adapter = octoci_pm.server_classes()[server](env, stream, cwd=tmp_path)
    assert adapter.export_variable("OCTOPUS_ACCESS_TOKEN", SECRET, secret=True) is True
    assert adapter.redact(f"x {SECRET}") == "x ***"  # anything it writes later is masked
    messages = parse_ci_output(stream.getvalue())
    if mask_command is not None:
        assert messages[0].name == mask_command
        assert messages[0].value == SECRET
    assert SECRET in stream.getvalue() + _files(tmp_path)


@pytest.mark.parametrize(
    "server", ["gitlab_ci", "jenkins", "bamboo", "bitbucket_pipelines", "appveyor", "continua_ci"]
)
def test_a_server_without_a_safe_way_writes_the_secret_nowhere(
    octoci_pm: OctociPluginManager, ci_env: CiEnv, tmp_path: Path, server: str
) -> None:
    env = ci_env(server, "push")
    stream = io.StringIO()
    adapter = octoci_pm.server_classes()[server](env, stream, cwd=tmp_path)
    assert adapter.export_variable("OCTOPUS_ACCESS_TOKEN", SECRET, secret=True) is False
    assert SECRET not in stream.getvalue() + _files(tmp_path)


def test_teamcity_refuses_an_undeclared_secret_parameter(
    octoci_pm: OctociPluginManager, ci_env: CiEnv, tmp_path: Path
) -> None:
    stream = io.StringIO()
    adapter = octoci_pm.server_classes()["teamcity"](ci_env("teamcity"), stream, cwd=tmp_path)
    assert adapter.export_variable("OCTOPUS_ACCESS_TOKEN", SECRET, secret=True) is False
    assert adapter.export_variable("OCTOPUS_URL", "https://o.example", secret=False) is True
    assert [(m.name, m.properties) for m in parse_ci_output(stream.getvalue())] == [
        ("setParameter", {"name": "env.OCTOPUS_URL", "value": "https://o.example"})
    ]
