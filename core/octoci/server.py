"""The contract of one build-server adapter: :class:`CIServer`.

A plugin registers adapter classes through the ``octoci_servers`` hook. The core picks the one
whose :meth:`CIServer.detect` claims the environment (or the one named with ``--server``),
instantiates it with the environment and the output stream, and from then on talks to the build
server only through it: build information and commits in, outputs, masks, log groups,
annotations and the job summary out.

The environment and the output stream are injected, never read from ``os.environ`` or
``sys.stdout``, so a test feeds a recorded environment and reads what was written.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import ClassVar, Literal, TextIO

from octoci.errors import MissingExtraError, OctociError
from octoci.model import BuildInformation, Commit
from octoci.redaction import Redactor, secret_parts, url_password

__all__ = ["AnnotationLevel", "CIServer", "ProblemLevel", "RunOutcome"]

AnnotationLevel = Literal["notice", "warning", "error"]
#: How bad a problem is: a warning, or the error that ends the run.
ProblemLevel = Literal["warning", "error"]
#: How the run ended, for :meth:`CIServer.set_status`.
RunOutcome = Literal["succeeded", "succeeded_with_issues", "failed"]


class CIServer(ABC):
    """Base class of every build-server adapter.

    Subclasses set :attr:`name` and :attr:`display_name`, implement :meth:`detect` and
    :meth:`build_information`, and override the writing-back methods with the server's own
    protocol. The defaults write plain text, which is right for servers without a protocol.

    Example::

        class Drone(CIServer):
            name = "drone"
            display_name = "Drone"

            @classmethod
            def detect(cls, env):
                return env.get("DRONE") == "true"

            def build_information(self):
                return BuildInformation(
                    build_environment=self.display_name,
                    build_number=self.env.get("DRONE_BUILD_NUMBER", ""),
                    branch=self.env.get("DRONE_BRANCH", ""),
                    vcs_root=self.env.get("DRONE_GIT_HTTP_URL", ""),
                    vcs_commit_number=self.env.get("DRONE_COMMIT_SHA", ""),
                )
    """

    #: Short, lower-case name used by ``--server``, ``octoci info`` and plugin blocking.
    name: ClassVar[str]
    #: What Octopus shows as ``BuildEnvironment`` (e.g. ``"TeamCity"``).
    display_name: ClassVar[str]
    #: The pip extra that brings this adapter's client library, if it needs one.
    extra: ClassVar[str | None] = None
    #: The vendor's page listing the environment variables the adapter reads.
    docs_url: ClassVar[str] = ""
    #: Whether the packages a run pushes become build artifacts (:meth:`publish_artifact`)
    #: unless ``publish_artifacts`` says otherwise: True where the server's own Octopus
    #: integration does so.
    publishes_artifacts_by_default: ClassVar[bool] = False

    def __init__(
        self,
        env: Mapping[str, str],
        stream: TextIO,
        *,
        cwd: Path | None = None,
    ) -> None:
        self.env = env
        self.stream = stream
        self.cwd = cwd if cwd is not None else Path()
        self.redact = Redactor()
        """Masks every secret registered through :meth:`mask` in what the adapter writes."""
        self._registered: set[str] = set()

    # ------------------------------------------------------------------ reading the build
    @classmethod
    @abstractmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """True when ``env`` is a job of this build server. Must not need the server's extra."""

    @abstractmethod
    def build_information(self) -> BuildInformation:
        """The build information from the environment and the server's files (raw; the core
        normalises it). Commits are filled in separately by :meth:`commits`."""

    def commits(self, info: BuildInformation) -> Sequence[Commit] | None:
        """The build's commits from the server's own API or payloads, newest first.

        Return ``None`` when the server has no way to tell (no API, no credential), and the core
        falls back to git over :meth:`commit_range`. Raise an :class:`~octoci.errors.OctociError`
        when the API failed; the core warns and falls back unless ``--strict``.
        """
        return None

    def commit_range(self, info: BuildInformation) -> str | None:
        """The git revision range of this build's commits (e.g. ``"<previous sha>..<sha>"``) for
        the git fallback, or ``None`` to use commits since the previous tag."""
        return None

    def artifact_roots(self) -> list[Path]:
        """Folders where this server expects build artifacts (e.g. ``Build.ArtifactStagingDirectory``)."""
        return []

    def id_token(self, audience: str) -> str | None:
        """An OIDC ID token for ``audience`` from the build server, for Octopus's token exchange,
        or ``None`` when the server cannot issue one (the default)."""
        return None

    def secrets(self) -> Sequence[str]:
        """The secret values this build server's environment holds (its API token, a password
        inside a repository URL, an OIDC token it minted...), so that nothing octoci writes can
        show them. Default: none.

        The core asks the *active* adapter once, right after creating it, and masks every value
        in everything the run writes and through :meth:`mask` (the server's masking command).
        Secrets found later (a token fetched from an API) go through :meth:`mask` when found.
        Do not raise for a malformed variable or file: leave it out, and let the method that
        reads it for real report it with its name.

        Example::

            def secrets(self):
                return self.secret_values("DRONE_TOKEN", "DRONE_NETRC_PASSWORD")
        """
        return ()

    def publish_artifact(self, path: Path, name: str | None = None) -> bool:
        """Publish ``path`` as a build artifact of this build; ``False`` when the server has no
        way for a step to do it (the default)."""
        return False

    # ------------------------------------------------------------------ writing back
    def write(self, text: str) -> None:
        """Write one line to the job log, with every registered secret masked."""
        self.stream.write(self.redact(text) + "\n")
        self.stream.flush()

    def mask(self, secret: str) -> None:
        """Register ``secret`` so that it never appears in the job log.

        Every part :func:`~octoci.redaction.secret_parts` names (the whole value and each line
        of a multi-line value) is masked in what octoci writes and, through
        :meth:`register_secret`, told once to servers that have a masking command.
        """
        self.redact.add([secret])
        for part in secret_parts(secret):
            if part not in self._registered:
                self._registered.add(part)
                self.register_secret(part)

    def register_secret(self, secret: str) -> None:  # noqa: B027 - most servers have no command
        """Tell the build server to mask ``secret`` (``::add-mask::``, ``##vso[task.setsecret]``);
        called once per value. Default: nothing, the server has no such command."""

    def set_output(self, name: str, value: str) -> None:
        """Make ``value`` available to later steps as ``name`` (default: a log line)."""
        self.write(f"octoci output {name}={value}")

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """Hand a run's output variables over at once (default: :meth:`set_output` for each;
        the local adapter shows them as one line on a terminal)."""
        for name, value in outputs.items():
            self.set_output(name, value)

    def export_variable(self, name: str, value: str, *, secret: bool) -> bool:
        """Make ``value`` the environment variable ``name`` of the later steps of this job, as
        Octopus's login action does with ``OCTOPUS_URL`` and ``OCTOPUS_ACCESS_TOKEN``; ``True``
        when done.

        With ``secret``, only where the server keeps the value out of its logs, artifacts and
        pages (a secret is masked with :meth:`mask` first); return ``False`` - never write the
        value anywhere - when it has no such way. Default: ``False``, no way at all.

        Example::

            def export_variable(self, name, value, *, secret):
                if secret:
                    self.mask(value)
                self.stream.write(f"##drone[export {name}]{value}\n")
                return True
        """
        return False

    def start_group(self, title: str) -> None:
        """Open a collapsible section of the log (default: a heading line)."""
        self.write(f"=== {title}")

    def end_group(self) -> None:  # noqa: B027 - deliberately empty: plain logs have no group end
        """Close the section :meth:`start_group` opened (default: nothing)."""

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A log group around a block: ``with server.group("Pushing packages"): ...``."""
        self.start_group(title)
        try:
            yield
        finally:
            self.end_group()

    def annotate(
        self,
        level: AnnotationLevel,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        """A warning, error or notice the server shows beside the build (default: a log line)."""
        where = f" ({file}{f':{line}' if line else ''})" if file else ""
        self.write(f"{level}: {message}{where}")

    def add_summary(self, markdown: str) -> None:
        """Add a section to the job summary (default: the text in the log)."""
        for text_line in markdown.rstrip("\n").splitlines():
            self.write(text_line)

    def report_problem(self, level: ProblemLevel, title: str, message: str) -> bool:
        """Show a warning, or the error that ends the run, in the server's own form (an
        annotation, an issue, a build problem); ``True`` when the job log shows it that way.

        The core calls it for every warning octoci logs and for the final error, through
        :func:`octoci.problems.report_problem`, which writes the plain line
        (``octoci: warning: ...``) itself when this returns ``False``, as the default does: the
        server has no form of its own. Mask what you write with :attr:`redact`.

        Example::

            def report_problem(self, level, title, message):
                self.stream.write(f"##drone[{level} title={title}]{self.redact(message)}\n")
                return True
        """
        return False

    def set_status(self, text: str, outcome: RunOutcome) -> None:  # noqa: B027 - most have none
        """Make ``text`` (from :func:`octoci.reporting.status_text`, e.g. ``Released Shop
        1.2.3; Dev: Success, Test: Failed``) the status the server shows for the build or step,
        once, at the end of a run that handed results over. Default: nothing, the server has no
        status text."""

    # ------------------------------------------------------------------ helpers for subclasses
    def secret_values(self, *names: str, urls: Sequence[str] = ()) -> list[str]:
        """For :meth:`secrets`: the values of the environment variables ``names``, stripped, and
        the password in each URL of ``urls`` (as written and decoded); empty ones and variables
        that cannot be read (not UTF-8: reported where they are used) left out."""
        values: list[str] = []
        for name in names:
            try:
                value = self.env.get(name, "").strip()
            except OctociError:
                continue
            if value:
                values.append(value)
        for url in urls:
            values.extend(url_password(url))
        return list(dict.fromkeys(values))

    def require(self, module: str) -> ModuleType:
        """Import a module of this adapter's extra, or raise :class:`MissingExtraError`.

        Example::

            jenkins = self.require("jenkins")   # pip install "octoci[jenkins]" when missing
        """
        try:
            return importlib.import_module(module)
        except ImportError:
            raise MissingExtraError(
                module, self.extra or self.name, what=f"the {self.display_name} plugin"
            ) from None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
