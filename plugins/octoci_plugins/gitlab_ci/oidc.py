"""GitLab OIDC ID tokens (``id_tokens:``), for Octopus's token exchange (keyless login).

GitLab mints a token only for the variables a job declares::

    id_tokens:
      OCTOCI_ID_TOKEN:
        aud: <the audience of the Octopus service account's OIDC identity>

so octoci cannot ask for an audience: it reads the declared variable (``OCTOCI_ID_TOKEN``, or the
name set in ``OCTOCI_ID_TOKEN_VARIABLE``) and warns when the token's ``aud`` is not the one Octopus
will check. The token's issuer is the instance URL (``CI_SERVER_URL``); the Octopus identity is an
"Other issuer" one. The legacy ``CI_JOB_JWT*`` variables were removed in GitLab 17.0 and are not
read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from octoci.errors import InputError
from octoci_plugins._jwt import check_id_token

__all__ = ["DEFAULT_VARIABLE", "NAME_VARIABLE", "id_token_variable", "read_id_token"]

DEFAULT_VARIABLE = "OCTOCI_ID_TOKEN"
NAME_VARIABLE = "OCTOCI_ID_TOKEN_VARIABLE"
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def id_token_variable(env: Mapping[str, str]) -> str:
    """The name of the variable holding the ID token; a one-line :class:`InputError` when
    ``OCTOCI_ID_TOKEN_VARIABLE`` is not a variable name."""
    name = env.get(NAME_VARIABLE, "").strip()
    if not name:
        return DEFAULT_VARIABLE
    if not _VARIABLE_NAME.match(name):
        raise InputError(f"{NAME_VARIABLE}={name!r} is not a variable name")
    return name


def read_id_token(env: Mapping[str, str], audience: str) -> str | None:
    """The job's ID token for Octopus, or ``None`` when the job declares none.

    A variable named explicitly in ``OCTOCI_ID_TOKEN_VARIABLE`` must exist: its absence is an
    :class:`InputError` saying where to declare it.
    """
    name = id_token_variable(env)
    token = env.get(name, "").strip()
    if not token:
        if env.get(NAME_VARIABLE, "").strip():
            raise InputError(
                f"{NAME_VARIABLE} names {name}, but this job has no {name}; declare it under "
                f"'id_tokens:' in .gitlab-ci.yml"
            )
        return None
    return check_id_token(
        token,
        audience,
        name,
        hint=f"set 'aud:' of {name} under 'id_tokens:' in .gitlab-ci.yml to that audience",
    )
