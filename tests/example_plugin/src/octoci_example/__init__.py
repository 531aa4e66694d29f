"""An example third-party octoci plugin (entry point ``example`` in the group ``octoci``)."""

from __future__ import annotations

from collections.abc import Mapping

import click

import octoci
from octoci import BuildInformation, CIServer, hookimpl
from octoci_example import hooks


class ExampleCI(CIServer):
    """A made-up build server that sets ``EXAMPLE_CI=true`` and ``EXAMPLE_*`` variables."""

    name = "example"
    display_name = "Example CI"

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        return env.get("EXAMPLE_CI") == "true"

    def build_information(self) -> BuildInformation:
        return BuildInformation(
            build_environment=self.display_name,
            build_number=self.env.get("EXAMPLE_BUILD", ""),
            build_url=self.env.get("EXAMPLE_URL", ""),
            branch=self.env.get("EXAMPLE_REF", ""),
            vcs_root=self.env.get("EXAMPLE_REPO", ""),
            vcs_commit_number=self.env.get("EXAMPLE_SHA", ""),
        )

    def commits(self, info: BuildInformation) -> list[octoci.Commit]:
        return [octoci.Commit(info.vcs_commit_number, "Commit reported by Example CI")]


@hookimpl
def octoci_addhooks(pluginmanager: object) -> None:
    pluginmanager.add_hookspecs(hooks)  # type: ignore[attr-defined]


@hookimpl
def octoci_servers() -> list[type[CIServer]]:
    return [ExampleCI]


@hookimpl
def octoci_secrets(env: Mapping[str, str]) -> list[str]:
    return [env["EXAMPLE_TOKEN"]] if env.get("EXAMPLE_TOKEN") else []


@hookimpl
def octoci_example_greeting(name: str) -> str:
    return f"Hello, {name}, from the example plugin"


@hookimpl
def octoci_add_commands(cli: click.Group) -> None:
    @cli.command("example-greet")
    @click.argument("name")
    @octoci.pass_run_context
    def example_greet(context: octoci.RunContext, name: str) -> None:
        """Greet NAME through the example plugin's own hook."""
        greetings = context.plugin_manager.hook.octoci_example_greeting(name=name)
        for greeting in greetings:
            context.echo(greeting)


@hookimpl
def octoci_run_finished(
    report: octoci.RunReport, exit_code: int, context: octoci.RunContext
) -> None:
    # A notification plugin would post to a chat here; standard output may hold --json.
    if context.env.get("EXAMPLE_NOTIFY"):
        outcome = "succeeded" if exit_code == 0 else f"failed with exit code {exit_code}"
        context.stderr.write(f"example: the octoci run on {report.server} {outcome}\n")
