"""The Google Cloud Build adapter.

Cloud Build passes build facts as *substitutions*, which reach a step's environment only when the
build maps them: ``options: automapSubstitutions: true`` (all of them), or ``env:`` entries such
as ``BUILD_ID=$BUILD_ID``. Every step runs with ``BUILDER_OUTPUT`` set, which is how the build
is detected. Commits come from git; outputs are files in ``/workspace`` (shared by every step);
OIDC identity tokens come from the metadata server, for the build's service account.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

from octoci.errors import OctociError
from octoci.git import GitError, Repository
from octoci.model import BuildInformation
from octoci_plugins._env_server import EnvServer
from octoci_plugins._http import TIMEOUT, api_session, url_origin
from octoci_plugins._jwt import check_id_token
from octoci_plugins.jenkins.adapter import jenkins_output_files

__all__ = ["GoogleCloudBuild"]

log = logging.getLogger("octoci")

#: The metadata server; ``GCE_METADATA_HOST`` (the variable Google's client libraries honour)
#: points elsewhere, e.g. at an emulator.
METADATA_HOST = "metadata.google.internal"
IDENTITY_PATH = "/computeMetadata/v1/instance/service-accounts/default/identity"


class GoogleCloudBuild(EnvServer):
    """Google Cloud Build (default and private pools), triggered or submitted by hand.

    Example::

        server = GoogleCloudBuild(os.environ, sys.stdout)
        server.build_information().build_url   # the build's page in the Cloud console
    """

    name: ClassVar[str] = "google_cloud_build"
    display_name: ClassVar[str] = "Google Cloud Build"
    extra: ClassVar[str | None] = "google-cloud-build"
    docs_url: ClassVar[str] = (
        "https://cloud.google.com/build/docs/configuring-builds/substitute-variable-values"
    )

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``BUILDER_OUTPUT`` (``/builder/outputs``), which Cloud Build sets in every step."""
        return env.get("BUILDER_OUTPUT", "").strip().rstrip("/").endswith("/builder/outputs")

    def build_information(self) -> BuildInformation:
        """From the mapped substitutions; a build without them (no ``BUILD_ID``) gets one
        warning naming the option to set. The repository URL is the checkout's remote
        (``_HEAD_REPO_URL`` of a pull request trigger is the *source* repository)."""
        build_id = self._get("BUILD_ID")
        if not build_id:
            log.warning(
                "Google Cloud Build: the step's environment has no BUILD_ID; set "
                "'options: automapSubstitutions: true' in cloudbuild.yaml so the substitutions "
                "reach octoci"
            )
        project = self._get("PROJECT_ID")
        location = self._get("LOCATION") or "global"
        build_url = ""
        if build_id and project:
            build_url = (
                f"https://console.cloud.google.com/cloud-build/builds;region={location}/"
                f"{quote(build_id, safe='')}?project={quote(project, safe='')}"
            )
        pr = self._get("_PR_NUMBER")
        tag = self._get("TAG_NAME")
        commit = self._get("COMMIT_SHA", "REVISION_ID")
        try:
            root = Repository(self.cwd).remote_url()
        except GitError:
            root = ""
        return BuildInformation(
            build_environment=self.display_name,
            build_number=build_id,
            build_url=build_url,
            branch=tag or self._get("_HEAD_BRANCH" if pr else "BRANCH_NAME", "BRANCH_NAME"),
            vcs_type="Git",
            vcs_root=root,
            vcs_commit_number=commit,
            pull_request_number=pr,
            source_branch=self._get("_HEAD_BRANCH") if pr else "",
            target_branch=self._get("_BASE_BRANCH") if pr else "",
            tag=tag,
            head_commit=commit if pr else "",
            job_name=self._get("TRIGGER_NAME"),
        )

    def commit_range(self, info: BuildInformation) -> str | None:
        """``None``: Cloud Build names no earlier commit, so git lists the commits since the
        previous tag (one warning outside tag builds)."""
        if not info.tag:
            log.warning(
                "Google Cloud Build names no previous commit for this build, so the commits "
                "are those since the previous tag; set --commit-range to choose them"
            )
        return None

    def id_token(self, audience: str) -> str | None:
        """An identity token for ``audience`` from the metadata server (the build's service
        account; ``format=full`` adds the project and instance claims)."""
        host = self._get("GCE_METADATA_HOST") or METADATA_HOST
        url = f"http://{host}{IDENTITY_PATH}"
        import requests

        session = api_session(headers={"Metadata-Flavor": "Google", "Accept": "text/plain"})
        try:
            response = session.get(
                url, params={"audience": audience, "format": "full"}, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            raise OctociError(
                f"the metadata server {url_origin(url)} did not answer ({type(exc).__name__}); "
                "identity tokens exist only inside a Cloud Build step"
            ) from None
        finally:
            session.close()
        if response.status_code != 200:
            raise OctociError(
                f"the metadata server {url_origin(url)} refused an identity token "
                f"(HTTP {response.status_code}); give the build's service account the right to "
                "create identity tokens"
            )
        token = response.text.strip()
        self.mask(token)
        return check_id_token(
            token, audience, "the metadata server", hint="the audience is the one octoci asked"
        )

    def artifact_roots(self) -> list[Path]:
        """``/workspace``, where every step works and ``artifacts:`` paths are relative to."""
        return [self.cwd]

    def set_output(self, name: str, value: str) -> None:
        """Add ``name`` to ``octoci-outputs.json`` and ``.properties`` in the working directory
        (``/workspace``, which every later step of the build sees)."""
        jenkins_output_files(self.env, self.cwd).set(name, self.redact(value))
