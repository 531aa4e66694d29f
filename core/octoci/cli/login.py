"""``octoci login``: exchange the build server's OIDC ID token for an Octopus access token.

For later steps that are not octoci (other tools read ``OCTOPUS_ACCESS_TOKEN``): the token is
registered with the build server's masking and given as the output ``access_token``, with the
server URL as ``server``, as Octopus's own login action does. octoci's other commands do not
need this step: with ``OCTOPUS_SERVICE_ACCOUNT_ID`` set they exchange (and renew) tokens
themselves.
"""

from __future__ import annotations

from typing import Any

import click

from octoci.cli.octopus_options import connection_options, octopus_options
from octoci.cli.options import json_option, resolve_settings, settings_options
from octoci.cli.state import get_state
from octoci.errors import InputError

__all__ = ["login"]


@click.command()
@click.option(
    "--service-account-id",
    default="",
    metavar="ID",
    help="The Octopus service account (env: OCTOPUS_SERVICE_ACCOUNT_ID); the token's audience.",
)
@settings_options("login")
@octopus_options
@json_option
@click.pass_context
def login(ctx: click.Context, /, **options: Any) -> None:
    """Log in to Octopus with the build server's OIDC token (no API key needed).

    Sets the outputs server and access_token (masked). With --json: {"Server",
    "ServiceAccountId", "ExpiresIn"} - never the token.
    """
    state = get_state(ctx)
    from octoci.octopus.connection import Connection
    from octoci.octopus.oidc import exchange_id_token
    from octoci.octopus.preflight import who_am_i
    from octoci.octopus.settings import OctopusSettings

    config = resolve_settings(state, "login", options)
    settings = OctopusSettings.from_env(
        state.env,
        service_account_id=str(options["service_account_id"]).strip() or None,
        **{k: v for k, v in connection_options(options, config).items() if k != "octopus_url"},
        url=config.settings.octopus_url or None,
    )
    if not settings.service_account_id:
        raise InputError(
            "name the service account: --service-account-id or OCTOPUS_SERVICE_ACCOUNT_ID"
        )
    server = state.server
    id_token = state.plugin_manager.id_token(server, settings.service_account_id)
    if not id_token:
        raise InputError(
            f"the build server ({server.display_name}) gave no OIDC ID token; on GitHub Actions "
            "add 'permissions: id-token: write' to the job"
        )
    server.mask(id_token)
    state.redactor.add([id_token])
    # The exchange itself needs no credentials.
    anonymous = Connection(settings.replace(api_key=""), redactor=state.redactor, anonymous=True)
    try:
        token, expires_in = exchange_id_token(anonymous, id_token, settings.service_account_id)
    finally:
        anonymous.close()
    server.mask(token)
    state.redactor.add([token])
    check = Connection(settings.replace(api_key="", access_token=token), redactor=state.redactor)
    try:
        me = who_am_i(check, what="checking the new access token")
    finally:
        check.close()
    who = str(me.get("DisplayName") or me.get("Username") or settings.service_account_id)
    server.set_output("server", settings.url)
    server.set_output("access_token", token)
    if options["as_json"]:
        state.echo_json(
            {
                "Server": settings.url,
                "ServiceAccountId": settings.service_account_id,
                "ExpiresIn": expires_in,
            }
        )
    else:
        state.echo(
            f"logged in to {settings.url} as {who}; the access token expires in {expires_in} s "
            "(outputs: server, access_token)"
        )
