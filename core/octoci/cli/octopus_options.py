"""What every command that talks to Octopus shares: connection options, building the connection
(API key, access token or OIDC through the ``octoci_id_token`` hook), and running the command's
steps through one reporter (lines, groups, ``--json``, outputs, job summary).

Only click is imported at module level: ``octoci --help`` imports every command module and must
not pay for ``requests``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from octoci.cli.state import AppState

if TYPE_CHECKING:
    from octoci.config import ResolvedConfig
    from octoci.model import RunReport
    from octoci.octopus.connection import Connection
    from octoci.progress import Progress
    from octoci.steps.plan import Step
    from octoci.steps.reporter import Reporter

__all__ = [
    "OCTOPUS_OPTION_NAMES",
    "has_results",
    "make_progress",
    "make_reporter",
    "octopus_options",
    "open_connection",
    "run_steps",
    "terminal",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The keyword arguments :func:`octopus_options` adds to a command.
OCTOPUS_OPTION_NAMES = (
    "octopus_url",
    "space",
    "request_timeout",
    "connect_timeout",
    "retry_budget",
    "proxy",
    "ca_bundle",
    "insecure",
)


def octopus_options(function: F) -> F:
    """Connection options: server, space, timeouts, retry budget, proxy and TLS."""
    for decorator in reversed(
        [
            click.option(
                "--octopus-url",
                metavar="URL",
                default=None,
                help="Octopus Server URL, with any virtual directory (env: OCTOPUS_URL; "
                "file: octopus_url).",
            ),
            click.option(
                "--space",
                metavar="NAME|ID",
                default=None,
                help="Space name or id (env: OCTOPUS_SPACE; file: space; default: the default "
                "space).",
            ),
            click.option(
                "--request-timeout",
                type=click.FloatRange(min=0, min_open=True),
                default=None,
                metavar="SECONDS",
                help="Seconds to wait for each answer (default 300).",
            ),
            click.option(
                "--connect-timeout",
                type=click.FloatRange(min=0, min_open=True),
                default=None,
                metavar="SECONDS",
                help="Seconds to wait for a connection (default 10).",
            ),
            click.option(
                "--retry-budget",
                type=click.FloatRange(min=0),
                default=None,
                metavar="SECONDS",
                help="Total seconds to keep retrying connection errors, 5xx and 429 "
                "(env: OCTOCI_RETRY_BUDGET; default 120).",
            ),
            click.option(
                "--proxy",
                metavar="URL",
                default=None,
                callback=_proxy_without_credentials,
                help="Proxy for every request, without credentials (env: OCTOCI_PROXY, which may "
                "hold them; default: HTTPS_PROXY/HTTP_PROXY with NO_PROXY).",
            ),
            click.option(
                "--ca-bundle",
                type=click.Path(dir_okay=False, path_type=Path),
                default=None,
                help="CA certificates (PEM) to trust (env: REQUESTS_CA_BUNDLE, SSL_CERT_FILE).",
            ),
            click.option(
                "--insecure",
                is_flag=True,
                help="Do not verify Octopus's TLS certificate (prefer --ca-bundle).",
            ),
        ]
    ):
        function = decorator(function)
    return function


def _proxy_without_credentials(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    """Refuse ``--proxy http://user:PASSWORD@host``: like the API key, which has no option at all,
    a credential on the command line would land in shell history and process lists."""
    if not value:
        return value
    from urllib.parse import urlsplit

    from octoci.redaction import url_password

    try:
        parts = urlsplit(value.strip())
        credentials = bool(parts.username or parts.password)
    except ValueError:
        credentials = "@" in value
    if not credentials:
        return value
    state = ctx.find_root().obj
    if isinstance(state, AppState):
        state.redactor.add(url_password(value))  # masked wherever the run might still show it
    raise click.BadParameter(
        "a proxy URL on the command line must not contain a user name or password, which would "
        "land in shell history and process lists; put the proxy URL with its credentials in "
        "OCTOCI_PROXY (or HTTPS_PROXY/HTTP_PROXY) instead",
        ctx=ctx,
        param=param,
    )


def open_connection(state: AppState, options: Mapping[str, Any]) -> Connection:
    """A connection built from the environment and the command's :func:`octopus_options`.

    With ``OCTOPUS_SERVICE_ACCOUNT_ID`` and no API key or access token, the build server's OIDC
    ID token (``octoci_id_token`` hook) is exchanged for an access token, again before it expires.
    Every token is masked in octoci's output and registered with the build server's masking.
    """
    from octoci.octopus.connection import Connection
    from octoci.octopus.oidc import no_id_token_message, token_source
    from octoci.octopus.settings import OctopusSettings

    ca_bundle = options.get("ca_bundle")
    if ca_bundle is not None and not Path(ca_bundle).is_file():
        from octoci.errors import InputError

        raise InputError(f"--ca-bundle {ca_bundle}: no such file")
    server = state.server
    settings = OctopusSettings.from_env(
        state.env,
        url=options.get("octopus_url"),
        space=options.get("space"),
        read_timeout=options.get("request_timeout"),
        connect_timeout=options.get("connect_timeout"),
        retry_budget=options.get("retry_budget"),
        proxy=options.get("proxy"),
        ca_bundle=str(ca_bundle) if ca_bundle is not None else None,
        insecure=bool(options.get("insecure")) or None,
        user_agent_extra=f"ci/{server.name}",
    )

    def remember(secret: str) -> None:
        # The adapter first: its masking command must carry the secret before octoci's own
        # redactor starts replacing it in what is written.
        server.mask(secret)
        state.redactor.add([secret])

    known = set(state.redactor.secrets)
    source = None
    if not (settings.api_key or settings.access_token) and settings.service_account_id:
        holder: list[Connection] = []
        source = token_source(
            lambda: holder[0],
            lambda audience: state.plugin_manager.id_token(server, audience),
            settings.service_account_id,
            on_token=remember,
            missing_token=no_id_token_message(server, "set OCTOPUS_API_KEY instead"),
        )
        connection = Connection(settings, redactor=state.redactor, token_source=source)
        holder.append(connection)
    else:
        connection = Connection(settings, redactor=state.redactor)
    # The connection may have added secrets (a proxy's password): the adapter, which writes
    # its protocol unredacted, must mask them too.
    for secret in set(state.redactor.secrets) - known:
        server.mask(secret)
    return connection


def make_reporter(state: AppState, as_json: bool) -> Reporter:
    """The run's one :class:`~octoci.steps.reporter.Reporter`: lines on standard output (on
    standard error, prefixed ``octoci:``, with ``--json``, whose document alone goes to standard
    output), a live status line only on a terminal outside CI."""
    from octoci.steps.reporter import Reporter

    def say(line: str) -> None:
        if state.quiet:  # only the final result line, shown at hand-over (AppState.last_result)
            state.last_result = line
        elif as_json:
            state.stderr.write(state.redactor(f"octoci: {line}") + "\n")
            state.stderr.flush()
        else:
            state.echo(line)
            # A CI log is a pipe: unflushed lines would appear only when the buffer fills.
            state.stdout.flush()

    return Reporter(
        state.server,
        say,
        live=terminal(state),
        plugins=state.plugin_manager,
        write_json=state.echo_json if as_json else None,
        # Kept for octoci_run_finished: what the command handed to the build server.
        on_hand_over=state.record_report,
    )


def terminal(state: AppState) -> TextIO | None:
    """Standard error when it is a terminal outside CI: where live displays may redraw."""
    # A CI log is no terminal: a live display there would become thousands of lines.
    return state.stderr if state.stderr.isatty() and not state.env.get("CI") else None


def make_progress(state: AppState, interval: float = 10.0) -> Progress:
    """Upload progress on standard error: redrawn on a terminal, else a line every ``interval``
    seconds (0: none)."""
    from octoci.progress import Progress

    live = terminal(state) is not None
    return Progress(state.stderr if (live or interval) else None, live=live, interval=interval)


def run_steps(
    state: AppState,
    connection: Connection,
    steps: Sequence[Step],
    *,
    as_json: bool,
    document: Callable[[RunReport], Any],
) -> RunReport:
    """Run a command's plan: each step in its phase, then the ``--json`` document (from
    ``document``), the outputs and summary - also after a step that failed part-way (a failed
    deployment, a package of several), before the run ends with that step's error."""
    from octoci.model import RunReport
    from octoci.steps.plan import Plan, StepContext

    reporter = make_reporter(state, as_json)
    report, failure = Plan(steps).run(
        StepContext(connection, reporter), RunReport(server=state.server.name)
    )
    report = report.replace(space=connection.space_id() or "", octopus_url=connection.settings.url)
    reporter.document(document(report))
    if failure is None or has_results(report):
        reporter.hand_over(report)
    if failure is not None:
        raise failure
    return report


def has_results(report: RunReport) -> bool:
    """True when the run changed (or found) anything in Octopus worth handing on."""
    return bool(
        any(p.outcome != "packed" for p in report.packages)
        or report.build_information_records
        or report.release
        or report.deployments
    )


def connection_options(
    options: Mapping[str, Any], config: ResolvedConfig | None = None
) -> dict[str, Any]:
    """The subset of a command's keyword arguments that :func:`open_connection` reads; with the
    command's resolved ``config``, the server and space it resolved (flag > variable > file)."""
    chosen = {k: options.get(k) for k in OCTOPUS_OPTION_NAMES}
    if config is not None:
        chosen["octopus_url"] = config.settings.octopus_url or None
        chosen["space"] = config.settings.space or None
    return chosen
