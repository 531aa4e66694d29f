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
#: Native forms with a Linux and a Windows variant (Jenkins, TeamCity, Bamboo, AppVeyor, Continua
#: CI) -> the extra: every pin in the file is this one, and the ``--version`` check expects it.
VARIANT_FORM_FILES = {
    "vars/octociPublish.groovy": "jenkins",
    "forms/teamcity/octoci-publish.xml": "teamcity",
    "forms/bamboo/octoci-publish.yml": "bamboo",
    "forms/appveyor/octoci-publish.yml": "appveyor",
    "forms/continua-ci/octoci-publish.sh": "continua",
    "forms/continua-ci/octoci-publish.ps1": "continua",
    "forms/continua-ci/octoci-publish.cmd": "continua",
}
_PIN = re.compile(r"octoci\[(?P<extra>[\w-]+)\]==(?P<version>[\w.+-]+)")


@pytest.mark.parametrize("name", sorted(FORM_FILES))
def test_the_form_pins_this_octoci_version(name: str) -> None:
    pins = _PIN.findall((ROOT / name).read_text(encoding="utf-8"))
    assert pins == [(FORM_FILES[name], octoci.__version__)], name


@pytest.mark.parametrize("name", sorted(VARIANT_FORM_FILES))
def test_every_variant_of_the_form_pins_this_octoci_version(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    pins = _PIN.findall(text)
    assert pins, name
    assert set(pins) == {(VARIANT_FORM_FILES[name], octoci.__version__)}, name
    shown = set(re.findall(r"octoci (\d[\w.+-]*)", text))
    assert shown == {octoci.__version__}, name


def test_the_pipe_image_is_tagged_with_this_version() -> None:
    pipe = (FORMS / "bitbucket" / "pipe.yml").read_text(encoding="utf-8")
    assert f"image: octoci/octoci-pipe:{octoci.__version__}\n" in pipe


def test_every_form_file_is_listed() -> None:
    found = {p.relative_to(ROOT).as_posix() for p in FORMS.rglob("*.yml")}
    found |= {"action.yml", "templates/publish.yml", "forms/bitbucket/Dockerfile"}
    found -= set(VARIANT_FORM_FILES)
    assert found - {"forms/bitbucket/pipe.yml"} == set(FORM_FILES)
