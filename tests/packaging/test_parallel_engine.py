"""libdeflate on worker threads: the bytes ``deflate.deflate_compress`` gives, on any thread
count, and the GIL released while it compresses (what parallel packing of small entries needs).
"""

from __future__ import annotations

import itertools
import random
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from octoci.packaging.engines import select_engine

deflate = pytest.importorskip("deflate")


def _text(seed: int, size: int) -> bytes:
    rng = random.Random(seed)
    words = [b"def", b"return", b"value", b"<div>", b"octoci", b'{"key": 1}', b"\n"]
    return b" ".join(rng.choice(words) for _ in range(size // 4))[:size]


@pytest.mark.parametrize("level", ["1", "6", "9"])
def test_packed_entries_are_the_deflate_packages_bytes_on_any_thread_count(
    level: str, helpers: Any, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    """What ``octoci pack --engine libdeflate`` stores for an entry is exactly what
    ``deflate.deflate_compress`` gives for it, with one thread and with three."""
    files = {f"web/page{n}.js": _text(n, 3_000 + 9_000 * n) for n in range(12)}
    base = helpers.make_tree(tmp_path / "build", files)
    digests = set()
    for threads in ("1", "3"):
        out = tmp_path / f"out{threads}"
        result = run_cli(
            "--no-plugins", "pack", "--id", "Acme.Web", "--version", "1.0.0",
            "--base-path", str(base), "--out-folder", str(out), "--engine", "libdeflate",
            "--compression-level", level, "--threads", threads,
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        package = out / "Acme.Web.1.0.0.zip"
        with zipfile.ZipFile(package) as archive:
            for name, content in files.items():
                expected = bytes(deflate.deflate_compress(content, int(level)))
                assert helpers.raw_entry(archive, package, name) == expected, name
        digests.add(package.read_bytes())
    assert len(digests) == 1


def test_libdeflate_compresses_while_other_threads_run() -> None:
    """While one thread is inside libdeflate, the others keep running Python code: the GIL is
    released for the compression (an engine that held it would compress every entry one after
    the other, however many threads pack)."""
    engine = select_engine("libdeflate")
    rng = random.Random(18)  # about 35 MB of repeats of random runs: 0.15-0.6 s at level 9
    data = b"".join(rng.randbytes(256) * rng.randint(1, 8) for _ in range(30_000))
    call: list[float] = []
    done = threading.Event()

    def compress() -> None:
        call.append(time.perf_counter())
        engine.deflate_whole(data, 9)
        call.append(time.perf_counter())
        done.set()

    # This thread notes when it runs (at most once a millisecond, to keep the list short).
    ran = [time.perf_counter()]
    worker = threading.Thread(target=compress)
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        if now - ran[-1] > 0.001:
            ran.append(now)
    worker.join()
    begin, end = call
    inside = [begin, *(t for t in ran if begin < t < end), end]
    longest_gap = max(b - a for a, b in itertools.pairwise(inside))
    # Holding the GIL, the call stops this thread for its whole length; released, this thread
    # only waits for the OS scheduler (milliseconds on a busy machine).
    assert end - begin > 0.03, "the compression was too short to tell"
    assert longest_gap < (end - begin) / 2, (longest_gap, end - begin)
