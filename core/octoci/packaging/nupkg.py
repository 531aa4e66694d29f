"""The ``nupkg`` format: a zip with ``<id>.nuspec`` and the three OPC parts NuGet writes.

Parts, in this order: the nuspec, the content (sorted), ``_rels/.rels``,
``package/services/metadata/core-properties/<name>.psmdcp`` and ``[Content_Types].xml``.
NuGet names the psmdcp after a fresh GUID, so its packages are never reproducible; here the name
and the relationship ids are hashes of the id, version and target (like the Octopus Go CLI), so
the same inputs give the same bytes. Entry names are percent-encoded URI segments, as NuGet
stores them and as OPC part names must be.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from octoci.errors import InputError
from octoci.model import PackageEntry, PackageSpec
from octoci.packaging.settings import WriteSettings
from octoci.packaging.zipwriter import MemberPlan, plan_bytes, plan_file, write_zip_members

__all__ = ["NUSPEC_FIELDS", "nuspec_xml", "opc_extension", "opc_part_name", "write_nupkg"]

#: Metadata keys a nupkg takes (nuspec element names); ``authors`` and ``description`` have defaults.
NUSPEC_FIELDS = ("authors", "description", "title", "releaseNotes", "tags")
DEFAULT_DESCRIPTION = "A deployment package created by octoci."
_NUSPEC_NS = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"
_MANIFEST_REL = "http://schemas.microsoft.com/packaging/2010/07/manifest"
_CORE_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
_RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"
_CORE_TYPE = "application/vnd.openxmlformats-package.core-properties+xml"
_OCTET = "application/octet"
_PSMDCP_FOLDER = "package/services/metadata/core-properties"
_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# pchar of RFC 3986 minus what OPC forbids in part names; everything else is percent-encoded.
_SAFE = "!$&'()*+,;=:@-._~"


def opc_part_name(entry_name: str) -> str:
    """The percent-encoded entry name of a content file (``my file.txt`` -> ``my%20file.txt``)."""
    return "/".join(quote(segment, safe=_SAFE) for segment in entry_name.split("/"))


def opc_extension(part_name: str) -> str:
    """The OPC extension: what follows the last '.' of the last segment (``.rels`` -> ``rels``)."""
    segment = part_name.rsplit("/", 1)[-1]
    return segment.rpartition(".")[2] if "." in segment else ""


def _metadata(spec: PackageSpec) -> dict[str, str]:
    unknown = sorted(set(spec.metadata) - set(NUSPEC_FIELDS))
    if unknown:
        raise InputError(
            f"unknown nupkg metadata {', '.join(unknown)}; known: {', '.join(NUSPEC_FIELDS)}"
        )
    values = {k: v.strip() for k, v in spec.metadata.items() if v and v.strip()}
    values.setdefault("authors", spec.id)
    values.setdefault("description", DEFAULT_DESCRIPTION)
    return values


def nuspec_xml(package_id: str, version: str, metadata: Mapping[str, str]) -> bytes:
    """The ``.nuspec``: id, version, authors, description, and title, releaseNotes, tags if given."""
    fields = {"id": package_id, "version": version, **metadata}
    order = ("id", "version", "title", "authors", "description", "releaseNotes", "tags")
    lines = [f"    <{key}>{escape(fields[key])}</{key}>" for key in order if fields.get(key)]
    return (
        f'{_XML_DECLARATION}<package xmlns="{_NUSPEC_NS}">\n  <metadata>\n'
        + "\n".join(lines)
        + "\n  </metadata>\n</package>\n"
    ).encode()


def _psmdcp_name(package_id: str, version: str) -> str:
    digest = hashlib.sha256(f"{package_id}\n{version}".encode()).hexdigest()[:32]
    return f"{_PSMDCP_FOLDER}/{digest}.psmdcp"


def _relationship_id(target: str) -> str:
    # NuGet's form: "R" + 16 hex digits of the SHA-512 of the target.
    return "R" + hashlib.sha512(target.encode()).hexdigest()[:16].upper()


def _rels_xml(nuspec: str, psmdcp: str) -> bytes:
    rows = [
        f'  <Relationship Type="{kind}" Target="/{target}" Id="{_relationship_id("/" + target)}" />'
        for kind, target in ((_MANIFEST_REL, nuspec), (_CORE_REL, psmdcp))
    ]
    return (
        f"{_XML_DECLARATION}<Relationships "
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\n'
        + "\n".join(rows)
        + "\n</Relationships>\n"
    ).encode()


def _core_properties(package_id: str, version: str, metadata: Mapping[str, str]) -> bytes:
    rows = [
        ("dc:creator", metadata["authors"]),
        ("dc:description", metadata["description"]),
        ("dc:identifier", package_id),
        ("version", version),
        ("keywords", metadata.get("tags", "")),
        ("dc:title", metadata.get("title", "")),
        ("lastModifiedBy", "octoci"),
    ]
    body = "\n".join(f"  <{tag}>{escape(text)}</{tag}>" for tag, text in rows if text)
    return (
        f"{_XML_DECLARATION}<coreProperties "
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">\n'
        f"{body}\n</coreProperties>\n"
    ).encode()


def _content_types(part_names: Sequence[str]) -> bytes:
    """Defaults for every extension (case-insensitive, as OPC matches them) and an Override for
    every part without one."""
    defaults = {"rels": _RELS_TYPE, "psmdcp": _CORE_TYPE}
    overrides = []
    for name in part_names:
        suffix = opc_extension(name)
        if suffix:
            defaults.setdefault(suffix.lower(), _OCTET)
        else:
            overrides.append(name)
    rows = [
        f'  <Default Extension={quoteattr(ext)} ContentType="{kind}" />'
        for ext, kind in defaults.items()
    ]
    rows += [
        f'  <Override PartName={quoteattr("/" + name)} ContentType="{_OCTET}" />'
        for name in overrides
    ]
    return (
        f"{_XML_DECLARATION}<Types "
        'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\n'
        + "\n".join(rows)
        + "\n</Types>\n"
    ).encode()


def _refuse_reserved(entries: Sequence[PackageEntry], nuspec: str) -> None:
    for entry in entries:
        lower = entry.name.lower()
        if (
            lower in ("[content_types].xml", nuspec.lower())
            or lower.startswith(("_rels/", "package/"))
            or (lower.endswith(".nuspec") and "/" not in lower)
        ):
            raise InputError(
                f"{entry.source} would become the nupkg part {entry.name!r}, which NuGet "
                "reserves; exclude it (--exclude) or choose --format zip"
            )


def write_nupkg(spec: PackageSpec, entries: Sequence[PackageEntry], destination: Path) -> None:
    """The ``nupkg`` :class:`~octoci.model.PackageWriter`."""
    settings = WriteSettings.from_spec(spec)
    metadata = _metadata(spec)
    nuspec = f"{spec.id}.nuspec"
    _refuse_reserved(entries, nuspec)
    psmdcp = _psmdcp_name(spec.id, spec.version)
    level = settings.level
    content = [PackageEntry(e.source, opc_part_name(e.name)) for e in entries]
    part_names = [nuspec, *(e.name for e in content)]

    def plans() -> Iterator[MemberPlan]:
        yield plan_bytes(nuspec, nuspec_xml(spec.id, spec.version, metadata), level)
        for entry in content:
            yield plan_file(entry, level)
        yield plan_bytes("_rels/.rels", _rels_xml(nuspec, psmdcp), level)
        yield plan_bytes(psmdcp, _core_properties(spec.id, spec.version, metadata), level)
        yield plan_bytes("[Content_Types].xml", _content_types(part_names), level)

    write_zip_members(plans(), destination, settings)
