"""The examples and the docs stay true: every pipeline file parses and uses only octoci commands and
options that exist, the sample application publishes end to end through the README's command,
and the configuration reference is the one generated from the code."""

from __future__ import annotations

import re
import runpy
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from octoci.cli import BUILTIN_COMMANDS, cli
from octoci.testing import run_octoci

ROOT = Path(__file__).resolve().parents[2]
PIPELINES = ROOT / "examples" / "pipelines"
SAMPLE = ROOT / "examples" / "sample-app"
#: Build server -> its example pipeline file.
PIPELINE_FILES = {
    "appveyor": "appveyor.yml",
    "aws_codebuild": "aws-codebuild-buildspec.yml",
    "azure_devops": "azure-pipelines.yml",
    "bamboo": "bamboo-specs.yml",
    "bitbucket_pipelines": "bitbucket-pipelines.yml",
    "bitrise": "bitrise.yml",
    "buddy": "buddy.yml",
    "buildkite": "buildkite-pipeline.yml",
    "circleci": "circleci-config.yml",
    "cirrus_ci": "cirrus.yml",
    "codefresh": "codefresh.yml",
    "continua_ci": "continua-ci.sh",
    "drone": "drone.yml",
    "gitea_actions": "gitea-actions.yml",
    "github_actions": "github-actions.yml",
    "gitlab_ci": "gitlab-ci.yml",
    "gocd": "gocd.yaml",
    "google_cloud_build": "cloudbuild.yaml",
    "harness_ci": "harness-pipeline.yml",
    "jenkins": "Jenkinsfile",
    "semaphore": "semaphore.yml",
    "teamcity": "teamcity-settings.kts",
    "travis_ci": "travis.yml",
    "woodpecker": "woodpecker.yml",
}
_INVOCATION = re.compile(r"""\boctoci((?:\s+[^\s'"`;&|)]+)+)""")


def _invocations(text: str) -> list[list[str]]:
    """Every ``octoci ...`` command line in ``text``, as arguments (shell variables kept)."""
    found = []
    for line in text.splitlines():
        if "pip install" in line:
            continue  # "octoci[github]" is a package, not a command
        for match in _INVOCATION.finditer(line):
            found.append(shlex.split(match.group(1)))
    return found


def _check_invocation(args: list[str]) -> None:
    name, *rest = args
    assert name in BUILTIN_COMMANDS, f"octoci {name}: no such command"
    with click.Context(cli) as ctx:
        command = cli.get_command(ctx, name)
    assert command is not None
    known = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
    for arg in rest:
        if arg.startswith("-"):
            option = arg.split("=", 1)[0]
            assert option in known, f"octoci {name} has no option {option}"


#: Examples beyond the one per server: file -> its server (each also runs as that server runs it).
MORE_PIPELINE_FILES = {"gitlab-ci-repositories.yml": "gitlab_ci"}


def test_there_is_one_pipeline_file_per_build_server() -> None:
    from octoci_plugins import BUILTIN_PLUGINS

    assert sorted(PIPELINE_FILES) == sorted(BUILTIN_PLUGINS)
    assert set(MORE_PIPELINE_FILES.values()) <= set(PIPELINE_FILES)
    assert sorted(p.name for p in PIPELINES.iterdir()) == sorted(
        [*PIPELINE_FILES.values(), *MORE_PIPELINE_FILES]
    )


@pytest.mark.parametrize("name", sorted(MORE_PIPELINE_FILES))
def test_more_pipeline_files_use_only_commands_and_options_that_exist(name: str) -> None:
    invocations = _invocations((PIPELINES / name).read_text(encoding="utf-8"))
    assert [args[0] for args in invocations] == ["publish"], invocations
    for args in invocations:
        _check_invocation(args)


@pytest.mark.parametrize("server", sorted(PIPELINE_FILES))
def test_pipeline_files_use_only_commands_and_options_that_exist(server: str) -> None:
    text = (PIPELINES / PIPELINE_FILES[server]).read_text(encoding="utf-8")
    invocations = _invocations(text)
    assert [args[0] for args in invocations] == ["publish"], invocations
    for args in invocations:
        _check_invocation(args)
    extra = {"azure_devops": "azure-devops", "bitbucket_pipelines": "bitbucket",
             "continua_ci": "continua", "gitlab_ci": "gitlab", "github_actions": "github",
             "gitea_actions": "gitea", "travis_ci": "travis"}  # fmt: skip
    extra.update(aws_codebuild="aws-codebuild", cirrus_ci="cirrus", google_cloud_build="google-cloud-build",
                 harness_ci="harness")  # fmt: skip
    assert f"octoci[{extra.get(server, server)}]" in text


def test_the_checker_catches_a_misspelt_option() -> None:
    with pytest.raises(AssertionError, match="no option --deploy-too"):
        _check_invocation(["publish", "--deploy-too", "Dev"])
    with pytest.raises(AssertionError, match="no such command"):
        _check_invocation(["pubish"])


#: Pipeline files that tests/pipelines runs end to end under their server's environment (a
#: file that runs parses; these need no separate parse check).
RUN_BY_TESTS = {"azure-pipelines.yml", "bitbucket-pipelines.yml", "circleci-config.yml",
                "github-actions.yml", "gitlab-ci.yml"}  # fmt: skip
RUN_BY_TESTS |= {"aws-codebuild-buildspec.yml", "buildkite-pipeline.yml", "cloudbuild.yaml", "drone.yml",
                 "gitea-actions.yml", "semaphore.yml", "travis.yml", "woodpecker.yml"}  # fmt: skip
RUN_BY_TESTS |= {"bitrise.yml", "cirrus.yml"}
RUN_BY_TESTS |= {"buddy.yml", "codefresh.yml", "gocd.yaml", "harness-pipeline.yml"}


def test_every_run_pipeline_file_has_its_test() -> None:
    tests = ROOT / "tests" / "pipelines"
    servers = {name: server for server, name in PIPELINE_FILES.items()}
    for name in RUN_BY_TESTS:
        assert (tests / f"test_{servers[name]}.py").is_file(), name


@pytest.mark.parametrize(
    "name",
    sorted(n for n in PIPELINE_FILES.values() if n.endswith(".yml") and n not in RUN_BY_TESTS),
)
def test_yaml_pipeline_files_parse(name: str) -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with the docs extra")
    document = yaml.safe_load((PIPELINES / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    assert document


def test_shell_pipeline_file_parses() -> None:
    shell = shutil.which("sh")
    if shell is None:
        pytest.skip("no POSIX shell")
    subprocess.run([shell, "-n", str(PIPELINES / "continua-ci.sh")], check=True)


@pytest.mark.parametrize("name", ["Jenkinsfile", "teamcity-settings.kts"])
def test_groovy_and_kotlin_pipeline_files_are_balanced(name: str) -> None:
    text = (PIPELINES / name).read_text(encoding="utf-8")
    code = re.sub(r'"""(.|\n)*?"""|"[^"\n]*"|\'[^\'\n]*\'|//[^\n]*', "", text)
    depth = 0
    for char in code:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, f"{name}: a '}}' closes nothing"
    assert depth == 0, f"{name}: {depth} unclosed '{{'"


def _readme_first_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.*?)\n```", readme, flags=re.DOTALL)[0]


def test_readme_first_command_installs_and_runs_the_main_job_in_one_line() -> None:
    command = _readme_first_command()
    assert "\n" not in command
    install, _, job = command.partition(" && ")
    assert install == 'python3 -m pip install ".[all]"'
    args = shlex.split(job)
    assert args[:3] == ["octoci", "publish", "--emulator"]
    _check_invocation(args[1:])


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs a git checkout (the version)")
def test_readme_main_job_publishes_the_sample_app_end_to_end(tmp_path: Path) -> None:
    args = shlex.split(_readme_first_command().partition(" && ")[2])[1:]
    # Only the package folder moves out of the source tree; everything else is the README's.
    result = run_octoci(*args, "--out-folder", str(tmp_path), env={}, cwd=ROOT)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for step in ("Packing and pushing 2 packages", "Pushing build information",
                 "Creating release", "Deploying Shop"):  # fmt: skip
        assert step in out
    assert "Acme.Shop.Web" in out
    assert "Acme.Shop.Api" in out
    assert "(Dev): Success" in out
    assert "octoci output deployment_states=Dev=Success" in out
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".gz", ".zip"]


def test_configuration_reference_is_up_to_date() -> None:
    generator = runpy.run_path(str(ROOT / "scripts" / "gen_config_docs.py"))
    example = (SAMPLE / "octoci.toml").read_text(encoding="utf-8")
    page = (ROOT / "docs" / "reference" / "configuration.md").read_text(encoding="utf-8")
    assert page == generator["render"](example), "run: python scripts/gen_config_docs.py"
    examples = (ROOT / "docs" / "examples.md").read_text(encoding="utf-8")
    assert examples == generator["render_examples"](ROOT / "examples")
    assert sorted(generator["PIPELINES"]) == sorted(PIPELINE_FILES.values())


def test_publish_reference_names_every_flag() -> None:
    page = (ROOT / "docs" / "reference" / "publish.md").read_text(encoding="utf-8")
    with click.Context(cli) as ctx:
        command = cli.get_command(ctx, "publish")
    assert command is not None
    for param in command.params:
        if param.name in ("config_file", "dry_run", "emulator", "keep_emulator", "as_json"):
            assert param.opts[0] in page, param.opts[0]


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_no_example_file_is_ignored_by_git() -> None:
    # A fresh clone gets only what git tracks: an ignored folder (dist/, build/) would make the
    # README's command fail there while passing here.
    files = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "examples").rglob("*")
        if p.is_file()
        and "build" not in p.relative_to(ROOT / "examples").parts
        and "__pycache__" not in p.parts
    ]
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", *files], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert ignored == []
