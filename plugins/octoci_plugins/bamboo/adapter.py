"""The Bamboo adapter: build information from ``bamboo_*`` variables, commits from the REST API
through atlassian-python-api, outputs in a file for the "Inject Bamboo variables" task."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar, TextIO

from octoci.errors import InputError, OctociError
from octoci.model import BuildInformation, Commit
from octoci.server import CIServer
from octoci_plugins._outputs import OutputFiles
from octoci_plugins.bamboo.commits import BambooAuth, fetch_result_changes

__all__ = ["BambooServer", "BambooVariables"]

log = logging.getLogger("octoci")

#: A Bamboo password (with ``OCTOCI_BAMBOO_USER``) or a Data Center personal access token
#: (without). Named with "password" so that Bamboo masks it in logs when it is a plan variable.
PASSWORD_VARIABLE = "OCTOCI_BAMBOO_PASSWORD"
USER_VARIABLE = "OCTOCI_BAMBOO_USER"
#: The Bamboo base URL for the REST API when agents reach Bamboo by another address.
URL_VARIABLE = "OCTOCI_BAMBOO_URL"
#: The plan repository (its name or its position, 1-based) to report when the plan has several.
REPOSITORY_VARIABLE = "OCTOCI_BAMBOO_REPOSITORY"
#: Where set_output writes, relative to the working directory unless absolute.
OUTPUT_FILE_VARIABLE = "OCTOCI_OUTPUT_FILE"
OUTPUT_FILE_NAME = "octoci-outputs.json"

#: Any of these marks a Bamboo job; ``bamboo_buildNumber`` alone would too, but three that only
#: Bamboo sets are enough and keep an unrelated ``bamboo_*`` variable from claiming the run.
_MARKERS = ("bamboo_buildKey", "bamboo_planKey", "bamboo_agentId")
_REPO_KEY = re.compile(r"^bamboo_planrepository_(?P<n>\d+)_", re.IGNORECASE)
# A custom build started for a revision gives the commit id; one started by a tag trigger gives
# the tag's name. Only the second is a tag.
_COMMIT_ID = re.compile(r"^[0-9a-fA-F]{7,40}$")
_NOT_GIT = ("svn", "subversion", "hg", "mercurial", "perforce", "p4", "cvs")


class BambooVariables:
    """Bamboo variables from the environment, looked up case-insensitively (Windows agents and
    Python on Windows upper-case the names) and stripped.

    Example::

        BambooVariables(os.environ).get("planRepository.1.revision")
        # the value of bamboo_planRepository_1_revision
    """

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self._names = {key.lower(): key for key in env}

    def _raw(self, name: str) -> str:
        key = self._names.get(name.lower())
        return self._env[key].strip() if key is not None else ""

    def get(self, *names: str) -> str:
        """The first non-empty ``bamboo_<name>`` (dots in ``name`` become underscores)."""
        for name in names:
            value = self._raw("bamboo_" + name.replace(".", "_"))
            if value:
                return value
        return ""

    def setting(self, name: str) -> str:
        """An octoci setting: the environment variable ``name``, else the plan or global
        variable of that name (``bamboo_<name>``), so either way of passing it works."""
        return self._raw(name) or self._raw("bamboo_" + name)

    def repository_numbers(self) -> list[int]:
        """The positions of the plan's repositories (``bamboo_planRepository_<n>_*``), sorted."""
        return sorted({int(m["n"]) for key in self._names if (m := _REPO_KEY.match(key))})


class BambooServer(CIServer):
    """Bamboo (Server and Data Center), on Linux and Windows agents.

    Detected by ``bamboo_buildKey``, ``bamboo_planKey`` or ``bamboo_agentId`` in any case. The
    built commit is the plan repository's revision, which Bamboo sets on every build, so a
    rebuild without new changes still reports it (Octopus's plugin reports the last change's
    id, empty then). Commits come from the build result's changes of every plan repository.

    Example::

        server = BambooServer(os.environ, sys.stdout)
        server.build_information().build_url
        # 'https://bamboo.acme.example/browse/SHOP-BUILD-28'
    """

    name: ClassVar[str] = "bamboo"
    display_name: ClassVar[str] = "Bamboo"
    extra: ClassVar[str | None] = "bamboo"
    docs_url: ClassVar[str] = (
        "https://confluence.atlassian.com/bamboo/bamboo-variables-289277087.html"
    )

    def __init__(self, env: Mapping[str, str], stream: TextIO, *, cwd: Path | None = None) -> None:
        super().__init__(env, stream, cwd=cwd)
        self.vars = BambooVariables(env)
        self._announced_outputs = False

    # ------------------------------------------------------------------ reading the build
    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """True when one of Bamboo's own job variables is set (names compared in any case)."""
        markers = {name.lower() for name in _MARKERS}
        for key in env:
            if key.lower() in markers:
                try:
                    if env[key].strip():
                        return True
                except InputError:
                    # Presence of a Bamboo-only name is enough; the value is reported where read.
                    return True
        return False

    def _repository(self) -> str:
        """The key part of the reported repository: ``planRepository.<n>`` (``OCTOCI_BAMBOO_REPOSITORY``
        by name or position, else the first), or ``planRepository`` when none is numbered."""
        numbers = self.vars.repository_numbers()
        chosen = self.vars.setting(REPOSITORY_VARIABLE)
        if chosen:
            if chosen.isdigit() and int(chosen) in numbers:
                return f"planRepository.{int(chosen)}"
            for n in numbers:
                if self.vars.get(f"planRepository.{n}.name").lower() == chosen.lower():
                    return f"planRepository.{n}"
            known = ", ".join(
                f"{n} ({self.vars.get(f'planRepository.{n}.name') or '?'})" for n in numbers
            )
            raise InputError(
                f"{REPOSITORY_VARIABLE}={chosen} names no repository of this plan "
                f"(repositories: {known or 'none'})"
            )
        return f"planRepository.{numbers[0]}" if numbers else "planRepository"

    def base_url(self) -> str:
        """Bamboo's base URL: the text before ``/browse/`` in the job's result URL."""
        for url in (self.vars.get("buildResultsUrl"), self.vars.get("resultsUrl")):
            if "/browse/" in url:
                return url.split("/browse/", 1)[0].rstrip("/")
        return ""

    @property
    def plan_result_key(self) -> str:
        """``<plan key>-<build number>``: the plan's result, which the REST API and the build
        URL take (``bamboo_planKey`` is the plan branch's own key on a plan branch)."""
        plan = self.vars.get("planKey")
        number = self.vars.get("buildNumber")
        return f"{plan}-{number}" if plan and number else ""

    def build_information(self) -> BuildInformation:
        """Every field from the ``bamboo_*`` variables (raw; the core normalises).

        Pull requests (plan branches Bamboo creates for them): ``repository.pr.*``. Tags: a
        custom build whose ``customRevision`` is a tag name (tag triggers start those).
        """
        v = self.vars
        repo = self._repository()
        base = self.base_url()
        key = self.plan_result_key
        build_url = f"{base}/browse/{key}" if base and key else v.get("buildResultsUrl")
        pr = v.get("repository.pr.key")
        source = v.get("repository.pr.sourceBranch")
        target = v.get("repository.pr.targetBranch")
        commit = v.get(f"{repo}.revision", "repository.revision.number")
        custom = v.get("customRevision")
        tag = custom if custom and not _COMMIT_ID.match(custom) and custom != commit else ""
        tag = tag[len("refs/tags/") :] if tag.startswith("refs/tags/") else tag
        branch = v.get(
            f"{repo}.branchName",
            f"{repo}.branch",
            "repository.git.branch",
            "repository.branch.name",
        )
        kind = v.get(f"{repo}.type").lower()
        vcs_type = "Unknown" if any(word in kind for word in _NOT_GIT) else "Git"
        return BuildInformation(
            build_environment=self.display_name,
            build_number=v.get("buildNumber"),
            build_url=build_url,
            branch=tag or branch,
            vcs_type=vcs_type,
            vcs_root=v.get(f"{repo}.repositoryUrl", "repository.git.repositoryUrl"),
            vcs_commit_number=commit,
            pull_request_number=pr,
            source_branch=(source or branch) if pr else "",
            target_branch=target if pr else "",
            tag=tag,
            head_commit=commit if pr else "",
            job_name=v.get("planName", "buildPlanName", "shortPlanName"),
        )

    def _auth(self) -> BambooAuth | None:
        password = self.vars.setting(PASSWORD_VARIABLE)
        if not password:
            return None
        self.mask(password)
        user = self.vars.setting(USER_VARIABLE)
        return BambooAuth(user=user, password=password) if user else BambooAuth(token=password)

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """The changes of this build result, of every repository of the plan, from Bamboo's REST
        API (``result/<plan>-<n>?expand=changes.change.files``).

        ``None`` (git over the repository's ``previousRevision..revision`` instead, with one
        warning saying what to set) without a base URL, plan key or credential.
        """
        url = self.vars.setting(URL_VARIABLE).rstrip("/") or self.base_url()
        key = self.plan_result_key
        if not url or not key:
            log.warning(
                "Bamboo's REST API needs bamboo_buildResultsUrl, bamboo_planKey and "
                "bamboo_buildNumber (run octoci in a job of the plan, or set %s); using git instead",
                URL_VARIABLE,
            )
            return None
        auth = self._auth()
        if auth is None:
            log.warning(
                "add a password plan variable %s (a personal access token, or a password with "
                "%s) to read this build's changes of every repository from Bamboo; using git "
                "instead",
                PASSWORD_VARIABLE,
                USER_VARIABLE,
            )
            return None
        bamboo = self.require("atlassian")
        return fetch_result_changes(bamboo.Bamboo, url, key, auth)

    def commit_range(self, info: BuildInformation) -> str | None:
        """``previousRevision..revision`` of the reported repository, for the git fallback."""
        repo = self._repository()
        previous = self.vars.get(f"{repo}.previousRevision", "repository.previous.revision.number")
        current = info.vcs_commit_number or self.vars.get(f"{repo}.revision")
        return f"{previous}..{current}" if previous and current else None

    def artifact_roots(self) -> list[Path]:
        """The build working directory: artifact definitions' locations are relative to it."""
        folder = self.vars.get("build.working.directory", "agentWorkingDirectory")
        return [Path(folder)] if folder else []

    def secrets(self) -> list[str]:
        """The password or personal access token octoci reads the REST API with, and passwords
        in the plan repositories' URLs."""
        try:
            values = [self.vars.setting(PASSWORD_VARIABLE).strip()]
            urls = [self.vars.get("repository.git.repositoryUrl", "planRepository.repositoryUrl")]
            urls += [
                self.vars.get(f"planRepository.{n}.repositoryUrl")
                for n in self.vars.repository_numbers()
            ]
        except OctociError:  # a non-UTF-8 value is reported, with its name, where it is read
            return []
        return list(dict.fromkeys([*filter(None, values), *self.secret_values(urls=urls)]))

    # ------------------------------------------------------------------ writing back
    @property
    def output_files(self) -> OutputFiles:
        """``octoci-outputs.json`` and ``octoci-outputs.properties`` in the working directory
        (or where ``OCTOCI_OUTPUT_FILE`` says)."""
        chosen = self.vars.setting(OUTPUT_FILE_VARIABLE)
        roots = self.artifact_roots()
        base = roots[0] if roots else self.cwd
        if chosen:
            path = Path(chosen)
            return OutputFiles(path if path.is_absolute() else base / path)
        return OutputFiles(base / OUTPUT_FILE_NAME)

    def set_output(self, name: str, value: str) -> None:
        """Add ``name`` to ``octoci-outputs.properties`` (and ``.json``): an "Inject Bamboo
        variables" task reading that file makes it ``${bamboo.<namespace>.<name>}`` for later
        tasks, and for later stages with the "result" scope."""
        files = self.output_files
        files.set(name, self.redact(value))
        if not self._announced_outputs:
            self._announced_outputs = True
            self.write(f"octoci: outputs are in {files.properties_path} (and .json beside it)")
