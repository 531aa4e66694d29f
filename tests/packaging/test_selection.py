"""Which files a package takes: sorting, include/exclude, symlink policy, errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from octoci.errors import InputError
from octoci.packaging.selection import Selection, select_entries, select_roots

needs_symlinks = pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")


def names(base: Path, *include: str, exclude: tuple[str, ...] = ()) -> list[str]:
    selection = Selection(base, include or ("**",), exclude)
    return [e.name for e in select_entries(selection)]


def test_sorted_by_utf8_bytes_with_include_and_exclude(helpers, tmp_path: Path) -> None:
    base = helpers.make_tree(
        tmp_path,
        {
            "b.txt": b"",
            "a/z.dll": b"",
            "a/y.pdb": b"",
            "B.txt": b"",
            "obj/x.dll": b"",
            "é.txt": b"",
        },
    )
    assert names(base) == ["B.txt", "a/y.pdb", "a/z.dll", "b.txt", "obj/x.dll", "é.txt"]
    assert names(base, "**/*.dll") == ["a/z.dll", "obj/x.dll"]
    assert names(base, "**", exclude=("**/*.pdb", "obj/**")) == [
        "B.txt",
        "a/z.dll",
        "b.txt",
        "é.txt",
    ]


def test_sources_point_at_the_files(helpers, tmp_path: Path) -> None:
    base = helpers.make_tree(tmp_path, {"x/y.txt": b"content"})
    [entry] = select_entries(Selection(base))
    assert entry.source.read_bytes() == b"content"


def test_empty_selection_says_what_was_searched(helpers, tmp_path: Path) -> None:
    base = helpers.make_tree(tmp_path, {"a.txt": b""})
    with pytest.raises(InputError) as error:
        select_entries(Selection(base, ("*.dll",), ("obj/**",)))
    message = str(error.value)
    assert str(base) in message
    assert "--include *.dll" in message
    assert "--exclude obj/**" in message


def test_missing_base_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        select_entries(Selection(tmp_path / "nope"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is not a folder"):
        select_entries(Selection(tmp_path / "file"))


def test_bad_pattern_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"'\.\.'"):
        select_entries(Selection(tmp_path, ("../secrets/*",)))


def test_skip_leaves_out_the_package_being_written(helpers, tmp_path: Path) -> None:
    base = helpers.make_tree(tmp_path, {"a.txt": b"", "Acme.1.0.0.zip": b"old"})
    entries = select_entries(Selection(base), skip={(base / "Acme.1.0.0.zip").resolve()})
    assert [e.name for e in entries] == ["a.txt"]


@needs_symlinks
def test_links_inside_the_base_are_packed_as_files(helpers, tmp_path: Path) -> None:
    base = helpers.make_tree(tmp_path / "base", {"real/a.txt": b"A", "b.txt": b"B"})
    (base / "link.txt").symlink_to("b.txt")
    (base / "linked").symlink_to("real", target_is_directory=True)
    entries = {e.name: e.source.read_bytes() for e in select_entries(Selection(base))}
    assert entries == {"b.txt": b"B", "link.txt": b"B", "linked/a.txt": b"A", "real/a.txt": b"A"}


@needs_symlinks
def test_links_leaving_the_base_are_refused_unless_allowed(helpers, tmp_path: Path) -> None:
    outside = helpers.make_tree(tmp_path / "outside", {"secret.txt": b"S"})
    base = helpers.make_tree(tmp_path / "base", {"a.txt": b"A"})
    (base / "escape.txt").symlink_to(outside / "secret.txt")
    with pytest.raises(InputError, match=r"outside the base path.*--allow-external-links"):
        select_entries(Selection(base))
    allowed = select_entries(Selection(base, allow_external_links=True))
    assert [e.name for e in allowed] == ["a.txt", "escape.txt"]
    assert names(base, exclude=("escape.txt",)) == ["a.txt"]  # an excluded link is not followed


@needs_symlinks
def test_broken_links_and_loops_are_refused(helpers, tmp_path: Path) -> None:
    base = helpers.make_tree(tmp_path / "base", {"d/a.txt": b"A"})
    (base / "d" / "up").symlink_to("..", target_is_directory=True)
    with pytest.raises(InputError, match="loop"):
        select_entries(Selection(base))
    (base / "d" / "up").unlink()
    (base / "gone.txt").symlink_to(base / "missing.txt")
    with pytest.raises(InputError, match="broken symbolic link"):
        select_entries(Selection(base))


def test_roots_merge_folders_and_files(helpers, tmp_path: Path) -> None:
    web = helpers.make_tree(tmp_path / "web", {"index.html": b"<p>", "app/main.js": b"1"})
    tool = helpers.make_tree(tmp_path / "tools", {"cli.exe": b"MZ"}) / "cli.exe"
    entries = select_roots([web, tool], ("**",), ())
    assert [e.name for e in entries] == ["app/main.js", "cli.exe", "index.html"]


def test_roots_refuse_two_files_with_one_name(helpers, tmp_path: Path) -> None:
    one = helpers.make_tree(tmp_path / "one", {"a.txt": b"1"})
    two = helpers.make_tree(tmp_path / "two", {"a.txt": b"2"})
    with pytest.raises(InputError, match=r"both become the entry 'a\.txt'"):
        select_roots([one, two], ("**",), ())


def test_roots_that_match_nothing(helpers, tmp_path: Path) -> None:
    one = helpers.make_tree(tmp_path / "one", {"a.txt": b"1"})
    with pytest.raises(InputError, match="no files to pack in the artifacts"):
        select_roots([one], ("*.dll",), ())
