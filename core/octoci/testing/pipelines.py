"""Run a pipeline file's shell steps the way its build server would, and read back what the next
step of that server reads.

A test takes the shell text of one step out of the pipeline file (the YAML is parsed with PyYAML:
no text copy), substitutes the server's expressions (``${{ ... }}``, ``$(...)``, ``$[[ ... ]]``,
``<< ... >>``) with :func:`substitute`, and runs it with :meth:`PipelineJob.run` under the
server's shell (:class:`Shell`). The job starts from a recorded environment of that server
(``tests/data/env/<server>/``) whose workspace variables point at a temporary git repository (a
copy of the application the pipeline builds), with the installed ``octoci`` first on ``PATH``.
What the user configures on the server (the Octopus URL and API key, a service account) is in
:attr:`PipelineJob.variables`; the test hands it to the step the way that server does (GitLab and
CircleCI put it in every step's environment, GitHub only through ``${{ vars.X }}``).

After a step, read what the next one would: :func:`read_key_value_file` (``$GITHUB_OUTPUT``,
``$GITHUB_ENV``), :func:`read_dotenv` (GitLab's dotenv report), :func:`azure_variables`
(``##vso[task.setvariable]`` lines), and for ``$BASH_ENV`` or a sourced file, just run the next
step: bash sources ``$BASH_ENV`` itself.

Example (GitHub Actions)::

    job = start_job("github_actions", source=sample_app, root=tmp_path, env_dirs=[recordings],
                    variables={"OCTOPUS_URL": emulator.url, "OCTOPUS_API_KEY": emulator.api_key})
    script = substitute(step["run"], GITHUB_EXPRESSION, {"vars.OCTOPUS_URL": emulator.url})
    result = job.run(script, shell=GITHUB_BASH, env={"OCTOPUS_URL": emulator.url})
    assert result.exit_code == 0, result.output
    outputs = read_key_value_file(Path(job.env["GITHUB_OUTPUT"]))
    assert outputs["release_version"]

Windows-first servers: a ``cmd``/``pwsh`` step runs only where that shell is installed; the
harness has no emulation of either.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from octoci.testing.ci_output import CIMessage, parse_ci_output
from octoci.testing.recorded_env import RecordedEnvironment, find_recording

__all__ = [
    "API_VARIABLES",
    "AZURE_BASH",
    "AZURE_MACRO",
    "BASH_SCRIPT",
    "CIRCLECI_BASH",
    "CIRCLECI_PARAMETER",
    "COMMIT_VARIABLES",
    "DASH",
    "GITHUB_BASH",
    "GITHUB_EXPRESSION",
    "GITLAB_INPUT",
    "TEMPLATE_EXPRESSION",
    "UNREACHABLE_API",
    "WORKSPACE_VARIABLES",
    "PipelineJob",
    "Shell",
    "StepResult",
    "azure_variables",
    "octoci_bin_dir",
    "read_dotenv",
    "read_key_value_file",
    "read_shell_variables",
    "report_shell_variables",
    "start_job",
    "substitute",
    "workspace_from",
]


@dataclass(frozen=True)
class Shell:
    """How a build server runs one script step: ``argv`` with ``{script}`` standing for the file
    the step's text is written to (``prologue`` first, as the server adds it)."""

    argv: tuple[str, ...]
    prologue: str = ""
    suffix: str = ".sh"


#: GitHub Actions' ``run:`` on Linux (``shell: bash``, the default when bash exists).
GITHUB_BASH = Shell(("bash", "--noprofile", "--norc", "-eo", "pipefail", "{script}"))
#: A CircleCI ``run`` step: ``/bin/bash -eo pipefail``; bash itself sources ``$BASH_ENV``.
CIRCLECI_BASH = Shell(("bash", "-eo", "pipefail", "{script}"))
#: Azure Pipelines' ``script:`` on Linux: bash without ``-e`` (only the last exit code counts).
AZURE_BASH = Shell(("bash", "--noprofile", "--norc", "{script}"))
#: GitLab's shell executor and Bitbucket's runner: every ``script`` line in one bash that
#: stops at the first failing line.
BASH_SCRIPT = Shell(("bash", "{script}"), prologue="set -eo pipefail\n")
#: ``sh`` on Debian and Ubuntu agents: dash, which drops variables whose names are not
#: identifiers (``ContinuaCI.Build.Id``) from the environment it hands on.
DASH = Shell(("dash", "-e", "{script}"))

#: ``${{ vars.OCTOPUS_URL }}`` (GitHub Actions; also a composite action's ``${{ inputs.x }}``).
GITHUB_EXPRESSION = re.compile(r"\$\{\{\s*(?P<name>[^}]+?)\s*\}\}")
#: Azure Pipelines' runtime macro ``$(OctopusUrl)`` / ``$(octopus.release_version)``.
AZURE_MACRO = re.compile(r"\$\((?P<name>[A-Za-z_][\w.]*)\)")
#: Azure template expressions ``${{ parameters.project }}`` (same form as GitHub's).
TEMPLATE_EXPRESSION = GITHUB_EXPRESSION
#: GitLab CI/CD component inputs ``$[[ inputs.project ]]``.
GITLAB_INPUT = re.compile(r"\$\[\[\s*(?P<name>[^\]]+?)\s*\]\]")
#: CircleCI orb parameters ``<< parameters.project >>``.
CIRCLECI_PARAMETER = re.compile(r"<<\s*(?P<name>[\w.-]+)\s*>>")

#: The variables that name the job's checkout folder, per build server: the harness points them
#: at the temporary workspace. Another server's test passes its own to :func:`start_job`.
WORKSPACE_VARIABLES: Mapping[str, tuple[str, ...]] = {
    "github_actions": ("GITHUB_WORKSPACE",),
    "gitlab_ci": ("CI_PROJECT_DIR",),
    "circleci": ("CIRCLE_WORKING_DIRECTORY",),
    "bitbucket_pipelines": ("BITBUCKET_CLONE_DIR",),
    "azure_devops": (
        "BUILD_SOURCESDIRECTORY",
        "BUILD_REPOSITORY_LOCALPATH",
        "SYSTEM_DEFAULTWORKINGDIRECTORY",
    ),
    "jenkins": ("WORKSPACE",),
    "appveyor": ("APPVEYOR_BUILD_FOLDER",),
    "bamboo": ("bamboo_build_working_directory", "bamboo_working_directory"),
    "buildkite": ("BUILDKITE_BUILD_CHECKOUT_PATH",),
    "travis_ci": ("TRAVIS_BUILD_DIR",),
    "drone": ("DRONE_WORKSPACE",),
    "woodpecker": ("CI_WORKSPACE",),
    "gitea_actions": ("GITHUB_WORKSPACE",),
    "forgejo_actions": ("GITHUB_WORKSPACE",),
    "aws_codebuild": ("CODEBUILD_SRC_DIR",),
    "bitrise": ("BITRISE_SOURCE_DIR",),
    "cirrus_ci": ("CIRRUS_WORKING_DIR",),
    "harness_ci": ("HARNESS_WORKSPACE", "DRONE_WORKSPACE"),
    "buddy": ("BUDDY_PIPELINE_FILESYSTEM",),
}

#: The variables that name the job's commit: the harness sets them to the workspace's HEAD.
COMMIT_VARIABLES: Mapping[str, tuple[str, ...]] = {
    "github_actions": ("GITHUB_SHA",),
    "gitlab_ci": ("CI_COMMIT_SHA",),
    "circleci": ("CIRCLE_SHA1",),
    "bitbucket_pipelines": ("BITBUCKET_COMMIT",),
    "azure_devops": ("BUILD_SOURCEVERSION",),
    "buildkite": ("BUILDKITE_COMMIT",),
    "travis_ci": ("TRAVIS_COMMIT",),
    "drone": ("DRONE_COMMIT", "DRONE_COMMIT_SHA", "DRONE_COMMIT_AFTER"),
    "woodpecker": ("CI_COMMIT_SHA",),
    "gitea_actions": ("GITHUB_SHA",),
    "forgejo_actions": ("GITHUB_SHA",),
    "google_cloud_build": ("COMMIT_SHA", "REVISION_ID"),
    "bitrise": ("BITRISE_GIT_COMMIT", "GIT_CLONE_COMMIT_HASH"),
    "cirrus_ci": ("CIRRUS_CHANGE_IN_REPO",),
    "harness_ci": ("DRONE_COMMIT_SHA", "DRONE_COMMIT"),
    "buddy": ("BUDDY_EXECUTION_REVISION",),
    "codefresh": ("CF_REVISION",),
    "gocd": ("GO_REVISION", "GO_TO_REVISION"),
}
#: The build server's own API, which a test must not reach: pointed at a closed local port, so
#: the adapter's fallback (git in the workspace) runs at once instead of a network call.
API_VARIABLES: Mapping[str, tuple[str, ...]] = {
    "github_actions": ("GITHUB_API_URL",),
    "gitlab_ci": ("CI_API_V4_URL",),
    "azure_devops": (
        "SYSTEM_COLLECTIONURI",
        "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI",
        "SYSTEM_TEAMFOUNDATIONSERVERURI",
    ),
    "gitea_actions": ("GITHUB_API_URL",),
    "forgejo_actions": ("GITHUB_API_URL",),
    "gocd": ("GO_SERVER_URL",),
}
#: Port 9 (discard) on the loopback: nothing listens, a connection is refused at once.
UNREACHABLE_API = "http://127.0.0.1:9/"


def substitute(
    text: str, pattern: re.Pattern[str], values: Mapping[str, str] | Callable[[str], str | None]
) -> str:
    """``text`` with every ``pattern`` match (its ``name`` group) replaced by its value.

    A name with no value is a ``KeyError`` naming it, so a pipeline that uses an expression the
    test did not provide fails instead of running with an empty string.
    """
    lookup = values.get if isinstance(values, Mapping) else values

    def replace(match: re.Match[str]) -> str:
        value = lookup(match["name"])
        if value is None:
            raise KeyError(f"{match[0]}: no value for {match['name']!r} in this test")
        return value

    return pattern.sub(replace, text)


@dataclass(frozen=True)
class StepResult:
    """What one step printed and how it ended."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """Standard output and standard error, for assertion messages."""
        return f"{self.stdout}\n--- stderr ---\n{self.stderr}"

    @property
    def messages(self) -> list[CIMessage]:
        """Standard output parsed as the build server's messages."""
        return parse_ci_output(self.stdout)


@dataclass
class PipelineJob:
    """One build-server job: its workspace, the environment each of its steps starts from, and
    the variables the user configured on the server."""

    server: str
    workspace: Path
    env: dict[str, str]
    variables: dict[str, str] = field(default_factory=dict)
    timeout: float = 120.0

    def run(
        self,
        script: str,
        *,
        shell: Shell,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> StepResult:
        """Run one step's ``script`` with ``shell`` in the workspace (or ``cwd``), its
        environment :attr:`env` plus ``env`` (the step's own ``env:``)."""
        with tempfile.TemporaryDirectory(prefix="octoci-step-") as folder:
            path = Path(folder) / f"step{shell.suffix}"
            path.write_text(shell.prologue + script + "\n", encoding="utf-8")
            argv = [arg.replace("{script}", str(path)) for arg in shell.argv]
            done = subprocess.run(
                argv,
                cwd=cwd or self.workspace,
                env={**self.env, **(env or {})},
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        return StepResult(done.returncode, done.stdout, done.stderr)


def octoci_bin_dir() -> Path:
    """The folder holding the installed ``octoci`` entry point of this interpreter."""
    folder = Path(sys.executable).parent
    found = shutil.which("octoci", path=str(folder)) or shutil.which("octoci")
    if found is None:
        raise FileNotFoundError("no octoci entry point: install octoci (pip install -e .)")
    return Path(found).parent


def _git(repo: Path, *args: str) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(repo),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Mona",
        "GIT_AUTHOR_EMAIL": "mona@example.com",
        "GIT_COMMITTER_NAME": "Mona",
        "GIT_COMMITTER_EMAIL": "mona@example.com",
        "GIT_AUTHOR_DATE": "2026-11-26T10:00:00Z",
        "GIT_COMMITTER_DATE": "2026-11-26T10:00:00Z",
    }
    subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, check=True)


def _head(repo: Path) -> str:
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def workspace_from(source: Path, target: Path, *, remote: str, branch: str = "main") -> Path:
    """``target``: a copy of ``source`` committed as the one commit of a fresh git repository
    on ``branch`` (its ``origin`` is ``remote``), as a build server's checkout leaves it."""
    ignore = shutil.ignore_patterns("build", "__pycache__", ".git")
    shutil.copytree(source, target, ignore=ignore)
    _git(target, "init", "-q", "-b", branch)
    _git(target, "remote", "add", "origin", remote)
    _git(target, "add", "-A")
    _git(target, "commit", "-q", "-m", "Add the basket page")
    return target


def start_job(
    server: str,
    *,
    source: Path,
    root: Path,
    env_dirs: Sequence[Path],
    variant: str = "push",
    variables: Mapping[str, str] | None = None,
    workspace_variables: Sequence[str] | None = None,
    remote: str = "https://github.com/acme/shop.git",
    overrides: Mapping[str, str] | None = None,
) -> PipelineJob:
    """A job of ``server`` under its recorded ``variant``: the recording's files in
    ``root/ci-files``, the workspace a git copy of ``source`` in ``root/workspace`` (the
    recording's workspace and commit variables point at it and its HEAD, the server's API at
    :data:`UNREACHABLE_API`), a private ``HOME``, and the installed ``octoci`` first on
    ``PATH``; ``overrides`` last."""
    recording = RecordedEnvironment.load(find_recording(env_dirs, server, variant))
    env = recording.materialize(root / "ci-files")
    workspace = workspace_from(source, root / "workspace", remote=remote)
    names = (
        WORKSPACE_VARIABLES.get(server, ()) if workspace_variables is None else workspace_variables
    )
    for name in names:
        env[name] = str(workspace)
    head = _head(workspace)
    for name in COMMIT_VARIABLES.get(server, ()):
        env[name] = head
    for name in API_VARIABLES.get(server, ()):
        if name in env:
            env[name] = UNREACHABLE_API
    home = root / "home"
    home.mkdir(exist_ok=True)
    path = os.pathsep.join([str(octoci_bin_dir()), os.environ.get("PATH", "")])
    env.update({"PATH": path, "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1"})
    env.update(overrides or {})
    return PipelineJob(server, workspace, env, dict(variables or {}))


def read_key_value_file(path: Path) -> dict[str, str]:
    """A runner's environment file (``$GITHUB_OUTPUT``, ``$GITHUB_ENV``) as the runner reads it:
    ``name=value`` lines and ``name<<DELIMITER`` blocks."""
    values: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block: list[str] = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            else:
                raise ValueError(f"{path}: {name} has no closing {delimiter}")
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def read_dotenv(path: Path) -> dict[str, str]:
    """A GitLab dotenv report as GitLab reads it into later jobs: ``NAME=value`` lines (no
    quoting, no ``export``, blank lines and ``#`` comments skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def azure_variables(messages: Sequence[CIMessage], step_name: str = "") -> dict[str, str]:
    """The variables an Azure Pipelines step set (``##vso[task.setvariable]``) as later steps
    see them: ``$(name)``, and ``$(step_name.name)`` for an output variable of a named step.
    Secret ones are left out: Azure maps no secret into a later step by itself."""
    values: dict[str, str] = {}
    for message in messages:
        if message.protocol != "azure" or message.name != "task.setvariable":
            continue
        if message.properties.get("issecret") == "true":
            continue
        name = message.properties["variable"]
        if message.properties.get("isoutput") == "true":
            if step_name:
                values[f"{step_name}.{name}"] = message.value
        else:
            values[name] = message.value
    return values


def report_shell_variables(script: str, names: Sequence[str], report: Path) -> str:
    """``script`` followed by the lines that write the value of each of ``names`` still set in
    its shell to ``report``, as a server that reads a step's variables from its shell when the
    script ends adds them (Harness's ``outputVariables``, Buddy's settable variables,
    CodeBuild's ``exported-variables``): a script that fails before them reports nothing.

    Values are written NUL-terminated, so any value (several lines, ``=``) reads back whole
    with :func:`read_shell_variables`; a name the script never set is left out.
    """
    for name in names:
        if not name.isidentifier():
            raise ValueError(f"{name!r} is not a shell variable name")
    target = shlex.quote(str(report))
    lines = [
        f'if [ -n "${{{name}+set}}" ]; then printf \'%s=%s\\0\' {name} "${name}" >> {target}; fi'
        for name in names
    ]
    return "\n".join([script, *lines])


def read_shell_variables(report: Path) -> dict[str, str]:
    """The variables :func:`report_shell_variables` wrote to ``report`` (none when the script
    stopped before them)."""
    if not report.exists():
        return {}
    entries = report.read_bytes().decode("utf-8").split("\0")
    return dict(entry.split("=", 1) for entry in entries if entry)
