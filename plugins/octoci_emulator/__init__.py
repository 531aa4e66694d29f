"""A local Octopus-compatible server, ``octoci emulator``: the REST endpoints CI integrations use
(discovery, spaces, auth and OIDC token exchange, the built-in feed, build information, releases,
deployments, runbook runs, tasks), stateful (SQLite plus files), with fault injection.

Importing this package imports only the standard library and octoci's core (no ``requests``).

Example::

    from octoci_emulator import Emulator, parse_seed

    with Emulator(seed=parse_seed({"projects": [{"name": "Web", "packages": ["Web"]}]})) as octo:
        print(octo.url, octo.api_key)
"""

from __future__ import annotations

from octoci_emulator.config import (
    DEFAULT_API_KEY,
    ApiKey,
    EmulatorConfig,
    FaultRule,
    IssueTrackers,
    OidcIssuer,
    TaskOutcome,
    TaskTiming,
)
from octoci_emulator.runner import Emulator
from octoci_emulator.seed import Seed, load_seed, parse_seed
from octoci_emulator.tokens import mint_id_token

__all__ = [
    "DEFAULT_API_KEY",
    "ApiKey",
    "Emulator",
    "EmulatorConfig",
    "FaultRule",
    "IssueTrackers",
    "OidcIssuer",
    "Seed",
    "TaskOutcome",
    "TaskTiming",
    "load_seed",
    "mint_id_token",
    "parse_seed",
]
