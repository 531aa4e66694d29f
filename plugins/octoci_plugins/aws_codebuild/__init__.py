"""AWS CodeBuild: build information from ``CODEBUILD_*`` and webhook variables, commits from git,
outputs for ``exported-variables``.

Vendor documentation: https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-env-vars.html

Only the standard library and octoci are imported here; the ``aws-codebuild`` extra adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from octoci import hookimpl
from octoci.server import CIServer
from octoci_plugins.aws_codebuild.adapter import AwsCodeBuild

__all__ = ["AwsCodeBuild", "octoci_servers"]


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    """The AWS CodeBuild adapter."""
    return [AwsCodeBuild]
