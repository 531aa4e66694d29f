"""The Bitbucket Pipelines adapter: build information from ``BITBUCKET_*`` variables, commits
from the Bitbucket Cloud API, outputs in files a later step can read, OIDC from the step."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TextIO

from octoci.errors import InputError
from octoci.model import BuildInformation, Commit
from octoci.normalize import normalize_vcs_root
from octoci.server import CIServer
from octoci_plugins._env import first_value
from octoci_plugins._http import TIMEOUT, api_session
from octoci_plugins._jwt import id_token_from_env
from octoci_plugins._outputs import OutputFiles
from octoci_plugins.bitbucket_pipelines.commits import (
    api_errors,
    commits_between,
    previous_successful_commit,
)

__all__ = ["BitbucketPipelines", "shell_quote"]

log = logging.getLogger("octoci")

#: A Bitbucket access token (repository, project or workspace; Bearer) or, with
#: ``OCTOCI_BITBUCKET_USER``, an API token or app password (basic). Store it as a secured variable.
TOKEN_VARIABLE = "OCTOCI_BITBUCKET_TOKEN"
USER_VARIABLE = "OCTOCI_BITBUCKET_USER"
#: The API root, for a proxy or a test server; Bitbucket Cloud's by default.
API_URL_VARIABLE = "OCTOCI_BITBUCKET_API_URL"
DEFAULT_API_URL = "https://api.bitbucket.org/"
ID_TOKEN_VARIABLE = "BITBUCKET_STEP_OIDC_TOKEN"
SECRET_VARIABLES = (TOKEN_VARIABLE, ID_TOKEN_VARIABLE)
OUTPUT_FILE_VARIABLE = "OCTOCI_OUTPUT_FILE"
OUTPUT_FILE_NAME = "octoci-outputs.json"

_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")


def shell_quote(value: str) -> str:
    """``value`` in single quotes for ``sh``/``bash``: nothing inside is expanded, and a
    single quote is written ``'\\''``.

    >>> shell_quote("it's $HOME")
    "'it'\\\\''s $HOME'"
    """
    return "'" + value.replace("'", "'\\''") + "'"


def env_name(name: str) -> str:
    """``name`` as a shell variable name: other characters become ``_``, and a leading digit
    gets a ``_`` before it."""
    cleaned = _NOT_IDENTIFIER.sub("_", name)
    return f"_{cleaned}" if not cleaned or cleaned[0].isdigit() else cleaned


class BitbucketPipelines(CIServer):
    """Bitbucket Pipelines (Bitbucket Cloud), on Atlassian's and self-hosted runners.

    Detected by ``BITBUCKET_BUILD_NUMBER``. Outputs go to ``octoci-outputs.env`` (to ``source``)
    and ``octoci-outputs.json`` in the clone directory; declare them as the step's
    ``artifacts`` and later steps get them.

    Example::

        server = BitbucketPipelines(os.environ, sys.stdout)
        server.build_information().build_url
        # 'https://bitbucket.org/acme/shop/pipelines/results/42'
    """

    name: ClassVar[str] = "bitbucket_pipelines"
    display_name: ClassVar[str] = "Bitbucket Pipelines"
    extra: ClassVar[str | None] = "bitbucket"
    docs_url: ClassVar[str] = (
        "https://support.atlassian.com/bitbucket-cloud/docs/variables-and-secrets/"
    )

    def __init__(self, env: Mapping[str, str], stream: TextIO, *, cwd: Path | None = None) -> None:
        super().__init__(env, stream, cwd=cwd)
        self._announced_outputs = False

    # ------------------------------------------------------------------ reading the build
    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``BITBUCKET_BUILD_NUMBER``, which Bitbucket sets in every step (as Octopus's client
        checks it); the other ``BITBUCKET_*`` names are not needed."""
        return bool(env.get("BITBUCKET_BUILD_NUMBER", "").strip())

    def _get(self, *names: str) -> str:
        return first_value(self.env, *names)

    @property
    def repository(self) -> str:
        """``workspace/slug``."""
        full = self._get("BITBUCKET_REPO_FULL_NAME")
        if full:
            return full
        workspace = self._get("BITBUCKET_WORKSPACE", "BITBUCKET_REPO_OWNER")
        slug = self._get("BITBUCKET_REPO_SLUG")
        return f"{workspace}/{slug}" if workspace and slug else ""

    def repository_url(self) -> str:
        """The repository's web address: ``BITBUCKET_GIT_HTTP_ORIGIN`` (Bitbucket gives it with
        ``http://``), else ``https://bitbucket.org/<workspace>/<slug>``."""
        origin = self._get("BITBUCKET_GIT_HTTP_ORIGIN")
        if origin:
            return normalize_vcs_root(origin)
        return f"https://bitbucket.org/{self.repository}" if self.repository else ""

    def build_information(self) -> BuildInformation:
        """Every field from Bitbucket's variables (raw; the core normalises).

        The build URL is the pipeline's results page, as Bitbucket's UI links it. A pull
        request's source branch is ``BITBUCKET_BRANCH``; the destination's commit is a 12-character
        short hash, so it is not reported as a commit.
        """
        number = self._get("BITBUCKET_BUILD_NUMBER")
        repo_url = self.repository_url()
        pr = self._get("BITBUCKET_PR_ID")
        tag = self._get("BITBUCKET_TAG")
        branch = self._get("BITBUCKET_BRANCH", "BITBUCKET_BOOKMARK")
        commit = self._get("BITBUCKET_COMMIT")
        return BuildInformation(
            build_environment=self.display_name,
            build_number=number,
            build_url=f"{repo_url}/pipelines/results/{number}" if repo_url and number else "",
            branch=tag or branch,
            vcs_type="Git",
            vcs_root=repo_url,
            vcs_commit_number=commit,
            pull_request_number=pr,
            source_branch=branch if pr else "",
            target_branch=self._get("BITBUCKET_PR_DESTINATION_BRANCH") if pr else "",
            tag=tag,
            # Bitbucket merges the destination into the clone for pull-request pipelines, but
            # BITBUCKET_COMMIT stays the source's head.
            head_commit=commit if pr else "",
            job_name=self.repository,
        )

    def _client(self) -> Any:
        token = self._get(TOKEN_VARIABLE)
        if not token:
            return None
        self.mask(token)
        atlassian = self.require("atlassian.bitbucket")
        user = self._get(USER_VARIABLE)
        api_url = self._get(API_URL_VARIABLE) or DEFAULT_API_URL
        credentials = {"username": user, "password": token} if user else {"token": token}
        return atlassian.Cloud(
            url=api_url, session=api_session(), timeout=TIMEOUT[1], **credentials
        )

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """The commits since the previous successful pipeline of this branch (or tag pipelines),
        or a pull request's commits, from the Bitbucket API.

        ``None`` (git instead) without ``OCTOCI_BITBUCKET_TOKEN`` (with one warning saying what to
        set) or when no earlier pipeline succeeded.
        """
        commit = info.vcs_commit_number
        if not (self.repository and commit):
            log.warning(
                "the Bitbucket API needs BITBUCKET_REPO_FULL_NAME and BITBUCKET_COMMIT; "
                "using git instead"
            )
            return None
        client = self._client()
        if client is None:
            log.warning(
                "add a secured repository variable %s (a repository access token with "
                "repository:read) to read this pipeline's commits from Bitbucket; using git "
                "instead (set clone: depth: full for a complete list)",
                TOKEN_VARIABLE,
            )
            return None
        try:
            workspace, slug = self.repository.split("/", 1)
            with api_errors(f"Bitbucket API (repository {self.repository})"):
                repository = client.repositories.get(workspace, slug)
            if info.pull_request_number and info.target_branch:
                return commits_between(repository.commits, commit, info.target_branch)
            number = self._get("BITBUCKET_BUILD_NUMBER")
            previous = previous_successful_commit(
                client.get,
                self.repository,
                build_number=int(number) if number.isdigit() else 0,
                branch=self._get("BITBUCKET_BRANCH"),
                tag=bool(info.tag),
            )
            if previous is None:
                what = "tag" if info.tag else f"branch {self._get('BITBUCKET_BRANCH')}"
                log.info("no earlier successful pipeline of this %s; using git instead", what)
                return None
            if previous == commit:
                return []
            return commits_between(repository.commits, commit, previous)
        finally:
            client.close()

    def commit_range(self, info: BuildInformation) -> str | None:
        """A pull request's ``origin/<destination>..<commit>`` for the git fallback; ``None``
        (since the previous tag) otherwise."""
        destination = self._get("BITBUCKET_PR_DESTINATION_BRANCH")
        if info.pull_request_number and destination and info.vcs_commit_number:
            return f"origin/{destination}..{info.vcs_commit_number}"
        return None

    def artifact_roots(self) -> list[Path]:
        """The clone directory: ``artifacts`` patterns are relative to it."""
        clone = self._get("BITBUCKET_CLONE_DIR")
        return [Path(clone)] if clone else []

    def id_token(self, audience: str) -> str | None:
        """``BITBUCKET_STEP_OIDC_TOKEN`` of a step with ``oidc: true``; its audience is the
        workspace's unless the step lists ``oidc: audiences:``."""
        return id_token_from_env(
            self,
            [ID_TOKEN_VARIABLE],
            audience,
            hint="list the audience under the step's 'oidc: audiences:'",
        )

    def secrets(self) -> list[str]:
        """The Bitbucket API token and the step's OIDC token."""
        return self.secret_values(*SECRET_VARIABLES)

    # ------------------------------------------------------------------ writing back
    @property
    def output_files(self) -> OutputFiles:
        """``octoci-outputs.json`` in the clone directory (or ``OCTOCI_OUTPUT_FILE``)."""
        chosen = self._get(OUTPUT_FILE_VARIABLE)
        roots = self.artifact_roots()
        base = roots[0] if roots else self.cwd
        if chosen:
            path = Path(chosen)
            return OutputFiles(path if path.is_absolute() else base / path)
        return OutputFiles(base / OUTPUT_FILE_NAME)

    @property
    def env_file(self) -> Path:
        """``octoci-outputs.env`` beside the JSON file: ``export NAME='value'`` lines."""
        return self.output_files.json_path.with_suffix(".env")

    def set_output(self, name: str, value: str) -> None:
        """Add ``name`` to ``octoci-outputs.json`` and to ``octoci-outputs.env`` (for
        ``source octoci-outputs.env`` in a later step that gets the file as an artifact)."""
        files = self.output_files
        files.set(name, self.redact(value))
        text = "".join(
            f"export {env_name(key)}={shell_quote(val)}\n"
            for key, val in sorted(files.read().items())
        )
        try:
            self.env_file.write_text(text, encoding="utf-8", newline="\n")
        except OSError as exc:
            raise InputError(
                f"cannot write the output file {self.env_file}: {exc.strerror or exc}"
            ) from None
        if not self._announced_outputs:
            self._announced_outputs = True
            relative = self._relative(self.env_file)
            self.write(
                f"octoci: outputs are in {relative} and {self.output_files.json_path.name}; "
                "list them under this step's artifacts for later steps"
            )

    def _relative(self, path: Path) -> str:
        for root in self.artifact_roots():
            try:
                return path.relative_to(root).as_posix()
            except ValueError:
                continue
        return str(path)
