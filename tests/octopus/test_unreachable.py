"""An unreachable server fails fast; a server that answers 503 still gets the retry budget.

Both through the ``octoci`` command, with the budget users get by default (120 s) for the
unreachable cases: the elapsed-time bound is generous, a behaviour, not a benchmark.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from octoci.local_octopus import LocalOctopus
from octoci.octopus import connection as connection_module
from octoci.octopus.connection import Connection
from octoci.octopus.errors import OctopusConnectionError
from octoci.octopus.settings import OctopusSettings
from octoci.testing import CliResult
from octoci_emulator import Emulator


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _error_line(result: CliResult) -> str:
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("octoci: error:")]
    return line


@pytest.mark.slow
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"http://127.0.0.1:{_closed_port()}", "connection refused: nothing is listening"),
        # .invalid never resolves (RFC 6761): a mistyped host name.
        ("http://octopus.invalid", "the host name is not known"),
    ],
    ids=["refused", "unknown-host"],
)
def test_an_unreachable_server_fails_within_15_seconds(
    octoci: Callable[..., CliResult], url: str, reason: str
) -> None:
    started = time.monotonic()
    result = octoci(
        "task", "wait", "ServerTasks-1", env={"OCTOPUS_URL": url, "OCTOCI_RETRY_BUDGET": "120"}
    )
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert elapsed < 15, f"took {elapsed:.1f} s"
    line = _error_line(result)
    assert f"cannot reach Octopus at {url}" in line
    assert reason in line
    assert "Traceback" not in result.stderr


def test_a_server_answering_503_gets_the_whole_retry_budget(
    octoci: Callable[..., CliResult], octopus_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Backoff waits are 0.5-1 s, then 1-2 s, then 2-4 s: within a 3.5 s budget that is
    always three attempts (never four). The unreachable cap, made tiny here, must not shorten
    it: the server answers."""
    monkeypatch.setattr(connection_module, "UNREACHABLE_BUDGET", 0.1)
    octopus_emulator.add_fault(action="status", status=503, path="")
    result = octoci("task", "wait", "ServerTasks-1", env={"OCTOCI_RETRY_BUDGET": "3.5"})
    assert result.exit_code == 1
    line = _error_line(result)
    assert "HTTP 503" in line
    assert "gave up after 3 attempts" in line
    assert result.stderr.count("retrying in") == 2


def test_a_server_that_answered_once_and_then_refuses_is_a_restart(
    octopus_emulator_factory: Callable[..., LocalOctopus], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused before the first answer: the short cap; after it (a server restarting): the
    whole budget. The cap is made small so that the difference shows in a second."""
    monkeypatch.setattr(connection_module, "UNREACHABLE_BUDGET", 0.2)
    emulator = octopus_emulator_factory()
    settings = OctopusSettings(
        url=emulator.url,
        api_key=emulator.api_key,
        retry_budget=1.2,
        backoff_base=0.02,
        backoff_max=0.05,
    )
    answered = Connection(settings)
    answered.root()
    emulator.stop()
    never_answered = Connection(settings)
    for connection, low, high in ((never_answered, 0.0, 0.6), (answered, 1.0, 5.0)):
        started = time.monotonic()
        with pytest.raises(OctopusConnectionError, match="connection refused"):
            connection.get_json("/api/spaces/all", what="listing spaces")
        elapsed = time.monotonic() - started
        assert low <= elapsed < high, elapsed
        connection.close()
