"""nupkg validity: one nuspec agreeing with the file name, and every OPC part in place."""

from __future__ import annotations

import zipfile
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

import pytest

from octoci.errors import InputError
from octoci.package_names import parse_package_filename
from octoci.packaging.nupkg import nuspec_xml, opc_extension, opc_part_name

NUSPEC = "{http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd}"
TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def check_opc(path: Path) -> dict[str, str]:
    """Assert what a strict OPC reader (System.IO.Packaging) checks; return the nuspec fields."""
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        parts = {n: archive.read(n) for n in names}
    assert len(names) == len({n.lower() for n in names})  # OPC part names are case-insensitive
    nuspecs = [n for n in names if n.endswith(".nuspec")]
    assert len(nuspecs) == 1
    assert "/" not in nuspecs[0]
    types = ElementTree.fromstring(parts["[Content_Types].xml"])
    defaults = {d.get("Extension", "").lower() for d in types.iter(f"{TYPES}Default")}
    overrides = {o.get("PartName") for o in types.iter(f"{TYPES}Override")}
    for name in names:
        if name == "[Content_Types].xml":
            continue
        assert " " not in name
        assert "//" not in name
        suffix = opc_extension(name).lower()
        assert suffix in defaults if suffix else f"/{name}" in overrides, name
    rels = ElementTree.fromstring(parts["_rels/.rels"])
    targets = {r.get("Target"): r.get("Type") for r in rels.iter(f"{RELS}Relationship")}
    assert len(targets) == 2
    for target in targets:
        assert target is not None
        assert target.lstrip("/") in parts
    ids = [r.get("Id") for r in rels.iter(f"{RELS}Relationship")]
    assert all(i and i[0] == "R" for i in ids)
    assert len(set(ids)) == 2
    core = [n for n in names if n.startswith("package/services/metadata/core-properties/")]
    assert len(core) == 1
    assert core[0].endswith(".psmdcp")
    ElementTree.fromstring(parts[core[0]])
    spec = ElementTree.fromstring(parts[nuspecs[0]])
    metadata = spec.find(f"{NUSPEC}metadata")
    assert metadata is not None
    return {child.tag.removeprefix(NUSPEC): child.text or "" for child in metadata}


def test_nupkg_is_valid_and_agrees_with_its_file_name(tree: Path, pack) -> None:
    package = pack(tree, format="nupkg", version="2.0.0-beta.1")
    fields = check_opc(package.path)
    parsed = parse_package_filename(package.path.name)
    assert parsed is not None
    assert (
        (fields["id"], fields["version"])
        == (parsed.id, parsed.version)
        == ("Acme.Web", "2.0.0-beta.1")
    )
    assert fields["authors"]
    assert fields["description"]


def test_metadata_is_written_and_escaped(tree: Path, pack) -> None:
    metadata = {
        "authors": "Ann & Bob",
        "title": "Acme <Web>",
        "description": "Ships the web site",
        "releaseNotes": 'Fixed "quotes" & <tags>',
        "tags": "web acme",
    }
    fields = check_opc(pack(tree, format="nupkg", metadata=metadata).path)
    for key, value in metadata.items():
        assert fields[key] == value


def test_content_round_trips_through_percent_encoded_part_names(
    helpers, pack, tmp_path: Path
) -> None:
    files = {
        "my file.txt": b"1",
        "a%b/c#d.txt": b"2",
        "LICENSE": b"3",
        "ünï.txt": b"4",
        "x.TXT": b"5",
    }
    base = helpers.make_tree(tmp_path / "src", files)
    package = pack(base, format="nupkg")
    check_opc(package.path)
    with zipfile.ZipFile(package.path) as archive:
        content = {unquote(n): archive.read(n) for n in archive.namelist()}
    for name, data in files.items():
        assert content[name] == data
    assert opc_part_name("my file.txt") == "my%20file.txt"
    assert opc_part_name("a/b+c.txt") == "a/b+c.txt"


def test_nupkg_is_reproducible_and_names_are_derived(tree: Path, pack) -> None:
    first, second = pack(tree, format="nupkg"), pack(tree, format="nupkg")
    assert first.sha256 == second.sha256
    other = pack(tree, format="nupkg", version="1.2.4")
    with zipfile.ZipFile(first.path) as one, zipfile.ZipFile(other.path) as two:
        core = {n for n in one.namelist() if n.endswith(".psmdcp")}
        assert core.isdisjoint(n for n in two.namelist() if n.endswith(".psmdcp"))


@pytest.mark.parametrize(
    "name", ["[Content_Types].xml", "_rels/.rels", "package/x.psmdcp", "Other.nuspec"]
)
def test_reserved_part_names_are_refused(helpers, pack, tmp_path: Path, name: str) -> None:
    base = helpers.make_tree(tmp_path / "src", {name: b"x", "ok.txt": b"y"})
    with pytest.raises(InputError, match="reserves"):
        pack(base, format="nupkg")
    assert not list(tmp_path.glob("out*/*"))


def test_unknown_metadata_is_refused(tree: Path, pack) -> None:
    with pytest.raises(InputError, match="unknown nupkg metadata owners"):
        pack(tree, format="nupkg", metadata={"owners": "me"})


def test_nuspec_leaves_out_empty_optional_fields() -> None:
    xml = nuspec_xml("A", "1.0.0", {"authors": "me", "description": "d"}).decode()
    assert "<title>" not in xml
    assert "<releaseNotes>" not in xml
    assert xml.index("<id>") < xml.index("<version>") < xml.index("<authors>")
