"""``octoci push``: push package files to Octopus's built-in feed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from octoci.cli.octopus_options import connection_options, octopus_options, open_connection, publish
from octoci.cli.options import json_option, resolve_settings, settings_options
from octoci.cli.state import AppState, get_state
from octoci.errors import InputError, OctociError

__all__ = ["expand_package_paths", "push"]


def _has_magic(part: str) -> bool:
    return any(c in part for c in "*?[")


def expand_package_paths(patterns: tuple[str, ...], cwd: Path) -> list[Path]:
    """Files named by ``patterns`` (paths or globs, ``**`` spans folders), relative to ``cwd``,
    each once, in order. A pattern that matches nothing is an error (a typo must not turn into a
    green build that pushed nothing)."""
    found: dict[Path, None] = {}
    unmatched = []
    for pattern in patterns:
        path = Path(pattern)
        parts = path.parts
        magic = next((i for i, part in enumerate(parts) if _has_magic(part)), None)
        if magic is None:
            # Existence is checked with the other file checks, before anything is sent.
            found.setdefault(path if path.is_absolute() else cwd / path, None)
            continue
        root = Path(*parts[:magic]) if magic else Path()
        root = root if root.is_absolute() else cwd / root
        matches = sorted(p for p in root.glob("/".join(parts[magic:])) if p.is_file())
        if not matches:
            unmatched.append(pattern)
        for match in matches:
            found.setdefault(match, None)
    if unmatched:
        raise InputError(
            f"no file matches {', '.join(repr(p) for p in unmatched)} (in {cwd}); "
            "check the path, or quote the pattern so that the shell does not expand it"
        )
    return list(found)


@click.command()
@click.argument("packages", nargs=-1, required=True, metavar="PACKAGE...")
@settings_options("push")
@click.option(
    "--progress-interval",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Without a terminal: seconds between progress lines (0: none).",
)
@octopus_options
@json_option
@click.pass_context
def push(ctx: click.Context, /, **options: Any) -> None:
    """Push package files (paths or globs such as 'dist/*.zip') to the built-in feed.

    Files are streamed from disk (any size, constant memory), several at once; a package
    whose earlier version is in Octopus goes as a delta when that is worth it. Every stored
    package is checked against the SHA-1 of the bytes sent; a file that changes while it is
    sent is refused. With --json:
    {"Packages": [{Path, PackageId, Version, Size, Result, Hash, Attempts, BytesSent, Delta}],
    "Failed": [...]}; Result is created, identical (already there, same content) or ignored;
    BytesSent counts package bytes sent and Delta says whether they were a delta.
    """
    state = get_state(ctx)
    _run(state, options)


def _run(state: AppState, options: dict[str, Any]) -> None:
    from octoci.model import RunReport
    from octoci.octopus.packages import parse_overwrite_mode, push_packages, validate_package_files
    from octoci.octopus.progress import Progress
    from octoci.reporting import format_size

    config = resolve_settings(state, "push", options)
    mode = parse_overwrite_mode(config.settings.overwrite_mode)
    files = validate_package_files(expand_package_paths(options["packages"], state.cwd))
    connection = open_connection(state, connection_options(options, config))
    live = state.stderr.isatty() and not state.env.get("CI")
    interval = float(options["progress_interval"])
    progress = Progress(state.stderr if (live or interval) else None, live=live, interval=interval)
    title = f"Pushing {len(files)} package{'s' if len(files) != 1 else ''}"
    try:
        with state.server.group(title):
            results, failures = push_packages(
                connection,
                files,
                mode=mode,
                concurrency=config.settings.concurrency,
                progress=progress,
                delta=config.settings.delta,
            )
            for result in results:
                verb = {
                    "created": "pushed",
                    "identical": "already in Octopus, identical",
                    "ignored": "already in Octopus with DIFFERENT content, kept (IgnoreIfExists)",
                }[result.outcome]
                line = f"{result.path.name}: {verb}"
                if result.delta:
                    line += f" as a delta ({format_size(result.sent)} sent)"
                if options["as_json"]:
                    state.stderr.write(f"octoci: {line}\n")
                else:
                    state.echo(line)
                for warning in result.warnings:
                    state.server.annotate("warning", warning)
    finally:
        connection.close()
    report = RunReport(
        server=state.server.name,
        space=connection.space_id() or "",
        octopus_url=connection.settings.url,
        packages=tuple(r.to_package() for r in results),
        warnings=tuple(w for r in results for w in r.warnings),
    )
    if options["as_json"]:
        state.echo_json(
            {
                "Packages": [r.to_json() for r in results],
                "Failed": [{"Path": f.path.as_posix(), "Error": str(f.error)} for f in failures],
            }
        )
    if results:
        publish(state, report)
    if failures:
        if len(failures) == 1 and not results:
            raise failures[0].error
        details = "; ".join(f"{f.path.name}: {f.error}" for f in failures)
        raise OctociError(f"{len(failures)} of {len(files)} packages failed: {details}")
