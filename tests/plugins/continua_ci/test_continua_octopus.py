"""Continua CI into Octopus: ``octoci build-info`` in a recorded Continua build sends the build's
changesets with their messages from git, and sets its outputs with ``setBuildVariable``. Octopus
is the local emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from octoci.testing import CliResult, parse_ci_output
from octoci_emulator import Emulator

API_KEY = "API-CONTINUATEST0001"
CiEnv = Callable[..., dict[str, str]]


@pytest.fixture
def octopus(octopus_emulator_factory: Callable[..., Emulator]) -> Emulator:
    seed: dict[str, Any] = {"api_keys": [API_KEY]}
    return octopus_emulator_factory(seed)


def test_build_info_reaches_octopus_with_the_changesets(
    octopus: Emulator,
    ci_env: CiEnv,
    run_cli: Callable[..., CliResult],
    git_repo: Callable[..., Path],
    run_git: Callable[..., str],
) -> None:
    repo = git_repo(["Add the basket", "Fix the total (#12)", "Bump to 1.4"])
    ids = run_git(repo, "rev-list", "--reverse", "HEAD").split()
    env = ci_env(
        "continua_ci",
        "push",
        **{
            "ContinuaCI.Build.ChangesetRevisions": ",".join(ids[1:]),
            "ContinuaCI.Build.LatestChangeset.Revision": ids[2],
        },
        OCTOPUS_URL=octopus.url,
        OCTOPUS_API_KEY=API_KEY,
        OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1",
    )
    result = run_cli(
        "build-info", "--package-id", "Acme.Web", "--version", "1.2.3", "--json", env=env, cwd=repo
    )
    assert result.exit_code == 0, result.stderr
    stored = requests.get(
        f"{octopus.url}/api/Spaces-1/build-information",
        params={"packageId": "Acme.Web"},
        headers={"X-Octopus-ApiKey": API_KEY},
        timeout=10,
    ).json()
    (record,) = stored["Items"]
    assert record["BuildEnvironment"] == "Continua CI"
    assert (
        record["BuildUrl"] == "https://continua.acme.test/Shop/Build_and_Package/builds/view/3321"
    )
    assert [(c["Id"], c["Comment"]) for c in record["Commits"]] == [
        (ids[2], "Bump to 1.4"),
        (ids[1], "Fix the total (#12)"),
    ]
    assert record["Commits"][0]["LinkUrl"] == f"https://github.com/acme/shop/commit/{ids[2]}"
    # With --json, stdout holds only the JSON: the core moves the build messages to stderr.
    json.JSONDecoder().raw_decode(result.stdout)
    variables = {
        m.properties["name"]: m.properties["value"]
        for m in parse_ci_output(result.stderr)
        if m.name == "setBuildVariable"
    }
    assert variables["build_information_version"] == "1.2.3"
    assert result.leaks(API_KEY) == []
