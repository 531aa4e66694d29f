"""Masking secrets: every part of a multi-line secret, the forms libraries quote, overlapping
secrets, and one splitting rule for octoci's redactor and the build server's masking command."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import requests

from octoci.local import LocalServer
from octoci.redaction import MASK, RedactingStream, Redactor

#: A token wrapped at 60 characters, as secret stores and editors wrap long values.
WRAPPED = "eyJhbGciOiJSUzI1NiJ9" + "Q" * 40 + "\n" + "R" * 60 + "\n" + "tail-of-the-token"


def test_each_line_of_a_multi_line_secret_is_masked() -> None:
    redact = Redactor([WRAPPED])
    first, second, third = WRAPPED.splitlines()
    assert redact(f"whole: {WRAPPED}") == f"whole: {MASK}"
    assert redact(f"the second line alone: {second}.") == f"the second line alone: {MASK}."
    assert redact(f"{third} and {first}") == f"{MASK} and {MASK}"


def test_a_secret_quoted_by_a_library_exception_is_masked() -> None:
    # requests quotes the header value with repr(): the line break becomes the two characters \n.
    with pytest.raises(requests.exceptions.InvalidHeader) as caught:
        requests.Request(
            "GET", "http://octo.example/api", headers={"Authorization": f"Bearer {WRAPPED}"}
        ).prepare()
    message = str(caught.value)
    assert "\\n" in message
    assert "\n" not in message
    redacted = Redactor([WRAPPED])(message)
    for line in WRAPPED.splitlines():
        assert line not in redacted
    assert redacted.endswith(f"'Bearer {MASK}'")


def test_tabs_and_backslashes_are_masked_as_repr_and_json_quote_them() -> None:
    secret = 'pa\\ss\tw"rd-2026'
    redact = Redactor([secret])
    assert redact(repr(secret)) == f"'{MASK}'"
    assert redact('{"password": "pa\\\\ss\\tw\\"rd-2026"}') == '{"password": "***"}'


def test_a_secret_containing_another_never_leaks_its_suffix() -> None:
    # Either order of registration: the longer one is masked whole, not as "***" + its tail.
    for secrets in (["API-ABCD", "API-ABCD1234SUFFIX"], ["API-ABCD1234SUFFIX", "API-ABCD"]):
        redact = Redactor(secrets)
        assert redact("key API-ABCD1234SUFFIX and API-ABCD") == f"key {MASK} and {MASK}"
    # A line of one secret that is the start of another secret.
    redact = Redactor(["SHORTLINE\nother-line", "SHORTLINE-AND-MORE"])
    assert redact("SHORTLINE-AND-MORE") == MASK


def test_overlapping_secrets_are_masked_as_one_span() -> None:
    redact = Redactor(["XXXXYYYY", "YYYYZZZZ"])
    assert redact("<XXXXYYYYZZZZ>") == f"<{MASK}>"
    assert redact("XXXXYYYY YYYYZZZZ") == f"{MASK} {MASK}"


def test_short_and_blank_lines_are_not_masked() -> None:
    # Masking "ab" or four spaces everywhere would garble every line of output.
    redact = Redactor(["a-long-first-line\nab\n    \n"])
    assert redact("ab    cd") == "ab    cd"
    assert redact("a-long-first-line") == MASK
    assert Redactor(["abc"])("abc") == "abc"


def test_the_stream_masks_a_secret_written_in_pieces() -> None:
    target = io.StringIO()
    stream = RedactingStream(target, Redactor([WRAPPED]))
    half = len(WRAPPED) // 2
    stream.write("token=" + WRAPPED[:half])
    stream.write(WRAPPED[half:] + " end\n")
    stream.flush()
    for line in WRAPPED.splitlines():
        assert line not in target.getvalue()


def test_server_masking_and_the_redactor_split_a_secret_alike(tmp_path: Path) -> None:
    registered: list[str] = []

    class Recording(LocalServer):
        def register_secret(self, secret: str) -> None:
            registered.append(secret)

    server = Recording({}, io.StringIO(), cwd=tmp_path)
    server.mask(WRAPPED + "\n")
    server.mask(WRAPPED)  # registered once per part
    assert registered == [WRAPPED + "\n", WRAPPED, *WRAPPED.splitlines()]
    assert set(Redactor([WRAPPED + "\n"]).secrets) == set(registered)
    server.write(f"line: {WRAPPED.splitlines()[1]}")
    assert WRAPPED.splitlines()[1] not in server.stream.getvalue()  # type: ignore[attr-defined]


def test_proxy_passwords_in_the_environment_are_secrets() -> None:
    redact = Redactor.from_environment(
        {
            "HTTPS_PROXY": "http://bob:Pr0xy%40pass@proxy.example:3128",
            "OCTOCI_PROXY": "http://svc:another-secret@proxy.example:8080",
            "HTTP_PROXY": "http://proxy.example:3128",  # no password: nothing to mask
        }
    )
    assert redact("Pr0xy%40pass Pr0xy@pass another-secret") == f"{MASK} {MASK} {MASK}"
    assert redact("http://proxy.example:3128") == "http://proxy.example:3128"
