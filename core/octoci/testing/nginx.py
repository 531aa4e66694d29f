"""A real nginx with WebDAV ``PUT``/``DELETE`` for tests of the Maven and generic-HTTP repository
kinds: a repository a real client (``mvn``) can read from and octoci can write to.

Example::

    with NginxServer(tmp_path, users={"ci": "s3cret"}) as nginx:
        nginx.url("maven")             # http://127.0.0.1:PORT/maven: PUT, GET, DELETE, listings
        nginx.root / "maven"           # the folder nginx stores it in
        nginx.url("corrupt")           # stores a PUT, but serves a fixed body back
        nginx.url("checksum-deploy")   # as Artifactory: 404 to X-Checksum-Deploy, else stores

Locations (each under ``root``):

* ``/maven``, ``/generic``: WebDAV ``PUT DELETE MKCOL``, ``create_full_put_path``, JSON
  listings (``autoindex_format json``); behind basic auth when ``users`` is given;
* ``/readonly``: like ``/maven`` but ``PUT`` and ``DELETE`` answer 403 to everyone;
* ``/corrupt``: a repository that answers but stores different bytes: ``PUT`` and ``DELETE``
  work, but a ``GET`` of any stored file returns the same planted body (``CORRUPT_BODY``);
* ``/nometa``: like ``/maven`` (no auth), but a ``PUT`` of a ``maven-metadata.xml`` is refused
  (403): a Maven push that fails after its artifact was stored;
* ``/checksum-deploy``: Artifactory's deploy by checksum for content it does not know: a ``PUT``
  with ``X-Checksum-Deploy: true`` is answered 404, any other ``PUT`` stores the body;
* ``/seed`` (with ``seed=``): a read-only copy of a Maven repository (``/usr/share/maven-repo``)
  for ``mvn``'s own plugins, so it needs no outside network.

The access log (``access_log``) records each request's method, path, status and the
``X-Checksum-*`` headers, for tests that check what was sent.

:func:`require_nginx` skips a test when nginx is not installed, unless ``OCTOCI_REQUIRE_NGINX=1``
(CI sets it), where a missing nginx fails the test instead.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from octoci.testing.child_server import ChildServer

__all__ = ["CORRUPT_BODY", "NginxServer", "find_nginx", "require_nginx"]

#: What ``/corrupt`` serves for every file, whatever was PUT.
CORRUPT_BODY = b"not the bytes that were sent\n"
#: The dav-ext module is not needed (``PROPFIND``); plain ``ngx_http_dav_module`` is built in.
_LOCATIONS = ("maven", "generic", "readonly", "corrupt", "checksum-deploy", "nometa")


def find_nginx() -> str | None:
    """The nginx binary (``PATH``, then ``/usr/sbin/nginx``), or ``None``."""
    found = shutil.which("nginx")
    if found:
        return found
    fallback = Path("/usr/sbin/nginx")
    return str(fallback) if fallback.is_file() else None


def require_nginx() -> str:
    """The nginx binary; skips the test (fails it with ``OCTOCI_REQUIRE_NGINX=1``) without one."""
    binary = find_nginx()
    if binary is None:
        reason = "nginx is not installed (Debian: apt-get install nginx-full)"
        if os.environ.get("OCTOCI_REQUIRE_NGINX") == "1":
            pytest.fail(f"{reason}, and OCTOCI_REQUIRE_NGINX=1 requires it")
        pytest.skip(reason)
    return binary


def _htpasswd_line(user: str, password: str) -> str:
    """One htpasswd line nginx accepts: SHA-256 crypt from ``openssl passwd -5`` (nginx has no
    ``{PLAIN}``, and Python's ``crypt`` is gone in 3.13)."""
    done = subprocess.run(
        ["openssl", "passwd", "-5", "-stdin"],
        input=password,
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{user}:{done.stdout.strip()}\n"


class NginxServer(ChildServer):
    """nginx started as a child process on a free port of 127.0.0.1, configured in ``folder``.

    ``users`` (name -> password) puts ``/maven``, ``/generic`` and ``/checksum-deploy`` behind
    basic auth; ``seed`` serves that folder read-only at ``/seed``.
    """

    def __init__(
        self,
        folder: Path,
        *,
        users: Mapping[str, str] | None = None,
        seed: Path | None = None,
    ) -> None:
        self.folder = folder
        self.root = folder / "data"
        self.users = dict(users or {})
        self.seed = seed
        self.port = 0
        self.access_log = folder / "access.log"

    def url(self, location: str) -> str:
        """``http://127.0.0.1:PORT/<location>``."""
        return f"http://127.0.0.1:{self.port}/{location}"

    def requests_logged(self) -> list[str]:
        """The access log's lines: ``METHOD /path STATUS sha1=... sha256=... deploy=...``."""
        if not self.access_log.exists():
            return []
        return self.access_log.read_text(encoding="utf-8").splitlines()

    def _config(self) -> str:
        auth = ""
        if self.users:
            htpasswd = self.folder / "htpasswd"
            htpasswd.write_text(
                "".join(_htpasswd_line(u, p) for u, p in self.users.items()), encoding="utf-8"
            )
            auth = f'auth_basic "octoci tests"; auth_basic_user_file {htpasswd};'
        dav = "dav_methods PUT DELETE MKCOL; create_full_put_path on; dav_access user:rw;"
        listing = "autoindex on; autoindex_format json;"
        seed = ""
        if self.seed is not None:
            seed = f"location /seed/ {{ alias {self.seed}/; {listing} limit_except GET {{ deny all; }} }}"
        root = self.root
        # Started by root (a CI container), nginx's workers would run as nobody and could not
        # write the test's temporary folder: keep them as the user running the tests.
        user = f"user {getpass.getuser()};" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
        return f"""
{user}
worker_processes 1;
error_log {self.folder}/error.log warn;
pid {self.folder}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    default_type application/octet-stream;
    client_body_temp_path {self.folder}/body;
    proxy_temp_path {self.folder}/proxy;
    fastcgi_temp_path {self.folder}/fastcgi;
    uwsgi_temp_path {self.folder}/uwsgi;
    scgi_temp_path {self.folder}/scgi;
    client_max_body_size 0;
    log_format octoci '$request_method $request_uri $status sha1=$http_x_checksum_sha1 '
                      'sha256=$http_x_checksum_sha256 deploy=$http_x_checksum_deploy';
    access_log {self.access_log} octoci;
    server {{
        listen 127.0.0.1:{self.port};
        root {root};
        location /maven/ {{ {auth} {dav} {listing} }}
        location /generic/ {{ {auth} {dav} {listing} }}
        location /nometa/ {{
            if ($request_method = PUT) {{ set $refuse "put"; }}
            if ($uri ~ "maven-metadata\\.xml$") {{ set $refuse "${{refuse}}meta"; }}
            if ($refuse = "putmeta") {{ return 403; }}
            {dav} {listing}
        }}
        location /readonly/ {{ {listing} limit_except GET {{ deny all; }} }}
        location /checksum-deploy/ {{
            {auth}
            if ($http_x_checksum_deploy = "true") {{ return 404; }}
            {dav} {listing}
        }}
        location /corrupt/ {{
            set $planted "";
            if (-f $request_filename) {{ set $planted "y"; }}
            if ($request_method = PUT) {{ set $planted ""; }}
            if ($request_method = DELETE) {{ set $planted ""; }}
            if ($planted = "y") {{ rewrite ^ /corrupt.body last; }}
            {dav} {listing}
        }}
        location = /corrupt.body {{ internal; }}
        {seed}
    }}
}}
"""

    def start(self) -> NginxServer:
        """Write the configuration, start nginx and wait until it accepts connections."""
        binary = require_nginx()
        self.folder.mkdir(parents=True, exist_ok=True)
        for location in _LOCATIONS:
            (self.root / location).mkdir(parents=True, exist_ok=True)
        (self.root / "corrupt.body").write_bytes(CORRUPT_BODY)

        def command() -> list[str]:
            (self.folder / "nginx.conf").write_text(self._config(), encoding="utf-8")
            return [binary, "-p", str(self.folder), "-c", "nginx.conf", "-g", "daemon off;"]

        def ready() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        self._start_on_a_free_port("nginx", command, ready, wait=10)
        return self
