"""GitLab CI: build information, commits through the REST API, a dotenv report, sections, OIDC.

Vendor documentation of what a job sees and can do:

* predefined variables: https://docs.gitlab.com/ci/variables/predefined_variables/
* the REST API read for commits: https://docs.gitlab.com/api/commits/,
  https://docs.gitlab.com/api/merge_requests/ and https://docs.gitlab.com/api/tags/
* passing variables to later jobs: https://docs.gitlab.com/ci/variables/dotenv_variables/
* collapsible log sections: https://docs.gitlab.com/ci/jobs/job_logs/
* ID tokens: https://docs.gitlab.com/ci/secrets/id_token_authentication/

Only the standard library and octoci are imported here: detection never needs ``requests``, which
is imported when commits are fetched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import unquote, urlsplit

from octoci import hookimpl
from octoci.errors import OctociError
from octoci.server import CIServer
from octoci_plugins.gitlab_ci.adapter import TOKEN_VARIABLES, GitLabCI
from octoci_plugins.gitlab_ci.oidc import id_token_variable

__all__ = ["GitLabCI", "octoci_secrets", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The GitLab CI adapter."""
    return [GitLabCI]


@hookimpl
def octoci_secrets(env: Mapping[str, str]) -> Iterable[str]:
    """The job token (also inside ``CI_REPOSITORY_URL``), the API token and the ID token, so that
    no output, log line or error message of the run can show them."""
    try:
        if not GitLabCI.detect(env):
            return []
        values = [env.get(name, "") for name in ("CI_JOB_TOKEN", *TOKEN_VARIABLES)]
        values.append(env.get(id_token_variable(env), ""))
        password = urlsplit(env.get("CI_REPOSITORY_URL", "").strip()).password
        values.append(unquote(password) if password else "")
    except (OctociError, ValueError):
        # A bad variable is reported, with its name, where the adapter reads it.
        return []
    return [v.strip() for v in values if v and v.strip()]
