"""A real container registry for tests of ``[[packages]] image`` entries: Debian's
``docker-registry`` (the CNCF distribution registry, the one Docker Hub's API is modelled on),
started as a child process on a free port of 127.0.0.1 with its storage in a test folder.

Images are pushed to it over the registry's own HTTP API V2 (:meth:`DockerRegistry.push_image`:
a config blob, no layers, an OCI image manifest under a tag), as ``docker push`` does for an
image's metadata, so no docker daemon is needed; the emulator's Docker feed then reads the tags
back with ``GET /v2/<name>/tags/list``, as Octopus does.

Example::

    with DockerRegistry(tmp_path / "registry") as registry:
        registry.push_image("acme/shop-web", "1.2.3")
        registry.url                      # http://127.0.0.1:PORT (a Docker feed's FeedUri)

:func:`require_registry` skips a test without the binary, unless ``OCTOCI_REQUIRE_REGISTRY=1``
(CI sets it), where a missing registry fails the test instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import pytest

from octoci.testing.child_server import ChildServer

__all__ = ["DockerRegistry", "require_registry"]

_BINARY = "docker-registry"
_MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
_CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"


def require_registry() -> str:
    """The ``docker-registry`` binary; skips the test (fails it with
    ``OCTOCI_REQUIRE_REGISTRY=1``) without one."""
    found = shutil.which(_BINARY) or (
        "/usr/bin/docker-registry" if Path("/usr/bin/docker-registry").is_file() else None
    )
    if found is None:
        reason = "docker-registry is not installed (Debian: apt-get install docker-registry)"
        if os.environ.get("OCTOCI_REQUIRE_REGISTRY") == "1":
            pytest.fail(f"{reason}, and OCTOCI_REQUIRE_REGISTRY=1 requires it")
        pytest.skip(reason)
    return found


class DockerRegistry(ChildServer):
    """``docker-registry serve`` on a free port, storing in ``folder / "data"``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = 0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: what a Docker feed's ``FeedUri`` is."""
        return f"http://127.0.0.1:{self.port}"

    def _config(self) -> str:
        # JSON is YAML: the registry reads either.
        return json.dumps(
            {
                "version": 0.1,
                "log": {"level": "error", "accesslog": {"disabled": True}},
                "storage": {"filesystem": {"rootdirectory": str(self.folder / "data")}},
                "http": {"addr": f"127.0.0.1:{self.port}"},
            }
        )

    def start(self) -> DockerRegistry:
        """Start the registry and wait until its API answers."""
        binary = require_registry()
        self.folder.mkdir(parents=True, exist_ok=True)

        def command() -> list[str]:
            config = self.folder / "config.yml"
            config.write_text(self._config(), encoding="utf-8")
            return [binary, "serve", str(config)]

        def ready() -> bool:
            try:
                with urllib.request.urlopen(f"{self.url}/v2/", timeout=1) as answer:
                    return bool(answer.status == 200)
            except OSError:
                return False

        self._start_on_a_free_port("docker-registry", command, ready, wait=15)
        return self

    def _blob(self, name: str, data: bytes) -> str:
        """Upload ``data`` as a blob of ``name`` (monolithic upload); its digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        start = urllib.request.Request(f"{self.url}/v2/{name}/blobs/uploads/", method="POST")
        with urllib.request.urlopen(start, timeout=10) as answer:
            location = urljoin(self.url, answer.headers["Location"])
        glue = "&" if "?" in location else "?"
        put = urllib.request.Request(
            f"{location}{glue}digest={digest}",
            data=data,
            method="PUT",
            headers={"Content-Type": "application/octet-stream"},
        )
        with urllib.request.urlopen(put, timeout=10):
            pass
        return digest

    def push_image(self, name: str, tag: str) -> str:
        """Push a minimal image (a config, no layers) as ``name:tag``; its manifest digest."""
        rootfs = {"type": "layers", "diff_ids": []}
        config = json.dumps(
            {"architecture": "amd64", "os": "linux", "config": {}, "rootfs": rootfs},
            sort_keys=True,
        ).encode()
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": _MANIFEST_TYPE,
                "config": {
                    "mediaType": _CONFIG_TYPE,
                    "digest": self._blob(name, config),
                    "size": len(config),
                },
                "layers": [],
            }
        ).encode()
        put = urllib.request.Request(
            f"{self.url}/v2/{name}/manifests/{tag}",
            data=manifest,
            method="PUT",
            headers={"Content-Type": _MANIFEST_TYPE},
        )
        with urllib.request.urlopen(put, timeout=10):
            pass
        return "sha256:" + hashlib.sha256(manifest).hexdigest()

    def tags(self, name: str) -> list[str]:
        """The tags the registry lists for ``name`` (``[]`` for an unknown repository)."""
        try:
            with urllib.request.urlopen(f"{self.url}/v2/{name}/tags/list", timeout=10) as answer:
                return list(json.loads(answer.read()).get("tags") or [])
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return []
            raise
