"""A real ``mvn`` (Debian's maven) resolving artifacts from the nginx fixture's ``/maven``, with
strict checksums and its own plugins from Debian's ``/usr/share/maven-repo`` (served as
``/seed``), so it needs no outside network: what the Maven tests and the publish tests read
octoci's uploads back with."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from octoci.testing.nginx import NginxServer

__all__ = ["Resolved", "mvn_resolve"]

_PLUGIN = Path("/usr/share/maven-repo/org/apache/maven/plugins/maven-dependency-plugin")


@dataclass(frozen=True)
class Resolved:
    """What ``mvn`` copied: file name -> SHA-1, and its output."""

    files: dict[str, str]
    stdout: str


def _require_mvn() -> tuple[str, str]:
    """``mvn`` and the dependency plugin's version; skips (fails with
    ``OCTOCI_REQUIRE_NGINX=1``) when Debian's packages are missing."""
    mvn = shutil.which("mvn")
    if mvn is None or not _PLUGIN.is_dir():
        reason = "needs Debian's maven, libmaven-dependency-plugin-java and junit4"
        if os.environ.get("OCTOCI_REQUIRE_NGINX") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    version = next(p.name for p in sorted(_PLUGIN.iterdir()) if p.name[0].isdigit())
    return mvn, version


def mvn_resolve(
    nginx: NginxServer,
    work: Path,
    dependencies: Sequence[tuple[str, str, str, str]],
    *,
    user: str,
    password: str,
    location: str = "maven",
) -> Resolved:
    """Resolve ``(groupId, artifactId, version, type)`` items from ``nginx.url(location)`` with
    ``mvn dependency:copy-dependencies`` (checksum policy ``fail``); asserts that mvn succeeded."""
    mvn, plugin = _require_mvn()
    settings = work / "settings.xml"
    settings.write_text(
        f"""<settings>
  <servers><server><id>octoci</id><username>{user}</username><password>{password}</password></server></servers>
  <mirrors><mirror><id>seed</id><mirrorOf>*,!octoci</mirrorOf><url>{nginx.url("seed")}/</url></mirror></mirrors>
  <profiles><profile><id>octoci</id><repositories><repository>
    <id>octoci</id><url>{nginx.url(location)}</url>
    <releases><checksumPolicy>fail</checksumPolicy></releases>
    <snapshots><enabled>true</enabled><checksumPolicy>fail</checksumPolicy></snapshots>
  </repository></repositories></profile></profiles>
  <activeProfiles><activeProfile>octoci</activeProfile></activeProfiles>
</settings>""",
        encoding="utf-8",
    )
    project = work / "mvn-project"
    project.mkdir()
    entries = "".join(
        f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version>"
        f"<type>{t}</type></dependency>"
        for g, a, v, t in dependencies
    )
    (project / "pom.xml").write_text(
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>t</groupId><artifactId>t</artifactId><version>1</version>"
        f"<packaging>pom</packaging><dependencies>{entries}</dependencies></project>",
        encoding="utf-8",
    )
    out = work / "mvn-out"
    done = subprocess.run(
        [
            mvn,
            "-B",
            "-s",
            str(settings),
            f"-Dmaven.repo.local={work / 'm2'}",
            f"org.apache.maven.plugins:maven-dependency-plugin:{plugin}:copy-dependencies",
            f"-DoutputDirectory={out}",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    files = {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in out.iterdir()}
    return Resolved(files, done.stdout)
