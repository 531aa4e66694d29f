"""The built-in feed: upload (multipart, chunked or not), overwrite modes, naming rules, listing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from octoci_emulator import Emulator

from .conftest import Client
from .rawhttp import multipart, post_head, send_raw


@pytest.fixture
def feed(octopus_emulator: Emulator) -> Client:
    return Client(octopus_emulator)


def test_overwrite_modes_and_status_codes(feed: Client) -> None:
    first = feed.push("MyApp.Web.1.2.3.zip", b"one", mode="FailIfExists")
    assert first.status_code == 201
    assert first.json()["Hash"] == hashlib.sha1(b"one").hexdigest()
    conflict = feed.push("MyApp.Web.1.2.3.zip", b"two")
    assert conflict.status_code == 409
    assert "already exists" in conflict.json()["Errors"][0]
    ignored = feed.push("MyApp.Web.1.2.3.zip", b"two", mode="IgnoreIfExists")
    assert ignored.status_code == 200
    assert ignored.json()["Hash"] == hashlib.sha1(b"one").hexdigest()
    replaced = feed.push("MyApp.Web.1.2.3.zip", b"three", mode="OverwriteExisting")
    assert replaced.status_code == 201
    stored = feed.emulator.packages()
    assert len(stored) == 1
    assert feed.emulator.package_path(stored[0]).read_bytes() == b"three"


def test_legacy_replace_flag(feed: Client) -> None:
    assert feed.post("/packages/raw?replace=false", files={"f": ("A.1.0.0.zip", b"a")}).ok
    again = feed.post("/packages/raw?replace=false", files={"f": ("A.1.0.0.zip", b"b")})
    assert again.status_code == 409
    replaced = feed.post("/packages/raw?replace=true", files={"f": ("A.1.0.0.zip", b"c")})
    assert replaced.status_code == 201
    bad = feed.post("/packages/raw?overwriteMode=Sometimes", files={"f": ("A.1.0.0.zip", b"c")})
    assert bad.status_code == 400


@pytest.mark.parametrize("part", ["fileToUpload", "file", "data", "fileData"])
def test_any_part_name_is_accepted(feed: Client, part: str) -> None:
    assert feed.push("Part.Name.1.0.0.zip", part=part).status_code == 201


def test_equal_versions_conflict(feed: Client) -> None:
    assert feed.push("Acme.1.0.0.zip").status_code == 201
    assert feed.push("Acme.1.0.0.0.zip").status_code == 409
    assert feed.push("Acme.01.0.0.zip").status_code == 409
    assert feed.push("Acme.1.0.1.zip").status_code == 201


@pytest.mark.parametrize(
    ("filename", "package_id", "version", "extension"),
    [
        ("Acme.Api.2.0.0-beta.1.tar.gz", "Acme.Api", "2.0.0-beta.1", ".tar.gz"),
        ("My_App-x.1.2.3.4.nupkg", "My_App-x", "1.2.3.4", ".nupkg"),
        ("Tool.3.1.0+build.7.tar.bz2", "Tool", "3.1.0+build.7", ".tar.bz2"),
        ("Java.1.0.war", "Java", "1.0", ".war"),
    ],
)
def test_filename_rules(
    feed: Client, filename: str, package_id: str, version: str, extension: str
) -> None:
    response = feed.push(filename)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["PackageId"], body["Version"], body["FileExtension"]) == (
        package_id,
        version,
        extension,
    )


@pytest.mark.parametrize(
    "filename",
    ["notes.txt", "NoVersion.zip", "Bad Name.1.0.0.zip", "X.v1.zip", "A" * 300 + ".1.0.zip"],
)
def test_invalid_names_are_400_and_store_nothing(feed: Client, filename: str) -> None:
    response = feed.push(filename)
    assert response.status_code == 400
    assert response.json()["Errors"]
    assert feed.emulator.stored_files() == []


def test_missing_file_empty_file_and_non_multipart(feed: Client) -> None:
    no_file = feed.post("/packages/raw", files={"field": (None, "just a value")})
    assert no_file.status_code == 400
    assert "A package file must be provided" in no_file.json()["Errors"]
    empty = feed.push("Empty.1.0.0.zip", b"")
    assert empty.status_code == 400
    assert "length equal to 0" in empty.json()["Errors"][0]
    raw = feed.post(
        "/packages/raw", data=b"PK raw bytes", headers={"Content-Type": "application/octet-stream"}
    )
    assert raw.status_code == 400
    assert feed.emulator.stored_files() == []


def test_chunked_upload(feed: Client) -> None:
    def body() -> Iterator[bytes]:
        data = multipart("Chunky.1.0.0.zip", b"x" * 300_000)
        for start in range(0, len(data), 7777):
            yield data[start : start + 7777]

    response = feed.post(
        "/packages/raw",
        data=body(),
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert response.status_code == 201
    assert response.json()["PackageSizeBytes"] == 300_000


def test_malformed_multipart_is_400(feed: Client) -> None:
    body = multipart("Broken.1.0.0.zip", b"content")[:-10]  # no closing boundary
    response = feed.post(
        "/packages/raw", data=body, headers={"Content-Type": "multipart/form-data; boundary=XyZ"}
    )
    assert response.status_code == 400
    assert feed.emulator.stored_files() == []


def test_content_length_and_chunked_together_is_400(feed: Client) -> None:
    url = urlsplit(feed.emulator.url)
    body = multipart("Both.1.0.0.zip", b"content")
    chunked = f"{len(body):X}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    head = post_head(
        "/api/Spaces-1/packages/raw",
        url.netloc,
        feed.emulator.api_key,
        f"Content-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n",
    )
    status, answer = send_raw(feed.emulator.url, head + chunked)
    assert status == 400
    assert answer is not None
    assert "Transfer-Encoding" in answer["Errors"][0]
    assert feed.emulator.stored_files() == []


def test_body_ending_early_leaves_no_file(feed: Client) -> None:
    url = urlsplit(feed.emulator.url)
    body = multipart("Short.1.0.0.zip", b"z" * 100_000)
    head = post_head(
        "/api/Spaces-1/packages/raw",
        url.netloc,
        feed.emulator.api_key,
        f"Content-Length: {len(body)}\r\n",
    )
    send_raw(feed.emulator.url, head + body[: len(body) // 2], shut_write=True)
    # The emulator is still healthy, and nothing (not even a partial file) was stored.
    assert feed.get("/packages").json()["TotalResults"] == 0
    assert feed.emulator.stored_files() == []
    assert feed.push("Short.1.0.0.zip").status_code == 201


def test_listing_lookup_and_download(feed: Client) -> None:
    for version in ("1.0.0", "1.10.0", "1.2.0"):
        assert feed.push(f"Lib.{version}.zip", version.encode()).status_code == 201
    assert feed.push("Other.1.0.0.zip").status_code == 201
    listing = feed.get("/packages?nuGetPackageId=Lib").json()
    assert [p["Version"] for p in listing["Items"]] == ["1.10.0", "1.2.0", "1.0.0"]
    latest = feed.get("/packages?latest=true").json()
    assert sorted((p["PackageId"], p["Version"]) for p in latest["Items"]) == [
        ("Lib", "1.10.0"),
        ("Other", "1.0.0"),
    ]
    one = feed.get("/packages/packages-Lib.1.2.0")
    assert one.status_code == 200
    assert feed.get("/packages/Lib.1.2.0.0").json()["Id"] == one.json()["Id"]
    raw = feed.get("/packages/packages-Lib.1.2.0/raw")
    assert raw.content == b"1.2.0"
    assert feed.get("/packages/packages-Lib.9.9.9").status_code == 404


def test_space_less_legacy_route_uses_default_space(octopus_emulator: Emulator) -> None:
    response = requests.post(
        f"{octopus_emulator.url}/api/packages/raw",
        headers=octopus_emulator.headers,
        files={"data": ("Legacy.1.0.0.zip", b"x")},
        timeout=10,
    )
    assert response.status_code == 201
    assert response.json()["SpaceId"] == "Spaces-1"
