"""HTML built so that it cannot be forgotten to escape: every ``str`` is text, only :class:`Html`
(made by :func:`el` or :func:`raw`) is markup.

A link's ``href`` (and a form's ``action``) is kept only when it is a path on this server or an
``http(s)`` URL, so a ``javascript:`` URL in stored build information cannot run.

>>> str(el("p", "<script>", class_="note"))
'<p class="note">&lt;script&gt;</p>'
>>> str(el("a", "x", href="javascript:alert(1)"))
'<a>x</a>'
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["Child", "Html", "el", "join", "raw", "safe_url"]

#: Elements without content or end tag.
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link"})
#: Attributes whose value is a URL the browser follows.
_URL_ATTRIBUTES = frozenset({"href", "action", "src"})


class Html(str):
    """Markup that is already safe to put in a page (never build one from untrusted text)."""

    __slots__ = ()


#: What an element may contain: text (escaped), markup, nothing, or a sequence of those.
Child = str | Html | None | Iterable["Child"]


def raw(markup: str) -> Html:
    """Trusted markup written in this package (a constant), as :class:`Html`."""
    return Html(markup)


def _render(child: Child) -> str:
    if child is None:
        return ""
    if isinstance(child, Html):
        return child
    if isinstance(child, str):
        return html.escape(child, quote=True)
    return "".join(_render(c) for c in child)


def join(*children: Child) -> Html:
    """Children side by side, as one piece of markup."""
    return Html(_render(children))


def safe_url(url: object) -> str | None:
    """``url`` when a browser may follow it (a path on this server, or http/https), else None."""
    if not isinstance(url, str) or not url:
        return None
    if any(ord(c) < 0x20 for c in url):
        return None
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    scheme = urlsplit(url).scheme.lower()
    return url if scheme in {"http", "https"} else None


def el(tag: str, *children: Child, **attributes: str | bool | None) -> Html:
    """The element ``tag`` with escaped ``children`` and ``attributes``.

    ``class_`` and ``for_`` stand for ``class`` and ``for``; ``True`` writes a bare attribute,
    ``None`` and ``False`` leave it out; an unsafe URL attribute is left out.
    """
    parts = [tag]
    for name, value in attributes.items():
        name = name.rstrip("_").replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            parts.append(name)
            continue
        if name in _URL_ATTRIBUTES and safe_url(value) is None:
            continue
        parts.append(f'{name}="{html.escape(value, quote=True)}"')
    opening = f"<{' '.join(parts)}>"
    if tag in _VOID:
        return Html(opening)
    return Html(f"{opening}{_render(children)}</{tag}>")
