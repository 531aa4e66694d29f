"""The ``http`` kind against a real nginx (WebDAV PUT): bytes stored and verified, checksum
headers, deploy by checksum, the overwrite modes, and each bad input as one line."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import requests
from tests.repositories.conftest import PASSWORD, USER, PushFile, make_repository

from octoci.errors import InputError, OctociError
from octoci.repositories.http import KIND, HttpRepository
from octoci.testing.nginx import NginxServer

ZIP = "Acme.Web.1.2.3.zip"
CONTENT = b"PK\x05\x06" + b"\0" * 18 + b"package one"


def repository(nginx: NginxServer, location: str = "generic", **values: object) -> HttpRepository:
    config = {"url": nginx.url(location), "username": USER, "password": PASSWORD, **values}
    made = make_repository(KIND, "files", config)
    assert isinstance(made, HttpRepository)
    return made


def stored(nginx: NginxServer, location: str, path: str) -> bytes:
    return requests.get(f"{nginx.url(location)}/{path}", auth=(USER, PASSWORD), timeout=10).content


def test_a_push_stores_the_bytes_with_checksum_headers_and_verifies_them(
    nginx: NginxServer, push_file: PushFile
) -> None:
    result = push_file(repository(nginx), ZIP, CONTENT)
    sha1 = hashlib.sha1(CONTENT).hexdigest()
    assert result.outcome == "created"
    assert result.location == f"{nginx.url('generic')}/Acme.Web/1.2.3/Acme.Web.1.2.3.zip"
    assert (result.sha1, result.size, result.bytes_sent) == (sha1, len(CONTENT), len(CONTENT))
    assert stored(nginx, "generic", "Acme.Web/1.2.3/Acme.Web.1.2.3.zip") == CONTENT
    sha256 = hashlib.sha256(CONTENT).hexdigest()
    assert (
        f"PUT /generic/Acme.Web/1.2.3/Acme.Web.1.2.3.zip 201 sha1={sha1} sha256={sha256} deploy=-"
        in (nginx.requests_logged())
    )
    assert USER not in result.location
    assert PASSWORD not in result.location


def test_versions_and_find_read_what_is_stored(nginx: NginxServer, push_file: PushFile) -> None:
    files = repository(nginx)
    for version in ("1.2.3", "1.10.0", "1.2.3-beta.1"):
        push_file(files, f"Acme.Web.{version}.zip", CONTENT + version.encode())
    push_file(files, "Acme.Other.2.0.0.tar.gz", CONTENT)
    assert list(files.versions("Acme.Web")) == ["1.2.3-beta.1", "1.2.3", "1.10.0"]
    assert list(files.versions("Nothing.Here")) == []
    found = files.find("Acme.Other", "2.0.0")
    assert found is not None
    assert found.location.endswith("Acme.Other.2.0.0.tar.gz")
    assert found.sha1 == hashlib.sha1(CONTENT).hexdigest()
    assert files.find("Acme.Other", "9.9.9") is None


def test_an_artifactory_layout_is_followed(nginx: NginxServer, push_file: PushFile) -> None:
    files = repository(nginx, layout="releases/{id}/{id}-{version}{extension}")
    result = push_file(files, ZIP, CONTENT)
    assert result.location.endswith("/generic/releases/Acme.Web/Acme.Web-1.2.3.zip")
    assert list(files.versions("Acme.Web")) == ["1.2.3"]


def test_the_overwrite_modes_compare_content(nginx: NginxServer, push_file: PushFile) -> None:
    files = repository(nginx)
    path = "Acme.Web/1.2.3/Acme.Web.1.2.3.zip"
    push_file(files, ZIP, CONTENT)
    assert push_file(files, ZIP, CONTENT).outcome == "identical"
    with pytest.raises(OctociError) as failed:
        push_file(files, ZIP, b"other bytes")
    assert "already in http repository 'files'" in str(failed.value)
    assert "--overwrite-mode OverwriteExisting" in str(failed.value)
    assert "\n" not in str(failed.value)
    assert stored(nginx, "generic", path) == CONTENT
    assert push_file(files, ZIP, b"other bytes", mode="IgnoreIfExists").outcome == "ignored"
    assert stored(nginx, "generic", path) == CONTENT
    replaced = push_file(files, ZIP, b"other bytes", mode="OverwriteExisting")
    assert replaced.outcome == "created"
    assert stored(nginx, "generic", path) == b"other bytes"


def test_refused_credentials_are_one_line_without_the_password(
    nginx: NginxServer, push_file: PushFile
) -> None:
    files = make_repository(
        KIND, "files", {"url": nginx.url("generic"), "username": USER, "password": "wrong-Pass"}
    )
    with pytest.raises(OctociError) as failed:
        push_file(files, ZIP, CONTENT)
    message = str(failed.value)
    assert "refused the credentials (HTTP 401)" in message
    assert "OCTOCI_REPOSITORY_FILES_PASSWORD" in message
    assert "wrong-Pass" not in message
    assert "\n" not in message
    with pytest.raises(OctociError, match=r"refused it \(HTTP 403\)"):
        push_file(repository(nginx, "readonly"), ZIP, CONTENT)


def test_a_server_that_stores_other_bytes_fails_the_push(
    nginx: NginxServer, push_file: PushFile
) -> None:
    with pytest.raises(OctociError) as failed:
        push_file(repository(nginx, "corrupt"), "Acme.Bad.1.0.0.zip", CONTENT)
    message = str(failed.value)
    assert "stored something else" in message
    assert "the bad copy was removed" in message
    assert hashlib.sha1(CONTENT).hexdigest() in message
    assert not (nginx.root / "corrupt" / "Acme.Bad" / "1.0.0" / "Acme.Bad.1.0.0.zip").exists()


def test_deploy_by_checksum_sends_the_file_when_the_content_is_unknown(
    nginx: NginxServer, push_file: PushFile
) -> None:
    result = push_file(repository(nginx, "checksum-deploy", checksum_deploy=True), ZIP, CONTENT)
    sha1 = hashlib.sha1(CONTENT).hexdigest()
    puts = [line for line in nginx.requests_logged() if line.startswith("PUT ")]
    assert [line.split()[2] for line in puts] == ["404", "201"]
    assert puts[0].endswith("deploy=true")
    assert f"sha1={sha1}" in puts[0]
    assert result.bytes_sent == len(CONTENT)
    assert result.warnings == ()
    assert stored(nginx, "checksum-deploy", "Acme.Web/1.2.3/Acme.Web.1.2.3.zip") == CONTENT


def test_deploy_by_checksum_on_a_server_without_it_still_stores_the_file(
    nginx: NginxServer, push_file: PushFile
) -> None:
    # Plain WebDAV ignores X-Checksum-Deploy and stores the empty body: caught by the read-back.
    result = push_file(repository(nginx, checksum_deploy=True), ZIP, CONTENT)
    assert result.outcome == "created"
    assert result.bytes_sent == len(CONTENT)
    assert "does not deploy by checksum" in result.warnings[0]
    assert stored(nginx, "generic", "Acme.Web/1.2.3/Acme.Web.1.2.3.zip") == CONTENT


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "has no url"),
        ({"url": "ftp://host/x"}, "http:// or https://"),
        ({"url": "https://ci:pw@host/x"}, "holds a user name or password"),
        ({"url": "https://host/x", "layout": "{id}/{name}"}, "layout names {name}"),
        ({"url": "https://host/x", "layout": "{id}.zip"}, "must hold {id} and {version}"),
        ({"url": "https://host/x", "layout": "../{id}/{version}"}, "relative file path"),
        ({"url": "https://host/x", "checksum_deploy": "yes"}, "true or false"),
    ],
)
def test_bad_configuration_is_one_line(values: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message) as failed:
        make_repository(KIND, "files", values)
    assert "\n" not in str(failed.value)
    assert ":pw@" not in str(failed.value)


def test_feed_problem_matches_an_artifactory_generic_feed(tmp_path: Path) -> None:
    files = make_repository(
        KIND, "files", {"url": "https://Acme.JFrog.io/artifactory/generic-local/"}
    )
    feed = {"Name": "Artifactory", "FeedType": "ArtifactoryGeneric", "Repository": "generic-local"}
    assert files.feed_problem({**feed, "FeedUri": "https://acme.jfrog.io"}) is None
    assert files.feed_problem({**feed, "FeedUri": "https://acme.jfrog.io/artifactory/"}) is None
    other = files.feed_problem({**feed, "FeedUri": "https://other.jfrog.io"})
    assert other is not None
    assert "but the package went to https://acme.jfrog.io" in other
    maven = files.feed_problem({"Name": "M", "FeedType": "Maven", "FeedUri": "https://x"})
    assert maven is not None
    assert "Artifactory Generic feed" in maven
