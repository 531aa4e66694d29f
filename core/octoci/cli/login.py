"""``octoci login``: log later steps of the job in to Octopus, as Octopus's login action does.

Two ways, as the action has: OIDC (the build server's ID token, or one given with ``--id-token``,
exchanged for an access token of a service account) and an API key (``OCTOPUS_API_KEY``, checked).
The server URL and the credential are exported to the job's later steps where the build server
can keep the credential secret (``CIServer.export_variable``: ``OCTOPUS_URL`` with
``OCTOPUS_ACCESS_TOKEN`` or ``OCTOPUS_API_KEY``), and set as the outputs ``server`` and
``access_token`` or ``api_key``. octoci's other commands do not need this step: with
``OCTOPUS_SERVICE_ACCOUNT_ID`` set they exchange (and renew) tokens themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from octoci.cli.octopus_options import connection_options, octopus_options
from octoci.cli.options import json_option, resolve_settings, settings_options
from octoci.cli.state import AppState, get_state
from octoci.errors import InputError

if TYPE_CHECKING:
    from octoci.octopus.settings import OctopusSettings

__all__ = ["login"]

#: What to do instead when there is no ID token.
_ALTERNATIVES = "pass one with --id-token, or log in with an API key (OCTOPUS_API_KEY)"


@click.command()
@click.option(
    "--service-account-id",
    default="",
    metavar="ID",
    help="The Octopus service account (env: OCTOPUS_SERVICE_ACCOUNT_ID); the token's audience.",
)
@click.option(
    "--api-key",
    "use_api_key",
    is_flag=True,
    help="Log in with the API key in OCTOPUS_API_KEY (the default when only a key is set).",
)
@click.option(
    "--id-token",
    default="",
    metavar="TOKEN",
    help="Exchange this OIDC ID token instead of asking the build server for one.",
)
@settings_options("login")
@octopus_options
@json_option
@click.pass_context
def login(ctx: click.Context, /, **options: Any) -> None:
    """Log later steps in to Octopus: OIDC (no API key needed) or an API key.

    Exports OCTOPUS_URL and OCTOPUS_ACCESS_TOKEN (or OCTOPUS_API_KEY) to later steps where the
    build server keeps them secret, and sets the outputs server and access_token (or api_key),
    masked. With --json: {"Server", "Method", "ServiceAccountId", "ExpiresIn", "Exported"} - never
    the token or key.
    """
    state = get_state(ctx)
    from octoci.octopus.settings import OctopusSettings

    id_token = str(options["id_token"]).strip()
    if id_token:
        # Masked before anything can print it (an error, --debug).
        state.server.mask(id_token)
        state.redactor.add([id_token])
    config = resolve_settings(state, "login", options)
    settings = OctopusSettings.from_env(
        state.env,
        service_account_id=str(options["service_account_id"]).strip() or None,
        **{k: v for k, v in connection_options(options, config).items() if k != "octopus_url"},
        url=config.settings.octopus_url or None,
    )
    if _uses_api_key(settings, options, id_token):
        _login_with_api_key(state, settings, bool(options["as_json"]))
    else:
        _login_with_oidc(state, settings, id_token, bool(options["as_json"]))


def _uses_api_key(settings: OctopusSettings, options: dict[str, Any], id_token: str) -> bool:
    """Which way: ``--api-key``, else OIDC when a service account (or an ID token) is named,
    else the API key when one is set; one clear line when neither or both are asked for."""
    named_account = bool(str(options["service_account_id"]).strip())
    if options["use_api_key"]:
        if named_account or id_token:
            raise InputError(
                "--api-key logs in with an API key: leave out --service-account-id and --id-token"
            )
        if not settings.api_key:
            raise InputError("--api-key needs the API key in OCTOPUS_API_KEY")
        return True
    if named_account or id_token:
        return False
    if settings.api_key and settings.service_account_id:
        raise InputError(
            "both OCTOPUS_API_KEY and OCTOPUS_SERVICE_ACCOUNT_ID are set: pass --api-key or "
            "--service-account-id to choose how to log in"
        )
    if settings.api_key:
        return True
    if not settings.service_account_id:
        raise InputError(
            "name the service account: --service-account-id or OCTOPUS_SERVICE_ACCOUNT_ID "
            "(OIDC), or set OCTOPUS_API_KEY (an API key)"
        )
    return False


def _login_with_oidc(
    state: AppState, settings: OctopusSettings, id_token: str, as_json: bool
) -> None:
    from octoci.octopus.connection import Connection
    from octoci.octopus.oidc import exchange_id_token, no_id_token_message

    account = settings.service_account_id
    if not account:
        raise InputError(
            "name the service account: --service-account-id or OCTOPUS_SERVICE_ACCOUNT_ID"
        )
    server = state.server
    id_token = id_token or state.plugin_manager.id_token(server, account) or ""
    if not id_token:
        raise InputError(no_id_token_message(server, _ALTERNATIVES))
    server.mask(id_token)
    state.redactor.add([id_token])
    # The exchange itself needs no credentials.
    anonymous = Connection(settings.replace(api_key=""), redactor=state.redactor, anonymous=True)
    try:
        token, expires_in = exchange_id_token(anonymous, id_token, account)
    finally:
        anonymous.close()
    server.mask(token)
    state.redactor.add([token])
    who = _who(state, settings.replace(api_key="", access_token=token), "the new access token")
    exported = _export(state, settings.url, "OCTOPUS_ACCESS_TOKEN", token)
    server.set_output("server", settings.url)
    server.set_output("access_token", token)
    if as_json:
        state.echo_json(
            {
                "Server": settings.url,
                "Method": "OIDC",
                "ServiceAccountId": account,
                "ExpiresIn": expires_in,
                "Exported": exported,
            }
        )
    else:
        state.echo(
            f"logged in to {settings.url} as {who or account}; the access token expires in "
            f"{expires_in} s{_exported_words(exported)} (outputs: server, access_token)"
        )


def _login_with_api_key(state: AppState, settings: OctopusSettings, as_json: bool) -> None:
    key = settings.api_key
    state.server.mask(key)
    state.redactor.add([key])
    who = _who(state, settings.replace(access_token=""), "the API key")
    exported = _export(state, settings.url, "OCTOPUS_API_KEY", key)
    state.server.set_output("server", settings.url)
    state.server.set_output("api_key", key)
    if as_json:
        state.echo_json({"Server": settings.url, "Method": "ApiKey", "Exported": exported})
    else:
        state.echo(
            f"logged in to {settings.url} as {who or 'the API key user'} with an API key"
            f"{_exported_words(exported)} (outputs: server, api_key)"
        )


def _who(state: AppState, settings: OctopusSettings, what: str) -> str:
    """Who the credential belongs to (``GET /api/users/me``), which also proves it works."""
    from octoci.octopus.connection import Connection
    from octoci.octopus.preflight import who_am_i

    check = Connection(settings, redactor=state.redactor)
    try:
        me = who_am_i(check, what=f"checking {what}")
    finally:
        check.close()
    return str(me.get("DisplayName") or me.get("Username") or "")


def _export(state: AppState, url: str, name: str, secret: str) -> list[str]:
    """Export the credential, then the URL, to the later steps; the names exported. Nothing
    when the build server cannot keep the credential secret (a warning says so): a URL alone
    would only make a later tool fail later, without saying why."""
    from octoci.octopus.oidc import server_page

    server = state.server
    if not server.export_variable(name, secret, secret=True):
        server.annotate(
            "warning",
            f"{server.display_name} has no way to hand {name} to later steps that keeps it "
            "secret, so octoci exported nothing; run octoci (or the tool) with credentials of "
            f"its own in the step that needs them ({server_page(server)})",
        )
        return []
    server.export_variable("OCTOPUS_URL", url, secret=False)
    return ["OCTOPUS_URL", name]


def _exported_words(exported: list[str]) -> str:
    return f"; exported {' and '.join(exported)} to later steps" if exported else ""
