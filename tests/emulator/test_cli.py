"""``octoci emulator``: one line with URL and key, serves until stopped; bad input exits 2."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from octoci.testing import run_octoci

from .process import start_emulator_process


def _stop(process: subprocess.Popen[str]) -> None:
    # SIGTERM, not SIGINT: a shell running us in the background starts children with SIGINT
    # ignored. The emulator treats SIGTERM like Ctrl-C (clean stop, exit code 0).
    if sys.platform == "win32":
        process.terminate()
    else:
        process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


def test_serves_seeded_model_until_interrupted(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"projects": [{"name": "Web", "packages": ["Web"]}]}))
    process, url, key = start_emulator_process(
        "--seed", str(seed), "--api-key", "API-CLITEST1", "--environment", "QA", "--space", "Other"
    )
    try:
        assert key == "API-CLITEST1"
        headers = {"X-Octopus-ApiKey": key}
        envs = requests.get(f"{url}/api/Spaces-1/environments", headers=headers, timeout=10)
        assert [e["Name"] for e in envs.json()["Items"]] == ["QA"]
        spaces = requests.get(f"{url}/api/spaces/all", headers=headers, timeout=10).json()
        assert [s["Name"] for s in spaces] == ["Default", "Other"]
        projects = requests.get(f"{url}/api/Spaces-1/projects/all", headers=headers, timeout=10)
        assert [p["Name"] for p in projects.json()] == ["Web"]
    finally:
        _stop(process)
    if sys.platform != "win32":
        assert process.returncode == 0


def test_data_dir_keeps_state(tmp_path: Path) -> None:
    data_dir = tmp_path / "octo"
    for expected in (201, 409):
        process, url, key = start_emulator_process("--data-dir", str(data_dir))
        try:
            response = requests.post(
                f"{url}/api/Spaces-1/packages/raw",
                headers={"X-Octopus-ApiKey": key},
                files={"file": ("Kept.1.0.0.zip", b"x")},
                timeout=10,
            )
            assert response.status_code == expected
        finally:
            _stop(process)
    assert (data_dir / "emulator.sqlite3").is_file()


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("projects = [", ".toml", "is not valid TOML"),
        ('{"projects": [{"name": "X", "lifecycle": "Nope"}]}', ".json", "unknown lifecycle 'Nope'"),
        ('{"environmnets": ["Dev"]}', ".json", "unknown key 'environmnets'"),
        (
            '{"lifecycles": [{"name": "L", "phases": [{"name": "P", "automatic": ["Mars"]}]}]}',
            ".json",
            "unknown environment 'Mars'",
        ),
        ('{"tenants": [{"name": "T", "tags": ["NoSlash"]}]}', ".json", "TagSet/Tag"),
        ('{"api_keys": ["secret"]}', ".json", "API key"),
        ("projects: []", ".yaml", "YAML is not supported"),
    ],
)
def test_bad_seed_is_one_line_exit_2_and_creates_nothing(
    tmp_path: Path, content: str, suffix: str, message: str
) -> None:
    seed = tmp_path / f"seed{suffix}"
    seed.write_text(content)
    data_dir = tmp_path / "state"
    result = run_octoci(
        "emulator",
        "--seed",
        str(seed),
        "--data-dir",
        str(data_dir),
        env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert not data_dir.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--api-key", "api-lowercase"], "API key"),
        (["--port", "70000"], "70000"),
        (["--environment", " "], "must not be empty"),
        (["--seed", "missing.toml"], "cannot read seed file"),
    ],
)
def test_bad_flags_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_octoci(
        "emulator", *args, cwd=tmp_path, env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"}
    )
    assert result.exit_code == 2
    assert message in result.stderr


def test_port_in_use_is_exit_2_and_creates_no_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "state"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_octoci(
            "emulator",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"},
        )
    assert result.exit_code == 2
    assert "cannot start the emulator" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not data_dir.exists()


def test_a_seed_with_only_spaces_keeps_default(tmp_path: Path) -> None:
    seed = tmp_path / "seed.toml"
    seed.write_text('[[spaces]]\nname = "Team B"\nenvironments = ["Staging"]\n')
    process, url, key = start_emulator_process("--seed", str(seed), "--environment", "QA")
    try:
        headers = {"X-Octopus-ApiKey": key}
        spaces = requests.get(f"{url}/api/spaces/all", headers=headers, timeout=10).json()
        assert [(s["Name"], s["IsDefault"]) for s in spaces] == [
            ("Default", True),
            ("Team B", False),
        ]
        envs = requests.get(f"{url}/api/environments/all", headers=headers, timeout=10).json()
        assert [e["Name"] for e in envs] == ["QA"]  # --environment goes to the default space
    finally:
        _stop(process)


def test_cli_start_up_does_not_import_requests() -> None:
    code = (
        "import sys; from octoci.cli import run; run(['emulator', '--help']); "
        "import octoci_emulator; print('requests' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_a_data_dir_that_cannot_be_made_is_exit_2_naming_it(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    result = run_octoci(
        "emulator",
        "--data-dir",
        str(tmp_path / "afile" / "state"),
        env={"OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert result.exit_code == 2
    assert f"--data-dir {tmp_path / 'afile' / 'state'}:" in result.stderr
    assert "cannot start the emulator on" not in result.stderr
