"""The Azure DevOps & TFS adapter: build information from the predefined variables, commits from
the build changes API, and logging commands back."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

from octoci.environment import is_truthy
from octoci.errors import InputError
from octoci.model import BuildInformation, Commit
from octoci.server import AnnotationLevel, CIServer, ProblemLevel, RunOutcome
from octoci_plugins.azure_devops import messages
from octoci_plugins.azure_devops.oidc import request_id_token

__all__ = ["AzureDevOps"]

log = logging.getLogger("octoci")

#: ``BUILD_REASON`` of a pull-request validation build.
PULL_REQUEST_REASON = "pullrequest"


#: How a run's outcome reads in ``task.complete``.
_TASK_RESULT: dict[RunOutcome, str] = {
    "succeeded": "Succeeded",
    "succeeded_with_issues": "SucceededWithIssues",
    "failed": "Failed",
}


class AzureDevOps(CIServer):
    """Azure Pipelines on Azure DevOps Services, Azure DevOps Server and TFS (Git and TFVC).

    Example::

        server = AzureDevOps(os.environ, sys.stdout)
        server.build_information().build_url
        # 'https://dev.azure.com/acme/Shop/_build/results?buildId=812'
    """

    name: ClassVar[str] = "azure_devops"
    display_name: ClassVar[str] = "Azure DevOps"
    extra: ClassVar[str | None] = "azure-devops"
    docs_url: ClassVar[str] = "https://learn.microsoft.com/azure/devops/pipelines/build/variables"

    # ------------------------------------------------------------------ reading the build
    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``TF_BUILD=True`` (every agent job since TFS 2013); an agent's collection URI with a
        build id also counts, but neither ``BUILD_BUILDID`` nor ``AGENT_WORKFOLDER`` alone."""
        if is_truthy(env.get("TF_BUILD")):
            return True
        return bool(
            env.get("SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", "").strip()
            and env.get("BUILD_BUILDID", "").strip()
        )

    @property
    def collection_url(self) -> str:
        """The organisation / collection URL, ending with ``/``."""
        url = (
            self.env.get("SYSTEM_COLLECTIONURI")
            or self.env.get("SYSTEM_TEAMFOUNDATIONCOLLECTIONURI")
            or ""
        ).strip()
        return url.rstrip("/") + "/" if url else ""

    @property
    def project(self) -> str:
        """``SYSTEM_TEAMPROJECT`` (the project name)."""
        return self.env.get("SYSTEM_TEAMPROJECT", "").strip()

    @property
    def build_id(self) -> str:
        """``BUILD_BUILDID`` (the integer id, not the formatted build number)."""
        return self.env.get("BUILD_BUILDID", "").strip()

    def build_information(self) -> BuildInformation:
        """Every field from the predefined variables; pull-request details from
        ``SYSTEM_PULLREQUEST_*`` (the number from ``…PULLREQUESTNUMBER`` for GitHub repositories,
        whose ``…PULLREQUESTID`` is GitHub's internal id)."""
        env = self.env
        build_url = ""
        if self.collection_url and self.project and self.build_id:
            # The project name may hold spaces; the issue tracker resolves work items from it.
            build_url = (
                f"{self.collection_url}{quote(self.project, safe='')}"
                f"/_build/results?buildId={self.build_id}"
            )
        is_pr = env.get("BUILD_REASON", "").strip().lower() == PULL_REQUEST_REASON
        pr_number = source = target = head = ""
        if is_pr:
            pr_number = (
                env.get("SYSTEM_PULLREQUEST_PULLREQUESTNUMBER")
                or env.get("SYSTEM_PULLREQUEST_PULLREQUESTID")
                or ""
            ).strip()
            source = env.get("SYSTEM_PULLREQUEST_SOURCEBRANCH", "").strip()
            target = env.get("SYSTEM_PULLREQUEST_TARGETBRANCH", "").strip()
            head = env.get("SYSTEM_PULLREQUEST_SOURCECOMMITID", "").strip()
        provider = env.get("BUILD_REPOSITORY_PROVIDER", "").strip()
        vcs_root = env.get("BUILD_REPOSITORY_URI", "").strip()
        if provider.lower() == "tfsversioncontrol" and not vcs_root:
            # TFVC changeset links are built from the collection and the project (Issues#6473).
            vcs_root = self.collection_url
        definition = env.get("BUILD_DEFINITIONNAME", "").strip()
        job = env.get("SYSTEM_JOBDISPLAYNAME", "").strip()
        return BuildInformation(
            build_environment=self.display_name,
            build_number=env.get("BUILD_BUILDNUMBER", "").strip(),
            build_url=build_url,
            branch=env.get("BUILD_SOURCEBRANCH", "").strip(),
            vcs_type=provider or "Git",
            vcs_root=vcs_root,
            vcs_commit_number=env.get("BUILD_SOURCEVERSION", "").strip(),
            pull_request_number=pr_number,
            source_branch=source,
            target_branch=target,
            head_commit=head,
            job_name=" - ".join(part for part in (definition, job) if part),
        )

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """Every change of this build through the build changes API with ``SYSTEM_ACCESSTOKEN``.

        ``None`` (git fallback) when the token is not mapped into the step, with one warning
        saying how to map it.
        """
        token = self.env.get("SYSTEM_ACCESSTOKEN", "").strip()
        if not token:
            log.warning(
                "Azure DevOps: SYSTEM_ACCESSTOKEN is not set, so the commits come from git; map "
                "it into the step with 'env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)'"
            )
            return None
        if not (self.collection_url and self.project and self.build_id.isdigit()):
            raise InputError(
                "Azure DevOps: SYSTEM_TEAMFOUNDATIONCOLLECTIONURI, SYSTEM_TEAMPROJECT and a numeric "
                "BUILD_BUILDID are needed to read the build's changes"
            )
        from octoci_plugins.azure_devops.commits import fetch_build_changes

        return fetch_build_changes(
            self.require, self.collection_url, self.project, int(self.build_id), token
        )

    def artifact_roots(self) -> list[Path]:
        """``Build.ArtifactStagingDirectory``, where pipelines stage what they publish."""
        staging = self.env.get("BUILD_ARTIFACTSTAGINGDIRECTORY", "").strip()
        return [Path(staging)] if staging else []

    def publish_artifact(self, path: Path, name: str | None = None) -> bool:
        """``##vso[artifact.upload]``: the agent uploads ``path`` as a build artifact."""
        artifact = name or "packages"
        self._emit(
            messages.command(
                "artifact.upload",
                str(path.resolve()),
                {"containerfolder": artifact, "artifactname": artifact},
            )
        )
        return True

    def id_token(self, audience: str) -> str | None:
        """The OIDC token of the service connection named by
        ``OCTOCI_AZURE_SERVICE_CONNECTION_ID`` (Azure fixes its audience; ``audience`` is unused)."""
        token = request_id_token(self.env)
        if token:
            self.mask(token)
        return token

    # ------------------------------------------------------------------ writing back
    def _emit(self, line: str) -> None:
        # Commands are written unredacted: task.setsecret must carry the secret itself.
        self.stream.write(line + "\n")
        self.stream.flush()

    def write(self, text: str) -> None:
        """A log line with secrets masked and any ``##vso[`` in it made inert."""
        self._emit(messages.neutralize(self.redact(text)))

    def register_secret(self, secret: str) -> None:
        """``##vso[task.setsecret]``: the agent masks the value in the log from then on."""
        self._emit(messages.command("task.setsecret", secret))

    def set_output(self, name: str, value: str) -> None:
        """``task.setvariable`` twice: as ``$(name)`` for later steps of this job, and as an output
        (``isoutput=true``) for other jobs and stages; secret values stay secret."""
        if not name or any(ch in name for ch in "\r\n;]="):
            raise InputError(f"invalid output variable name {name!r}")
        secret = "true" if value and value in self.redact.secrets else None
        for output in (None, "true"):
            props = {"variable": name, "issecret": secret, "isoutput": output}
            self._emit(messages.command("task.setvariable", value, props))

    def export_variable(self, name: str, value: str, *, secret: bool) -> bool:
        """``task.setvariable`` for the later steps of this job, with ``issecret=true`` for a
        secret (masked first). Azure maps a secret variable into no step's environment by itself:
        a later script step names it (``env: OCTOPUS_ACCESS_TOKEN: $(OCTOPUS_ACCESS_TOKEN)``)."""
        if not name or any(ch in name for ch in "\r\n;]="):
            raise InputError(f"invalid variable name {name!r}")
        if secret:
            self.mask(value)
        props = {"variable": name, "issecret": "true" if secret else None}
        self._emit(messages.command("task.setvariable", value, props))
        return True

    def start_group(self, title: str) -> None:
        """``##[group]title``."""
        self._emit(f"##[group]{messages.escape_data(messages.neutralize(self.redact(title)))}")

    def end_group(self) -> None:
        """``##[endgroup]``."""
        self._emit("##[endgroup]")

    def report_problem(self, level: ProblemLevel, title: str, message: str) -> bool:
        """``##vso[task.logissue type=error|warning]message``: an issue on the run's summary and
        the timeline (Azure issues have no title)."""
        self.annotate(level, message)
        return True

    def set_status(self, text: str, outcome: RunOutcome) -> None:
        """``##vso[task.complete result=Failed|SucceededWithIssues|Succeeded;]text``, as Azure's
        own tasks end: the step's result and its status line. The agent keeps the worse of this
        and the script's exit code, so a later failing command still fails the step."""
        result = _TASK_RESULT[outcome]
        self._emit(messages.command("task.complete", self.redact(text), {"result": result}))

    def annotate(
        self,
        level: AnnotationLevel,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        """``task.logissue`` for warnings and errors; Azure has no notices, so those are log lines."""
        if level == "notice":
            self.write(message)
            return
        props = {
            "type": level,
            "sourcepath": self.redact(file) if file else None,
            "linenumber": str(line) if line else None,
        }
        self._emit(messages.command("task.logissue", self.redact(message), props))

    def add_summary(self, markdown: str) -> None:
        """Write the Markdown to a file in the agent's temp folder and ``task.uploadsummary`` it;
        it shows as a tab of the build's summary."""
        folder = Path(
            self.env.get("AGENT_TEMPDIRECTORY", "").strip()
            or self.env.get("BUILD_ARTIFACTSTAGINGDIRECTORY", "").strip()
            or self.cwd
        )
        path = (folder / f"octoci-summary-{uuid.uuid4().hex[:12]}.md").resolve()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(self.redact(markdown).rstrip("\n") + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"cannot write the job summary {path}: {exc.strerror or exc}"
            ) from None
        self._emit(messages.command("task.uploadsummary", str(path)))
