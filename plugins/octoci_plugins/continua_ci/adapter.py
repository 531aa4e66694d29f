"""The Continua CI adapter: build information from the ``ContinuaCI.*`` variables, commits from
the build's changeset revisions with messages from git, and ``@@continua[...]`` messages back."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar, TextIO

from octoci.errors import InputError, OctociError
from octoci.git import Repository
from octoci.model import BuildInformation, Commit
from octoci.server import AnnotationLevel, CIServer, ProblemLevel, RunOutcome
from octoci_plugins.continua_ci.commits import commits_with_messages, newest_first
from octoci_plugins.continua_ci.messages import build_message

__all__ = ["ContinuaCI"]

log = logging.getLogger("octoci")

PREFIX = "ContinuaCI."
#: What Continua does not export, passed in by the configuration: each is read from the
#: configuration variable (exported as ``ContinuaCI.Variable.<name>``) or the plain variable.
SETTINGS = {
    "build_url": ("ContinuaCI.Variable.OctociBuildUrl", "OCTOCI_BUILD_URL"),
    "repository_url": ("ContinuaCI.Variable.OctociRepositoryUrl", "OCTOCI_REPOSITORY_URL"),
    "vcs_type": ("ContinuaCI.Variable.OctociVcsType", "OCTOCI_VCS_TYPE"),
}
# Pull-request refs the Git repository type of Continua can build: refs/pull/12/head (GitHub),
# refs/pull-requests/12/from (Bitbucket Server), refs/merge-requests/12/head (GitLab), pr/12.
_PULL_REQUEST_REF = re.compile(
    r"(?:^|/)(?:pull|pull-requests|merge-requests)/(?P<n>\d+)(?:/|$)|^pr/(?P<short>\d+)$"
)
_REVISION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._\-]*$")
_STATUS = {"notice": "information", "warning": "warning", "error": "error"}


def split_list(value: str) -> list[str]:
    """A Continua list variable (comma-separated) as a list, blanks and empties dropped, as
    Cake reads them.

    >>> split_list("a1, b2,,c3")
    ['a1', 'b2', 'c3']
    """
    return [item.strip() for item in value.split(",") if item.strip()]


class ContinuaCI(CIServer):
    """Continua CI (VSoft), agents on Windows and Linux.

    Variable names contain dots (``ContinuaCI.Build.BuildNumber``), so they are read from the
    process environment, never through a shell. On Windows, Python upper-cases the names of
    ``os.environ``; names are therefore matched without regard to case.

    Example::

        server = ContinuaCI(os.environ, sys.stdout)
        server.build_information().build_number   # ContinuaCI.Build.BuildNumber
    """

    name: ClassVar[str] = "continua_ci"
    display_name: ClassVar[str] = "Continua CI"
    extra: ClassVar[str | None] = "continua"
    docs_url: ClassVar[str] = (
        "https://docs.finalbuilder.com/ci/1.0/user-guide/expressions-and-patterns/"
        "expression-objects/expression-objects.html"
    )

    def __init__(self, env: Mapping[str, str], stream: TextIO, *, cwd: Path | None = None) -> None:
        super().__init__(env, stream, cwd=cwd)
        self._folded = {key.casefold(): key for key in env}
        self._groups: list[str] = []

    # ------------------------------------------------------------------ reading the build
    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """``ContinuaCI.Version`` (what Cake and GitVersion check), or any other non-empty
        ``ContinuaCI.*`` variable, in any case."""
        prefix = PREFIX.casefold()
        return any(key.casefold().startswith(prefix) and env.get(key, "").strip() for key in env)

    def _get(self, *names: str) -> str:
        for name in names:
            key = name if name in self.env else self._folded.get(name.casefold())
            value = self.env.get(key, "").strip() if key else ""
            if value:
                return value
        return ""

    def _setting(self, name: str) -> str:
        return self._get(*SETTINGS[name])

    def build_information(self) -> BuildInformation:
        """Every field Continua exports, plus what the configuration passes in (raw; the core
        normalises).

        Continua exports no build URL, repository URL or repository type: the build URL comes
        from ``OctociBuildUrl`` (set it to ``$Build.LinkUrl$``), the repository from
        ``OctociRepositoryUrl`` or the ``origin`` remote of the working directory, the type from
        ``OctociVcsType`` (default ``Git``).
        """
        branch = self._get(
            "ContinuaCI.Build.LatestChangeset.Branch", "ContinuaCI.Build.TriggeringBranch"
        )
        if not branch:
            branches = split_list(self._get("ContinuaCI.Build.RepositoryBranches"))
            branch = branches[0] if branches else ""
        pr = ""
        if match := _PULL_REQUEST_REF.search(branch.removeprefix("refs/")):
            pr = match.group("n") or match.group("short") or ""
        tags = split_list(self._get("ContinuaCI.Build.LatestChangeset.TagNames"))
        # Of several tags on the built changeset, the one that looks like a version.
        tag = next((t for t in tags if any(ch.isdigit() for ch in t)), tags[0] if tags else "")
        project = self._get("ContinuaCI.Project.Name")
        configuration = self._get("ContinuaCI.Configuration.Name")
        return BuildInformation(
            build_environment=self.display_name,
            build_number=self._get("ContinuaCI.Build.BuildNumber", "ContinuaCI.Build.Version"),
            build_url=self._setting("build_url"),
            branch=tag or branch,
            vcs_type=self._setting("vcs_type") or "Git",
            vcs_root=self._setting("repository_url") or self._origin_url(),
            vcs_commit_number=self._get("ContinuaCI.Build.LatestChangeset.Revision"),
            pull_request_number=pr,
            tag=tag,
            head_commit=self._get("ContinuaCI.Build.LatestChangeset.Revision") if pr else "",
            job_name=" / ".join(part for part in (project, configuration) if part),
        )

    def repository_url_setting(self) -> str:
        """The repository URL the configuration passes in (``OctociRepositoryUrl``), or ``""``."""
        return self._setting("repository_url")

    def _origin_url(self) -> str:
        repo = Repository(self.cwd)
        return repo.remote_url() if repo.is_repository() else ""

    def _revisions(self) -> list[str]:
        revisions: list[str] = []
        for revision in split_list(self._get("ContinuaCI.Build.ChangesetRevisions")):
            if not _REVISION.match(revision):
                raise InputError(
                    f"ContinuaCI.Build.ChangesetRevisions holds {revision[:40]!r}, "
                    "which is not a revision"
                )
            if revision not in revisions:
                revisions.append(revision)
        return revisions

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """The build's changesets (``ContinuaCI.Build.ChangesetRevisions``), newest first, each
        message from git; ``None`` (git since the previous tag) when the build has none, e.g. a
        rebuild without new changes."""
        revisions = self._revisions()
        if not revisions:
            return None
        ordered = newest_first(revisions, info.vcs_commit_number)
        if info.vcs_type.casefold() != "git":
            # Messages come from git only; other repository types keep the ids.
            return [Commit(revision) for revision in ordered]
        return commits_with_messages(ordered, self.cwd)

    def artifact_roots(self) -> list[Path]:
        """``Output`` in the working directory (the workspace): the folder Continua's default
        workspace rule copies back to the server, where artifact rules can register files."""
        return [self.cwd / "Output"]

    def secrets(self) -> list[str]:
        """A password inside the repository URL the configuration passes in."""
        try:
            url = self.repository_url_setting()
        except OctociError:  # a bad variable is reported, with its name, where it is read
            return []
        return self.secret_values(urls=[url])

    # ------------------------------------------------------------------ writing back
    def _emit(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def write(self, text: str) -> None:
        """Log lines; a line holding ``@@continua[`` (say, from a commit message) is written
        inside a ``message`` so that it cannot command Continua."""
        for line in self.redact(text).splitlines() or [""]:
            if "@@continua[" in line.casefold():
                self._emit(build_message("message", value=line, status="information"))
            else:
                self._emit(line)

    def set_output(self, name: str, value: str) -> None:
        """``setBuildVariable``: later actions read ``%name%``. Continua refuses to set a
        variable the configuration does not define, so undefined ones are skipped
        (``skipIfNotDefined``) rather than failing the build."""
        self._emit(
            build_message(
                "setBuildVariable",
                name=name,
                value=self.redact(value),
                skipIfNotDefined="true",
            )
        )

    def start_group(self, title: str) -> None:
        """``startGroup name='title'``."""
        name = self.redact(title)
        self._groups.append(name)
        self._emit(build_message("startGroup", name=name))

    def end_group(self) -> None:
        """``endGroup`` for the innermost open group, by name."""
        if self._groups:
            self._emit(build_message("endGroup", name=self._groups.pop()))

    def report_problem(self, level: ProblemLevel, title: str, message: str) -> bool:
        """``@@continua[message value='…' status='warning|error']``."""
        self.annotate(level, message)
        return True

    def set_status(self, text: str, outcome: RunOutcome) -> None:
        """``@@continua[setBuildStatus value='…']``: the status line of the build."""
        self._emit(build_message("setBuildStatus", value=self.redact(text)))

    def annotate(
        self,
        level: AnnotationLevel,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        """``message value='…' status='warning'`` (``information`` for a notice)."""
        where = f" ({file}{f':{line}' if line else ''})" if file else ""
        self._emit(
            build_message("message", value=self.redact(message + where), status=_STATUS[level])
        )

    def add_summary(self, markdown: str) -> None:
        """Continua has no job summary: the summary is a group of the build log."""
        with self.group("Octopus Deploy summary"):
            super().add_summary(markdown)
