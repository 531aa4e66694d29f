"""``octoci pack``: build a zip, nupkg, tar, tar.gz or tar.bz2 package Octopus accepts.

Only click and octoci's light modules are imported here; the packaging code loads when the
command runs, so ``octoci --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from octoci.cli.options import json_option
from octoci.cli.state import AppState, get_state
from octoci.errors import InputError
from octoci.model import CaptureOptions, Package, PackageSpec

__all__ = ["pack"]


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
def pack(
    ctx: click.Context,
    /,
    package_id: str,
    version: str,
    package_format: str,
    base_path: Path | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    out_folder: Path | None,
    overwrite: bool,
    compression_level: int | None,
    engine: str,
    threads: int | None,
    allow_external_links: bool,
    from_artifacts: bool,
    artifact_paths: tuple[Path, ...],
    authors: tuple[str, ...],
    title: str,
    description: str,
    release_notes: str,
    release_notes_file: Path | None,
    tags: tuple[str, ...],
    as_json: bool,
) -> None:
    """Pack files into a package Octopus accepts: <id>.<version>.<ext>.

    The package is reproducible: the same files give the same bytes (entries sorted, one
    timestamp from SOURCE_DATE_EPOCH or 1980-01-01, fixed permissions). With --json: Path, Id,
    Version, Format, Size, Sha256, Files and Engine.
    """
    from octoci.files import display_path
    from octoci.packaging.build import check_package_id, plan_package, write_package
    from octoci.packaging.reproducible import timestamp_from_env
    from octoci.packaging.selection import Selection, select_entries, select_roots

    state = get_state(ctx)
    if from_artifacts and base_path is not None:
        raise InputError("pass --base-path or --from-artifacts, not both")
    if artifact_paths and not from_artifacts:
        raise InputError("--artifact-path needs --from-artifacts")
    try:
        timestamp = timestamp_from_env(state.env)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    notes = _release_notes(state, release_notes, release_notes_file)
    metadata = {
        "authors": ", ".join(authors),
        "title": title,
        "description": description,
        "releaseNotes": notes,
        "tags": " ".join(tags),
    }
    metadata = {key: value for key, value in metadata.items() if value}
    if metadata and package_format.strip().lower().lstrip(".") != "nupkg":
        raise InputError(
            f"{', '.join(sorted(metadata))}: nupkg metadata needs --format nupkg "
            f"(the format is {package_format})"
        )
    # Check the id before asking git or a plugin for a version, so a typo fails fast.
    check_package_id(package_id.strip())
    spec = PackageSpec(
        id=package_id.strip(),
        version=version.strip() or _computed_version(state),
        format=package_format,
        base_path=_resolve(state, base_path),
        include=include or ("**",),
        exclude=exclude,
        out_folder=_resolve(state, out_folder),
        overwrite=overwrite,
        metadata=metadata,
        compression_level=compression_level,
        timestamp=timestamp,
        threads=threads,
        engine=engine,
    )
    plan = plan_package(spec, state.plugin_manager.package_formats())
    skip = {plan.destination.resolve()}
    if from_artifacts:
        roots = _artifact_roots(state, [_resolve(state, p) for p in artifact_paths])
        entries = select_roots(
            roots, spec.include, spec.exclude, allow_external_links=allow_external_links, skip=skip
        )
    else:
        selection = Selection(spec.base_path, spec.include, spec.exclude, allow_external_links)
        entries = select_entries(selection, skip=skip)
    from octoci.cli.octopus_options import make_progress
    from octoci.packaging.progress import showing_progress

    # After a second of packing: a redrawn line on a terminal, a plain line now and then in CI.
    with showing_progress(make_progress(state), plan.destination.name, entries):
        package = write_package(plan, entries)
    if as_json:
        state.echo_json(
            {
                # A folder name that is not UTF-8 cannot be in JSON as it is: show it escaped.
                "Path": display_path(package.path),
                "Id": package.id,
                "Version": package.version,
                "Format": plan.format.name,
                "Size": package.size,
                "Sha256": package.sha256,
                "Files": len(entries),
                "Engine": _engine_label(spec, plan.format.name),
            }
        )
    else:
        state.echo(
            f"Packed {len(entries)} files into {display_path(package.path)} "
            f"({package.size:,} bytes, sha256 {package.sha256})"
        )
    _hand_over(state, package, as_json)


def _hand_over(state: AppState, package: Package, as_json: bool) -> None:
    """The package's outputs (``package_file_path`` and ``package_filename`` as the official
    pack actions name them, and octoci's own) and summary, through the one reporter, as every
    other command hands them to the build server."""
    from octoci.cli.octopus_options import make_reporter
    from octoci.model import RunReport

    report = RunReport(server=state.server.name, packages=(package,))
    make_reporter(state, as_json).hand_over(report)


def _resolve(state: AppState, path: Path | None) -> Path:
    if path is None:
        return state.cwd
    return path if path.is_absolute() else state.cwd / path


def _release_notes(state: AppState, text: str, file: Path | None) -> str:
    if file is None:
        return text
    if text:
        raise InputError("pass --release-notes or --release-notes-file, not both")
    from octoci.files import read_text_file

    return read_text_file(_resolve(state, file), "the release notes file")


def _computed_version(state: AppState) -> str:
    info = state.plugin_manager.capture(state.server, CaptureOptions(fetch_commits=False))
    return state.plugin_manager.package_version(state.server, info)


def _artifact_roots(state: AppState, search: list[Path]) -> list[Path]:
    """What the artifact hook found that is content to pack (not already a package)."""
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
    return roots


def _engine_label(spec: PackageSpec, format_name: str) -> str:
    """What compressed the package, so its exact bytes can be explained (``--json``)."""
    from octoci.packaging.settings import WriteSettings

    if format_name in ("zip", "nupkg"):
        return WriteSettings.from_spec(spec).engine.label
    if format_name == "tar.gz":
        from octoci.packaging.engines import ZLIB

        return ZLIB.label
    return {"tar": "none", "tar.bz2": "bzip2"}.get(format_name, "")
