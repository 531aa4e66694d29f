from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from octoci.package_names import (
    PackageName,
    canonical_version,
    parse_package_filename,
    split_extension,
    validate_package_id,
    validate_version,
    version_key,
)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("MyApp.Web.1.2.3.zip", ("MyApp.Web", "1.2.3", ".zip")),
        ("Acme.Api.2.0.0-beta.1.tar.gz", ("Acme.Api", "2.0.0-beta.1", ".tar.gz")),
        ("Acme.1.2.3.4.nupkg", ("Acme", "1.2.3.4", ".nupkg")),
        ("acme-web_site.1.0.0+build.5.tar.bz2", ("acme-web_site", "1.0.0+build.5", ".tar.bz2")),
        ("Acme.Web.2016.01.02.TGZ", ("Acme.Web", "2016.01.02", ".TGZ")),
        ("Acme2.1.0.jar", ("Acme2", "1.0", ".jar")),
    ],
)
def test_parse(filename: str, expected: tuple[str, str, str]) -> None:
    assert parse_package_filename(filename) == PackageName(*expected)


@pytest.mark.parametrize(
    "filename", ["notes.txt", "Acme.zip", "Acme.v1.zip", ".1.0.0.zip", "Acme.1.0.0.tar.xz", "zip"]
)
def test_not_packages(filename: str) -> None:
    assert parse_package_filename(filename) is None


def test_split_extension_prefers_double_extensions() -> None:
    assert split_extension("a.1.tar.gz") == ("a.1", ".tar.gz")
    assert split_extension("a.1.gz") is None


@pytest.mark.parametrize("good", ["Acme", "Acme.Web", "acme-web_2", "A1.B2"])
def test_valid_ids(good: str) -> None:
    assert validate_package_id(good) is None


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("", "empty"),
        ("Acme Web", "segments"),
        ("Acme..Web", "segments"),
        ("Acme.2", "digit"),
        ("Acme.Web.10", "digit"),
        ("x" * 101, "longer"),
        ("Acmé", "segments"),
    ],
)
def test_invalid_ids(bad: str, reason: str) -> None:
    message = validate_package_id(bad)
    assert message is not None
    assert reason in message


@pytest.mark.parametrize("good", ["1", "1.2", "1.2.3", "1.2.3.4", "1.0.0-rc.1", "1.0.0+abc.5"])
def test_valid_versions(good: str) -> None:
    assert validate_version(good) is None


@pytest.mark.parametrize("bad", ["", "v1.0.0", "1.2.3.4.5", "1.0.0-", "1..2", "latest"])
def test_invalid_versions(bad: str) -> None:
    assert validate_version(bad) is not None


def test_canonical_version_equality_rules() -> None:
    assert canonical_version("1.0.0.0") == canonical_version("1.0.0") == canonical_version("1")
    assert canonical_version("2016.01.02") == "2016.1.2"
    assert canonical_version("1.0.0.1") == "1.0.0.1"
    assert canonical_version("1.0.0-Beta+x") == "1.0.0-Beta"


def test_version_order() -> None:
    versions = [
        "1.0.0",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta.11",
        "1.0.0-beta.2",
        "1.0.0-rc.1",
        "0.9",
        "1.0.0.1",
    ]
    assert sorted(versions, key=version_key) == [
        "0.9",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.0.1",
    ]


ids = st.from_regex(
    r"[A-Za-z][A-Za-z0-9]{0,6}([._\-][A-Za-z][A-Za-z0-9]{0,6}){0,3}", fullmatch=True
)
versions = st.from_regex(
    r"[0-9]{1,4}(\.[0-9]{1,4}){0,3}(-[a-z0-9]{1,5}(\.[a-z0-9]{1,5}){0,2})?", fullmatch=True
)


@given(ids, versions, st.sampled_from([".zip", ".nupkg", ".tar.gz", ".tgz", ".tar"]))
def test_filename_round_trip(package_id: str, version: str, ext: str) -> None:
    assert validate_package_id(package_id) is None
    parsed = parse_package_filename(f"{package_id}.{version}{ext}")
    assert parsed == PackageName(package_id, version, ext)
