"""The ``octoci`` command line (click).

Built-in commands live one per module and are imported only when run (``octoci --help`` stays
fast); plugins add commands through ``octoci_add_commands``. :func:`run` is the whole program with
its environment, streams and working directory injected; :func:`main` is the console script.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

import click

from octoci import __version__
from octoci.environment import Environment
from octoci.errors import EXIT_FAILURE, EXIT_USAGE, OctociError
from octoci.redaction import RedactingStream, Redactor

if TYPE_CHECKING:
    from octoci.cli.state import AppState

__all__ = ["cli", "main", "run"]

#: Built-in commands: name -> "module:attribute", imported on first use.
BUILTIN_COMMANDS: dict[str, str] = {
    "info": "octoci.cli.info:info",
    "plugins": "octoci.cli.plugins_command:plugins",
    "pack": "octoci.cli.pack:pack",
    "push": "octoci.cli.push:push",
    "build-info": "octoci.cli.build_info:build_info",
    "release": "octoci.cli.release:release",
    "runbook": "octoci.cli.runbook:runbook",
    "task": "octoci.cli.task:task",
    "login": "octoci.cli.login:login",
    "publish": "octoci.cli.publish:publish",
}

#: Each built-in command's one-line summary, which ``octoci --help`` lists without importing the
#: command (a test keeps these equal to the commands' own short help).
BUILTIN_SUMMARIES: dict[str, str] = {
    "info": "Show the build server octoci detects and the build information it would send.",
    "plugins": "List the loaded plugins: name, kind, version, distribution and hooks.",
    "pack": "Pack files into a package Octopus accepts: <id>.<version>.<ext>.",
    "push": "Push package files (paths or globs such as 'dist/*.zip') to the built-in feed or "
    "a repository.",
    "build-info": "Push build information for one or more package ids at one version.",
    "release": "Create, deploy and promote releases (Octopus Server 2022.3.5512 or later).",
    "runbook": "Run runbooks (Octopus Server 2022.3.5512 or later).",
    "task": "Work with Octopus server tasks.",
    "login": "Log later steps in to Octopus: OIDC (no API key needed) or an API key.",
    "publish": (
        "Pack, push packages and build information, create a release, deploy, wait, report."
    ),
}


class OctociGroup(click.Group):
    """The root group: lazy built-in commands, then the commands plugins add."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*BUILTIN_COMMANDS, *self._plugin_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = BUILTIN_COMMANDS.get(cmd_name)
        if target is not None:
            module_name, attribute = target.split(":")
            module = __import__(module_name, fromlist=[attribute])
            command: click.Command = getattr(module, attribute)
            return command
        return self._plugin_commands(ctx).get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's listing, over stand-ins that carry each built-in's summary: importing every
        # command (and what it imports) to print one line each would double start-up.
        stand_ins: dict[str, click.Command] = {
            name: click.Command(name, help=BUILTIN_SUMMARIES[name]) for name in BUILTIN_COMMANDS
        }
        listing = click.Group(commands={**stand_ins, **self._plugin_commands(ctx)})
        listing.format_commands(ctx, formatter)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit as exc:
            # A command's ctx.exit(3) ends through click's Exit, which click.main() (not in
            # standalone mode) turns into a return value run() cannot tell from a command's
            # own return value: keep the code.
            from octoci.cli.state import get_state

            get_state(ctx).exit_code = int(exc.exit_code)
            raise

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is None:
            return name, command, rest
        from octoci.cli.state import get_state

        return name, _noting_start(command, get_state(ctx)), rest

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        from octoci.cli.state import get_state

        state = get_state(ctx)
        if state.plugin_commands is None:
            holder = click.Group()
            state.command_plugin_manager.add_commands(holder)
            clashes = sorted(set(holder.commands) & set(BUILTIN_COMMANDS))
            if clashes:
                raise OctociError(
                    f"a plugin adds the command {clashes[0]!r}, which octoci already has; "
                    "block that plugin with OCTOCI_DISABLE_PLUGINS"
                )
            state.plugin_commands = dict(holder.commands)
        return state.plugin_commands


@click.group(cls=OctociGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="octoci", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option("-q", "--quiet", is_flag=True, help="Show only errors and the final result line.")
@click.option(
    "-v", "--verbose", is_flag=True, help="Show details (debug logging) without tracebacks."
)
@click.option(
    "--no-plugins", is_flag=True, help="Load no third-party plugins (entry points of group octoci)."
)
@click.option(
    "--disable-plugin",
    "disabled_plugins",
    multiple=True,
    metavar="NAME",
    help="Block a plugin by name (repeatable); see also OCTOCI_DISABLE_PLUGINS.",
)
@click.option(
    "--server",
    metavar="NAME",
    help="Use this build-server adapter instead of detecting one (env: OCTOCI_SERVER).",
)
@click.pass_context
def cli(ctx: click.Context, /, **_options: Any) -> None:
    """octoci connects your build server to Octopus Deploy.

    Exit codes: 0 ok, 1 an operation failed, 2 usage error or bad input, 3 a deployment or
    runbook run failed, 4 waiting timed out.
    """
    from octoci.cli.state import get_state

    get_state(ctx)


def _noting_start(command: click.Command, state: AppState) -> click.Command:
    """``command`` (a copy: the original may be shared) telling ``state`` when its own code
    starts, which is when the run counts as having run a command (``octoci_run_finished``).

    A group's callback runs before its subcommand's options are parsed (``octoci release create
    --help`` runs ``release``'s), so in a group the subcommand it resolves is the one that counts
    (the group's own callback only without one: ``invoke_without_command``).
    """
    noted = copy.copy(command)
    if isinstance(command, click.Group) and isinstance(noted, click.Group):
        resolve = command.resolve_command

        def resolve_noting(
            ctx: click.Context, args: list[str]
        ) -> tuple[str | None, click.Command | None, list[str]]:
            name, sub, rest = resolve(ctx, args)
            return name, (_noting_start(sub, state) if sub is not None else None), rest

        noted.resolve_command = resolve_noting  # type: ignore[method-assign]
    callback = command.callback
    if callback is not None:

        @functools.wraps(callback)
        def noting(*args: Any, **kwargs: Any) -> Any:
            # A group's callback with a subcommand to come is not the start (see above).
            if click.get_current_context().invoked_subcommand is None:
                state.command_started = True
            return callback(*args, **kwargs)

        noted.callback = noting
    return noted


def _configure_logging(
    stderr: TextIO, debug: bool, state: AppState | None = None
) -> logging.Handler:
    from octoci.problems import ProblemHandler

    # Warnings go to the build server's own form once its adapter exists (octoci.problems).
    handler = ProblemHandler(stderr, state)
    handler.setFormatter(_LowerCaseLevelFormatter("octoci: %(levelname)s: %(message)s"))
    logger = logging.getLogger("octoci")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    return handler


class _LowerCaseLevelFormatter(logging.Formatter):
    """``octoci: warning: ...``, like the error line."""

    def format(self, record: logging.LogRecord) -> str:
        record = logging.makeLogRecord(record.__dict__)
        record.levelname = record.levelname.lower()
        return super().format(record)


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    cwd: Path | None = None,
    plugins: Sequence[object] = (),
) -> int:
    """Run ``octoci`` with ``argv`` and return the exit code; never raises for a user's mistake.

    Secrets (``OCTOPUS_API_KEY`` and what plugins declare) are masked in everything written.
    ``plugins`` are registered after the normal load order (for tests and embedding).
    """
    from octoci.cli.state import AppState

    environment = Environment(os.environ if env is None else env)
    args = list(argv)
    debug = "--debug" in args
    redactor = Redactor.from_environment(environment)
    # Everything written during the run - ours, click's, a plugin's - passes through the redactor.
    raw_out, raw_err = stdout or sys.stdout, stderr or sys.stderr
    out = cast(TextIO, RedactingStream(raw_out, redactor))
    err = cast(TextIO, RedactingStream(raw_err, redactor))
    state = AppState(
        env=environment,
        stdout=out,
        stderr=err,
        cwd=cwd or Path.cwd(),
        redactor=redactor,
        extra_plugins=tuple(plugins),
        ci_streams=(raw_out, raw_err),
    )
    handler = _configure_logging(err, debug, state)
    try:
        # click's own output (help, --version, plugin commands using click.echo) goes to sys.*:
        # point those at the injected streams for the length of the run.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = _invoke(args, state, err, debug, redactor)
            # The status text in the build server's own form.
            from octoci.problems import report_outcome

            report_outcome(state, code)
            # After the command's output and error line; nothing a plugin does changes the code.
            state.finish(code)
        return code
    finally:
        logging.getLogger("octoci").removeHandler(handler)
        out.flush()
        err.flush()


def _invoke(
    args: Sequence[str], state: AppState, err: TextIO, debug: bool, redactor: Redactor
) -> int:
    """Run the command line and turn whatever ends it into an exit code and one error line."""
    try:
        instruction = state.env.get(COMPLETE_VAR, "")
        if instruction:
            return _shell_complete(instruction, state)
        cli.main(args=list(args), prog_name="octoci", standalone_mode=False, obj=state)
    except OctociError as exc:
        return _fail(err, str(exc), exc.exit_code, debug, redactor, state)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        return _fail(err, "aborted", EXIT_FAILURE, debug, redactor, state)
    except click.ClickException as exc:
        _write_line(err, _click_message(exc), redactor)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return _fail(err, "interrupted", 130, debug, redactor, state)
    except Exception as exc:  # a bug: say so in one line, traceback with --debug
        return _fail(
            err,
            f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            EXIT_FAILURE,
            debug,
            redactor,
            state,
        )
    return state.exit_code


#: The variable a shell's completion script sets to ask for completions (click's convention).
COMPLETE_VAR = "_OCTOCI_COMPLETE"


def _shell_complete(instruction: str, state: AppState) -> int:
    """Answer a completion request (``bash_source``, ``zsh_complete``, ``powershell_source``...)
    with click's completion classes, written as text through the redacting stream.

    click's own handler writes bytes to ``sys.stdout``, which here is the redacting text stream
    (the TypeError users saw). The words being completed come from ``COMP_WORDS`` and
    ``COMP_CWORD``, which click reads from the process environment.
    """
    from click.shell_completion import get_completion_class

    shell, _, action = instruction.partition("_")
    completion_class = get_completion_class(shell)
    if completion_class is None or action not in ("source", "complete"):
        raise click.UsageError(
            f"{COMPLETE_VAR}={instruction} is not a completion request; use SHELL_source or "
            "SHELL_complete with SHELL one of bash, zsh, fish, powershell"
        )
    completion = completion_class(cli, {"obj": state}, "octoci", COMPLETE_VAR)
    text = completion.source() if action == "source" else completion.complete() + "\n"
    state.stdout.write(text)
    return 0


def _click_message(exc: click.ClickException) -> str:
    usage = ""
    if isinstance(exc, click.UsageError) and exc.ctx is not None:
        usage = f" (see '{exc.ctx.command_path} --help')"
    return f"octoci: error: {exc.format_message()}{usage}"


def _fail(
    stderr: TextIO, message: str, code: int, debug: bool, redactor: Redactor, state: AppState
) -> int:
    if debug:
        _write_line(stderr, traceback.format_exc().rstrip("\n"), redactor)
    first_line = " ".join(message.split())
    # The build server's own form (an annotation, an issue, a build problem) where it has one,
    # else the plain line: either way one line.
    from octoci.problems import report_error

    report_error(
        state,
        code,
        first_line,
        lambda text: _write_line(stderr, f"octoci: error: {text}", redactor),
    )
    return code


def _write_line(stream: TextIO, text: str, redactor: Redactor) -> None:
    """Write ``text`` so that it cannot fail to encode: a file name that is not UTF-8 (surrogate
    escapes) is shown as ``\\xNN``, and what the stream's encoding lacks as a backslash escape.

    Secrets are masked before anything is escaped: the stream (a RedactingStream) would not
    recognise a secret in its escaped form.
    """
    from octoci.files import printable

    encoding = getattr(stream, "encoding", None) or "utf-8"
    text = printable(redactor(text))
    with contextlib.suppress(LookupError):
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    stream.write(text + "\n")


def main() -> NoReturn:
    """The ``octoci`` console script."""
    sys.exit(run(sys.argv[1:]))
