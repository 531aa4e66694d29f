"""Options several commands share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from octoci.model import CaptureOptions

__all__ = ["capture_options", "json_option", "make_capture_options"]

F = TypeVar("F", bound=Callable[..., Any])


def _reserve_stdout(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        from octoci.cli.state import get_state

        # Build-server protocol lines (masks, groups) must not corrupt the JSON on stdout.
        get_state(ctx).machine_output = True
    return value


def json_option(function: F) -> F:
    """``--json``: machine-readable output on standard output; the build-server adapter's
    protocol lines go to standard error instead."""
    return click.option(
        "--json", "as_json", is_flag=True, callback=_reserve_stdout, help="Print JSON."
    )(function)


def capture_options(function: F) -> F:
    """The options that steer how build information and commits are captured."""
    for decorator in reversed(
        [
            click.option(
                "--commit-range",
                metavar="A..B",
                default="",
                help="Take the commits from git over this range instead of the server's list.",
            ),
            click.option("--no-commits", is_flag=True, help="Do not collect the list of commits."),
            click.option(
                "--strict",
                is_flag=True,
                help="Fail when the build server's commit API fails, instead of using git.",
            ),
            click.option(
                "--max-commits",
                type=click.IntRange(min=1),
                default=CaptureOptions.max_commits,
                show_default=True,
                help="The most commits the git fallback collects.",
            ),
        ]
    ):
        function = decorator(function)
    return function


def make_capture_options(
    commit_range: str, no_commits: bool, strict: bool, max_commits: int
) -> CaptureOptions:
    """The :class:`CaptureOptions` the :func:`capture_options` flags describe."""
    return CaptureOptions(
        commit_range=commit_range.strip(),
        strict=strict,
        max_commits=max_commits,
        fetch_commits=not no_commits,
    )
