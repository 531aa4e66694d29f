"""``octoci release list`` and ``octoci release show``: what a pipeline released, read back from
any Octopus (nothing is changed there).

Only click is imported at module level: ``octoci --help`` imports the ``release`` group, which
registers these commands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from octoci.cli.octopus_options import connection_options, octopus_options, open_connection
from octoci.cli.options import json_option, resolve_settings, settings_options
from octoci.cli.state import AppState, get_state

if TYPE_CHECKING:
    from octoci.octopus.connection import Connection
    from octoci.octopus.reads import ReleaseDetails

__all__ = ["list_releases", "reading", "show_release", "write_rows"]


@contextmanager
def reading(state: AppState, command: str, options: dict[str, Any]) -> Iterator[Connection]:
    """A connection for a read command, from its settings (flag > variable > file), closed
    afterwards."""
    config = resolve_settings(state, command, options)
    options["project"] = config.settings.project
    options["channel"] = config.settings.channel
    connection = open_connection(state, connection_options(options, config))
    try:
        yield connection
    finally:
        connection.close()


def write_rows(echo: Callable[[str], None], rows: list[list[str]], indent: str = "  ") -> None:
    """Rows as aligned columns (the summary's table rule)."""
    from octoci.reporting import aligned_columns

    for line in aligned_columns(rows):
        echo(indent + line)


@click.command("list")
@click.option(
    "--take",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many of the newest releases to list.",
)
@settings_options("release list")
@octopus_options
@json_option
@click.pass_context
def list_releases(ctx: click.Context, /, **options: Any) -> None:
    """List a project's releases, newest first.

    With --json: {"Project": NAME, "Releases": [{Version, Id, Channel, Assembled, Url}]}.
    """
    from octoci.octopus.reads import list_releases as read_releases

    state = get_state(ctx)
    with reading(state, "release list", options) as connection:
        project, releases = read_releases(
            connection, options["project"], take=options["take"], channel=options["channel"]
        )
    if options["as_json"]:
        state.echo_json({"Project": project, "Releases": [r.to_json() for r in releases]})
        return
    if not releases:
        state.echo(f"{project} has no releases{' in that channel' if options['channel'] else ''}.")
        return
    state.echo(f"Releases of {project}, newest first:")
    write_rows(state.echo, [[r.version, r.channel, r.assembled, r.url] for r in releases])


@click.command("show")
@click.argument("version", required=False, default="")
@settings_options("release show")
@octopus_options
@json_option
@click.pass_context
def show_release(ctx: click.Context, /, **options: Any) -> None:
    """Show one release (VERSION; default: the newest): its packages, build information,
    deployments with their state and task links, and its lifecycle progression.

    With --json: {Project, Version, Id, Channel, Assembled, Url, Packages: [...],
    BuildInformation: [...], Deployments: [{EnvironmentName, TenantName, DeploymentId, ServerTaskId,
    State, Created, Url}], Progression: {Phases: [{Name, Progress, Environments,
    IsOptionalPhase}], NextEnvironments: [...]}}.
    """
    from octoci.octopus.reads import show_release as read_release

    state = get_state(ctx)
    with reading(state, "release show", options) as connection:
        details = read_release(connection, options["project"], str(options["version"]))
    if options["as_json"]:
        state.echo_json(details.to_json())
        return
    _write_release(state.echo, details)


def _write_release(echo: Callable[[str], None], details: ReleaseDetails) -> None:
    release = details.release
    echo(
        f"Release {release.version} of {details.project} ({release.id}, channel {release.channel})"
    )
    echo(f"  {release.url}")
    echo(f"  assembled {release.assembled}")
    echo("Packages:")
    write_rows(echo, [[p["ActionName"], p["PackageReferenceName"], p["Version"]]
                      for p in details.packages] or [["(none)"]])  # fmt: skip
    if details.build_information:
        echo("Build information:")
        write_rows(
            echo,
            [
                [b["PackageId"], b["Version"], b["Branch"], str(b["VcsCommitNumber"])[:12],
                 f"{b['Commits']} commits", b["BuildUrl"]]
                for b in details.build_information
            ],
        )  # fmt: skip
    echo("Deployments:")
    write_rows(
        echo,
        [[d.environment + (f" ({d.tenant})" if d.tenant else ""), d.state, d.task_id, d.url]
         for d in details.deployments] or [["(none)"]],
    )  # fmt: skip
    echo("Lifecycle:")
    write_rows(
        echo,
        [[p.name, p.progress + (" (optional)" if p.optional else ""), ", ".join(p.environments)]
         for p in details.phases] or [["(no phases: any environment)"]],
    )  # fmt: skip
    if details.next_environments:
        echo(f"  next: {', '.join(details.next_environments)}")
