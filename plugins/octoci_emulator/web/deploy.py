"""The release page's buttons: deploy to an environment of the first phase, promote to a later
one, redeploy; each an HTML form (POST, with the session's CSRF token).

A deployment goes through :func:`octoci_emulator.executions.deploy`, the function the API's
deployment routes use, so the lifecycle, tenant and permission rules are the API's. A form
carries the latest deployment of the release to that environment it was shown with: sent twice
(a double click, a reload of the answer, a stale page), the second finds a newer deployment and
starts nothing.
"""

from __future__ import annotations

from octoci_emulator.errors import ApiError, BadRequest
from octoci_emulator.executions import deploy
from octoci_emulator.routes import Response, Router
from octoci_emulator.store import Document
from octoci_emulator.web.context import WebContext, signed_in_page
from octoci_emulator.web.layout import redirect
from octoci_emulator.web.markup import Html, el, join

__all__ = ["deploy_buttons", "register"]

#: What the form sends when the release had no deployment to the environment yet.
_NONE = "none"


def _latest(context: WebContext, release: Document, environment_id: str, tenant_id: str) -> str:
    """The id of the release's latest deployment to ``environment_id`` for ``tenant_id`` ("" for
    untenanted), or ``none``."""
    mine = context.request.app.store.list(
        "deployment",
        release["SpaceId"],
        lambda d: (
            d["ReleaseId"] == release["Id"]
            and d["EnvironmentId"] == environment_id
            and (d.get("TenantId") or "") == tenant_id
        ),
    )
    return mine[-1]["Id"] if mine else _NONE


def _tenants(context: WebContext, project: Document, environment_id: str) -> list[Document]:
    """The tenants connected to ``project`` in ``environment_id``."""
    return context.request.app.store.list(
        "tenant",
        project["SpaceId"],
        lambda t: environment_id in t.get("ProjectEnvironments", {}).get(project["Id"], []),
    )


def deploy_buttons(
    context: WebContext,
    project: Document,
    release: Document,
    environment_id: str,
    *,
    first_phase: bool,
) -> Html:
    """The buttons that deploy ``release`` to ``environment_id`` (one per tenant for tenanted
    projects)."""
    environment = context.request.app.store.get("environment", environment_id) or {}
    name = environment.get("Name", environment_id)
    mode = project["TenantedDeploymentMode"]
    tenants: list[tuple[str, str]] = []  # (tenant id or "" for untenanted, " for" suffix)
    if mode != "Tenanted":
        tenants.append(("", ""))
    if mode != "Untenanted":
        tenants += [
            (t["Id"], f" for {t['Name']}") for t in _tenants(context, project, environment_id)
        ]
    forms = []
    for tenant_id, suffix in tenants:
        latest = _latest(context, release, environment_id, tenant_id)
        verb = "Promote to"
        if latest != _NONE:
            verb = "Redeploy to"
        elif first_phase:
            verb = "Deploy to"
        forms.append(
            context.post_form(
                context.path(release["SpaceId"], "releases", release["Id"], "deploy"),
                el("input", type="hidden", name="environment", value=environment_id),
                el("input", type="hidden", name="tenant", value=tenant_id),
                el("input", type="hidden", name="after", value=latest),
                el("button", f"{verb} {name}{suffix}", type="submit"),
            )
        )
    return join(" ", forms)


def _deploy(context: WebContext) -> Response:
    request = context.request
    request.require("DeploymentCreate")
    store = request.app.store
    release = context.resource_in_space("release")
    environment = store.get("environment", context.form.get("environment", ""))
    if environment is None or environment["SpaceId"] != release["SpaceId"]:
        raise BadRequest(f"There is no environment '{context.form.get('environment', '')}'.")
    tenant = None
    if context.form.get("tenant"):
        tenant = store.get("tenant", context.form["tenant"])
        if tenant is None or tenant["SpaceId"] != release["SpaceId"]:
            raise BadRequest(f"There is no tenant '{context.form['tenant']}'.")
    with store.transaction():
        # Checked and created in one transaction: two copies of the form cannot both pass.
        latest = _latest(context, release, environment["Id"], tenant["Id"] if tenant else "")
        if latest != context.form.get("after", _NONE):
            raise ApiError(
                409,
                f"Release {release['Version']} was deployed to {environment['Name']} since this "
                f"page was shown ({latest}); nothing new was started. Look at the release page.",
            )
        deployment = deploy(request.app, release, environment, tenant)
    return redirect(context.path(release["SpaceId"], "deployments", deployment["Id"]))


def register(router: Router) -> None:
    """Add the deploy route (deploy and promote are one action: a deployment)."""
    router.add(
        "POST",
        "/app/{space}/releases/{id}/deploy",
        signed_in_page(_deploy),
        scoped=False,
        anonymous=True,
    )
