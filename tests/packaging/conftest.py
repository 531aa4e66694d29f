"""Fixtures for the packaging tests: real trees in tmp_path."""

from __future__ import annotations

import os
import random
import struct
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from octoci.model import Package, PackageFormat, PackageSpec
from octoci.packaging.build import build_package
from octoci.packaging.plugin import BUILTIN_FORMATS

FORMATS: dict[str, PackageFormat] = {f.name: f for f in BUILTIN_FORMATS}


def make_tree(root: Path, files: Mapping[str, bytes]) -> Path:
    """Write ``files`` (``/``-separated name -> content) under ``root``."""
    for name, content in files.items():
        path = root.joinpath(*name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def mixed_content(seed: int = 7) -> dict[str, bytes]:
    """Text, binary-ish, random, empty, compressed-suffix, unicode and deep files; one of them
    larger than a segment so the parallel multi-segment paths run."""
    rng = random.Random(seed)
    words = [b"octopus", b"deploy", b"package", b"release", b"tentacle", b"calamari"]
    text = b" ".join(rng.choice(words) for _ in range(150_000))  # ~1.1 MB, compressible
    return {
        "readme.txt": b"hello octoci\n" * 50,
        "bin/app.dll": bytes(rng.randrange(16) for _ in range(70_000)),
        "bin/big.log": text,
        "bin/huge.txt": text * 4,  # > 4 MiB: streamed in segments
        "media/photo.png": rng.randbytes(20_000),
        "media/noise.bin": rng.randbytes(1_500_000),  # incompressible, probed and stored
        "empty.cfg": b"",
        "ünïcødé/日本語.txt": "こんにちは".encode(),
        "/".join(f"d{i}" for i in range(30)) + "/deep.txt": b"deep",
        "scripts/run.sh": b"#!/bin/sh\necho hi\n",
    }


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A mixed tree under ``tmp_path/src``."""
    root = make_tree(tmp_path / "src", mixed_content())
    if os.name == "posix":
        (root / "scripts" / "run.sh").chmod(0o755)
    return root


@pytest.fixture
def pack(tmp_path: Path) -> Callable[..., Package]:
    """``pack(base, format=..., **spec fields)`` -> the built :class:`Package` in ``tmp_path/out``."""
    counter = iter(range(1000))

    def build(base: Path, **fields: object) -> Package:
        fields.setdefault("id", "Acme.Web")
        fields.setdefault("version", "1.2.3")
        fields.setdefault("out_folder", tmp_path / f"out{next(counter)}")
        spec = PackageSpec(base_path=base, **fields)  # type: ignore[arg-type]
        return build_package(spec, FORMATS)

    return build


def tree_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` as ``/``-separated name -> bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def raw_entry(archive: zipfile.ZipFile, path: Path, name: str) -> bytes:
    """The compressed bytes of entry ``name`` as they are stored in the file at ``path``."""
    info = archive.getinfo(name)
    with path.open("rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(30)
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        handle.seek(info.header_offset + 30 + name_length + extra_length)
        return handle.read(info.compress_size)


@pytest.fixture
def helpers() -> type[Helpers]:
    """The helper functions, for tests (conftest cannot be imported under importlib mode)."""
    return Helpers


class Helpers:
    """Namespace of the helpers above."""

    make_tree = staticmethod(make_tree)
    mixed_content = staticmethod(mixed_content)
    tree_files = staticmethod(tree_files)
    raw_entry = staticmethod(raw_entry)
    formats = FORMATS
