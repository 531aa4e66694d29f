"""``octoci info``: the detected build server and the build information that would be sent."""

from __future__ import annotations

import click

from octoci.cli.options import capture_options, json_option, make_capture_options
from octoci.cli.state import get_state

__all__ = ["info"]


@click.command()
@json_option
@click.option(
    "--server",
    metavar="NAME",
    help="Use this build-server adapter instead of detecting one (env: OCTOCI_SERVER).",
)
@capture_options
@click.pass_context
def info(
    ctx: click.Context,
    as_json: bool,
    server: str | None,
    commit_range: str,
    no_commits: bool,
    strict: bool,
    max_commits: int,
) -> None:
    """Show the build server octoci detects and the build information it would send.

    With --json: one object with keys Server (the adapter's name, or "local"),
    BuildInformation (exactly Octopus's OctopusBuildInformation) and Extra (pull request,
    branches, tag, head commit, job name).
    """
    state = get_state(ctx)
    if server:
        state.server_name = server
    adapter = state.server
    build = state.plugin_manager.capture(
        adapter, make_capture_options(commit_range, no_commits, strict, max_commits)
    )
    if as_json:
        state.echo_json(
            {"Server": adapter.name, "BuildInformation": build.to_octopus(), "Extra": build.extra()}
        )
        return
    state.echo(f"Build server: {adapter.display_name} ({adapter.name})")
    width = max(len(k) for k in [*build.to_octopus(), *build.extra()])
    for key, value in build.to_octopus().items():
        if key != "Commits":
            state.echo(f"  {key:<{width}}  {value or '-'}")
    for key, value in build.extra().items():
        if value:
            state.echo(f"  {key:<{width}}  {value}")
    state.echo(f"  {'Commits':<{width}}  {len(build.commits)}")
    for commit in build.commits:
        subject = commit.comment.splitlines()[0] if commit.comment else ""
        state.echo(f"    {commit.id[:12]}  {subject}")
