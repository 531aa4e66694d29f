"""A local Octopus-compatible server, ``octoci emulator``: the REST endpoints CI integrations use
(discovery, spaces, auth and OIDC token exchange, the built-in feed, build information, releases,
deployments, runbook runs, tasks), stateful (SQLite plus files), with fault injection.

Importing this package imports nothing more: each name loads its module on first use (and the
server imports only the standard library and octoci's core, no ``requests``).

Example::

    from octoci_emulator import Emulator, parse_seed

    with Emulator(seed=parse_seed({"projects": [{"name": "Web", "packages": ["Web"]}]})) as octo:
        print(octo.url, octo.api_key)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from octoci.lazy import lazy_exports

if TYPE_CHECKING:
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

# Names load on first use: octoci loads the plugin module (octoci_emulator.plugin) on every run,
# `octoci --help` included, and must not pay for the server, SQLite and http.server then.
_LAZY = {
    **dict.fromkeys(
        (
            "DEFAULT_API_KEY",
            "ApiKey",
            "EmulatorConfig",
            "FaultRule",
            "IssueTrackers",
            "OidcIssuer",
            "TaskOutcome",
            "TaskTiming",
        ),
        "octoci_emulator.config",
    ),
    "Emulator": "octoci_emulator.runner",
    "Seed": "octoci_emulator.seed",
    "load_seed": "octoci_emulator.seed",
    "parse_seed": "octoci_emulator.seed",
    "mint_id_token": "octoci_emulator.tokens",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


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
