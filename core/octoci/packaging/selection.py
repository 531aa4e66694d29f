"""Which files go into a package: a sorted walk of the base path filtered by include/exclude globs.

Symbolic links: a link whose target lies inside the base path is packed as the file (or folder)
it points to; a link that leads outside is refused unless ``allow_external_links`` is set, so a
stray ``node_modules/.bin`` link cannot pull ``/etc`` into a package. Loops are refused.
Sockets, FIFOs and devices are never packed. Empty folders are not recorded. Names are checked
(``names.entry_name_from_parts``: UTF-8, no ``..``, backslash or control character) only for the
files the globs take, so excluding a file is always a way past its name.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from octoci.errors import InputError
from octoci.files import display_path
from octoci.model import PackageEntry
from octoci.packaging.globs import GlobError, GlobSet
from octoci.packaging.names import UnsafeNameError, entry_name_from_parts, joined_name

__all__ = ["Selection", "select_entries", "select_roots"]


@dataclass(frozen=True)
class Selection:
    """What to pack from one base path."""

    base: Path
    include: tuple[str, ...] = ("**",)
    exclude: tuple[str, ...] = ()
    allow_external_links: bool = False

    def describe(self) -> str:
        """The search in words, for the empty-selection error."""
        text = f"under {self.base} with --include {' '.join(self.include)}"
        if self.exclude:
            text += f" and --exclude {' '.join(self.exclude)}"
        return text


def select_entries(selection: Selection, *, skip: Collection[Path] = ()) -> list[PackageEntry]:
    """The files ``selection`` takes, sorted by the UTF-8 bytes of their entry names.

    ``skip`` holds resolved paths never to pack (the package being written, if it lies inside
    the base path). Raises :class:`~octoci.errors.InputError` for a missing base path, a bad
    pattern, an unsafe name, a link leaving the base path, or when nothing matches.
    """
    base = selection.base
    if not base.is_dir():
        what = "does not exist" if not base.exists() else "is not a folder"
        raise InputError(f"the base path {base} {what}; pass --base-path with a folder to pack")
    try:
        include = GlobSet.of(selection.include)
        exclude = GlobSet.of(selection.exclude)
    except GlobError as exc:
        raise InputError(f"{exc}; use patterns such as '**/*.dll' or 'bin/**'") from None
    walker = _Walker(base.resolve(), include, exclude, selection.allow_external_links, set(skip))
    entries = sorted(walker.walk(), key=lambda e: e.name.encode("utf-8"))
    if not entries:
        raise InputError(
            f"no files to pack {selection.describe()}; check --base-path and the patterns"
        )
    _refuse_duplicates(entries)
    return entries


def _refuse_duplicates(entries: Sequence[PackageEntry]) -> None:
    # Two spellings can meet after NFC normalisation (macOS "é" as e + accent, and "é").
    for first, second in itertools.pairwise(entries):
        if first.name == second.name:
            raise InputError(
                f"{first.source} and {second.source} both become the entry {first.name!r}; "
                "rename one of them"
            )


class _Walker:
    def __init__(
        self,
        real_base: Path,
        include: GlobSet,
        exclude: GlobSet,
        allow_external: bool,
        skip: set[Path],
    ) -> None:
        self.real_base = real_base
        self.include = include
        self.exclude = exclude
        self.allow_external = allow_external
        self.skip = skip
        self.skip_names = {p.name for p in skip}

    def walk(self) -> Iterator[PackageEntry]:
        yield from self._folder(self.real_base, self.real_base, (), frozenset({self.real_base}))

    def _folder(
        self, folder: Path, real_folder: Path, parts: tuple[str, ...], ancestors: frozenset[Path]
    ) -> Iterator[PackageEntry]:
        """Walk ``folder`` (whose link-free path is ``real_folder``), refusing loops."""
        try:
            with os.scandir(folder) as scan:
                children = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            raise InputError(f"cannot read the folder {folder}: {exc.strerror or exc}") from None
        for child in children:
            child_parts = (*parts, child.name)
            relative = "/".join(child_parts)
            if child.is_symlink():
                # An excluded link is never followed, so excluding it is the way out of the error.
                if self.exclude.matches(relative) or self.exclude.covers_folder(relative):
                    continue
                real = self._link_target(Path(child.path), child_parts)
                is_dir, is_file = real.is_dir(), real.is_file()
            else:
                # DirEntry answers these from the directory listing, without a stat per file.
                real = real_folder / child.name
                is_dir = child.is_dir(follow_symlinks=False)
                is_file = child.is_file(follow_symlinks=False)
            if is_dir:
                if self.exclude.covers_folder(relative):
                    continue
                if real in ancestors:
                    raise InputError(f"{child.path} is a link back to {real}, a loop; remove it")
                yield from self._folder(Path(child.path), real, child_parts, ancestors | {real})
            elif is_file:
                if child.name in self.skip_names and real.resolve() in self.skip:
                    continue
                # Match first, check the name after: an excluded file never fails for its name.
                name = joined_name(child_parts)
                if self.include.matches(name) and not self.exclude.matches(name):
                    yield PackageEntry(Path(child.path), self._name(child.path, child_parts))

    def _link_target(self, path: Path, parts: tuple[str, ...]) -> Path:
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise InputError(f"{path} is a broken symbolic link; remove it or exclude it") from None
        if not self.allow_external and not target.is_relative_to(self.real_base):
            raise InputError(
                f"{'/'.join(parts)} is a symbolic link to {target}, outside the base path; "
                "exclude it, or pass --allow-external-links to pack what it points to"
            )
        return target

    @staticmethod
    def _name(path: str | Path, parts: tuple[str, ...]) -> str:
        try:
            return entry_name_from_parts(parts)
        except UnsafeNameError as exc:
            raise InputError(f"cannot pack {display_path(path)}: {exc}") from None


def select_roots(
    roots: Sequence[Path],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    *,
    allow_external_links: bool = False,
    skip: Collection[Path] = (),
) -> list[PackageEntry]:
    """Entries from several roots (build artifacts): a folder contributes its files relative to
    itself, a file contributes itself at the top of the package. Two roots giving the same entry
    name is an error, so nothing is silently overwritten."""
    try:
        include_set, exclude_set = GlobSet.of(include), GlobSet.of(exclude)
    except GlobError as exc:
        raise InputError(f"{exc}; use patterns such as '**/*.dll' or 'bin/**'") from None
    entries: list[PackageEntry] = []
    for root in roots:
        if root.is_dir():
            walker = _Walker(
                root.resolve(), include_set, exclude_set, allow_external_links, set(skip)
            )
            entries.extend(walker.walk())
        elif root.is_file():
            name = joined_name((root.name,))
            if include_set.matches(name) and not exclude_set.matches(name):
                entries.append(PackageEntry(root, _Walker._name(root, (root.name,))))
        else:
            raise InputError(f"the artifact {root} does not exist")
    entries.sort(key=lambda e: e.name.encode("utf-8"))
    if not entries:
        searched = ", ".join(str(r) for r in roots)
        raise InputError(
            f"no files to pack in the artifacts {searched} with --include {' '.join(include)}"
            + (f" and --exclude {' '.join(exclude)}" if exclude else "")
        )
    _refuse_duplicates(entries)
    return entries
