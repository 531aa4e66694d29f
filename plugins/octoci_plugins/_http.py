"""A small, shared way for build-server plugins to call their *own* server's REST API.

(Octopus is never called from here: that is ``octoci.octopus``'s job.) ``requests`` is imported
inside the functions, so importing a plugin stays light. Failures become
:class:`CommitSourceError`, whose message never contains the credential, so the core can warn
and fall back to git.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from octoci import __version__
from octoci.errors import OctociError

if TYPE_CHECKING:
    import requests

__all__ = ["CommitSourceError", "api_session", "get_json", "url_origin"]

USER_AGENT = f"octoci/{__version__}"
#: Seconds to connect and to wait for each read; CI APIs that take longer are effectively down.
TIMEOUT = (10, 30)


class CommitSourceError(OctociError):
    """A build server's API could not give the commit list (unreachable, refused, malformed)."""


def api_session(
    *,
    token: str | None = None,
    scheme: str = "Bearer",
    basic: tuple[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    retries: int = 3,
) -> requests.Session:
    """A ``requests`` session with octoci's User-Agent, the credential, and retries with
    back-off on connection errors, 429 and 5xx for idempotent requests."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "application/json"
    if token:
        session.headers["Authorization"] = f"{scheme} {token}"
    if basic:
        session.auth = basic
    session.headers.update(headers or {})
    retry = Retry(
        total=retries,
        backoff_factor=0.5,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def get_json(
    session: requests.Session, url: str, *, params: Mapping[str, Any] | None = None, what: str
) -> Any:
    """GET ``url`` and return its JSON; any failure is a one-line :class:`CommitSourceError`
    naming ``what`` and the status, never the credential."""
    import requests

    try:
        response = session.get(url, params=params, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise CommitSourceError(
            f"{what}: cannot reach {url_origin(url)} ({type(exc).__name__})"
        ) from None
    if response.status_code == 429 or (
        response.status_code == 403 and response.headers.get("X-RateLimit-Remaining") == "0"
    ):
        # GitHub answers 403, not 429, when an API rate limit is used up.
        raise CommitSourceError(
            f"{what}: {url_origin(url)} rate-limited the request; try again later"
        )
    if response.status_code in (401, 403):
        raise CommitSourceError(
            f"{what}: {url_origin(url)} refused the credential (HTTP {response.status_code})"
        )
    if response.status_code >= 400:
        raise CommitSourceError(f"{what}: {url_origin(url)} answered HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise CommitSourceError(f"{what}: {url_origin(url)} did not answer with JSON") from None


def url_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: what errors may show (never a path, query or user)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}"
