"""Container images in ``[[packages]]`` (``image``, ``tag``): the job built and pushed the image
itself; ``octoci publish`` pushes its build information and the release selects its tag on the
project's Docker step, whose feed the emulator reads from a real registry (Debian's
``docker-registry``, :mod:`octoci.testing.registry`) over the registry's HTTP API, as Octopus
does."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from octoci.testing import CliResult
from octoci.testing.registry import DockerRegistry
from octoci_emulator import Emulator

from .conftest import CONFIG

Publish = Callable[..., CliResult]
IMAGE = "acme/shop-web"
VERSION = "1.3.1-ci.2"  # the sample repository's version from git


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerRegistry]:
    with DockerRegistry(tmp_path_factory.mktemp("registry")) as server:
        yield server


@pytest.fixture
def octopus_emulator_seed(registry: DockerRegistry) -> Mapping[str, Any]:
    """Shop deploys Acme.Web from the built-in feed and the image from a Docker feed that reads
    the registry."""
    return {
        "tasks": {"queued_seconds": 0.0, "executing_seconds": 0.05},
        "environments": ["Dev"],
        "feeds": [{"name": "Registry", "type": "Docker", "uri": registry.url}],
        "projects": [{"name": "Shop", "packages": ["Acme.Web", {"id": IMAGE, "feed": "Registry"}]}],
    }


def _configure(repo: Path, image_entry: str) -> None:
    """The sample's settings with Acme.Api replaced by ``image_entry`` (a ``[[packages]]``)."""
    web_only = CONFIG.split('[[packages]]\nid = "Acme.Api"')[0]
    (repo / "octoci.toml").write_text(web_only + image_entry, encoding="utf-8")


def _selected(emulator: Emulator, version: str = VERSION) -> dict[str, str]:
    (release,) = [r for r in emulator.documents("release") if r["Version"] == version]
    return {p["ActionName"]: p["Version"] for p in release["SelectedPackages"]}


def test_publish_selects_the_image_tag_and_pushes_its_build_information(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path, registry: DockerRegistry
) -> None:
    registry.push_image(IMAGE, VERSION)  # what `docker push` did earlier in the job
    registry.push_image(IMAGE, "9.9.9")  # newer: Octopus's own choice, were no tag selected
    _configure(sample_repo, f'[[packages]]\nimage = "{IMAGE}"\n')
    result = publish("--no-commits")
    assert result.exit_code == 0, result.stderr
    # The image is neither packed nor pushed by octoci; the package is.
    assert {p["PackageId"] for p in octopus_emulator.packages()} == {"Acme.Web"}
    assert _selected(octopus_emulator) == {"Acme.Web": VERSION, IMAGE: VERSION}
    infos = {i["PackageId"]: i["Version"] for i in octopus_emulator.documents("buildinfo")}
    assert infos == {"Acme.Web": VERSION, IMAGE: VERSION}
    assert f"build information for {IMAGE} {VERSION}: pushed" in result.stdout
    assert "warning" not in result.stdout + result.stderr
    assert not any(line.startswith(f"packed {IMAGE}") for line in result.stdout.splitlines())


def test_an_image_tag_of_its_own_and_an_image_only_run(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path, registry: DockerRegistry
) -> None:
    registry.push_image(IMAGE, "2.0.0")
    registry.push_image("acme/other", "9.0.0")
    _configure(sample_repo, f'[[packages]]\nimage = "{IMAGE}"\ntag = "2.0.0"\n')
    # --only the image: nothing is packed, the release takes Acme.Web from the built-in feed.
    seeded = publish("--no-commits", "--only", "Acme.Web")
    assert seeded.exit_code == 0, seeded.stderr
    result = publish("--no-commits", "--only", IMAGE, "--release-version", "2.0.0")
    assert result.exit_code == 0, result.stderr
    assert "=== [1/" in result.stdout
    assert "Packing" not in result.stdout
    assert _selected(octopus_emulator, "2.0.0") == {"Acme.Web": VERSION, IMAGE: "2.0.0"}


def test_a_tag_the_registry_does_not_hold_creates_no_release(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path
) -> None:
    _configure(sample_repo, f'[[packages]]\nimage = "{IMAGE}"\ntag = "7.7.7"\n')
    result = publish("--no-commits")
    assert result.exit_code != 0
    assert "7.7.7" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    # Found by the pre-flight (Octopus asked the registry): nothing pushed, nothing created.
    assert octopus_emulator.packages() == []
    assert octopus_emulator.documents("buildinfo") == []
    assert octopus_emulator.documents("release") == []


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('image = "ghcr.io/acme/shop-web:1.2"', "without the registry host or a tag"),
        ('image = "Acme/Web"', "lower-case"),
        ('image = "acme/web"\nbase_path = "web/dist"', "image and tag only, not base_path"),
        ('image = "acme/web"\ntag = "latest"', "not one"),
        ('tag = "1.2.3"', "tag needs image"),
        ('image = "acme/shop-web"\n[[packages]]\nimage = "acme/shop-web"', "published twice"),
    ],
)
def test_a_bad_image_entry_is_one_line_exit_2_and_creates_nothing(
    publish: Publish, octopus_emulator: Emulator, sample_repo: Path, entry: str, message: str
) -> None:
    _configure(sample_repo, f"[[packages]]\n{entry}\n")
    result = publish("--no-commits")
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert octopus_emulator.packages() == []
    assert octopus_emulator.documents("release") == []
