"""A build server's own secrets (``CIServer.secrets()`` of the active adapter) are masked end to
end: in what octoci writes to standard output and error, and in what the adapter writes to the
job log, through the ``octoci`` command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
import pytest

import octoci
from octoci import hookimpl
from octoci.testing import CliResult

CiEnv = Callable[..., dict[str, str]]
RunCli = Callable[..., CliResult]


class EchoesASecret:
    """A careless plugin command: it prints the variable ``SECRET_NAME`` names, everywhere."""

    @hookimpl
    def octoci_add_commands(self, cli: click.Group) -> None:
        @cli.command("echo-secret")
        @octoci.pass_run_context
        def echo_secret(context: octoci.RunContext) -> None:
            server = context.server  # the active adapter: its secrets are masked from now on
            value = context.env[context.env["SECRET_NAME"]]
            context.echo(f"stdout {value}")
            context.stderr.write(f"stderr {value}\n")
            server.write(f"job log {value}")
            server.annotate("warning", f"annotation {value}")


@pytest.mark.parametrize(
    ("server", "variant", "variable", "secret"),
    [
        ("appveyor", "push", "OCTOCI_APPVEYOR_TOKEN", "v2.appveyor-token-0123456789"),
        ("bitbucket_pipelines", "push", "OCTOCI_BITBUCKET_TOKEN", "ATBB-bitbucket-token-0123"),
        ("drone", "push", "OCTOCI_FORGE_TOKEN", "drone-forge-token-0123456"),
        ("jenkins", "push", "JENKINS_API_TOKEN", "11aa22bb33cc44dd55ee66ff"),
        ("gitlab_ci", "push", "CI_JOB_TOKEN", "glcbt-64_job-token-0123456789"),
        ("teamcity", "push", "OCTOCI_TEAMCITY_TOKEN", "eyJ0-teamcity-token-0123"),
        ("woodpecker", "push", "OCTOCI_FORGE_TOKEN", "woodpecker-forge-token-0123"),
        ("circleci", "push", "CIRCLE_OIDC_TOKEN_V2", "eyJhbGciOi.circle-v2.token"),
        ("bamboo", "push", "OCTOCI_BAMBOO_PASSWORD", "bamboo-personal-token-0123"),
        ("buildkite", "push", "OCTOCI_BUILDKITE_TOKEN", "bkua_buildkite-api-token-0123"),
        ("travis_ci", "push", "OCTOCI_TRAVIS_TOKEN", "travis-api-token-0123456789"),
        ("codefresh", "push", "CF_OIDC_REQUEST_TOKEN", "codefresh-oidc-request-0123"),
    ],
)
def test_the_active_servers_secret_is_masked_everywhere(
    run_cli: RunCli,
    ci_env: CiEnv,
    tmp_path: Path,
    server: str,
    variant: str,
    variable: str,
    secret: str,
) -> None:
    env = ci_env(server, variant, **{variable: secret})
    env.update(SECRET_NAME=variable, OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1")
    result = run_cli("echo-secret", env=env, cwd=tmp_path, plugins=[EchoesASecret()])
    assert result.exit_code == 0, result.stderr
    assert result.leaks(secret) == []
    assert "stdout ***" in result.stdout
    assert "stderr ***" in result.stderr
    assert "job log ***" in result.stdout + result.stderr


def test_a_password_in_the_repository_url_is_masked(
    run_cli: RunCli, ci_env: CiEnv, tmp_path: Path
) -> None:
    env = ci_env("gitlab_ci", "push")
    env["CI_REPOSITORY_URL"] = "https://gitlab-ci-token:url-pass%2Fword-01@gitlab.example/a/b.git"
    env["URL_PASSWORD"] = "url-pass/word-01"  # decoded, as a library would show it
    env.update(SECRET_NAME="URL_PASSWORD", OCTOCI_DISABLE_PLUGIN_AUTOLOAD="1")
    result = run_cli("echo-secret", env=env, cwd=tmp_path, plugins=[EchoesASecret()])
    assert result.exit_code == 0, result.stderr
    assert result.leaks("url-pass/word-01") == []
    assert result.leaks("url-pass%2Fword-01") == []
