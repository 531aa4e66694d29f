"""The local adapter: used when no build server claims the environment (a laptop, a plain shell).

Everything comes from git: the branch (or the tag at HEAD), HEAD, the ``origin`` remote, and as
build number the count of commits up to HEAD (monotonic, so versions sort). Outside a git
repository it returns empty build information and the core warns, so every command still runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from octoci.git import Repository
from octoci.model import BuildInformation
from octoci.server import CIServer

__all__ = ["LocalServer"]


class LocalServer(CIServer):
    """No build server: build information from the git repository in the working directory.

    Example::

        server = LocalServer(env={}, stream=sys.stdout, cwd=Path("."))
        server.build_information().branch   # e.g. 'main'
    """

    name = "local"
    display_name = "Local"

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
