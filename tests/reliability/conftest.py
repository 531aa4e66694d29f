"""Fixtures for the reliability suite: the emulator, a TCP fault proxy in front of it, the
``octoci`` command pointed at the proxy, and a tally of faults tried and held (printed at the end
of the run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from octoci.testing import CliResult, run_octoci
from octoci.testing import emulator as emulator_fixtures
from octoci_emulator import Emulator

from .faultproxy import FaultProxy

octopus_emulator = emulator_fixtures.octopus_emulator
octopus_emulator_factory = emulator_fixtures.octopus_emulator_factory
octopus_emulator_seed = emulator_fixtures.octopus_emulator_seed

#: ``fault -> [tried, held]`` over the session, for the summary line.
TALLY: dict[str, list[int]] = {}


def record(fault: str, held: bool) -> None:
    """Count one run of ``fault``; ``held``: it ended as the suite demands."""
    counts = TALLY.setdefault(fault, [0, 0])
    counts[0] += 1
    counts[1] += int(held)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per fault: how often it was tried and how often octoci held."""
    if not TALLY:
        return
    terminalreporter.section("fault proxy: tried / held")
    for fault, (tried, held) in sorted(TALLY.items()):
        terminalreporter.write_line(f"{fault}: tried {tried}, held {held}")


@pytest.fixture
def fault_proxy(octopus_emulator: Emulator) -> Iterator[FaultProxy]:
    """A :class:`FaultProxy` in front of ``octopus_emulator`` (no fault armed yet)."""
    with FaultProxy(octopus_emulator.url) as proxy:
        yield proxy


@pytest.fixture
def octoci_via_proxy(
    fault_proxy: FaultProxy, octopus_emulator: Emulator, tmp_path: Path
) -> Callable[..., CliResult]:
    """``octoci_via_proxy("push", "x.zip")``: the CLI in-process, talking to the emulator
    through the fault proxy, with a short retry budget and read timeout."""

    def run(*args: str, env: dict[str, str] | None = None) -> CliResult:
        merged = {
            "OCTOPUS_URL": fault_proxy.url,
            "OCTOPUS_API_KEY": octopus_emulator.api_key,
            "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
            "OCTOCI_RETRY_BUDGET": "15",
            **(env or {}),
        }
        return run_octoci(*args, env=merged, cwd=tmp_path)

    return run
