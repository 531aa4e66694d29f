"""``octoci emulator``: run a local Octopus-compatible server until stopped (added to the
command line by this package's plugin through ``octoci_add_commands``)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from octoci.context import get_run_context
from octoci.errors import InputError
from octoci.local_octopus import sigterm_as_interrupt

__all__ = ["emulator"]

_API_KEY = re.compile(r"^API-[A-Z0-9]+$")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port to listen on; 0 picks a free (ephemeral) port.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep state here (SQLite and package files) so it survives a restart; "
    "default: a temporary directory removed on exit.",
)
@click.option(
    "--seed",
    "seed_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A TOML or JSON file with spaces, environments, lifecycles, projects, tenants, "
    "runbooks, API keys, task timing and faults (see docs/emulator.md).",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY",
    help="An API key to accept (repeatable; API- and upper-case letters or digits).",
)
@click.option("--space", "spaces", multiple=True, metavar="NAME", help="Add a space (repeatable).")
@click.option(
    "--environment",
    "environments",
    multiple=True,
    metavar="NAME",
    help="Add an environment to the default space (repeatable).",
)
@click.option(
    "--project",
    "projects",
    multiple=True,
    metavar="NAME",
    help="Add an empty project to the default space (repeatable).",
)
@click.pass_context
def emulator(
    ctx: click.Context,
    host: str,
    port: int,
    data_dir: Path | None,
    seed_file: Path | None,
    api_keys: tuple[str, ...],
    spaces: tuple[str, ...],
    environments: tuple[str, ...],
    projects: tuple[str, ...],
) -> None:
    """Run a local Octopus-compatible server for dry runs, demos and tests.

    Prints one line with the URL and the API key to use, then serves until Ctrl-C. State is
    kept in --data-dir, or in a temporary directory removed on exit.
    """
    from dataclasses import replace

    from octoci_emulator import ApiKey, Emulator, Seed, load_seed

    context = get_run_context(ctx)
    seed = load_seed(seed_file) if seed_file is not None else Seed()
    for key in api_keys:
        if not _API_KEY.match(key):
            raise InputError(
                f"--api-key {key!r}: an Octopus API key is 'API-' followed by upper-case "
                "letters and digits"
            )
    if api_keys:
        seed = replace(
            seed, config=replace(seed.config, api_keys=tuple(ApiKey(k) for k in api_keys))
        )
    for option, values in (
        ("--space", spaces),
        ("--environment", environments),
        ("--project", projects),
    ):
        for value in values:
            if not value.strip():
                raise InputError(f"{option}: a name must not be empty")
    seed = seed.add_spaces([s.strip() for s in spaces]).add_to_default_space(
        environments=[e.strip() for e in environments], projects=[p.strip() for p in projects]
    )
    if data_dir is not None and data_dir.exists() and not data_dir.is_dir():
        raise InputError(f"--data-dir {data_dir}: not a directory")
    server = Emulator(host=host, port=port, data_dir=data_dir, seed=seed)
    try:
        server.start()
    except OSError as exc:
        if exc.filename is not None and data_dir is not None:
            # The port was bound; the data dir could not be made or opened.
            raise InputError(f"--data-dir {data_dir}: {exc.strerror or exc}") from exc
        raise InputError(
            f"cannot start the emulator on {host}:{port}: {exc.strerror or exc}"
        ) from exc
    # SIGTERM stops it like Ctrl-C does, so a temporary data dir is removed.
    try:
        with sigterm_as_interrupt():
            context.echo(f"Octopus emulator listening on {server.url} (API key: {server.api_key})")
            context.stdout.flush()
            server.serve_forever()
    except KeyboardInterrupt:
        context.stderr.write("octoci: emulator stopped\n")
    finally:
        server.stop()
