"""Masking secrets in everything octoci writes: output, logs and error messages.

One rule says which parts of a secret are masked (:func:`secret_parts`: the whole value and each
line); the run's :class:`Redactor` and every build server's masking command
(:meth:`octoci.server.CIServer.mask`) both use it. The redactor also masks each part as libraries
quote it (:func:`quoted_forms`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import TextIO

__all__ = [
    "MASK",
    "RedactingStream",
    "Redactor",
    "environment_secrets",
    "quoted_forms",
    "secret_parts",
    "url_password",
]

MASK = "***"
#: Shorter values are not masked: replacing "1" or "ab" everywhere would garble output.
MIN_SECRET_LENGTH = 4
SECRET_VARIABLES = ("OCTOPUS_API_KEY", "OCTOPUS_ACCESS_TOKEN", "OCTOPUS_CLI_API_KEY")
#: Variables holding a proxy URL, whose password (``http://user:PASSWORD@host``) is a secret.
PROXY_VARIABLES = (
    "OCTOCI_PROXY",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)


def secret_parts(secret: str) -> list[str]:
    """The parts of ``secret`` that are masked on their own: the one splitting rule.

    The value as given, without surrounding whitespace, and, for a multi-line value (a token
    wrapped at 60 characters, a stray second line), each line, because a line can be written on
    its own. Parts shorter than :data:`MIN_SECRET_LENGTH` (once stripped) are left out.

    >>> secret_parts("AAAAAA\\nBBBB\\nab")
    ['AAAAAA\\nBBBB\\nab', 'AAAAAA', 'BBBB']
    """
    candidates = [secret, secret.strip(), *(line.strip() for line in secret.splitlines())]
    return [part for part in dict.fromkeys(candidates) if len(part.strip()) >= MIN_SECRET_LENGTH]


def quoted_forms(part: str) -> list[str]:
    """``part`` as written and as Python's ``repr`` and JSON quote it (``\\n``, ``\\t``,
    ``\\\\``): libraries' exceptions quote values that way (requests' ``InvalidHeader``)."""
    import json  # here, not at the top: ``octoci --help`` masks its page without paying for it

    return list(dict.fromkeys([part, repr(part)[1:-1], json.dumps(part, ensure_ascii=False)[1:-1]]))


def url_password(url: str) -> list[str]:
    """The password in a URL's ``user:password@``, as written and decoded (``%40`` is ``@``);
    ``[]`` when there is none."""
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url.strip()).password
    except ValueError:  # not a URL (a bad port): nothing to mask, it is refused where it is used
        return []
    if not password:
        return []
    return list(dict.fromkeys([password, unquote(password)]))


def environment_secrets(env: Mapping[str, str]) -> list[str]:
    """The secrets every run knows from its environment: the Octopus credentials
    (``OCTOPUS_API_KEY`` ...) and the passwords in the proxy variables."""
    values: list[str] = []
    for name in (*SECRET_VARIABLES, *PROXY_VARIABLES):
        try:
            value = env.get(name)
        except Exception:  # a non-UTF-8 value is reported where it is used
            continue
        if not value:
            continue
        values.extend(url_password(value) if name in PROXY_VARIABLES else [value])
    return values


class Redactor:
    """Replaces every known secret with ``***``: each of its :func:`secret_parts`, as written
    and as libraries quote it (:func:`quoted_forms`).

    Example::

        redact = Redactor(["API-ABC123"])
        redact("key API-ABC123 rejected")   # 'key *** rejected'
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._parts: set[str] = set()
        self._forms: list[str] = []
        self.add(secrets)

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Redactor:
        """A redactor for the secrets every run knows (:func:`environment_secrets`)."""
        return cls(environment_secrets(env))

    def add(self, secrets: Iterable[str]) -> None:
        """Mask these values from now on."""
        forms = set(self._forms)
        for secret in secrets:
            for part in secret_parts(secret or ""):
                self._parts.add(part)
                forms.update(quoted_forms(part))
        self._forms = _longest_first(forms)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values being masked (each part of each secret, see :func:`secret_parts`)."""
        return tuple(_longest_first(self._parts))

    def __call__(self, text: str) -> str:
        # Every occurrence of every form is marked first and the marked spans are replaced
        # together: replacing one secret at a time would leave the tail of another that
        # overlaps it ("***" + the rest) in the text.
        spans: list[tuple[int, int]] = []
        for secret in self._forms:
            start = text.find(secret)
            while start != -1:
                spans.append((start, start + len(secret)))
                start = text.find(secret, start + 1)
        if not spans:
            return text
        spans.sort()
        pieces: list[str] = []
        position = 0
        end = -1
        for start, stop in spans:
            if start > end:  # a new masked span begins after the previous one ended
                if end >= 0:
                    pieces.append(MASK)
                pieces.append(text[position:start])
                end = stop
            else:
                end = max(end, stop)
            position = end
        pieces.append(MASK)
        pieces.append(text[end:])
        return "".join(pieces)


def _longest_first(values: Iterable[str]) -> list[str]:
    return sorted(values, key=lambda value: (-len(value), value))


class RedactingStream(io.TextIOBase):
    """A text stream that masks secrets in whatever is written through it, line by line.

    Whole lines are redacted, so a secret split across two ``write`` calls is still caught;
    a partial line waits in the buffer until a newline or :meth:`flush`.
    """

    def __init__(self, target: TextIO, redactor: Redactor) -> None:
        super().__init__()
        self._target = target
        self._redactor = redactor
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            complete, _, self._pending = self._pending.rpartition("\n")
            self._target.write(self._redactor(complete) + "\n")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._target.write(self._redactor(self._pending))
            self._pending = ""
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target, "encoding", None) or "utf-8"
