"""The core's own hook implementations, registered as ``octoci.defaults`` before anything else.

Decisions are ``trylast`` so that any plugin can pre-empt them; contributions are plain. This
plugin is essential: it cannot be blocked.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from octoci import hookimpl
from octoci.commits import commits_for_build
from octoci.errors import AmbiguousServerError
from octoci.git import Repository
from octoci.local import LocalServer
from octoci.model import Artifact, BuildInformation, CaptureOptions, Commit, RunReport
from octoci.package_names import parse_package_filename
from octoci.redaction import environment_secrets
from octoci.reporting import report_outputs, report_summary
from octoci.server import CIServer
from octoci.versioning import version_from_git

log = logging.getLogger("octoci")


@hookimpl
def octoci_servers() -> Sequence[type[CIServer]]:
    return [LocalServer]


@hookimpl(trylast=True)
def octoci_detect_server(
    env: Mapping[str, str], servers: Sequence[type[CIServer]]
) -> type[CIServer] | None:
    claiming = [server for server in servers if server.detect(env)]
    if len(claiming) > 1:
        names = ", ".join(sorted(s.name for s in claiming))
        raise AmbiguousServerError(
            f"several build servers claim this environment ({names}); "
            "choose one with --server NAME or OCTOCI_SERVER=NAME"
        )
    return claiming[0] if claiming else LocalServer


@hookimpl(trylast=True)
def octoci_build_information(server: CIServer) -> BuildInformation | None:
    return server.build_information()


@hookimpl(trylast=True)
def octoci_commits(
    server: CIServer, info: BuildInformation, options: CaptureOptions
) -> Sequence[Commit] | None:
    return commits_for_build(server, info, options)


@hookimpl
def octoci_discover_artifacts(server: CIServer, search_paths: Sequence[Path]) -> Iterable[Artifact]:
    roots = list(search_paths) or server.artifact_roots()
    found = []
    for root in roots:
        base = root if root.is_absolute() else server.cwd / root
        candidates = [base] if base.is_file() else _walk_files(base)
        for path in candidates:
            name = parse_package_filename(path.name)
            if name is not None:
                found.append(Artifact(path, name.id, name.version, source="octoci.defaults"))
    return sorted(found, key=lambda a: a.path.as_posix())


def _walk_files(root: Path) -> Iterable[Path]:
    # os.walk rather than rglob: it lets us skip VCS and dependency folders without entering them.
    skip = {".git", ".hg", ".svn", "node_modules", "__pycache__"}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip)
        for file in sorted(files):
            yield Path(folder) / file


@hookimpl(trylast=True)
def octoci_package_version(server: CIServer, info: BuildInformation) -> str | None:
    return version_from_git(Repository(server.cwd), info)


@hookimpl
def octoci_secrets(env: Mapping[str, str]) -> Iterable[str]:
    return environment_secrets(env)


@hookimpl(trylast=True)
def octoci_id_token(server: CIServer, audience: str) -> str | None:
    return server.id_token(audience)


@hookimpl
def octoci_outputs(report: RunReport) -> Mapping[str, str]:
    return report_outputs(report)


@hookimpl
def octoci_summary(report: RunReport) -> str | None:
    return report_summary(report)
