"""The local adapter: used when no build server claims the environment (a laptop, a plain shell).

Everything comes from git: the branch (or the tag at HEAD), HEAD, the ``origin`` remote, and as
build number the count of commits up to HEAD (monotonic, so versions sort). Outside a git
repository it returns empty build information and the core warns, so every command still runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from octoci.git import Repository
from octoci.model import BuildInformation
from octoci.server import AnnotationLevel, CIServer

__all__ = ["LocalServer"]


class LocalServer(CIServer):
    """No build server: build information from the git repository in the working directory.

    Example::

        server = LocalServer(env={}, stream=sys.stdout, cwd=Path("."))
        server.build_information().branch   # e.g. 'main'
    """

    name = "local"
    display_name = "Local"
    quiet = False
    """``octoci --quiet``: no headings, warnings, outputs or summary (errors and the final
    result line only; the outputs of the local adapter are for people, no later step reads them)."""

    @property
    def on_terminal(self) -> bool:
        """Writing to a terminal outside CI: there the summary is aligned text and the outputs
        one line (a log keeps the plain ``octoci output`` lines scripts may grep)."""
        return self.stream.isatty() and not self.env.get("CI")

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """The outputs: one line on a terminal, else a line each."""
        if self.quiet:
            return
        if not self.on_terminal:
            super().set_outputs(outputs)
        elif outputs:
            from octoci.reporting import outputs_line

            self.write(outputs_line(outputs))

    def add_summary(self, markdown: str) -> None:
        """The job summary: aligned text on a terminal, else the Markdown as it is."""
        if self.quiet:
            return
        if not self.on_terminal:
            super().add_summary(markdown)
            return
        from octoci.reporting import summary_as_text

        for line in summary_as_text(markdown).rstrip("\n").splitlines():
            self.write(line)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A phase heading (none with ``--quiet``)."""
        if self.quiet:
            yield
            return
        with super().group(title):
            yield

    def annotate(
        self,
        level: AnnotationLevel,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        """A warning or notice as a log line (only errors with ``--quiet``)."""
        if self.quiet and level != "error":
            return
        super().annotate(level, message, file=file, line=line)

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """Never claims an environment: the local adapter is what is left when no server does."""
        return False

    def build_information(self) -> BuildInformation:
        """Branch, commit, remote and a build number from git; empty outside a repository."""
        repo = Repository(self.cwd)
        state = repo.head_state()
        if state is None:
            return BuildInformation(build_environment=self.display_name, job_name=self.cwd.name)
        if not state.commit:  # a repository without commits yet
            return BuildInformation(
                build_environment=self.display_name,
                branch=state.branch,
                vcs_root=repo.remote_url(),
                job_name=state.toplevel.name,
            )
        tags = repo.tags_at_head()
        branch = state.branch
        build_number = str(repo.count("HEAD"))
        return BuildInformation(
            build_environment=self.display_name,
            build_number=build_number,
            branch=branch or (tags[0] if tags else ""),
            tag=tags[0] if tags and not branch else "",
            vcs_type="Git",
            vcs_root=repo.remote_url(),
            vcs_commit_number=state.commit,
            job_name=state.toplevel.name,
        )
