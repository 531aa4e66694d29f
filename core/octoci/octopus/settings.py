"""How to reach Octopus: server URL, credentials, space, timeouts, retries, proxy and TLS.

:meth:`OctopusSettings.from_env` reads the variables the official tools use (``OCTOPUS_URL``,
``OCTOPUS_API_KEY``, ``OCTOPUS_ACCESS_TOKEN``, ``OCTOPUS_SPACE``, ``OCTOPUS_SERVICE_ACCOUNT_ID``,
and the older ``OCTOPUS_CLI_SERVER``/``OCTOPUS_HOST``/``OCTOPUS_CLI_API_KEY``), plus the proxy and
CA-bundle variables, from the *injected* environment (never ``os.environ`` directly).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from octoci.errors import InputError
from octoci.normalize import strip_url_credentials

__all__ = ["OctopusSettings", "check_header_value", "normalize_server_url"]

_API_KEY = re.compile(r"^API-[A-Za-z0-9]+$")
#: What a credential header may hold: visible ASCII. API keys are ``API-`` and letters and digits,
#: access tokens are JWTs (base64url and dots); requests refuses line breaks, and http.client
#: cannot encode what is not Latin-1.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]*")


def check_header_value(value: str, name: str) -> None:
    """Refuse a credential that cannot be sent as an HTTP header, naming where it came from.

    ``name`` is the variable (``OCTOPUS_ACCESS_TOKEN``) or what gave the value. Checked before any
    request is sent, so a token with a line break is a clear input error (exit 2), never a
    network failure that is retried. The value itself is never shown.

    :raises InputError: ``value`` holds a line break, a space or tab, or a character outside
        visible ASCII.
    """
    if _HEADER_SAFE.fullmatch(value):
        return
    if "\n" in value or "\r" in value:
        problem = "a line break"
        hint = (
            "store the value on one line (join a token that was wrapped, remove a stray "
            "second line)"
        )
    elif " " in value or "\t" in value:
        problem = "a space or tab"
        hint = "store the value alone, without spaces"
    else:
        problem = "a control or non-ASCII character"
        hint = "copy the value again from Octopus, as plain text"
    raise InputError(f"{name} holds {problem}, which cannot be sent in an HTTP header; {hint}")


def normalize_server_url(url: str) -> str:
    """The server's base URL: no trailing slash, no trailing ``/api``, virtual directory kept.

    >>> normalize_server_url("https://octo.example/octopus/api/")
    'https://octo.example/octopus'
    """
    text = url.strip()
    if not text:
        raise InputError("no Octopus server URL: set OCTOPUS_URL or pass --octopus-url")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InputError(
            f"the Octopus server URL {text!r} is not an http(s) URL, e.g. https://octopus.example"
        )
    if parts.username or parts.password:
        # Credentials in the URL would end up in logs and proxies' access logs.
        raise InputError(
            "the Octopus server URL must not contain a user name or password; "
            "use OCTOPUS_API_KEY or OCTOPUS_ACCESS_TOKEN"
        )
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    if path.lower().endswith("/api"):
        path = path[: -len("/api")]
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, "", ""))


@dataclass(frozen=True)
class OctopusSettings:
    """Everything the client needs to talk to one Octopus Server.

    Example::

        settings = OctopusSettings(url="https://octo.example", api_key="API-XXXX", space="Default")
    """

    url: str
    api_key: str = field(default="", repr=False)
    api_key_variable: str = field(default="OCTOPUS_API_KEY", compare=False)
    """The variable the API key came from, named in messages about it."""
    access_token: str = field(default="", repr=False)
    space: str = ""
    """Space name or id (``Spaces-1``); empty: the server's default space."""
    service_account_id: str = ""
    """With no API key or access token: exchange the build server's OIDC ID token for this
    service account (the token's audience)."""
    connect_timeout: float = 10.0
    read_timeout: float = 300.0
    """Seconds to wait for an answer; big uploads need long (Octopus hashes the file)."""
    retry_budget: float = 120.0
    """Total seconds one operation may spend retrying (connection errors, 5xx, 429)."""
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    proxy: str = ""
    """An explicit proxy URL for every request (``--proxy`` or ``OCTOCI_PROXY``; otherwise
    ``HTTPS_PROXY``/``HTTP_PROXY``)."""
    env_proxies: Mapping[str, str] = field(default_factory=dict)
    no_proxy: str = ""
    ca_bundle: str = ""
    insecure: bool = False
    user_agent_extra: str = ""
    """Appended to the User-Agent, e.g. the build server's name."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", normalize_server_url(self.url))
        key = self.api_key.strip()
        check_header_value(key, self.api_key_variable)
        if key and not _API_KEY.fullmatch(key):
            # Never echo the value: it may be a real secret pasted into the wrong variable.
            raise InputError(
                f"{self.api_key_variable} does not look like an Octopus API key ('API-' "
                "followed by letters and digits); check for quotes or stray whitespace"
            )
        object.__setattr__(self, "api_key", key)
        token = self.access_token.strip()
        if not key:  # the API key wins when both are set: only the one sent is checked
            check_header_value(token, "OCTOPUS_ACCESS_TOKEN")
        object.__setattr__(self, "access_token", token)
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise InputError("timeouts must be greater than 0 seconds")
        if self.retry_budget < 0:
            raise InputError("the retry budget must be 0 seconds or more")
        if self.proxy:
            scheme = urlsplit(self.proxy).scheme.lower()
            if scheme not in ("http", "https", "socks5", "socks5h"):
                # Without its credentials: the proxy may come from OCTOCI_PROXY with a password.
                shown = strip_url_credentials(self.proxy).rpartition("@")[2]
                raise InputError(f"the proxy {shown!r} is not a proxy URL (http://host:port)")

    @property
    def api_url(self) -> str:
        """``<server>/api``."""
        return f"{self.url}/api"

    def replace(self, **changes: Any) -> OctopusSettings:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: Any) -> OctopusSettings:
        """Settings from ``env``; ``overrides`` (command-line values) win when not empty/None."""

        def first_named(*names: str) -> tuple[str, str]:
            for name in names:
                value = env.get(name)
                if value and value.strip():
                    return name, value.strip()
            return names[0], ""

        def first(*names: str) -> str:
            return first_named(*names)[1]

        key_variable, api_key = first_named("OCTOPUS_API_KEY", "OCTOPUS_CLI_API_KEY")
        values: dict[str, Any] = {
            "url": first("OCTOPUS_URL", "OCTOPUS_CLI_SERVER", "OCTOPUS_HOST", "OCTOPUS_SERVER_URL"),
            "api_key": api_key,
            "api_key_variable": key_variable,
            "access_token": first("OCTOPUS_ACCESS_TOKEN"),
            "space": first("OCTOPUS_SPACE"),
            "service_account_id": first("OCTOPUS_SERVICE_ACCOUNT_ID"),
            # The explicit proxy where a password may be given (never on the command line).
            "proxy": first("OCTOCI_PROXY"),
            "env_proxies": {
                scheme: value
                for scheme, value in (
                    ("https", first("HTTPS_PROXY", "https_proxy")),
                    ("http", first("HTTP_PROXY", "http_proxy")),
                )
                if value
            },
            "no_proxy": first("NO_PROXY", "no_proxy"),
            "ca_bundle": first("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"),
        }
        budget = first("OCTOCI_RETRY_BUDGET")
        if budget:
            try:
                values["retry_budget"] = float(budget)
            except ValueError:
                raise InputError(
                    f"OCTOCI_RETRY_BUDGET={budget!r} is not a number of seconds"
                ) from None
        for key, value in overrides.items():
            if value is not None and value != "":
                values[key] = value
        return cls(**values)
