"""``octoci login`` as Octopus's login action: the server URL and the credential exported to the
job's later steps where the build server keeps it secret, read back as the next step would read
it (``$GITHUB_ENV``, the service messages printed), under recorded environments of the servers,
against the emulator over HTTP; the API-key mode, ``--id-token``, the per-server message when no
ID token is issued, and no token or key in any output."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.testing import CliResult, parse_ci_output, run_octoci
from octoci.testing import emulator as emulator_fixtures
from octoci_emulator import Emulator, mint_id_token

octopus_emulator = emulator_fixtures.octopus_emulator

ISSUER = "https://ci.example"
SECRET = "test-issuer-signing-secret"
ACCOUNT = "7f0b0d4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"

CiEnv = Callable[..., dict[str, str]]


@pytest.fixture
def octopus_emulator_seed() -> Mapping[str, Any]:
    return {
        "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.05},
        "oidc": [{"issuer": ISSUER, "secret": SECRET, "service_account_id": ACCOUNT}],
    }


def _id_token(secret: str = SECRET) -> str:
    return mint_id_token(issuer=ISSUER, secret=secret, subject="repo:acme/shop", audience=ACCOUNT)


def _login(emulator: Emulator, env: Mapping[str, str], cwd: Path, *args: str) -> CliResult:
    """``octoci login`` with only the server URL given (no API key unless ``env`` has one)."""
    return run_octoci("login", *args, env={**env, "OCTOPUS_URL": emulator.url}, cwd=cwd)


def _github_env(env: Mapping[str, str]) -> dict[str, str]:
    """``$GITHUB_ENV`` as the runner reads it into the next step's environment."""
    text = Path(env["GITHUB_ENV"]).read_text(encoding="utf-8")
    blocks = re.findall(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", text, flags=re.MULTILINE | re.DOTALL)
    return {name: value for name, _, value in blocks}


def _no_leak(result: CliResult, secret: str, *, carriers: tuple[str, ...] = ()) -> None:
    """``secret`` (or its tail) is on no line but the mask commands and the ``carriers`` (the
    service messages that hand it to later steps, which must hold it)."""
    for line in (result.stdout + "\n" + result.stderr).splitlines():
        if secret in line or secret[-16:] in line:
            (message,) = parse_ci_output(line) or [None]
            assert message is not None, line
            assert message.name in {"add-mask", "task.setsecret", *carriers}, line


def _messages(result: CliResult) -> list[Any]:
    # With --json the build server's commands go to standard error.
    return parse_ci_output(result.stdout + "\n" + result.stderr)


def test_github_actions_exports_url_and_token_for_the_next_step(
    octopus_emulator: Emulator, ci_env: CiEnv, tmp_path: Path
) -> None:
    env = ci_env("github_actions", "push")
    id_token = _id_token()
    result = _login(octopus_emulator, env, tmp_path, "--service-account-id", ACCOUNT,
                    "--id-token", id_token, "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    exported = _github_env(env)
    token = exported["OCTOPUS_ACCESS_TOKEN"]
    assert exported["OCTOPUS_URL"] == octopus_emulator.url
    assert json.loads(result.stdout)["Exported"] == ["OCTOPUS_URL", "OCTOPUS_ACCESS_TOKEN"]
    # Masked before it was written anywhere.
    masks = [m.value for m in _messages(result) if m.name == "add-mask"]
    assert token in masks
    assert id_token in masks
    _no_leak(result, token)
    _no_leak(result, id_token)
    # The next step, with only what $GITHUB_ENV gave it, is logged in.
    (tmp_path / "Acme.Web.1.0.0.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    pushed = run_octoci("push", "Acme.Web.1.0.0.zip", env=exported, cwd=tmp_path)
    assert pushed.exit_code == 0, pushed.stderr
    assert [p["PackageId"] for p in octopus_emulator.packages()] == ["Acme.Web"]


def test_azure_devops_sets_a_secret_variable(
    octopus_emulator: Emulator, ci_env: CiEnv, tmp_path: Path
) -> None:
    env = ci_env("azure_devops", "push")
    result = _login(octopus_emulator, env, tmp_path, "--service-account-id", ACCOUNT,
                    "--id-token", _id_token())  # fmt: skip
    assert result.exit_code == 0, result.stderr
    messages = result.messages
    variables = {
        m.properties["variable"]: m
        for m in messages
        if m.name == "task.setvariable" and "isoutput" not in m.properties
    }
    token = variables["OCTOPUS_ACCESS_TOKEN"].value
    assert variables["OCTOPUS_ACCESS_TOKEN"].properties.get("issecret") == "true"
    assert variables["OCTOPUS_URL"].value == octopus_emulator.url
    assert "issecret" not in variables["OCTOPUS_URL"].properties
    # task.setsecret comes before the variable that carries the token.
    names = [m.name for m in messages if token in m.value]
    assert names.index("task.setsecret") < names.index("task.setvariable")
    _no_leak(result, token, carriers=("task.setvariable",))
    # Only the secret variable holds it: the outputs are set secret too.
    carriers = [m for m in messages if m.name == "task.setvariable" and token in m.value]
    assert all(m.properties.get("issecret") == "true" for m in carriers)


def _teamcity_config(env: Mapping[str, str]) -> Path:
    (config,) = Path(env["TEAMCITY_BUILD_PROPERTIES_FILE"]).parent.glob("teamcity.config*")
    return config


def test_teamcity_sets_the_parameter_only_when_the_build_declares_it(
    octopus_emulator: Emulator, ci_env: CiEnv, tmp_path: Path
) -> None:
    env = ci_env("teamcity", "push")
    undeclared = _login(octopus_emulator, env, tmp_path, "--service-account-id", ACCOUNT,
                        "--id-token", _id_token())  # fmt: skip
    assert undeclared.exit_code == 0, undeclared.stderr
    parameters = [m.properties["name"] for m in undeclared.messages if m.name == "setParameter"]
    assert "env.OCTOPUS_ACCESS_TOKEN" not in parameters
    assert "env.OCTOPUS_URL" not in parameters  # nothing half-exported
    assert "TeamCity has no way to hand OCTOPUS_ACCESS_TOKEN to later steps" in undeclared.stdout
    # Declared in the build configuration (as a password parameter): set for later steps.
    with _teamcity_config(env).open("a", encoding="utf-8") as config:
        config.write("env.OCTOPUS_ACCESS_TOKEN=\n")
    declared = _login(octopus_emulator, env, tmp_path, "--service-account-id", ACCOUNT,
                      "--id-token", _id_token())  # fmt: skip
    assert declared.exit_code == 0, declared.stderr
    values = {m.properties["name"]: m.properties["value"] for m in declared.messages
              if m.name == "setParameter"}  # fmt: skip
    assert values["env.OCTOPUS_URL"] == octopus_emulator.url
    token = values["env.OCTOPUS_ACCESS_TOKEN"]
    assert len(token) > 16
    assert values["access_token"] == "***"  # the plain output stays masked
    _no_leak(declared, token, carriers=("setParameter",))


def test_gitlab_exports_nothing_and_says_so(
    octopus_emulator: Emulator, ci_env: CiEnv, tmp_path: Path
) -> None:
    env = ci_env("gitlab_ci", "push", OCTOCI_DOTENV_FILE=str(tmp_path / "octoci.env"))
    result = _login(octopus_emulator, env, tmp_path, "--service-account-id", ACCOUNT,
                    "--id-token", _id_token(), "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["Exported"] == []
    assert "GitLab CI has no way to hand OCTOPUS_ACCESS_TOKEN" in result.stderr + result.stdout
    dotenv = tmp_path / "octoci.env"
    written = dotenv.read_text(encoding="utf-8") if dotenv.exists() else ""
    assert "OCTOPUS_ACCESS_TOKEN" not in written
    assert "access_token" not in written  # a job artifact: the secret is kept out


def test_api_key_mode_checks_and_exports_the_key(
    octopus_emulator: Emulator, ci_env: CiEnv, tmp_path: Path
) -> None:
    key = octopus_emulator.api_key
    env = ci_env("github_actions", "push", OCTOPUS_API_KEY=key)
    result = _login(octopus_emulator, env, tmp_path, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "Server": octopus_emulator.url,
        "Method": "ApiKey",
        "Exported": ["OCTOPUS_URL", "OCTOPUS_API_KEY"],
    }
    assert _github_env(env) == {"OCTOPUS_URL": octopus_emulator.url, "OCTOPUS_API_KEY": key}
    _no_leak(result, key)
    wrong = "API-" + "X" * 27
    refused = _login(octopus_emulator, {**env, "OCTOPUS_API_KEY": wrong}, tmp_path, "--api-key")
    assert refused.exit_code == 1
    # On GitHub the error is the ::error annotation (standard output), not a second line.
    assert "checking the API key" in refused.stdout + refused.stderr
    _no_leak(refused, wrong)
    missing = _login(octopus_emulator, {"GITHUB_ACTIONS": "true"}, tmp_path, "--api-key")
    assert missing.exit_code == 2
    assert (
        (missing.stdout + missing.stderr)
        .strip()
        .splitlines()[-1]
        .endswith("--api-key needs the API key in OCTOPUS_API_KEY")
    )
    both = _login(octopus_emulator, {**env, "OCTOPUS_SERVICE_ACCOUNT_ID": ACCOUNT}, tmp_path)
    assert both.exit_code == 2
    assert "pass --api-key or --service-account-id" in both.stdout + both.stderr


@pytest.mark.parametrize(
    ("server", "name"),
    [("bamboo", "Bamboo"), ("appveyor", "AppVeyor"), ("continua_ci", "Continua CI")],
)
def test_a_server_without_id_tokens_says_so(
    octopus_emulator: Emulator, ci_env: CiEnv, tmp_path: Path, server: str, name: str
) -> None:
    result = _login(octopus_emulator, ci_env(server, "push"), tmp_path,
                    "--service-account-id", ACCOUNT)  # fmt: skip
    assert result.exit_code == 2
    # The error in the server's form where it has one (Continua's message), else the plain line.
    line = (result.stdout + result.stderr).strip().splitlines()[-1]
    assert f"{name} issues no OIDC ID token" in line
    assert "--id-token" in line
    assert "GitHub" not in line
    assert "permissions" not in line


def test_github_without_the_permission_gets_the_github_hint(
    octopus_emulator: Emulator, ci_env: CiEnv, tmp_path: Path
) -> None:
    env = ci_env("github_actions", "push")  # no ACTIONS_ID_TOKEN_REQUEST_URL: no permission
    result = _login(octopus_emulator, env, tmp_path, "--service-account-id", ACCOUNT)
    assert result.exit_code == 2
    assert "add 'permissions: id-token: write' to the job" in result.stdout + result.stderr


def test_a_refused_id_token_shows_in_no_output_even_with_debug(
    octopus_emulator: Emulator, ci_env: CiEnv, tmp_path: Path
) -> None:
    env = ci_env("github_actions", "push")
    wrong = _id_token(secret="the-wrong-signing-secret")
    result = run_octoci("--debug", "login", "--service-account-id", ACCOUNT, "--id-token", wrong,
                        env={**env, "OCTOPUS_URL": octopus_emulator.url}, cwd=tmp_path)  # fmt: skip
    assert result.exit_code == 1
    assert "The subject token was not accepted" in result.stderr
    _no_leak(result, wrong)
    assert "OCTOPUS_ACCESS_TOKEN" not in Path(env["GITHUB_ENV"]).read_text(encoding="utf-8")


def test_other_commands_name_the_server_without_id_tokens_too(
    octopus_emulator: Emulator, ci_env: CiEnv, tmp_path: Path
) -> None:
    env = ci_env("appveyor", "push", OCTOPUS_SERVICE_ACCOUNT_ID=ACCOUNT)
    (tmp_path / "Acme.Web.1.0.0.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    result = run_octoci("push", "Acme.Web.1.0.0.zip", cwd=tmp_path,
                        env={**env, "OCTOPUS_URL": octopus_emulator.url})  # fmt: skip
    assert result.exit_code == 1
    line = result.stderr.strip().splitlines()[-1]
    assert "AppVeyor issues no OIDC ID token: set OCTOPUS_API_KEY instead" in line
    assert "GitHub" not in line
    assert octopus_emulator.packages() == []
