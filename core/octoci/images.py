"""Container images named in ``[[packages]]`` (``image = "acme/shop-web"``, ``tag = "..."``):
octoci neither builds nor pushes them (docker, buildah or kaniko did), but their build
information and the release's package selection cover them.

The names follow the OCI distribution spec, as a Docker step's package id in Octopus is written:
the repository without the registry host (that is the Docker feed's URL) and without a tag.
"""

from __future__ import annotations

import re

from octoci.package_names import validate_version

__all__ = ["IMAGE_NAME", "bare_image", "image_problem", "tag_problem"]

#: A repository name: lower-case path components separated by ``/`` (the distribution spec).
IMAGE_NAME = re.compile(
    r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*"
)
#: A tag: what ``docker tag`` accepts.
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def bare_image(name: str) -> str:
    """``name`` without a registry host, a tag or a digest (``ghcr.io/acme/web:1.2`` ->
    ``acme/web``)."""
    name = name.strip().split("@", 1)[0]
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        name = rest
    colon = name.rfind(":")
    return name[:colon] if colon > name.rfind("/") else name


def image_problem(name: str) -> str | None:
    """Why ``name`` is not an image name as Octopus's Docker steps name it, or ``None``.

    >>> image_problem("acme/shop-web") is None
    True
    >>> image_problem("ghcr.io/acme/web:1.2").endswith("e.g. 'acme/web'")
    True
    """
    bare = bare_image(name)
    if bare != name:
        return (
            "write the image without the registry host or a tag (the registry is the Octopus "
            f"Docker feed's URL, the tag goes in tag =), e.g. {bare.lower()!r}"
        )
    if IMAGE_NAME.fullmatch(name):
        return None
    return "an image name is lower-case letters, digits and . _ - in /-separated parts"


def tag_problem(tag: str) -> str | None:
    """Why ``tag`` cannot be an image tag that Octopus selects as a version, or ``None``
    (Octopus orders a Docker feed's tags as versions and ignores other tags)."""
    if not _TAG.fullmatch(tag):
        return "a tag is up to 128 letters, digits and _ . - (not starting with . or -)"
    problem = validate_version(tag)
    if problem:
        return f"Octopus selects a tag as a version, and {tag!r} is not one ({problem})"
    return None
