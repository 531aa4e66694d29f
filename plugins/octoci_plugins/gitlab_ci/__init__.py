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

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.gitlab_ci.adapter import GitLabCI

__all__ = ["GitLabCI", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The GitLab CI adapter."""
    return [GitLabCI]
