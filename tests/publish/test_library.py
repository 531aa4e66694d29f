"""The pipeline as a library (what the command runs): plan, check the server, execute; and the
terminal status line while waiting."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from octoci.config import resolve_config
from octoci.model import CaptureOptions
from octoci.octopus.connection import Connection
from octoci.octopus.preflight import check_server
from octoci.octopus.settings import OctopusSettings
from octoci.plugins import create_plugin_manager
from octoci.publish.pipeline import execute, plan_publish
from octoci.steps.reporter import Reporter
from octoci_emulator import Emulator

from .conftest import SEED


def test_the_pipeline_runs_as_a_library_with_a_live_status_line(
    octopus_emulator_factory: Callable[..., Emulator], sample_repo: Path
) -> None:
    # Deployments that take a few polls, so that the status line is drawn.
    octopus_emulator = octopus_emulator_factory(
        {**SEED, "tasks": {"queued_seconds": 0.1, "executing_seconds": 0.2}}
    )
    pm = create_plugin_manager(load_entrypoints=False)
    log = io.StringIO()
    server = pm.select_server({}, log, cwd=sample_repo)
    config = resolve_config(flags={"poll_interval": 0.02}, env={}, cwd=sample_repo)
    plan = plan_publish(config, pm, server, CaptureOptions(fetch_commits=False))
    assert plan.package_ids == ["Acme.Web", "Acme.Api"]
    assert plan.phase_titles == ["pack-push", "build-info", "release", "deploy"]
    connection = Connection(
        OctopusSettings(url=octopus_emulator.url, api_key=octopus_emulator.api_key)
    )
    lines: list[str] = []
    terminal = io.StringIO()
    try:
        check = check_server(connection, plan.needs())
        assert check.project is not None
        assert check.project["Name"] == "Shop"
        reporter = Reporter(server, lines.append, live=terminal)
        report, failure = execute(plan, connection, reporter, poll_interval=0.02)
    finally:
        connection.close()
    assert failure is None
    assert [d.state for d in report.deployments] == ["Success"]
    # Redrawn in place between polls, and wiped before each result line and at the end.
    assert "\rwaiting 0 s: Dev " in terminal.getvalue()
    assert terminal.getvalue().endswith("\r\x1b[K")
    assert any(line.endswith("(Dev): Success") for line in lines)
    # The phases went to the build server's log as groups (headings on the local server).
    assert "=== [4/4] Deploying Shop" in log.getvalue()


def test_without_a_terminal_there_is_no_status_line(
    octopus_emulator: Emulator, sample_repo: Path
) -> None:
    reporter = Reporter(create_plugin_manager(load_entrypoints=False).select_server(
        {}, io.StringIO()), print)  # fmt: skip
    reporter.status("waiting 3 s")
    reporter.clear()  # nothing to clear, nowhere to write: no error
    assert reporter.live is None
