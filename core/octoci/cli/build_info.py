"""``octoci build-info``: push build information (build, branch, commits) for package ids."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from octoci.cli.octopus_options import (
    connection_options,
    octopus_options,
    open_connection,
    run_steps,
)
from octoci.cli.options import (
    capture_options,
    json_option,
    make_capture_options,
    resolve_settings,
    settings_options,
)
from octoci.cli.state import AppState, get_state

if TYPE_CHECKING:
    from octoci.model import RunReport

__all__ = ["build_info"]


def _split(values: tuple[str, ...]) -> list[str]:
    ids: dict[str, None] = {}
    for value in values:
        for item in value.split(","):
            if item.strip():
                ids.setdefault(item.strip(), None)
    return list(ids)


@click.command("build-info")
@click.option(
    "--package-id",
    "package_ids",
    multiple=True,
    required=True,
    metavar="ID",
    help="Package id (repeatable, or comma-separated), e.g. Acme.Web - an id, not a file.",
)
@click.option(
    "--version",
    default="",
    help="The packages' version; default: computed from the build and git tags.",
)
@click.option(
    "--file",
    "info_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Send this OctopusBuildInformation JSON file (the Octopus CLI's format) instead of "
    "what the build server tells.",
)
@settings_options("build-info")
@capture_options
@octopus_options
@json_option
@click.pass_context
def build_info(ctx: click.Context, /, **options: Any) -> None:
    """Push build information for one or more package ids at one version.

    The build number, URL, branch, repository and commits come from the build server (see
    'octoci info'), or from --file. With --json: {"BuildInformation": {...sent...},
    "Results": [{PackageId, Version, Result, Id}]}.
    """
    state = get_state(ctx)
    _run(state, options)


def _run(state: AppState, options: dict[str, Any]) -> None:
    from octoci.octopus.buildinfo import read_build_information_file, with_branch
    from octoci.octopus.packages import parse_overwrite_mode
    from octoci.steps.build_info import PushBuildInformation

    config = resolve_settings(state, "build-info", options)
    mode = parse_overwrite_mode(config.settings.overwrite_mode)
    package_ids = _split(options["package_ids"])
    info_file = options["info_file"]
    server = state.server
    if info_file is not None:
        path = info_file if info_file.is_absolute() else state.cwd / info_file
        info = read_build_information_file(path)
    else:
        info = state.plugin_manager.capture(
            server,
            make_capture_options(
                options["commit_range"],
                options["no_commits"],
                options["strict"],
                options["max_commits"],
            ),
        )
    info = with_branch(info, config.settings.branch)
    version = str(options["version"]).strip() or state.plugin_manager.package_version(server, info)
    step = PushBuildInformation(info, mode, tuple((i, version) for i in package_ids))
    # Every id and the version are checked before the connection is made.
    step.validate()

    def document(report: RunReport) -> dict[str, Any]:
        return {
            "BuildInformation": info.to_octopus(),
            "Results": [r.to_json() for r in report.build_information_records],
        }

    connection = open_connection(state, connection_options(options, config))
    try:
        run_steps(state, connection, [step], as_json=options["as_json"], document=document)
    finally:
        connection.close()
