"""The one HTTP connection to Octopus: authentication, retries, timeouts, proxies, TLS, discovery.

Retry policy (within :attr:`OctopusSettings.retry_budget` seconds in total per operation):

* a connection that could not be opened is always retried: nothing reached the server. Until
  the server has answered once, though, such retries (refused, an unknown host name, a connect
  timeout) stop after :data:`UNREACHABLE_BUDGET` seconds: nothing listening at the address is
  almost always a wrong URL or a server that is down, and 104 s of retries only hide that. Once
  it has answered, a refused connection is a restart and gets the whole budget;
* 429 and 503 are retried, waiting ``Retry-After`` when the server gives one: Octopus did not act;
* read timeouts, dropped connections and 500/502/504 are retried only for idempotent requests
  (GET). For a POST they are *ambiguous* (the server may have acted) and are raised so that the
  caller can check what happened before trying again (see :mod:`octoci.octopus.packages`);
* waits grow exponentially (``backoff_base * 2**n``, capped at ``backoff_max``) with jitter, so
  many CI jobs retrying together do not hammer a recovering server in lockstep.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from octoci.errors import InputError
from octoci.net import UNREACHABLE_BUDGET, backoff_wait, retry_pause
from octoci.net import never_sent as _never_sent
from octoci.net import reason as _reason
from octoci.net import retry_after as _retry_after
from octoci.net import unreachable as _unreachable
from octoci.net import user_agent as _user_agent
from octoci.octopus.errors import (
    OctopusApiError,
    OctopusConnectionError,
    OctopusNotFoundError,
    ServerTooOldError,
    UnknownNameError,
    api_error,
)
from octoci.octopus.settings import OctopusSettings, check_header_value
from octoci.redaction import Redactor, url_password

if TYPE_CHECKING:
    # requests (with urllib3 and ssl, ~70 ms) is imported when a connection is made, not with
    # this module: publish plans and starts packing before it needs one.
    import requests

__all__ = ["EXECUTIONS_API_VERSION", "Connection", "TokenSource", "parse_server_version"]

log = logging.getLogger("octoci")

#: The Executions API (releases/deployments/runbook runs ``create/v1``) needs this server version.
EXECUTIONS_API_VERSION = (2022, 3, 5512)
#: A token is renewed this long before it expires (Octopus's own C# client uses 30 s).
TOKEN_RENEW_SECONDS = 60.0
_TAKE_ALL = 2147483647

#: ``() -> (access_token, expires_at)``, ``expires_at`` on the :func:`time.monotonic` clock.
TokenSource = Callable[[], tuple[str, float]]


def parse_server_version(text: str) -> tuple[int, ...] | None:
    """``"2024.2.1234"`` -> ``(2024, 2, 1234)``; ``None`` when it is not a version.

    ``0.0.0`` (a developer build) counts as the newest version, as api-client.ts treats it.
    """
    match = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if match is None:
        return None
    numbers = tuple(int(g or 0) for g in match.groups())
    if numbers == (0, 0, 0):
        return (9999, 0, 0)
    return numbers


def _no_proxy_match(host: str, port: int | None, no_proxy: str) -> bool:
    """True when ``NO_PROXY`` exempts ``host`` (names, ``.suffix``, ``host:port``, IPs, CIDRs, ``*``)."""
    host = host.lower().strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for raw in no_proxy.replace(" ", "").split(","):
        entry = raw.lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry_port: int | None = None
        if ":" in entry and not entry.startswith("[") and entry.count(":") == 1:
            entry, _, port_text = entry.partition(":")
            entry_port = int(port_text) if port_text.isdigit() else None
        if entry_port is not None and port is not None and entry_port != port:
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry.strip("[]"), strict=False):
                    return True
            except ValueError:
                pass
            continue
        entry = entry.lstrip("*").lstrip(".")
        if host == entry or host.endswith("." + entry):
            return True
    return False


class Connection:
    """A ``requests`` session bound to one Octopus Server and space.

    Example::

        connection = Connection(OctopusSettings(url="https://octo.example", api_key="API-XXX"))
        root = connection.root()                       # GET /api, once
        projects = connection.get(connection.space_path("/projects/all"), what="listing projects")
    """

    def __init__(
        self,
        settings: OctopusSettings,
        *,
        redactor: Redactor | None = None,
        token_source: TokenSource | None = None,
        sleep: Callable[[float], None] = time.sleep,
        anonymous: bool = False,
    ) -> None:
        self.settings = settings
        self.redact = redactor or Redactor()
        self.redact.add([s for s in (settings.api_key, settings.access_token) if s])
        for proxy in (settings.proxy, *settings.env_proxies.values()):
            self.redact.add(url_password(proxy))
        self._token_source = token_source
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()
        self._sleep = sleep
        self._root: dict[str, Any] | None = None
        self._space: tuple[str | None, str] | None = None
        # Re-entrant: resolving the space reads the root document, both under this lock.
        self._lock = threading.RLock()
        # Whether the server ever answered: until then, a connection that cannot be opened
        # fails fast (UNREACHABLE_BUDGET) rather than after the whole retry budget.
        self._answered = False
        self.session = self._make_session()
        # ``anonymous`` connections only make unauthenticated calls (OIDC discovery and exchange).
        if not (anonymous or settings.api_key or settings.access_token or token_source):
            raise InputError(
                "no Octopus credentials: set OCTOPUS_API_KEY, OCTOPUS_ACCESS_TOKEN, or "
                "OCTOPUS_SERVICE_ACCOUNT_ID for OIDC (run inside a build server that issues "
                "ID tokens)"
            )

    # ------------------------------------------------------------------ session
    def _make_session(self) -> requests.Session:
        import requests
        from requests.adapters import HTTPAdapter

        settings = self.settings
        session = requests.Session()
        # The environment is injected (tests, embedding): requests must not read os.environ for
        # proxies, CA bundles or .netrc credentials behind our back.
        session.trust_env = False
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=16, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update(
            {
                "User-Agent": _user_agent(settings.user_agent_extra),
                "Accept": "application/json",
            }
        )
        if settings.insecure:
            session.verify = False
            log.warning(
                "TLS certificate verification is off (--insecure): use --ca-bundle instead "
                "where you can"
            )
        elif settings.ca_bundle:
            session.verify = settings.ca_bundle
        return session

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def proxies_for(self, url: str) -> dict[str, str]:
        """The proxy mapping ``requests`` should use for ``url``."""
        settings = self.settings
        if settings.proxy:
            return {"http": settings.proxy, "https": settings.proxy}
        parts = urlsplit(url)
        proxy = settings.env_proxies.get(parts.scheme)
        if not proxy:
            return {}
        if settings.no_proxy and _no_proxy_match(
            parts.hostname or "", parts.port, settings.no_proxy
        ):
            return {}
        return {parts.scheme: proxy}

    # ------------------------------------------------------------------ auth
    def auth_headers(self) -> dict[str, str]:
        """The credential header: the API key, else a (renewed when due) bearer token."""
        if self.settings.api_key:
            return {"X-Octopus-ApiKey": self.settings.api_key}
        if self.settings.access_token:
            return {"Authorization": f"Bearer {self.settings.access_token}"}
        return {"Authorization": f"Bearer {self.access_token()}"}

    def access_token(self) -> str:
        """The current OIDC access token, exchanged again when it is about to expire."""
        if self._token_source is None:
            raise InputError("no OIDC token source is configured")
        with self._token_lock:
            if self._token is None or time.monotonic() > self._token[1] - TOKEN_RENEW_SECONDS:
                if self._token is not None:
                    log.info("the Octopus access token is about to expire; exchanging a new one")
                token = self._token_source()
                self.redact.add([token[0]])
                # Checked before it is sent: a refused header is bad input, never retried.
                check_header_value(token[0], "the access token from the OIDC exchange")
                self._token = token
            return self._token[0]

    # ------------------------------------------------------------------ requests
    def url(self, path: str) -> str:
        """An absolute URL for ``path`` (``/api/...``); absolute URLs pass through."""
        if path.startswith(("http://", "https://")):
            return path
        return self.settings.url + (path if path.startswith("/") else "/" + path)

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        ok: Iterable[int] = (200, 201, 202, 204),
        idempotent: bool | None = None,
        permission: str = "",
        authenticate: bool = True,
        timeout: float | None = None,
    ) -> requests.Response:
        """Send a request with retries; return the response when its status is in ``ok``.

        :param what: what is being done, for error messages (``"creating release 1.2.3"``).
        :param idempotent: whether an ambiguous failure may simply be retried (default: GET/HEAD).
        :param permission: the Octopus permission needed, named when the answer is 403.
        :raises OctopusApiError: an error status (after retries for 429/5xx).
        :raises OctopusConnectionError: no answer within the retry budget, or an ambiguous failure
            of a non-idempotent request (``ambiguous=True``).
        """
        import requests
        import urllib3

        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD")
        url = self.url(path)
        accepted = set(ok)
        budget = self.settings.retry_budget
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            request_headers = dict(headers or {})
            if authenticate:
                request_headers.update(self.auth_headers())
            problem: str
            wait: float | None = None
            last: requests.Response | None = None
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
                    response = self.session.request(
                        method,
                        url,
                        params=params,
                        json=json,
                        data=data,
                        headers=request_headers,
                        timeout=(
                            self.settings.connect_timeout,
                            timeout if timeout is not None else self.settings.read_timeout,
                        ),
                        proxies=self.proxies_for(url),
                        # requests drops only the Authorization header on a redirect to another
                        # host; X-Octopus-ApiKey would follow. Redirects are reported instead.
                        allow_redirects=False,
                    )
            except requests.exceptions.SSLError as exc:
                reason = _reason(exc)
                if "CERTIFICATE_VERIFY_FAILED" in reason or "certificate" in reason.lower():
                    hint = (
                        "pass --ca-bundle FILE (or set REQUESTS_CA_BUNDLE) for a private "
                        "certificate authority, or --insecure to skip verification"
                    )
                else:
                    hint = "does the server speak TLS on this port (http:// rather than https://?)"
                raise OctopusConnectionError(
                    self.redact(
                        f"{what} failed: TLS error talking to {self.settings.url}: {reason}; {hint}"
                    )
                ) from None
            except requests.exceptions.InvalidURL as exc:
                raise InputError(
                    self.redact(f"{what} failed: invalid URL: {_reason(exc)}")
                ) from None
            except requests.exceptions.InvalidHeader:
                # Credentials are checked before (check_header_value); this is a header from
                # elsewhere. Its value may be a secret, so it is not quoted, and nothing was sent:
                # bad input, not a network failure to retry.
                names = ", ".join(request_headers) or "none"
                raise InputError(
                    f"{what} failed: a request header holds a line break or another character "
                    f"that cannot be sent in HTTP (headers: {names})"
                ) from None
            except requests.exceptions.RequestException as exc:
                safe = _never_sent(exc)
                problem = _unreachable(exc) or _reason(exc)
                if safe and not self._answered:
                    budget = min(budget, UNREACHABLE_BUDGET)
                if not (safe or idempotent):
                    raise OctopusConnectionError(
                        self.redact(
                            f"{what}: the connection to {self.settings.url} failed before "
                            f"Octopus answered ({problem})"
                        ),
                        ambiguous=True,
                    ) from None
            else:
                self._answered = True
                budget = self.settings.retry_budget
                if response.status_code in accepted:
                    return response
                status = response.status_code
                retryable = status in (429, 503) or (idempotent and status in (500, 502, 504))
                if 300 <= status < 400:
                    location = response.headers.get("Location", "?")
                    raise OctopusApiError(
                        self.redact(
                            f"{what} failed: {urlsplit(url).path} redirects (HTTP {status}) to "
                            f"{location}; set OCTOPUS_URL to the address Octopus answers at "
                            "(https://, the right host and virtual directory)"
                        ),
                        status=status,
                    )
                if not retryable:
                    raise self._error(response, what, permission)
                wait = _retry_after(response)
                problem = f"HTTP {status}"
                last = response
                response.close()
            elapsed = time.monotonic() - started
            if wait is None:
                wait = backoff_wait(attempt, self.settings.backoff_base, self.settings.backoff_max)
            if elapsed + wait > budget:
                self._give_up(what, problem, attempt, elapsed, wait, budget, last, url)
            retry_pause(what, self.redact(problem), wait, attempt, self._sleep)

    def _give_up(
        self,
        what: str,
        problem: str,
        attempts: int,
        elapsed: float,
        wait: float,
        budget: float,
        response: requests.Response | None,
        url: str,
    ) -> None:
        tried = f"{attempts} attempt{'s' if attempts != 1 else ''} in {elapsed:.0f} s"
        if problem.startswith("HTTP ") and response is not None:
            error = self._error(response, what, "")
            hint = ""
            if response.status_code == 429:
                hint = (
                    f"; the server asked to wait {wait:.0f} s, beyond the retry budget of "
                    f"{budget:.0f} s (OCTOCI_RETRY_BUDGET)"
                    if wait > budget
                    else ""
                )
            raise type(error)(
                f"{error} (gave up after {tried}{hint})", status=error.status, errors=error.errors
            )
        proxy = next(iter(self.proxies_for(url).values()), "")
        via = ""
        if proxy:
            parts = urlsplit(proxy)
            # A proxy URL may carry a user name and password: show only where it is.
            via = f" through the proxy {parts.scheme}://{parts.hostname}:{parts.port or ''}".rstrip(
                ":"
            )
        raise OctopusConnectionError(
            self.redact(
                f"{what} failed: cannot reach Octopus at {self.settings.url}{via} ({problem}; "
                f"gave up after {tried}); check the URL, the network, and the proxy settings"
            )
        )

    def _error(self, response: requests.Response, what: str, permission: str) -> OctopusApiError:
        try:
            body: Any = response.json()
            text = ""
        except ValueError:
            body, text = None, response.text
        error = api_error(response.status_code, body, what, permission=permission, text=text)
        return type(error)(self.redact(str(error)), status=error.status, errors=error.errors)

    def get_json(self, path: str, *, what: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and decode its JSON."""
        response = self.request("GET", path, what=what, params=params)
        return _json(response, what)

    def post_json(
        self,
        path: str,
        body: Any,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        permission: str = "",
        idempotent: bool = False,
        ok: Iterable[int] = (200, 201, 202, 204),
    ) -> Any:
        """POST ``body`` as JSON and decode the JSON answer (``None`` for an empty one)."""
        response = self.request(
            "POST",
            path,
            what=what,
            params=params,
            json=body,
            permission=permission,
            idempotent=idempotent,
            ok=ok,
        )
        if not response.content:
            return None
        return _json(response, what)

    # ------------------------------------------------------------------ discovery
    def root(self) -> dict[str, Any]:
        """The root document (``GET /api``), fetched once per connection."""
        with self._lock:
            if self._root is None:
                body = self.get_json("/api", what=f"connecting to Octopus at {self.settings.url}")
                if not isinstance(body, dict) or "Links" not in body:
                    raise OctopusApiError(
                        f"{self.settings.url} answered /api with something that is not an Octopus "
                        "root document; check OCTOPUS_URL (include any virtual directory)"
                    )
                self._root = body
            return self._root

    @property
    def server_version(self) -> tuple[int, ...] | None:
        """The server's version from the root document."""
        return parse_server_version(str(self.root().get("Version") or ""))

    def require_version(self, minimum: tuple[int, ...], operation: str) -> None:
        """Fail with a clear message when the server is older than ``minimum``."""
        version = self.server_version
        if version is not None and version < minimum:
            wanted = ".".join(map(str, minimum))
            raise ServerTooOldError(
                f"{operation} needs Octopus Server {wanted} or later; {self.settings.url} runs "
                f"{self.root().get('Version')}"
            )

    def link(self, name: str) -> str:
        """A link of the root document (``""`` when the server does not offer it)."""
        links = self.root().get("Links") or {}
        value = links.get(name) if isinstance(links, dict) else None
        return value if isinstance(value, str) else ""

    def space_id(self) -> str | None:
        """The id of the configured space (resolved once); ``None`` on servers without spaces."""
        with self._lock:
            if self._space is None:
                self._space = self._resolve_space()
            return self._space[0]

    @property
    def space_name(self) -> str:
        """The configured space's name (looked up on first use when only the id is known)."""
        space_id = self.space_id()
        assert self._space is not None
        if not self._space[1] and space_id:
            try:
                space = self.get_json(f"/api/spaces/{space_id}", what="looking up the space")
                name = str(space.get("Name") or space_id)
            except OctopusApiError:
                name = space_id
            with self._lock:
                self._space = (space_id, name)
        return self._space[1]

    def space_path(self, rest: str) -> str:
        """``/api/{spaceId}{rest}``, or ``/api{rest}`` on a server without spaces."""
        space = self.space_id()
        return f"/api/{space}{rest}" if space else f"/api{rest}"

    def _resolve_space(self) -> tuple[str | None, str]:
        wanted = self.settings.space.strip()
        what = "looking up spaces"
        if not wanted:
            # The root document carries the default space's links (/api/Spaces-1/...): no extra
            # request. Its name is looked up only when a message needs it.
            home = re.match(r"^(?:/[^/]+)*?/api/(Spaces-\d+)(?:/|$)", self.link("SpaceHome"))
            if home:
                return home.group(1), ""
            try:
                spaces = self.get_json("/api/spaces/all", what=what)
            except OctopusNotFoundError:
                return None, ""  # a server from before spaces (2019.1): space-less routes
            default = next((s for s in spaces if isinstance(s, dict) and s.get("IsDefault")), None)
            if default is None:
                names = ", ".join(str(s.get("Name")) for s in spaces if isinstance(s, dict))
                raise InputError(
                    f"the Octopus Server has no default space; set OCTOPUS_SPACE or pass --space "
                    f"(spaces: {names or 'none'})"
                )
            return str(default["Id"]), str(default.get("Name") or "")
        if re.fullmatch(r"Spaces-\d+", wanted, re.IGNORECASE):
            try:
                space = self.get_json(f"/api/spaces/{wanted}", what=what)
                return str(space["Id"]), str(space.get("Name") or "")
            except OctopusNotFoundError:
                pass  # a space may also be *named* like an id; look it up by name below
        found = self.get_json(
            "/api/spaces",
            what=what,
            params={"partialName": wanted, "skip": 0, "take": _TAKE_ALL},
        )
        items = [s for s in (found.get("Items") or []) if isinstance(s, dict)]
        exact = [s for s in items if s.get("Name") == wanted] or [
            s for s in items if str(s.get("Name", "")).lower() == wanted.lower()
        ]
        if exact:
            return str(exact[0]["Id"]), str(exact[0].get("Name") or "")
        try:
            every = self.get_json("/api/spaces/all", what=what)
            space_names = [str(s.get("Name")) for s in every if isinstance(s, dict)]
        except OctopusApiError:
            space_names = [str(s.get("Name")) for s in items]
        raise UnknownNameError(
            f"the space {wanted!r} was not found{close_matches(wanted, space_names)}"
        )


def close_matches(wanted: str, names: Iterable[str]) -> str:
    """``"; did you mean 'X'?"`` or ``" (known: a, b)"`` for a not-found message."""
    known = sorted(set(names), key=str.lower)
    lowered = {n.lower(): n for n in known}
    matches = get_close_matches(wanted.lower(), list(lowered), n=3, cutoff=0.6)
    if matches:
        return "; did you mean " + " or ".join(repr(lowered[m]) for m in matches) + "?"
    if known:
        shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
        return f" (known: {shown})"
    return " (there are none)"


def _json(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise OctopusApiError(
            f"{what}: Octopus answered HTTP {response.status_code} with something that is not "
            "JSON (a proxy's page?); check OCTOPUS_URL"
        ) from None
