"""What the Bamboo and Bitbucket Pipelines plugins share about atlassian-python-api.

The library raises ``requests`` exceptions whose text can carry a response body, and logs (at
ERROR, to the ``atlassian`` logger, which octoci does not format) when an error page is not
JSON. :func:`atlassian_errors` turns the first into one-line
:class:`~octoci_plugins._http.CommitSourceError`\\ s written here, never the library's text, and
keeps the second out of the job log, so a failure shows as octoci's single warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from octoci_plugins._http import CommitSourceError

__all__ = ["atlassian_errors"]


@contextmanager
def atlassian_errors(what: str, *, server: str, credential: str) -> Iterator[None]:
    """Run client calls, raising :class:`CommitSourceError` (``what: …``) on any failure.

    ``server`` names the product in messages (``"Bamboo"``); ``credential`` says which setting
    to check when the server refuses it.
    """
    import requests

    library_log = logging.getLogger("atlassian")
    level = library_log.level
    library_log.setLevel(logging.CRITICAL)
    try:
        yield
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        if status in (401, 403):
            raise CommitSourceError(
                f"{what}: {server} refused the credential (HTTP {status}); check {credential}"
            ) from None
        raise CommitSourceError(f"{what}: {server} answered HTTP {status}") from None
    except requests.RequestException as exc:
        raise CommitSourceError(f"{what}: cannot reach {server} ({type(exc).__name__})") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        # The client raises these for answers of the wrong shape (e.g. "Expected type ...").
        raise CommitSourceError(f"{what}: {server}'s answer has an unexpected shape") from None
    finally:
        library_log.setLevel(level)
