"""The TeamCity adapter: build information from the agent's properties files, changes from REST,
and service messages for everything written back."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar, TextIO

from octoci.errors import OctociError
from octoci.model import BuildInformation, Commit
from octoci.server import AnnotationLevel, CIServer, ProblemLevel, RunOutcome
from octoci_plugins._jwt import check_id_token
from octoci_plugins.teamcity.commits import TeamCityAuth, fetch_changes
from octoci_plugins.teamcity.messages import service_message
from octoci_plugins.teamcity.properties import BUILD_PROPERTIES_FILE, TeamCityProperties

__all__ = ["TeamCityServer"]

log = logging.getLogger("octoci")

#: A TeamCity access token for the REST API, used instead of the build's temporary credentials.
TOKEN_VARIABLE = "OCTOCI_TEAMCITY_TOKEN"
#: The id of the VCS root to report when the build configuration has several.
VCS_ROOT_VARIABLE = "OCTOCI_TEAMCITY_VCS_ROOT"
#: Where a build step can hand over ``%jwt.token%`` when it is not in the properties files.
ID_TOKEN_VARIABLE = "OCTOCI_ID_TOKEN"

_ROOT_KEY = re.compile(r"^vcsroot\.(?P<id>[A-Za-z0-9_]+)\.(?:url|tfs-url)$")
# Pull-request refs of the hosts TeamCity's Pull Requests feature and branch specs know:
# GitHub/Gitea refs/pull/N/head|merge, Bitbucket Server refs/pull-requests/N/from|merge,
# GitLab refs/merge-requests/N/head|merge, and TeamCity's logical names pull/N, merge-requests/N.
_PR_REF = re.compile(
    r"^(?:refs/)?(?:pull|pull-requests|merge-requests)/(?P<number>\d+)(?:/(?P<kind>[\w-]+))?$"
)
_STATUS = {"notice": "NORMAL", "warning": "WARNING", "error": "ERROR"}
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")


class TeamCityServer(CIServer):
    """TeamCity: detected by ``TEAMCITY_VERSION``; facts from the build and configuration
    properties files; commits from the REST changes API with the build's temporary credentials;
    ``##teamcity[...]`` service messages for parameters, blocks, messages, the build status and
    artifacts; ``jwt.token`` from the TeamCity OIDC plugin as the ID token.

    Example::

        server = TeamCityServer(os.environ, sys.stdout)
        server.set_output("octoci.release", "1.2.3")
        # ##teamcity[setParameter name='octoci.release' value='1.2.3']
    """

    name = "teamcity"
    display_name = "TeamCity"
    extra: ClassVar[str | None] = "teamcity"
    docs_url = "https://www.jetbrains.com/help/teamcity/predefined-build-parameters.html"
    #: The Octopus plugin's push runner publishes the packages as TeamCity artifacts.
    publishes_artifacts_by_default: ClassVar[bool] = True

    def __init__(self, env: Mapping[str, str], stream: TextIO, *, cwd: Path | None = None) -> None:
        super().__init__(env, stream, cwd=cwd)
        self._properties: TeamCityProperties | None = None
        self._blocks: list[str] = []

    # ------------------------------------------------------------------ reading the build
    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``TEAMCITY_VERSION`` is set on every TeamCity agent and by nothing else; ``BUILD_NUMBER``
        is not a marker (Jenkins sets it too)."""
        return bool(env.get("TEAMCITY_VERSION", "").strip())

    @property
    def properties(self) -> TeamCityProperties:
        """The build's properties files, read once (their secrets are masked from the start:
        see :meth:`secrets`)."""
        if self._properties is None:
            self._properties = TeamCityProperties.load(self.env)
        return self._properties

    def build_information(self) -> BuildInformation:
        """Every field from the environment and the properties files (raw; the core normalises).

        Branch: a pull request's source branch, else the full VCS ref (``refs/heads/x``,
        ``refs/tags/v1``), else the logical branch name, else the VCS root's default branch, so
        a configuration without a branch specification still reports one (OctopusDeploy/Issues
        #6766).
        """
        props = self.properties
        env = self.env
        build_id = props.build_id
        server_url = props.get("teamcity.serverUrl").rstrip("/")
        build_url = env.get("BUILD_URL", "").strip()
        if not build_url and server_url and build_id:
            # The id, not the number: Octopus's plugin falls back to the number here, which
            # links to some other build.
            build_url = f"{server_url}/viewLog.html?buildId={build_id}"
        vcs_type, vcs_root = self._vcs_root()
        commit = self._revision()
        full_ref = self._root_value("", "teamcity.build.vcs.branch.{root}")
        logical = props.get("teamcity.build.branch")
        if logical == "<default>":
            logical = ""
        pr_number = props.get("teamcity.pullRequest.number")
        source = props.get("teamcity.pullRequest.source.branch")
        target = props.get("teamcity.pullRequest.target.branch")
        head = ""
        for ref in (full_ref, logical):
            match = _PR_REF.match(ref)
            if match:
                pr_number = pr_number or match["number"]
                # TeamCity builds a pull request's head ref as it is; only .../merge is a
                # merge commit that differs from the head.
                if match["kind"] in ("head", "from"):
                    head = commit
                break
        if pr_number and not head and not full_ref.endswith("/merge"):
            head = commit
        if full_ref.startswith(("refs/heads/", "refs/tags/")) or not logical:
            branch = full_ref or self._root_value("vcsroot.branch", "vcsroot.{root}.branch")
        else:
            branch = logical
        tag = full_ref[len("refs/tags/") :] if full_ref.startswith("refs/tags/") else ""
        project = env.get("TEAMCITY_PROJECT_NAME", "").strip()
        configuration = env.get("TEAMCITY_BUILDCONF_NAME", "").strip()
        job = " / ".join(p for p in (project, configuration) if p)
        return BuildInformation(
            build_environment=self.display_name,
            build_number=env.get("BUILD_NUMBER", "").strip() or props.get("build.number"),
            build_url=build_url,
            branch=branch,
            vcs_type=vcs_type,
            vcs_root=vcs_root,
            vcs_commit_number=commit,
            pull_request_number=pr_number,
            source_branch=source if pr_number else "",
            target_branch=target if pr_number else "",
            tag=tag,
            head_commit=head if pr_number else "",
            job_name=job or props.get("teamcity.buildType.id"),
        )

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """Every change of this build from TeamCity's REST API (paged, retried, capped at 10,000).

        ``None`` (git instead, with a warning saying what to configure) when the properties files
        give no server URL, build id or credentials; a :class:`CommitSourceError` when the first
        page cannot be read.
        """
        props = self.properties
        server_url = props.get("teamcity.serverUrl")
        build_id = props.build_id
        if not server_url or not build_id:
            if props.build_file is None and self.env.get(BUILD_PROPERTIES_FILE, "").strip():
                return None  # the file is named but gone: loading it already warned
            log.warning(
                "TeamCity's changes API needs the build properties file, which names the server "
                "and the build; run octoci as a step of the build (TEAMCITY_BUILD_PROPERTIES_FILE "
                "is not set or lacks teamcity.serverUrl); using git instead"
            )
            return None
        token = self.env.get(TOKEN_VARIABLE, "").strip()
        if token:
            self.mask(token)
            auth = TeamCityAuth(token=token)
        elif props.auth is not None:
            auth = TeamCityAuth(basic=props.auth)
        else:
            log.warning(
                "the TeamCity build properties file has no teamcity.auth.userId/password for the "
                "changes API; set %s to an access token with 'View build runtime parameters and "
                "data' permission; using git instead",
                TOKEN_VARIABLE,
            )
            return None
        return fetch_changes(server_url, build_id, auth)

    def _root_ids(self) -> list[str]:
        ids = {m["id"] for key in self.properties.config if (m := _ROOT_KEY.match(key))}
        return sorted(ids)

    @property
    def _explicit_root(self) -> str:
        return self.env.get(VCS_ROOT_VARIABLE, "").strip()

    def _chosen_root(self) -> str:
        """The VCS root to report: ``OCTOCI_TEAMCITY_VCS_ROOT``, else the first by id (TeamCity
        does not say which root is the main one; Octopus's plugin also reports only one)."""
        ids = self._root_ids()
        return self._explicit_root or (ids[0] if ids else "")

    def _root_value(self, general: str, specific: str) -> str:
        """A VCS-root fact: ``general`` is the key TeamCity sets for a single root (or ``""``),
        ``specific`` the per-root key with ``{root}`` for the root id."""
        props = self.properties
        root = self._chosen_root()
        for_root = props.get(specific.format(root=root)) if root else ""
        single = props.get(general) if general else ""
        if self._explicit_root:
            return for_root or single
        if single or for_root:
            return single or for_root
        # Keys of a root that has no URL key (rare): take the first root that has this fact.
        prefix, _, suffix = specific.partition("{root}")
        for key in sorted(props.config):
            if key.startswith(prefix) and key.endswith(suffix) and props.get(key):
                return props.get(key)
        return ""

    def _vcs_root(self) -> tuple[str, str]:
        tfs = self._root_value("vcsroot.tfs-url", "vcsroot.{root}.tfs-url")
        if tfs:
            return "TFVC", tfs
        url = self._root_value("vcsroot.url", "vcsroot.{root}.url")
        # A purely numeric revision outside TFS is Subversion or Perforce: not Git, and Octopus
        # makes links only for Git and TFVC, so do not pretend.
        return ("Unknown" if self._revision().isdigit() else "Git"), url

    def _revision(self) -> str:
        root = self._explicit_root
        if root:
            # TeamCity exports BUILD_VCS_NUMBER_<root id> for each root of a multi-root build.
            specific = self.env.get(f"BUILD_VCS_NUMBER_{root}", "").strip()
            if specific:
                return specific
        else:
            single = self.env.get("BUILD_VCS_NUMBER", "").strip()
            if single:
                return single
        return self._root_value("build.vcs.number", "build.vcs.number.{root}")

    def artifact_roots(self) -> list[Path]:
        """The checkout directory: TeamCity's artifact paths are relative to it."""
        checkout = self.properties.get("teamcity.build.checkoutDir")
        return [Path(checkout)] if checkout else []

    def id_token(self, audience: str) -> str | None:
        """``jwt.token`` from OctopusDeploy/teamcity-oidc-plugin (the "OIDC Identity Token"
        build feature), read from the configuration properties file or handed over by the build
        step as ``OCTOCI_ID_TOKEN``. Its audience is set in the build feature, not here."""
        token = self.properties.get("jwt.token")
        source = "the TeamCity parameter jwt.token"
        if not token:
            token = self.env.get(ID_TOKEN_VARIABLE, "").strip()
            source = ID_TOKEN_VARIABLE
        if not token:
            return None
        self.mask(token)
        return check_id_token(
            token,
            audience,
            source,
            hint="set the audience in the build's 'OIDC Identity Token' build feature",
        )

    def publish_artifact(self, path: Path, name: str | None = None) -> bool:
        """``##teamcity[publishArtifacts '<path> => <name>']``: ``name`` is the folder (or
        ``.zip``) inside the build's artifacts; TeamCity uploads while the build runs."""
        rule = f"{path} => {name}" if name else str(path)
        self._emit(service_message("publishArtifacts", self.redact(rule)))
        return True

    def secrets(self) -> list[str]:
        """The build's temporary REST password, ``jwt.token``, ``OCTOCI_TEAMCITY_TOKEN`` and
        ``OCTOCI_ID_TOKEN``."""
        try:
            props = TeamCityProperties.load(self.env, quiet=True)  # `properties` warns
            values = [props.build.get("teamcity.auth.password", ""), props.get("jwt.token")]
        except OctociError:  # a malformed file is reported, with its name, where it is read
            values = []
        found = [value.strip() for value in values if value and value.strip()]
        return list(dict.fromkeys([*found, *self.secret_values(TOKEN_VARIABLE, ID_TOKEN_VARIABLE)]))

    # ------------------------------------------------------------------ writing back
    def _emit(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def write(self, text: str) -> None:
        """A log line; text that would itself read as a service message is wrapped in
        ``##teamcity[message]`` so that a commit message cannot command TeamCity."""
        safe = self.redact(text)
        if "##teamcity[" in safe or "\n" in safe or "\r" in safe:
            self._emit(service_message("message", text=safe, status="NORMAL"))
        else:
            self._emit(safe)

    def set_output(self, name: str, value: str) -> None:
        """``##teamcity[setParameter name='<name>' value='<value>']``: later steps read
        ``%<name>%``."""
        self._emit(service_message("setParameter", name=name, value=self.redact(value)))

    def export_variable(self, name: str, value: str, *, secret: bool) -> bool:
        """``##teamcity[setParameter name='env.<name>' value='<value>']``: the later steps get
        the environment variable ``name``.

        TeamCity has no service message that registers a new secret; it hides the values of
        *password* parameters. So a secret is set only when the build configuration declares
        ``env.<name>`` (as a password parameter, which octoci cannot check: the properties file
        does not say a parameter's type); otherwise ``False``, and nothing is written.
        """
        parameter = f"env.{name}"
        if secret and parameter not in self.properties.config:
            return False
        if secret:
            self.mask(value)
        self._emit(service_message("setParameter", name=parameter, value=value))
        return True

    def start_group(self, title: str) -> None:
        """``##teamcity[blockOpened name='<title>']``."""
        name = self.redact(title)
        self._blocks.append(name)
        self._emit(service_message("blockOpened", name=name))

    def end_group(self) -> None:
        """``##teamcity[blockClosed name='<title>']`` for the innermost open block."""
        if self._blocks:
            self._emit(service_message("blockClosed", name=self._blocks.pop()))

    def report_problem(self, level: ProblemLevel, title: str, message: str) -> bool:
        """The final error as ``##teamcity[buildProblem description='...' identity='...']`` (the
        build fails with it, as octoci's exit code says; the identity is the kind of failure, so
        TeamCity tells a new problem from a recurring one); a warning as a ``WARNING`` message."""
        if level == "warning":
            self.annotate("warning", message)
            return True
        # TeamCity cuts a description at 4000 characters and an identity at 60.
        description = self.redact(f"{title}: {message}")[:4000]
        identity = _problem_identity(title)
        self._emit(service_message("buildProblem", description=description, identity=identity))
        return True

    def set_status(self, text: str, outcome: RunOutcome) -> None:
        """``##teamcity[buildStatus text='{build.status.text}; Released Shop 1.2.3; Dev:
        Success']``: what the run did beside TeamCity's own status text, in the build list. No
        ``status`` attribute: whether the build fails is the exit code's (and buildProblem's)."""
        self._emit(
            service_message("buildStatus", text=f"{{build.status.text}}; {self.redact(text)}")
        )

    def annotate(
        self,
        level: AnnotationLevel,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        """``##teamcity[message text='...' status='WARNING|ERROR|NORMAL']``.

        Errors are ``status='ERROR'`` messages rather than ``buildProblem``: a build problem
        fails the build on its own, and whether the build fails is octoci's exit code's decision.
        """
        where = f" ({file}{f':{line}' if line else ''})" if file else ""
        self._emit(
            service_message("message", text=self.redact(message + where), status=_STATUS[level])
        )

    def add_summary(self, markdown: str) -> None:
        """The summary as a log block. The build status text is :meth:`set_status`'s: a
        summary's first line ("Build information for ...") says nothing of a failed deployment."""
        lines = markdown.rstrip("\n").splitlines()
        with self.group("Octopus Deploy summary"):
            for text_line in lines:
                # A log line per Markdown line; URLs stay whole so TeamCity links them.
                self.write(_MARKDOWN_LINK.sub(r"\1 (\2)", text_line))


def _problem_identity(title: str) -> str:
    """A build problem's identity from its title: the kind of failure, as TeamCity wants it (at
    most 60 characters, the same for the same kind in every build)."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words)[:60] or "octoci"
