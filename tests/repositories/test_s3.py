"""The ``s3`` repository kind against a real local S3 server (moto in server mode, credentials
checked), read back with boto3 as Octopus's S3 feed would read it.

Every push goes through :func:`push`, so these tests move to ``octoci push --repository`` by
changing that one function once the command routes to repositories.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from tests.repositories.s3_fixtures import (
    package_file,
    s3_bucket,
    s3_proxy,
    s3_repository,
    s3_server,
)

from octoci.errors import EXIT_FAILURE, EXIT_USAGE, InputError, OctociError
from octoci.package_names import parse_package_filename
from octoci.repositories.base import OverwriteMode, RepositoryConfig, StoredPackage
from octoci.repositories.s3 import KIND, S3Repository
from octoci.testing.s3_server import FaultProxy, LocalS3, S3Credentials

__all__ = ["s3_bucket", "s3_proxy", "s3_server"]  # the fixtures this module uses

MiB = 1024 * 1024


def push(
    repository: S3Repository, path: Path, mode: OverwriteMode = "FailIfExists"
) -> StoredPackage:
    """Push one file as ``octoci push --repository`` will (the one place to switch)."""
    name = parse_package_filename(path.name)
    assert name is not None
    return repository.push(path, name, mode=mode)


def stored_bytes(s3: LocalS3, bucket: str, key: str) -> bytes:
    return bytes(s3.client().get_object(Bucket=bucket, Key=key)["Body"].read())


def keys(s3: LocalS3, bucket: str) -> list[str]:
    listing = s3.client().list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", ()))


def test_push_stores_the_package_where_octopus_s3_feed_reads_it(
    s3_server: LocalS3, s3_bucket: str, tmp_path: Path
) -> None:
    content = b"PK\x03\x04 web build" * 100
    path = package_file(tmp_path, "Acme.Web.1.2.3.zip", content)
    repository = s3_repository(s3_server, s3_bucket)

    stored = push(repository, path)

    key = "packages/web/Acme.Web.1.2.3.zip"
    assert stored.outcome == "created"
    assert stored.location == f"s3://{s3_bucket}/{key}"
    assert stored.sha1 == hashlib.sha1(content).hexdigest()
    assert (stored.size, stored.bytes_sent, stored.warnings) == (len(content), len(content), ())
    assert stored_bytes(s3_server, s3_bucket, key) == content
    head = s3_server.client().head_object(Bucket=s3_bucket, Key=key)
    assert head["Metadata"]["octoci-sha1"] == stored.sha1
    # The package id a step on Octopus's S3 feed names, and the repository's description.
    assert repository.octopus_package_id("Acme.Web") == f"{s3_bucket}/packages/web/Acme.Web"
    assert repository.describe() == (
        f"s3 repository 'bucket' at s3://{s3_bucket}/packages/web on {s3_server.endpoint_url}"
    )


def test_versions_and_find_read_the_layout_as_the_feed_does(
    s3_server: LocalS3, s3_bucket: str, tmp_path: Path
) -> None:
    repository = s3_repository(s3_server, s3_bucket)
    for version in ("1.10.0", "1.0.0", "1.2.0-beta.1"):
        push(repository, package_file(tmp_path, f"Acme.Web.{version}.zip", version.encode()))
    client = s3_server.client()
    # What is not a version of Acme.Web: another id sharing the prefix, other files, a folder.
    for other in ("Acme.Web.Api.2.0.0.zip", "notes.txt", "Acme.Web.9.9.9/inner.zip"):
        client.put_object(Bucket=s3_bucket, Key=f"packages/web/{other}", Body=b"x")
    client.put_object(Bucket=s3_bucket, Key="Acme.Web.7.0.0.zip", Body=b"outside the prefix")

    assert list(repository.versions("Acme.Web")) == ["1.0.0", "1.2.0-beta.1", "1.10.0"]
    assert list(repository.versions("Acme.Web.Api")) == ["2.0.0"]
    assert list(repository.versions("Acme.Other")) == []
    found = repository.find("Acme.Web", "1.0.0.0")  # Octopus: 1.0.0.0 is 1.0.0
    assert found is not None
    assert (found.version, found.sha1) == ("1.0.0", hashlib.sha1(b"1.0.0").hexdigest())
    assert repository.find("Acme.Web", "3.0.0") is None
    # An object another tool stored (no octoci metadata): its SHA-1 by reading it.
    api = repository.find("Acme.Web.Api", "2.0.0")
    assert api is not None
    assert api.sha1 == hashlib.sha1(b"x").hexdigest()


def test_a_big_file_goes_as_a_multipart_upload_and_is_verified(
    s3_server: LocalS3, s3_bucket: str, tmp_path: Path
) -> None:
    content = os.urandom(11 * MiB)
    path = package_file(tmp_path, "Acme.Big.2.0.0.tar.gz", content)
    repository = s3_repository(s3_server, s3_bucket)
    repository.multipart_threshold = repository.part_size = 5 * MiB

    stored = push(repository, path)

    key = "packages/web/Acme.Big.2.0.0.tar.gz"
    assert stored.sha1 == hashlib.sha1(content).hexdigest()
    assert s3_server.client().head_object(Bucket=s3_bucket, Key=key)["ETag"].endswith('-3"')
    assert stored_bytes(s3_server, s3_bucket, key) == content


def test_a_version_already_there_follows_the_overwrite_mode(
    s3_server: LocalS3, s3_bucket: str, tmp_path: Path
) -> None:
    repository = s3_repository(s3_server, s3_bucket)
    first = package_file(tmp_path / "first", "Acme.Web.1.0.0.zip", b"first build")
    other = package_file(tmp_path / "other", "Acme.Web.1.0.0.zip", b"another build")
    key = "packages/web/Acme.Web.1.0.0.zip"
    first_sha1 = hashlib.sha1(b"first build").hexdigest()
    push(repository, first)

    assert push(repository, first).outcome == "identical"

    with pytest.raises(OctociError) as failed:
        push(repository, other, "FailIfExists")
    message = str(failed.value)
    assert first_sha1 in message
    assert hashlib.sha1(b"another build").hexdigest() in message
    assert "OverwriteExisting" in message
    assert "\n" not in message
    assert stored_bytes(s3_server, s3_bucket, key) == b"first build"

    ignored = push(repository, other, "IgnoreIfExists")
    assert (ignored.outcome, ignored.sha1) == ("ignored", first_sha1)
    assert "NOT uploaded" in ignored.warnings[0]
    assert stored_bytes(s3_server, s3_bucket, key) == b"first build"

    replaced = push(repository, other, "OverwriteExisting")
    assert replaced.outcome == "created"
    assert stored_bytes(s3_server, s3_bucket, key) == b"another build"


def test_overwriting_with_another_extension_leaves_one_file_per_version(
    s3_server: LocalS3, s3_bucket: str, tmp_path: Path
) -> None:
    repository = s3_repository(s3_server, s3_bucket)
    push(repository, package_file(tmp_path, "Acme.Web.1.0.0.tar.gz", b"tarball"))

    push(repository, package_file(tmp_path, "Acme.Web.1.0.0.zip", b"zip"), "OverwriteExisting")

    assert keys(s3_server, s3_bucket) == ["packages/web/Acme.Web.1.0.0.zip"]


def test_an_extension_the_feed_does_not_read_is_a_warning(
    s3_server: LocalS3, s3_bucket: str, tmp_path: Path
) -> None:
    stored = push(
        s3_repository(s3_server, s3_bucket), package_file(tmp_path, "Acme.Lib.1.0.0.nupkg", b"n")
    )

    assert stored.outcome == "created"
    assert "will not find" in stored.warnings[0]


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        (S3Credentials("AKIAUNKNOWNKEY000000", "unknown-secret-value"), "InvalidAccessKeyId"),
        (None, "SignatureDoesNotMatch"),  # the writer's key id with a wrong secret
    ],
)
def test_refused_credentials_are_one_line_without_the_secret(
    s3_server: LocalS3,
    s3_bucket: str,
    tmp_path: Path,
    credentials: S3Credentials | None,
    code: str,
) -> None:
    keys_used = credentials or S3Credentials(s3_server.writer.access_key_id, "wrong-secret-1234")
    repository = s3_repository(
        s3_server,
        s3_bucket,
        access_key_id=keys_used.access_key_id,
        secret_access_key=keys_used.secret_access_key,
    )

    with pytest.raises(OctociError) as failed:
        push(repository, package_file(tmp_path, "Acme.Web.1.0.0.zip", b"zip"))

    message = str(failed.value)
    assert f"S3 refused the credentials ({code})" in message
    assert keys_used.secret_access_key not in message
    assert "\n" not in message
    assert failed.value.exit_code == EXIT_FAILURE
    assert keys(s3_server, s3_bucket) == []


def test_credentials_without_the_permission_say_which_are_needed(
    s3_server: LocalS3, s3_bucket: str, tmp_path: Path
) -> None:
    repository = s3_repository(
        s3_server,
        s3_bucket,
        access_key_id=s3_server.reader.access_key_id,
        secret_access_key=s3_server.reader.secret_access_key,
    )

    with pytest.raises(OctociError) as failed:
        push(repository, package_file(tmp_path, "Acme.Web.1.0.0.zip", b"zip"))

    message = str(failed.value)
    assert "S3 denied access" in message
    assert "s3:PutObject" in message
    assert s3_server.reader.secret_access_key not in message
    assert keys(s3_server, s3_bucket) == []


def test_a_bucket_that_does_not_exist(s3_server: LocalS3, tmp_path: Path) -> None:
    repository = s3_repository(s3_server, "no-such-bucket")

    with pytest.raises(OctociError, match="the bucket 'no-such-bucket' does not exist"):
        push(repository, package_file(tmp_path, "Acme.Web.1.0.0.zip", b"zip"))


def test_a_server_storing_other_bytes_is_an_error_and_nothing_is_kept(
    s3_server: LocalS3, s3_bucket: str, s3_proxy: FaultProxy, tmp_path: Path
) -> None:
    s3_proxy.store_other_bytes = True
    repository = s3_repository(s3_server, s3_bucket, endpoint_url=s3_proxy.endpoint_url)

    with pytest.raises(OctociError) as failed:
        push(repository, package_file(tmp_path, "Acme.Web.1.0.0.zip", b"good bytes"))

    message = str(failed.value)
    assert "S3 stores other bytes than were sent" in message
    assert hashlib.sha1(b"good bytes").hexdigest() in message
    assert "the damaged object was deleted" in message
    assert keys(s3_server, s3_bucket) == []


def test_a_refused_part_aborts_the_multipart_upload(
    s3_server: LocalS3, s3_bucket: str, s3_proxy: FaultProxy, tmp_path: Path
) -> None:
    s3_proxy.refuse_part = 2
    repository = s3_repository(s3_server, s3_bucket, endpoint_url=s3_proxy.endpoint_url)
    repository.multipart_threshold = repository.part_size = 5 * MiB
    path = package_file(tmp_path, "Acme.Big.1.0.0.zip", os.urandom(11 * MiB))

    with pytest.raises(OctociError) as failed:
        push(repository, path)

    assert "BadDigest" in str(failed.value)
    assert "\n" not in str(failed.value)
    assert any("uploadId" in target for _method, target in s3_proxy.requests)
    assert s3_server.client().list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    assert keys(s3_server, s3_bucket) == []


def test_credentials_from_the_aws_chain_are_masked_too(
    s3_server: LocalS3, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.writer.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "chain-secret-wrong-5678")
    repository = s3_repository(s3_server, s3_bucket, access_key_id="", secret_access_key="")

    with pytest.raises(OctociError) as failed:
        push(repository, package_file(tmp_path, "Acme.Web.1.0.0.zip", b"zip"))

    assert "SignatureDoesNotMatch" in str(failed.value)
    assert "chain-secret-wrong-5678" in repository.secrets()


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({}, "bucket is required"),
        ({"bucket": "s3://acme/packages"}, "is not an S3 bucket name"),
        ({"bucket": "acme", "prefix": "a//b"}, "has an empty, '.' or '..' folder"),
        ({"bucket": "acme", "region": "Europe West"}, "is not an AWS region name"),
        ({"bucket": "acme", "endpoint_url": "s3.example.com"}, "is not an http(s) URL"),
        (
            {"bucket": "acme", "endpoint_url": "https://key:TOPSECRET1@s3.example.com"},
            "holds a user name or password",
        ),
        ({"bucket": "acme", "access_key_id": "AKIA1234"}, "secret_access_key is missing"),
        ({"bucket": "acme", "secret_access_key": "TOPSECRET1"}, "access_key_id is missing"),
        ({"bucket": "acme", "session_token": "TOKEN12345"}, "session_token needs"),
        ({"bucket": 12}, "bucket must be a string"),
    ],
)
def test_bad_configuration_is_one_line(values: dict[str, object], problem: str) -> None:
    config = RepositoryConfig(name="releases", kind="s3", values=values, source="octoci.toml")

    with pytest.raises(InputError) as failed:
        KIND.create(config)

    message = str(failed.value)
    assert problem in message
    assert message.startswith("repository 'releases' (octoci.toml): ")
    assert "TOPSECRET1" not in message
    assert failed.value.exit_code == EXIT_USAGE


def test_the_kind_declares_its_keys_and_secrets() -> None:
    assert KIND.name == "s3"
    assert KIND.feed_types == ("S3",)
    assert set(KIND.secret_keys) == {"secret_access_key", "session_token"}
    assert set(KIND.secret_keys) <= set(KIND.keys)


def test_feed_problem_compares_the_feed_type_and_region() -> None:
    repository = S3Repository("releases", bucket="acme", prefix="web", region="eu-west-1")
    s3_feed = {"Name": "AWS packages", "FeedType": "S3", "UseMachineCredentials": True}

    assert repository.feed_problem(s3_feed) is None
    assert repository.feed_problem({**s3_feed, "Region": "eu-west-1"}) is None
    assert repository.feed_problem({**s3_feed, "Region": "us-east-2"}) == (
        "the feed 'AWS packages' reads S3 in us-east-2, but the package went to s3 repository "
        "'releases' at s3://acme/web in eu-west-1"
    )
    maven = {"Name": "Maven Central", "FeedType": "Maven", "FeedUri": "https://repo1"}
    problem = repository.feed_problem(maven)
    assert problem is not None
    assert problem.startswith("the feed 'Maven Central' is a Maven feed")
