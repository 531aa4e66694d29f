"""Fixtures for the S3 repository kind's tests: a real local S3 server (moto, one per test
process), a fresh bucket per test, and a fault proxy in front of the server.

Kept out of ``conftest.py`` (which the Maven and HTTP kinds' nginx fixture uses): a test module
imports the fixtures it needs from here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from octoci.repositories.base import RepositoryConfig
from octoci.repositories.s3 import KIND, S3Repository
from octoci.testing.s3_server import FaultProxy, LocalS3, local_s3

_buckets = itertools.count(1)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalS3]:
    """moto's S3 server on a free port, with credentials checked (writer and reader keys)."""
    with local_s3(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: LocalS3) -> str:
    """A new, empty bucket on the local server."""
    name = f"packages-{next(_buckets)}"
    s3_server.create_bucket(name)
    return name


@pytest.fixture
def s3_proxy(s3_server: LocalS3) -> Iterator[FaultProxy]:
    """A fault proxy in front of the local server (forwards everything until told otherwise)."""
    with FaultProxy(s3_server) as proxy:
        yield proxy


def s3_repository(
    s3: LocalS3, bucket: str, *, endpoint_url: str = "", name: str = "bucket", **values: str
) -> S3Repository:
    """The repository as the configuration builds it (``[repositories.bucket] kind = "s3"``),
    with the writer's keys unless ``values`` says otherwise."""
    table = {
        "bucket": bucket,
        "prefix": "packages/web",
        "endpoint_url": endpoint_url or s3.endpoint_url,
        "region": s3.region,
        "access_key_id": s3.writer.access_key_id,
        "secret_access_key": s3.writer.secret_access_key,
        **values,
    }
    repository = KIND.create(
        RepositoryConfig(name=name, kind="s3", values=table, source="octoci.toml")
    )
    assert isinstance(repository, S3Repository)
    return repository


def package_file(folder: Path, filename: str, content: bytes) -> Path:
    """A package file named as Octopus names them."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    path.write_bytes(content)
    return path
