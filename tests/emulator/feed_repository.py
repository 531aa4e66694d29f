"""A tiny real package repository for the external-feed tests: ``http.server`` in a thread,
serving a temporary folder laid out as a Maven repository (``maven-metadata.xml`` per artifact)
and as an nginx ``autoindex_format json`` server (a folder asked for with a trailing slash
answers its JSON listing), behind basic authentication.

It stands in for the nginx repository fixture another part of the suite brings; it is enough for
the emulator's look-ups (GETs of metadata and listings), which is all a feed does.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

USERNAME = "deployer"
PASSWORD = "repo-s3cret-pw"


@dataclass
class FeedRepository:
    """A running repository: its URL, its folder and the paths it was asked for."""

    url: str
    root: Path
    requests: list[str] = field(default_factory=list)

    def add_maven(self, group: str, artifact: str, versions: Sequence[str]) -> None:
        """Publish ``group:artifact`` with ``versions`` (metadata only: a feed reads nothing else)."""
        folder = self.root / "maven" / Path(*group.split(".")) / artifact
        folder.mkdir(parents=True, exist_ok=True)
        listed = "".join(f"<version>{v}</version>" for v in versions)
        (folder / "maven-metadata.xml").write_text(
            f"<metadata><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
            f"<versioning><versions>{listed}</versions></versioning></metadata>",
            encoding="utf-8",
        )

    def add_files(self, folder: str, *names: str) -> None:
        """Put empty files ``names`` in ``folder`` (a generic repository's package files)."""
        target = self.root / folder
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            (target / name).write_bytes(b"PK")


def _handler(repository: FeedRepository) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            repository.requests.append(path)
            if self.headers.get("Authorization") != expected:
                self._answer(401, b"unauthorized", "text/plain")
                return
            target = (repository.root / path.lstrip("/")).resolve()
            if repository.root.resolve() not in (target, *target.parents):
                self._answer(404, b"", "text/plain")
            elif target.is_dir() and path.endswith("/"):
                listing = [
                    {"name": p.name, "type": "directory" if p.is_dir() else "file"}
                    for p in sorted(target.iterdir())
                ]
                self._answer(200, json.dumps(listing).encode(), "application/json")
            elif target.is_file():
                self._answer(200, target.read_bytes(), "application/xml")
            else:
                self._answer(404, b"not found", "text/plain")

    return Handler


@pytest.fixture
def feed_repository(tmp_path: Path) -> Iterator[FeedRepository]:
    """A repository on 127.0.0.1 and an ephemeral port, stopped after the test."""
    root = tmp_path / "repository"
    root.mkdir()
    repository = FeedRepository("", root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(repository))
    repository.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield repository
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
