"""``octoci pack``: build a zip, nupkg, tar, tar.gz or tar.bz2 package Octopus accepts.

Only click and octoci's light modules are imported here; the packaging code loads when the
command runs, so ``octoci --help`` stays fast.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from octoci.cli.options import json_option
from octoci.cli.state import AppState, get_state
from octoci.errors import InputError
from octoci.model import CaptureOptions, PackageSpec

__all__ = ["pack"]

_NUPKG_OPTIONS = ("authors", "title", "description", "releaseNotes", "tags")


@click.command()
@click.option("--id", "package_id", required=True, help="Package id, e.g. Acme.Web.")
@click.option(
    "--version",
    default="",
    help="Package version (SemVer or 1.2.3.4); default: computed from the build and git tags.",
)
@click.option(
    "--format",
    "package_format",
    default="zip",
    show_default=True,
    help="zip, nupkg, tar.gz, tar or tar.bz2 (and any format a plugin adds).",
)
@click.option(
    "--base-path",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder whose files are packed (default: the current folder).",
)
@click.option(
    "--include",
    multiple=True,
    metavar="GLOB",
    help="Files to take, relative to the base path (repeatable; default '**'). '**' spans folders.",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Files to leave out (repeatable), e.g. '**/*.pdb'.",
)
@click.option(
    "--out-folder",
    type=click.Path(path_type=Path),
    default=None,
    help="Where the package is written (default: the current folder; created if missing).",
)
@click.option("--overwrite", is_flag=True, help="Replace a package of the same name.")
@click.option(
    "--compression-level",
    type=click.IntRange(0, 9),
    default=None,
    help="0 (store) to 9 (smallest); default 6 (9 for tar.bz2).",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "zlib", "libdeflate"]),
    default="auto",
    show_default=True,
    help="Deflate engine; auto is libdeflate when the 'deflate' package is installed.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Compression threads (default: one per core).",
)
@click.option(
    "--allow-external-links",
    is_flag=True,
    help="Pack what symbolic links leading outside the base path point to, instead of failing.",
)
@click.option(
    "--from-artifacts",
    is_flag=True,
    help="Pack the build's artifacts (from the artifact hook) instead of --base-path.",
)
@click.option(
    "--artifact-path",
    "artifact_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="With --from-artifacts: where to look (repeatable); default: the server's artifact roots.",
)
@click.option("--author", "authors", multiple=True, help="nupkg: an author (repeatable).")
@click.option("--title", default="", help="nupkg: the title.")
@click.option("--description", default="", help="nupkg: the description.")
@click.option("--release-notes", default="", help="nupkg: release notes.")
@click.option(
    "--release-notes-file",
    type=click.Path(path_type=Path),
    default=None,
    help="nupkg: read the release notes from this UTF-8 file.",
)
@click.option("--tag", "tags", multiple=True, help="nupkg: a tag (repeatable).")
@json_option
@click.pass_context
def pack(ctx: click.Context, /, **options: object) -> None:
    """Pack files into a package Octopus accepts: <id>.<version>.<ext>.

    The package is reproducible: the same files give the same bytes (entries sorted, one
    timestamp from SOURCE_DATE_EPOCH or 1980-01-01, fixed permissions). With --json: Path, Id,
    Version, Format, Size, Sha256, Files and Engine.
    """
    state = get_state(ctx)
    _run(state, options)


def _resolve(state: AppState, path: object) -> Path:
    if path is None:
        return state.cwd
    assert isinstance(path, Path)
    return path if path.is_absolute() else state.cwd / path


def _text(options: dict[str, object], key: str) -> str:
    value = options.get(key)
    return value if isinstance(value, str) else ""


def _tuple(options: dict[str, object], key: str) -> tuple[str, ...]:
    value = options.get(key) or ()
    assert isinstance(value, tuple)
    return tuple(str(v) for v in value)


def _metadata(state: AppState, options: dict[str, object], package_format: str) -> dict[str, str]:
    from octoci.files import read_text_file

    notes = _text(options, "release_notes")
    notes_file = options.get("release_notes_file")
    if notes_file is not None:
        if notes:
            raise InputError("pass --release-notes or --release-notes-file, not both")
        notes = read_text_file(_resolve(state, notes_file), "the release notes file")
    values = {
        "authors": ", ".join(_tuple(options, "authors")),
        "title": _text(options, "title"),
        "description": _text(options, "description"),
        "releaseNotes": notes,
        "tags": " ".join(_tuple(options, "tags")),
    }
    given = {k: v for k, v in values.items() if v}
    if given and package_format.strip().lower().lstrip(".") != "nupkg":
        flags = ", ".join(sorted(given))
        raise InputError(
            f"{flags}: nupkg metadata needs --format nupkg (the format is {package_format})"
        )
    return given


def _version(state: AppState, given: str) -> str:
    if given:
        return given
    info = state.plugin_manager.capture(state.server, CaptureOptions(fetch_commits=False))
    return state.plugin_manager.package_version(state.server, info)


def _run(state: AppState, raw: dict[str, object]) -> None:
    from octoci.packaging.build import check_package_id, plan_package, write_package
    from octoci.packaging.reproducible import timestamp_from_env
    from octoci.packaging.selection import Selection, select_entries, select_roots
    from octoci.packaging.settings import WriteSettings

    package_format = _text(raw, "package_format")
    if raw.get("from_artifacts") and raw.get("base_path") is not None:
        raise InputError("pass --base-path or --from-artifacts, not both")
    if raw.get("artifact_paths") and not raw.get("from_artifacts"):
        raise InputError("--artifact-path needs --from-artifacts")
    try:
        timestamp = timestamp_from_env(state.env)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    metadata = _metadata(state, raw, package_format)
    spec = PackageSpec(
        id=_text(raw, "package_id").strip(),
        version="",
        format=package_format,
        base_path=_resolve(state, raw.get("base_path")),
        include=_tuple(raw, "include") or ("**",),
        exclude=_tuple(raw, "exclude"),
        out_folder=_resolve(state, raw.get("out_folder")),
        overwrite=bool(raw.get("overwrite")),
        metadata=metadata,
        compression_level=raw.get("compression_level"),  # type: ignore[arg-type]
        timestamp=timestamp,
        threads=raw.get("threads"),  # type: ignore[arg-type]
        engine=_text(raw, "engine") or "auto",
    )
    # Validate the id before asking git or a plugin for a version, so a typo fails fast.
    check_package_id(spec.id)
    spec = dataclasses.replace(spec, version=_version(state, _text(raw, "version").strip()))
    plan = plan_package(spec, state.plugin_manager.package_formats())
    allow = bool(raw.get("allow_external_links"))
    skip = {plan.destination.resolve()}
    if raw.get("from_artifacts"):
        search = [_resolve(state, p) for p in raw.get("artifact_paths") or ()]  # type: ignore[attr-defined]
        artifacts = state.plugin_manager.discover_artifacts(state.server, search)
        roots = [
            a.path if a.path.is_absolute() else state.cwd / a.path
            for a in artifacts
            if not a.is_package
        ]
        if not roots:
            where = ", ".join(str(p) for p in search) or "the build server's artifact roots"
            raise InputError(
                f"no artifacts to pack were found in {where}; pass --artifact-path or use --base-path"
            )
        entries = select_roots(
            roots, spec.include, spec.exclude, allow_external_links=allow, skip=skip
        )
    else:
        selection = Selection(spec.base_path, spec.include, spec.exclude, allow)
        entries = select_entries(selection, skip=skip)
    package = write_package(plan, entries)
    engine = WriteSettings.from_spec(spec).engine.label
    if raw.get("as_json"):
        state.echo_json(
            {
                "Path": str(package.path),
                "Id": package.id,
                "Version": package.version,
                "Format": plan.format.name,
                "Size": package.size,
                "Sha256": package.sha256,
                "Files": len(entries),
                "Engine": engine,
            }
        )
        return
    state.echo(
        f"Packed {len(entries)} files into {package.path} ({package.size:,} bytes, "
        f"sha256 {package.sha256})"
    )
