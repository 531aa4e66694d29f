"""``octoci.toml`` found from a subfolder, upwards to the repository root, through ``octoci
publish`` against the emulator; paths in the file stay relative to the file's folder."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from octoci.testing import run_octoci
from octoci_emulator import Emulator

CONFIG = """\
project = "Shop"
package_id = "Acme.Web"
base_path = "web/dist"
version = "2.0.0"
"""


def env_for(emulator: Emulator) -> dict[str, str]:
    return {
        "OCTOPUS_URL": emulator.url,
        "OCTOPUS_API_KEY": emulator.api_key,
        "OCTOCI_DISABLE_PLUGIN_AUTOLOAD": "1",
    }


def test_the_file_at_the_repository_root_is_found_from_a_subfolder(
    octopus_emulator: Emulator, git_repo: Callable[..., Path]
) -> None:
    repo = git_repo()
    (repo / "web" / "dist").mkdir(parents=True)
    (repo / "web" / "dist" / "index.html").write_text("<h1>Shop</h1>\n", encoding="utf-8")
    (repo / "octoci.toml").write_text(CONFIG, encoding="utf-8")
    subfolder = repo / "web" / "src"
    subfolder.mkdir()
    result = run_octoci("publish", env=env_for(octopus_emulator), cwd=subfolder)
    assert result.exit_code == 0, result.stderr
    assert {(p["PackageId"], p["Version"]) for p in octopus_emulator.packages()} == {
        ("Acme.Web", "2.0.0")
    }
    # base_path is relative to the file's folder, not to where octoci ran (the output folder,
    # a default, to the working folder).
    with zipfile.ZipFile(subfolder / ".octoci" / "packages" / "Acme.Web.2.0.0.zip") as archive:
        assert archive.namelist() == ["index.html"]
    assert [r["Version"] for r in octopus_emulator.documents("release")] == ["2.0.0"]


def test_the_search_stops_at_the_repository_root_and_says_where_it_looked(
    octopus_emulator: Emulator, git_repo: Callable[..., Path]
) -> None:
    repo = git_repo()
    # A file above the repository belongs to no build of it.
    (repo.parent / "octoci.toml").write_text(CONFIG, encoding="utf-8")
    subfolder = repo / "app"
    subfolder.mkdir()
    result = run_octoci("publish", env=env_for(octopus_emulator), cwd=subfolder)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("octoci: error: nothing to publish: ")
    assert line.endswith(
        f"; no octoci.toml (or pyproject.toml with [tool.octoci]) in {subfolder} up to {repo}"
    )
    assert octopus_emulator.packages() == []


def test_the_nearest_file_wins(octopus_emulator: Emulator, git_repo: Callable[..., Path]) -> None:
    repo = git_repo()
    (repo / "octoci.toml").write_text(CONFIG, encoding="utf-8")
    app = repo / "app"
    (app / "web" / "dist").mkdir(parents=True)
    (app / "web" / "dist" / "index.html").write_text("app\n", encoding="utf-8")
    (app / "pyproject.toml").write_text(
        "[tool.octoci]\n" + CONFIG.replace("2.0.0", "3.0.0"), encoding="utf-8"
    )
    result = run_octoci("publish", env=env_for(octopus_emulator), cwd=app / "web")
    assert result.exit_code == 0, result.stderr
    assert [p["Version"] for p in octopus_emulator.packages()] == ["3.0.0"]
