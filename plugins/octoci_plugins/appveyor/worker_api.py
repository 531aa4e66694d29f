"""AppVeyor's build worker API: the HTTP service at ``APPVEYOR_API_URL`` on every build worker,
behind ``Add-AppveyorMessage``, ``Set-AppveyorBuildVariable`` and ``Push-AppveyorArtifact``.

JSON bodies, no authentication (it listens on localhost for the running build only):

* ``POST api/build/messages {message, category, details}`` - the build's Messages tab;
* ``POST api/build/compilationmessages {message, category, details, fileName, line, ...}``;
* ``POST api/build/variables {name, value}`` - an environment variable of the later steps;
* ``POST api/artifacts {path, fileName, name, type}`` - answers a JSON string, the URL to upload
  the file to: a Google Cloud Storage URL takes a ``PUT`` of the bytes and is then finalised
  with ``PUT api/artifacts {fileName, size}``; any other URL takes a multipart ``POST`` of the
  file, as .NET's ``WebClient.UploadFile`` (AppVeyor's own client) sends it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from octoci.errors import OctociError
from octoci_plugins._http import TIMEOUT, api_session, url_origin

if TYPE_CHECKING:
    import requests

__all__ = ["CATEGORIES", "WorkerApi", "WorkerApiError"]

#: AppVeyor's message categories.
CATEGORIES = ("information", "warning", "error")
#: Upload hosts that take a PUT of the bytes and a finalising call (docs: build-worker-api).
_PUT_UPLOAD_HOSTS = ("storage.googleapis.com",)


class WorkerApiError(OctociError):
    """The build worker API refused a call or could not be reached."""


class WorkerApi:
    """A client of the build worker API at ``base_url`` (``APPVEYOR_API_URL``).

    Example::

        api = WorkerApi("http://localhost:1024/")
        api.add_message("Pushed Shop 1.2.3 to Octopus", "information")
        api.set_variable("OCTOCI_RELEASE", "1.2.3")
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        """One ``requests`` session for every call of the run."""
        if self._session is None:
            self._session = api_session()
        return self._session

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> requests.Response:
        import requests

        url = urljoin(self.base_url, path)
        try:
            response = self.session.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise WorkerApiError(
                f"AppVeyor build worker API ({url_origin(url)}): cannot {what} ({type(exc).__name__})"
            ) from None
        if response.status_code >= 400:
            raise WorkerApiError(
                f"AppVeyor build worker API ({url_origin(url)}): cannot {what} "
                f"(HTTP {response.status_code})"
            )
        return response

    def add_message(self, message: str, category: str, details: str = "") -> None:
        """A message on the build's Messages tab."""
        if category not in CATEGORIES:
            raise ValueError(f"category must be one of {CATEGORIES}")
        body = {"message": message, "category": category, "details": details}
        self._call("POST", "api/build/messages", "add a build message", json=body)

    def add_compilation_message(
        self, message: str, category: str, *, file: str, line: int | None = None
    ) -> None:
        """A message tied to a file (and line), as compilers' warnings and errors are shown."""
        body: dict[str, Any] = {"message": message, "category": category, "fileName": file}
        if line:
            body["line"] = line
        self._call("POST", "api/build/compilationmessages", "add a compilation message", json=body)

    def set_variable(self, name: str, value: str) -> None:
        """An environment variable for the later steps of this job."""
        self._call(
            "POST",
            "api/build/variables",
            f"set the build variable {name}",
            json={"name": name, "value": value},
        )

    def push_artifact(self, path: Path, name: str | None = None, kind: str | None = None) -> None:
        """Upload ``path`` as an artifact of this job (``name`` is its deployment name)."""
        body: dict[str, Any] = {"path": str(path), "fileName": path.name}
        if name:
            body["name"] = name
        if kind:
            body["type"] = kind
        what = f"push the artifact {path.name}"
        answer = self._call("POST", "api/artifacts", what, json=body)
        try:
            upload_url = answer.json()
        except ValueError:
            upload_url = None
        if not isinstance(upload_url, str) or not upload_url.startswith(("http://", "https://")):
            raise WorkerApiError(f"AppVeyor build worker API: no upload URL to {what}")
        try:
            size = path.stat().st_size
            with path.open("rb") as handle:
                if (urlsplit(upload_url).hostname or "") in _PUT_UPLOAD_HOSTS:
                    self._call("PUT", upload_url, what, data=handle)
                    self._call(
                        "PUT", "api/artifacts", what, json={"fileName": path.name, "size": size}
                    )
                else:
                    self._call("POST", upload_url, what, files={"file": (path.name, handle)})
        except OSError as exc:
            raise WorkerApiError(
                f"cannot read the artifact {path}: {exc.strerror or exc}"
            ) from None

    def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            self._session.close()
            self._session = None
