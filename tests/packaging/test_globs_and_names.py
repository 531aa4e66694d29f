"""Glob semantics (``**``, anchoring, classes) and entry-name safety on both path styles."""

from __future__ import annotations

import fnmatch
from pathlib import PurePosixPath, PureWindowsPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from octoci.packaging.globs import GlobError, GlobSet, compile_glob
from octoci.packaging.names import UnsafeNameError, entry_name, is_executable


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("**", "a", True),
        ("**", "a/b/c.txt", True),
        ("*.dll", "app.dll", True),
        ("*.dll", "bin/app.dll", False),  # anchored at the base path
        ("**/*.dll", "app.dll", True),  # ** matches zero folders
        ("**/*.dll", "bin/x/app.dll", True),
        ("bin/**", "bin/a/b.txt", True),
        ("bin/**", "bin", False),
        ("bin/**", "binary/a", False),
        ("bin/*", "bin/a/b.txt", False),  # * never crosses a /
        ("a/**/z.txt", "a/z.txt", True),
        ("a/**/z.txt", "a/b/c/z.txt", True),
        ("a/**/z.txt", "ab/z.txt", False),
        ("?.txt", "a.txt", True),
        ("?.txt", "ab.txt", False),
        ("[ab].txt", "b.txt", True),
        ("[!ab].txt", "b.txt", False),
        ("[!ab].txt", "c.txt", True),
        ("bin\\*.dll", "bin/app.dll", True),  # Windows-style separators
        ("./bin/*.dll", "bin/app.dll", True),
        ("*.DLL", "app.dll", False),  # case-sensitive
        ("a+b(1).txt", "a+b(1).txt", True),  # regex characters are literal
    ],
)
def test_glob_semantics(pattern: str, path: str, expected: bool) -> None:
    assert GlobSet.of([pattern]).matches(path) is expected


@pytest.mark.parametrize("pattern", ["", "   ", "/etc/*", "C:/x/*", "../x", "a/../../b", "[abc"])
def test_bad_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(GlobError):
        compile_glob(pattern)


def test_covers_folder_only_for_slash_star_star_patterns() -> None:
    exclude = GlobSet.of(["**/node_modules/**", "obj/**", "bin/*"])
    assert exclude.covers_folder("node_modules")
    assert exclude.covers_folder("web/node_modules")
    assert exclude.covers_folder("obj")
    assert not exclude.covers_folder("bin")  # bin/* would not match bin/x/y


segment_text = st.text(alphabet="abcXYZ._-", min_size=1, max_size=8)


@given(pattern=st.text(alphabet="ab*?.", min_size=1, max_size=6), name=segment_text)
def test_single_segment_patterns_agree_with_fnmatchcase(pattern: str, name: str) -> None:
    if pattern.strip(".") == "" or pattern in ("**",):
        return
    ours = bool(compile_glob(pattern).fullmatch(name))
    assert ours == fnmatch.fnmatchcase(name, pattern)


@given(st.lists(segment_text.filter(lambda s: s not in (".", "..")), min_size=1, max_size=6))
def test_double_star_matches_every_depth(segments: list[str]) -> None:
    path = "/".join(segments)
    assert GlobSet.of(["**"]).matches(path)
    assert GlobSet.of([f"**/{segments[-1]}"]).matches(path)


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        (PurePosixPath("bin/app.dll"), "bin/app.dll"),
        (PureWindowsPath("bin\\app.dll"), "bin/app.dll"),
        (PureWindowsPath("bin/sub/app.dll"), "bin/sub/app.dll"),
        (PurePosixPath("e\u0301.txt"), "\u00e9.txt"),  # NFC: macOS names equal Linux names
    ],
)
def test_entry_names_are_slash_separated_and_nfc(relative: PurePosixPath, expected: str) -> None:
    assert entry_name(relative) == expected


@pytest.mark.parametrize(
    "relative",
    [
        PurePosixPath("/etc/passwd"),
        PureWindowsPath("C:\\Windows\\x.dll"),
        PureWindowsPath("\\\\server\\share\\x"),
        PureWindowsPath("\\rooted.txt"),
        PurePosixPath("a/../b"),
        PureWindowsPath("a\\..\\b"),
        PurePosixPath("back\\slash.txt"),  # a legal POSIX name that Windows would split
        PurePosixPath("bell\x07.txt"),
        PurePosixPath(""),
    ],
)
def test_unsafe_entry_names_are_refused(relative: PurePosixPath) -> None:
    with pytest.raises(UnsafeNameError):
        entry_name(relative)


def test_is_executable() -> None:
    assert is_executable(0o100755)
    assert is_executable(0o100744)
    assert not is_executable(0o100644)
