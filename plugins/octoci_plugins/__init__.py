"""The build-server plugins that ship with octoci, one sub-package per server.

Each is registered by the short name listed in :data:`BUILTIN_PLUGINS`, in that order, after the
core's defaults and before third-party entry points (``docs/plugins/load-order.md``). Each can be
blocked by that name (``OCTOCI_DISABLE_PLUGINS=teamcity``). Adapters import only the standard
library at import time; a server's client library (its pip extra) is imported when it is needed.
"""

from __future__ import annotations

#: Built-in plugin modules (``octoci_plugins.<name>``), registered in this order.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "appveyor",
    "aws_codebuild",
    "azure_devops",
    "bamboo",
    "bitbucket_pipelines",
    "bitrise",
    "buddy",
    "buildkite",
    "circleci",
    "cirrus_ci",
    "codefresh",
    "continua_ci",
    "drone",
    "gitea_actions",
    "github_actions",
    "gitlab_ci",
    "gocd",
    "google_cloud_build",
    "harness_ci",
    "jenkins",
    "semaphore",
    "teamcity",
    "travis_ci",
    "woodpecker",
)
