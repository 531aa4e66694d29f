"""Every native form pins the octoci it installs to the version of this checkout (one release
of octoci ships one set of forms), and names the right extra."""

from __future__ import annotations

import re

import pytest

import octoci

from .conftest import FORMS, ROOT

#: Native form -> the extra of its build server.
FORM_FILES = {
    "action.yml": "github",
    "templates/publish.yml": "gitlab",
    "forms/circleci/orb.yml": "circleci",
    "forms/bitbucket/Dockerfile": "bitbucket",
    "forms/azure-devops/publish.yml": "azure-devops",
}
_PIN = re.compile(r"octoci\[(?P<extra>[\w-]+)\]==(?P<version>[\w.+-]+)")


@pytest.mark.parametrize("name", sorted(FORM_FILES))
def test_the_form_pins_this_octoci_version(name: str) -> None:
    pins = _PIN.findall((ROOT / name).read_text(encoding="utf-8"))
    assert pins == [(FORM_FILES[name], octoci.__version__)], name


def test_the_pipe_image_is_tagged_with_this_version() -> None:
    pipe = (FORMS / "bitbucket" / "pipe.yml").read_text(encoding="utf-8")
    assert f"image: octoci/octoci-pipe:{octoci.__version__}\n" in pipe


def test_every_form_file_is_listed() -> None:
    found = {p.relative_to(ROOT).as_posix() for p in FORMS.rglob("*.yml")}
    found |= {"action.yml", "templates/publish.yml", "forms/bitbucket/Dockerfile"}
    assert found - {"forms/bitbucket/pipe.yml"} == set(FORM_FILES)
