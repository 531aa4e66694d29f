"""``octoci push``: push package files to Octopus's built-in feed, or to the repository
``--repository`` names (then no Octopus server is needed: none is contacted when no file goes to
the built-in feed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from octoci.cli.octopus_options import (
    connection_options,
    make_progress,
    octopus_options,
    open_connection,
    run_steps,
)
from octoci.cli.options import json_option, resolve_settings, settings_options
from octoci.cli.state import AppState, get_state

if TYPE_CHECKING:
    from octoci.model import RunReport
    from octoci.octopus.connection import Connection
    from octoci.redaction import Redactor

__all__ = ["push"]


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
    """Push package files (paths or globs such as 'dist/*.zip') to the built-in feed or a repository.

    --repository NAME sends them to a [repositories.NAME] of octoci.toml instead of the
    built-in feed; then no Octopus URL or API key is needed.

    Files are streamed from disk (any size, constant memory), several at once; a package
    whose earlier version is in Octopus goes as a delta when that is worth it. Every stored
    package is checked against the SHA-1 of the bytes sent; a file that changes while it is
    sent is refused. With --json:
    {"Packages": [{Path, PackageId, Version, Size, Result, Pushed, Hash, Attempts, BytesSent,
    Delta, Repository, Location}], "Failed": [...]}; Result is created, identical (already
    there, same content) or ignored; BytesSent counts package bytes sent and Delta says
    whether they were a delta.
    """
    state = get_state(ctx)
    _run(state, options)


def _run(state: AppState, options: dict[str, Any]) -> None:
    from octoci.octopus.packages import parse_overwrite_mode, validate_package_files
    from octoci.package_paths import expand_package_paths
    from octoci.repositories.registry import BUILTIN_FEED, open_repositories, routing_for
    from octoci.steps.push import PushPackages

    config = resolve_settings(state, "push", options)
    mode = parse_overwrite_mode(config.settings.overwrite_mode)
    files = validate_package_files(expand_package_paths(options["packages"], state.cwd))
    repositories = open_repositories(
        state.plugin_manager, config, state.env, server=state.server, redactor=state.redactor
    )
    routing = routing_for(config, repositories)
    step = PushPackages(
        files=tuple(files),
        mode=mode,
        concurrency=config.settings.concurrency,
        delta=config.settings.delta,
        progress=make_progress(state, float(options["progress_interval"])),
        routing=routing,
    )
    if all(routing.name_for(name.id) != BUILTIN_FEED for _, name in files):
        # Every file goes elsewhere: a job that only fills a Maven or S3 repository needs no
        # Octopus URL or key, and none is contacted.
        connection = _no_octopus(state.redactor)
    else:
        connection = open_connection(state, connection_options(options, config))
    try:
        run_steps(state, connection, [step], as_json=options["as_json"], document=_document)
    finally:
        connection.close()


def _no_octopus(redactor: Redactor) -> Connection:
    """A connection that never connects: its root and space are empty, and a request (which the
    push step does not send when no file goes to the built-in feed) is an error, not a call."""
    from octoci.errors import OctociError
    from octoci.octopus.connection import Connection
    from octoci.octopus.settings import OctopusSettings

    class NoOctopus(Connection):
        def root(self) -> dict[str, Any]:
            return {"Links": {}}

        def space_id(self) -> str | None:
            return None

        def request(self, method: str, path: str, **options: Any) -> Any:
            raise OctociError(
                f"{options.get('what') or path} needs Octopus, but this push talks to no Octopus "
                "server (every file goes to another repository)"
            )

    connection = NoOctopus(
        OctopusSettings(url="http://octopus.invalid"), redactor=redactor, anonymous=True
    )
    # No server: the report and outputs name none.
    object.__setattr__(connection.settings, "url", "")
    return connection


def _document(report: RunReport) -> dict[str, Any]:
    return {
        "Packages": [p.to_json() for p in report.packages],
        "Failed": [{"Path": path, "Error": error} for path, error in report.failed_packages],
    }
