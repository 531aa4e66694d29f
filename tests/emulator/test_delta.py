"""Delta uploads in the emulator: signatures of stored packages, deltas applied and verified."""

from __future__ import annotations

import base64
import hashlib
import io
import random
import struct
import time
from pathlib import Path
from typing import Any

import pytest

from octoci.octodiff import build_delta, build_signature, parse_signature
from octoci.octodiff.format import COPY, delta_header
from octoci_emulator import Emulator

from .conftest import Client


@pytest.fixture
def feed(octopus_emulator: Emulator) -> Client:
    return Client(octopus_emulator)


def _versions(seed: int = 1) -> tuple[bytes, bytes]:
    rng = random.Random(seed)
    old = rng.randbytes(200_000)
    new = old[:50_000] + b"inserted" + old[50_000:120_000] + rng.randbytes(3000) + old[123_000:]
    return old, new


def _delta(tmp_path: Path, signature: bytes, new: bytes) -> bytes:
    path = tmp_path / "new.zip"
    path.write_bytes(new)
    out = io.BytesIO()
    build_delta(path, parse_signature(signature), out)
    return out.getvalue()


def _signature(feed: Client, package_id: str, version: str) -> Any:
    return feed.get(f"/packages/{package_id}/{version}/delta-signature")


def _post_delta(
    feed: Client, package_id: str, base: str, filename: str, delta: bytes, mode: str = ""
) -> Any:
    query = f"?overwriteMode={mode}" if mode else ""
    return feed.post(
        f"/packages/{package_id}/{base}/delta{query}", files={"file": (filename, delta)}
    )


def test_root_document_advertises_delta_links(feed: Client) -> None:
    links = feed.session.get(f"{feed.emulator.url}/api", timeout=10).json()["Links"]
    assert links["PackageDeltaSignature"] == (
        f"/api/{feed.emulator.space_id}/packages/{{packageId}}/{{version}}/delta-signature"
    )
    assert links["PackageDeltaUpload"].endswith(
        "/packages/{packageId}/{baseVersion}/delta{?overwriteMode}"
    )


def test_signature_of_the_nearest_earlier_version(feed: Client) -> None:
    old, _ = _versions()
    for version, data in (("1.0.0", b"one" * 1000), ("1.5.0", old), ("3.0.0", b"three")):
        assert feed.push(f"App.{version}.zip", data).status_code == 201
    answer = _signature(feed, "app", "2.0.0")
    assert answer.status_code == 200
    assert answer.json()["BaseVersion"] == "1.5.0"
    signature = base64.b64decode(answer.json()["Signature"])
    expected = io.BytesIO()
    build_signature(io.BytesIO(old), expected)
    assert signature == expected.getvalue()
    # Served again from the cache, identical.
    assert _signature(feed, "App", "2.0.0").json()["Signature"] == answer.json()["Signature"]


def test_signature_404_without_an_earlier_version(feed: Client) -> None:
    assert _signature(feed, "App", "1.0.0").status_code == 404
    feed.push("App.2.0.0.zip", b"two")
    assert _signature(feed, "App", "1.0.0").status_code == 404
    assert _signature(feed, "App", "not-a-version!").status_code == 400


def test_delta_upload_rebuilds_and_stores_the_package(feed: Client, tmp_path: Path) -> None:
    old, new = _versions()
    feed.push("App.1.0.0.zip", old)
    signature = base64.b64decode(_signature(feed, "App", "2.0.0").json()["Signature"])
    delta = _delta(tmp_path, signature, new)
    assert len(delta) < len(new) // 10
    answer = _post_delta(feed, "App", "1.0.0", "App.2.0.0.zip", delta)
    assert answer.status_code == 201, answer.text
    resource = answer.json()
    assert resource["Version"] == "2.0.0"
    assert resource["Hash"] == hashlib.sha1(new).hexdigest()
    assert resource["PackageSizeBytes"] == len(new)
    raw = feed.get(f"/packages/{resource['Id']}/raw")
    assert raw.content == new
    # Overwrite rules are the normal upload's.
    again = _post_delta(feed, "App", "1.0.0", "App.2.0.0.zip", delta)
    assert again.status_code == 409
    ignored = _post_delta(feed, "App", "1.0.0", "App.2.0.0.zip", delta, "IgnoreIfExists")
    assert ignored.status_code == 200


def test_a_delta_that_does_not_fit_is_refused_and_nothing_is_stored(
    feed: Client, tmp_path: Path
) -> None:
    old, _ = _versions()
    middle = random.Random(2).randbytes(20_000)
    base = old[:100_000] + middle + old[120_000:]
    new = base[:10_000] + b"inserted" + base[10_000:]
    feed.push("App.1.0.0.zip", old)
    feed.push("App.1.1.0.zip", base)
    signature = base64.b64decode(_signature(feed, "App", "2.0.0").json()["Signature"])
    delta = _delta(tmp_path, signature, new)  # made against 1.1.0 ...
    wrong_base = _post_delta(feed, "App", "1.0.0", "App.2.0.0.zip", delta)  # ... applied to 1.0.0
    assert wrong_base.status_code == 400
    assert "could not be applied" in wrong_base.json()["ErrorMessage"] + str(
        wrong_base.json()["Errors"]
    )
    corrupt = bytearray(delta)
    corrupt[-1] ^= 0xFF
    assert _post_delta(feed, "App", "1.1.0", "App.2.0.0.zip", bytes(corrupt)).status_code == 400
    truncated = _post_delta(feed, "App", "1.1.0", "App.2.0.0.zip", delta[: len(delta) // 2])
    assert truncated.status_code == 400
    assert _post_delta(feed, "App", "1.1.0", "App.2.0.0.zip", b"not a delta").status_code == 400
    assert sorted(p["Version"] for p in feed.emulator.packages()) == ["1.0.0", "1.1.0"]
    incoming = list((feed.emulator.data_dir / "incoming").iterdir())
    assert incoming == []


def test_delta_upload_bad_requests(feed: Client) -> None:
    feed.push("App.1.0.0.zip", b"one")
    assert _post_delta(feed, "App", "9.9.9", "App.2.0.0.zip", b"OCTODELTA").status_code == 404
    assert _post_delta(feed, "App", "1.0.0", "App.2.0.0.zip", b"").status_code == 400
    assert _post_delta(feed, "App", "1.0.0", "not-a-package.txt", b"x").status_code == 400
    assert feed.post("/packages/App/1.0.0/delta", data=b"x").status_code == 400


def test_old_server_has_no_delta_links_or_routes(octopus_emulator_factory: Any) -> None:
    emulator: Emulator = octopus_emulator_factory({"version": "2018.3.1"})
    feed = Client(emulator)
    links = feed.session.get(f"{emulator.url}/api", timeout=10).json()["Links"]
    assert "PackageDeltaSignature" not in links
    assert "PackageUpload" in links
    feed.push("App.1.0.0.zip", b"one")
    assert _signature(feed, "App", "2.0.0").status_code == 404


def test_a_delta_that_asks_for_more_than_the_base_allows_is_cut_off(feed: Client) -> None:
    base = random.Random(3).randbytes(1 << 20)
    feed.push("App.1.0.0.zip", base)
    # 3.4 KB of copy commands asking for 200 copies of the whole 1 MiB base (200 MiB).
    copies = b"".join(struct.pack("<Bqq", COPY, 0, len(base)) for _ in range(200))
    bomb = delta_header(hashlib.sha1(b"anything").digest()) + copies
    assert len(bomb) < 3500
    started = time.monotonic()
    refused = _post_delta(feed, "App", "1.0.0", "App.2.0.0.zip", bomb)
    assert refused.status_code == 400
    limit = len(bomb) + 2 * len(base)
    assert f"rebuilds more than {limit} bytes" in str(refused.json()["Errors"])
    assert time.monotonic() - started < 5
    assert [p["Version"] for p in feed.emulator.packages()] == ["1.0.0"]
    assert len(feed.emulator.stored_files()) == 1


def test_a_delta_repeating_the_base_within_the_limit_is_stored(
    feed: Client, tmp_path: Path
) -> None:
    base = random.Random(4).randbytes(100_000)
    feed.push("App.1.0.0.zip", base)
    signature = base64.b64decode(_signature(feed, "App", "2.0.0").json()["Signature"])
    new = base + base  # every base byte copied twice: the most a delta may ask for
    stored = _post_delta(feed, "App", "1.0.0", "App.2.0.0.zip", _delta(tmp_path, signature, new))
    assert stored.status_code == 201
    assert stored.json()["Hash"] == hashlib.sha1(new).hexdigest()


def test_a_delta_naming_another_package_than_its_route_is_refused(
    feed: Client, tmp_path: Path
) -> None:
    old, new = _versions()
    feed.push("App.1.0.0.zip", old)
    feed.push("Other.1.0.0.zip", old)
    signature = base64.b64decode(_signature(feed, "Other", "2.0.0").json()["Signature"])
    delta = _delta(tmp_path, signature, new)
    refused = _post_delta(feed, "Other", "1.0.0", "App.2.0.0.zip", delta)
    assert refused.status_code == 400
    assert "named for package 'App'" in str(refused.json()["Errors"])
    assert sorted((p["PackageId"], p["Version"]) for p in feed.emulator.packages()) == [
        ("App", "1.0.0"),
        ("Other", "1.0.0"),
    ]
    assert len(feed.emulator.stored_files()) == 2
