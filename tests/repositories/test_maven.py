"""The ``maven`` kind against a real nginx (WebDAV PUT), read back by a real ``mvn``: the layout,
POM, checksums and ``maven-metadata.xml`` (release and SNAPSHOT), the overwrite modes, and each
bad input as one line with nothing half-uploaded."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests
from tests.repositories.conftest import PASSWORD, USER, PushFile, make_repository
from tests.repositories.mvn import mvn_resolve

from octoci.errors import InputError, OctociError
from octoci.repositories.base import RepositoryConfig
from octoci.repositories.maven import KIND, MavenRepository
from octoci.testing.nginx import NginxServer

CONTENT = b"PK\x05\x06" + b"\0" * 18 + b"maven package"
#: 2024-01-02T03:04:05Z
EPOCH = "1704164645"


def repository(nginx: NginxServer, location: str = "maven", **values: object) -> MavenRepository:
    config = {
        "url": nginx.url(location),
        "username": USER,
        "password": PASSWORD,
        "group_id": "com.acme",
        **values,
    }
    made = MavenRepository.from_config(make_config(config), env={"SOURCE_DATE_EPOCH": EPOCH})
    return made


def make_config(values: dict[str, object]) -> RepositoryConfig:
    return RepositoryConfig("releases", "maven", values, source="octoci.toml")


def get(nginx: NginxServer, path: str, location: str = "maven") -> requests.Response:
    return requests.get(f"{nginx.url(location)}/{path}", auth=(USER, PASSWORD), timeout=10)


def metadata(nginx: NginxServer, path: str) -> ET.Element:
    return ET.fromstring(get(nginx, path).content)


def test_a_release_is_stored_in_the_maven_layout(nginx: NginxServer, push_file: PushFile) -> None:
    result = push_file(repository(nginx), "Acme.Web.1.2.3.zip", CONTENT)
    folder = "com/acme/Acme.Web/1.2.3"
    assert result.package_id == "com.acme:Acme.Web"
    assert result.outcome == "created"
    assert result.location == f"{nginx.url('maven')}/{folder}/Acme.Web-1.2.3.zip"
    assert get(nginx, f"{folder}/Acme.Web-1.2.3.zip").content == CONTENT
    for algorithm in ("sha1", "md5", "sha256", "sha512"):
        text = get(nginx, f"{folder}/Acme.Web-1.2.3.zip.{algorithm}").text
        assert text == hashlib.new(algorithm, CONTENT).hexdigest()
    pom = ET.fromstring(get(nginx, f"{folder}/Acme.Web-1.2.3.pom").content)
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    assert [
        pom.findtext(f"m:{t}", namespaces=ns)
        for t in ("groupId", "artifactId", "version", "packaging")
    ] == [
        "com.acme",
        "Acme.Web",
        "1.2.3",
        "zip",
    ]
    meta = metadata(nginx, "com/acme/Acme.Web/maven-metadata.xml")
    assert meta.findtext("versioning/release") == "1.2.3"
    assert meta.findtext("versioning/lastUpdated") == "20240102030405"
    meta_bytes = get(nginx, "com/acme/Acme.Web/maven-metadata.xml").content
    assert (
        get(nginx, "com/acme/Acme.Web/maven-metadata.xml.sha1").text
        == hashlib.sha1(meta_bytes).hexdigest()
    )


def test_metadata_is_merged_and_versions_reads_it(nginx: NginxServer, push_file: PushFile) -> None:
    maven = repository(nginx)
    push_file(maven, "Acme.Web.1.0.0.zip", CONTENT + b"1")
    push_file(maven, "Acme.Web.1.1.0.tar.gz", CONTENT + b"2")
    push_file(maven, "Acme.Web.1.2.0-SNAPSHOT.zip", CONTENT + b"3")
    assert list(maven.versions("com.acme:Acme.Web")) == ["1.0.0", "1.1.0", "1.2.0-SNAPSHOT"]
    assert list(maven.versions("Acme.Web")) == ["1.0.0", "1.1.0", "1.2.0-SNAPSHOT"]
    meta = metadata(nginx, "com/acme/Acme.Web/maven-metadata.xml")
    assert meta.findtext("versioning/latest") == "1.2.0-SNAPSHOT"
    assert meta.findtext("versioning/release") == "1.1.0"
    found = maven.find("com.acme:Acme.Web", "1.1.0")
    assert found is not None
    assert found.location.endswith("Acme.Web-1.1.0.tar.gz")
    assert maven.find("com.acme:Acme.Web", "9.0.0") is None


def test_a_snapshot_is_stored_as_timestamped_builds(
    nginx: NginxServer, push_file: PushFile
) -> None:
    maven = repository(nginx)
    first = push_file(maven, "Acme.Web.2.0.0-SNAPSHOT.zip", CONTENT)
    assert first.location.endswith("/2.0.0-SNAPSHOT/Acme.Web-2.0.0-20240102.030405-1.zip")
    assert push_file(maven, "Acme.Web.2.0.0-SNAPSHOT.zip", CONTENT).outcome == "identical"
    second = push_file(maven, "Acme.Web.2.0.0-SNAPSHOT.zip", CONTENT + b"changed")
    assert second.location.endswith("Acme.Web-2.0.0-20240102.030405-2.zip")
    meta = metadata(nginx, "com/acme/Acme.Web/2.0.0-SNAPSHOT/maven-metadata.xml")
    assert meta.findtext("versioning/snapshot/timestamp") == "20240102.030405"
    assert meta.findtext("versioning/snapshot/buildNumber") == "2"
    values = {e.findtext("extension"): e.findtext("value") for e in meta.iter("snapshotVersion")}
    assert values == {"zip": "2.0.0-20240102.030405-2", "pom": "2.0.0-20240102.030405-2"}
    found = maven.find("com.acme:Acme.Web", "2.0.0-SNAPSHOT")
    assert found is not None
    assert found.sha1 == hashlib.sha1(CONTENT + b"changed").hexdigest()


def test_the_overwrite_modes_compare_content(nginx: NginxServer, push_file: PushFile) -> None:
    maven = repository(nginx)
    path = "com/acme/Acme.Web/1.0.0/Acme.Web-1.0.0.zip"
    push_file(maven, "Acme.Web.1.0.0.zip", CONTENT)
    assert push_file(maven, "Acme.Web.1.0.0.zip", CONTENT).outcome == "identical"
    with pytest.raises(OctociError, match="already in maven repository 'releases'") as failed:
        push_file(maven, "Acme.Web.1.0.0.zip", b"different")
    assert "\n" not in str(failed.value)
    assert (
        push_file(maven, "Acme.Web.1.0.0.zip", b"different", mode="IgnoreIfExists").outcome
        == "ignored"
    )
    assert get(nginx, path).content == CONTENT
    assert (
        push_file(maven, "Acme.Web.1.0.0.zip", b"different", mode="OverwriteExisting").outcome
        == "created"
    )
    assert get(nginx, path).content == b"different"
    assert get(nginx, f"{path}.sha1").text == hashlib.sha1(b"different").hexdigest()


def test_refused_credentials_are_one_line_without_the_password(
    nginx: NginxServer, push_file: PushFile
) -> None:
    with pytest.raises(OctociError) as failed:
        push_file(repository(nginx, password="not-The-Password"), "Acme.Web.1.0.0.zip", CONTENT)
    message = str(failed.value)
    assert "refused the credentials (HTTP 401)" in message
    assert "not-The-Password" not in message
    with pytest.raises(OctociError, match=r"HTTP 403"):
        push_file(repository(nginx, "readonly"), "Acme.Web.1.0.0.zip", CONTENT)


def test_other_stored_bytes_fail_and_leave_no_metadata(
    nginx: NginxServer, push_file: PushFile
) -> None:
    with pytest.raises(OctociError) as failed:
        push_file(repository(nginx, "corrupt"), "Acme.Web.1.0.0.zip", CONTENT)
    message = str(failed.value)
    assert "stored something else" in message
    assert "files this push wrote were removed" in message
    left = [p for p in (nginx.root / "corrupt").rglob("*") if p.is_file()]
    assert left == []


def test_a_failed_metadata_write_removes_the_artifact(
    nginx: NginxServer, push_file: PushFile
) -> None:
    with pytest.raises(OctociError) as failed:
        push_file(repository(nginx, "nometa"), "Acme.Web.1.0.0.zip", CONTENT)
    assert "writing maven-metadata.xml" in str(failed.value)
    assert "files this push wrote were removed" in str(failed.value)
    assert [p for p in (nginx.root / "nometa").rglob("*") if p.is_file()] == []


def test_broken_metadata_stops_the_push_before_anything_is_written(
    nginx: NginxServer, push_file: PushFile
) -> None:
    folder = nginx.root / "maven" / "com" / "acme" / "Acme.Web"
    folder.mkdir(parents=True)
    (folder / "maven-metadata.xml").write_text("<metadata><versioning>", encoding="utf-8")
    with pytest.raises(OctociError, match="is not valid XML"):
        push_file(repository(nginx), "Acme.Web.1.0.0.zip", CONTENT)
    assert sorted(p.name for p in folder.rglob("*")) == ["maven-metadata.xml"]
    assert not [line for line in nginx.requests_logged() if line.startswith("PUT ")]


@pytest.mark.parametrize(
    ("values", "package", "message"),
    [
        ({"group_id": ""}, "Acme.Web.1.0.0.zip", "needs a groupId"),
        ({"group_id": "com/acme"}, "Acme.Web.1.0.0.zip", "is not a Maven groupId"),
    ],
)
def test_bad_input_is_one_line(
    nginx: NginxServer, push_file: PushFile, values: dict[str, object], package: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        push_file(repository(nginx, **values), package, CONTENT)


def test_feed_problem_compares_the_normalised_feed_uri() -> None:
    maven = make_repository(
        KIND, "releases", {"url": "https://Repo.Example:443/maven", "group_id": "g"}
    )
    feed = {"Name": "Nexus", "FeedType": "Maven"}
    assert maven.feed_problem({**feed, "FeedUri": "https://repo.example/maven/"}) is None
    other = maven.feed_problem({**feed, "FeedUri": "https://repo1.maven.org/maven2"})
    assert other == (
        "the feed 'Nexus' reads https://repo1.maven.org/maven2, but the package went to "
        "https://repo.example/maven"
    )
    assert "Maven feed" in str(maven.feed_problem({"Name": "S3", "FeedType": "S3"}))


@pytest.mark.slow
def test_mvn_resolves_the_release_and_the_snapshot(
    nginx: NginxServer, push_file: PushFile, tmp_path: Path
) -> None:
    maven = repository(nginx)
    release = push_file(maven, "Acme.Web.1.2.3.zip", CONTENT)
    snapshot = push_file(maven, "Acme.Api.2.0.0-SNAPSHOT.zip", CONTENT + b"snapshot")
    resolved = mvn_resolve(
        nginx,
        tmp_path,
        [
            ("com.acme", "Acme.Web", "1.2.3", "zip"),
            ("com.acme", "Acme.Api", "2.0.0-SNAPSHOT", "zip"),
        ],
        user=USER,
        password=PASSWORD,
    )
    assert resolved.files == {
        "Acme.Web-1.2.3.zip": release.sha1,
        "Acme.Api-2.0.0-SNAPSHOT.zip": snapshot.sha1,
    }
    assert "Downloaded from octoci" in resolved.stdout
