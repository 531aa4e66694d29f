"""Every hook octoci calls. Implement them in a plugin with ``@octoci.hookimpl``.

Decisions (which server, what build information, which commits, what version, which local
Octopus server) are *firstresult* hooks: the first implementation that returns something other
than ``None`` wins, and the core's own defaults are marked ``trylast`` so any plugin can pre-empt
them. Contributions (adapters, artifacts, package formats, secrets, outputs, summary sections,
CLI commands) are collected from every plugin. Load order and how to override a default:
``docs/plugins/load-order.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from octoci.markers import hookspec

if TYPE_CHECKING:
    import click

    from octoci.context import RunContext
    from octoci.local_octopus import LocalOctopus
    from octoci.model import (
        Artifact,
        BuildInformation,
        CaptureOptions,
        Commit,
        PackageFormat,
        RunReport,
    )
    from octoci.plugins import OctociPluginManager
    from octoci.repositories import RepositoryKind
    from octoci.server import CIServer
    from octoci.settings import PluginSettings

PROJECT_NAME = "octoci"


@hookspec(historic=True)
def octoci_addhooks(pluginmanager: OctociPluginManager) -> None:
    """Add hook specifications of your own, so that other plugins can implement them.

    Called once for every plugin as it is registered (historic), before any other hook is called.

    :param pluginmanager: the octoci plugin manager.

    Example::

        from octoci_acme import hooks  # a module of @octoci.hookspec-style functions

        @octoci.hookimpl
        def octoci_addhooks(pluginmanager):
            pluginmanager.add_hookspecs(hooks)
    """


@hookspec
def octoci_add_settings() -> PluginSettings | None:
    """Declare settings of your own, as pytest's ``pytest_addoption`` does for options: return
    a :class:`~octoci.settings.PluginSettings` naming your table and a frozen dataclass of
    :func:`~octoci.settings.plugin_setting` fields. The values are read from
    ``[tool.octoci.<plugin>]`` in ``pyproject.toml`` or ``[<plugin>]`` in ``octoci.toml`` (and
    from ``OCTOCI_<PLUGIN>_<NAME>`` for the fields that set ``env=True``); an unknown key in the
    table is an error naming the plugin. Read them, typed, with
    ``plugin_manager.plugin_settings(YourSettings)``. Name the table as your entry point.

    Example::

        @dataclass(frozen=True)
        class AcmeSettings:
            channel: str = plugin_setting("#builds", "Where to post.", env=True)
            notify: bool = plugin_setting(True, "Post a message when a run ends.")

        @octoci.hookimpl
        def octoci_add_settings():
            return PluginSettings("acme", AcmeSettings)
    """


@hookspec
def octoci_servers() -> Sequence[type[CIServer]]:
    """Register build-server adapters: return the :class:`~octoci.server.CIServer` subclasses
    this plugin provides. Names must be unique across all plugins.

    Example::

        @octoci.hookimpl
        def octoci_servers():
            return [Drone]
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def octoci_detect_server(
    env: Mapping[str, str], servers: Sequence[type[CIServer]]
) -> type[CIServer] | None:
    """Decide which build server this run is on. Stops at first non-None result.

    The core default (``trylast``) asks every registered adapter's ``detect(env)``: exactly one
    claiming the environment wins, two or more is an error, none selects the local adapter.
    Implement this only to override that choice.

    :param env: the run's environment variables.
    :param servers: every registered adapter class.

    Example::

        @octoci.hookimpl(tryfirst=True)
        def octoci_detect_server(env, servers):
            if env.get("MY_WRAPPER_CI") == "1":
                return next(s for s in servers if s.name == "jenkins")
            return None
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def octoci_build_information(server: CIServer) -> BuildInformation | None:
    """Capture the build information (without commits). Stops at first non-None result.

    The core default (``trylast``) returns ``server.build_information()``. To *enrich* rather
    than replace it, write a wrapper: it receives the result and may return a changed copy.
    The core normalises the result afterwards (``octoci.normalize``).

    :param server: the active build-server adapter.

    Example::

        @octoci.hookimpl(wrapper=True)
        def octoci_build_information(server):
            info = yield
            return info.replace(job_name=server.env.get("MY_JOB", info.job_name))
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def octoci_commits(
    server: CIServer, info: BuildInformation, options: CaptureOptions
) -> Sequence[Commit] | None:
    """List the build's commits, newest first. Stops at first non-None result.

    The core default (``trylast``) asks ``server.commits(info)`` (the server's API) and falls
    back to git over ``server.commit_range(info)`` or the commits since the previous tag.

    :param server: the active build-server adapter.
    :param info: the build information captured so far.
    :param options: ``--commit-range``, ``--strict`` and the commit limit.

    Example::

        @octoci.hookimpl
        def octoci_commits(server, info, options):
            if server.name == "jenkins" and server.env.get("MY_CHANGELOG"):
                return read_changelog(server.env["MY_CHANGELOG"])
            return None
    """
    raise NotImplementedError


@hookspec
def octoci_discover_artifacts(server: CIServer, search_paths: Sequence[Path]) -> Iterable[Artifact]:
    """Find what the build produced. Results of every plugin are merged (duplicates dropped).

    The core contributes package files (``<Id>.<Version>.<ext>``) found under ``search_paths``,
    or under ``server.artifact_roots()`` when no paths were given. When a plugin and the core
    report the same file, the plugin's artifact wins (plugins are called before the core); a
    relative path is relative to ``server.cwd``, the build's folder.

    :param server: the active build-server adapter.
    :param search_paths: folders named on the command line or in configuration.

    Example::

        @octoci.hookimpl
        def octoci_discover_artifacts(server, search_paths):
            out = server.cwd / "bin" / "Release"
            return [Artifact(path=out, source="dotnet")] if out.is_dir() else []
    """
    raise NotImplementedError


@hookspec
def octoci_package_formats() -> Iterable[PackageFormat]:
    """Register package formats (``zip``, ``nupkg``, ``tar.gz`` ...). Names must be unique.

    Example::

        @octoci.hookimpl
        def octoci_package_formats():
            return [PackageFormat(name="jar", extension=".jar", write=write_jar)]
    """
    raise NotImplementedError


@hookspec
def octoci_repository_kinds() -> Iterable[RepositoryKind]:
    """Register kinds of package repository (``octopus``, ``directory``, ``maven`` ...): where
    ``push`` and ``publish`` can store packages. Names must be unique across all plugins.

    ``octoci.toml`` then names repositories of the kind (``[repositories.<name>]`` with
    ``kind = "<your kind>"`` and the kind's ``keys``; secret keys also from
    ``OCTOCI_REPOSITORY_<NAME>_<KEY>``, masked everywhere) and sends packages there
    (``[[packages]] repository = "<name>"``, ``octoci push --repository <name>``). ``create``
    gets the resolved :class:`~octoci.repositories.RepositoryConfig` and returns a
    :class:`~octoci.repositories.PackageRepository`. Guide: ``docs/plugins/repositories.md``.

    Example::

        @octoci.hookimpl
        def octoci_repository_kinds():
            return [RepositoryKind(name="shelf", description="an ACME shelf server",
                                   keys=("url", "token"), secret_keys=("token",),
                                   create=ShelfRepository.from_config)]
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def octoci_package_version(server: CIServer, info: BuildInformation) -> str | None:
    """Compute the package version when none was given. Stops at first non-None result.

    The core default (``trylast``) uses the tag being built, else the last tag plus the commits
    since it as a pre-release (``1.4.1-ci.7``, ``1.4.1-feature-login.3``), in the spirit of
    GitVersion.

    :param server: the active build-server adapter.
    :param info: the normalised build information.

    Example::

        @octoci.hookimpl
        def octoci_package_version(server, info):
            return f"2.0.{info.build_number}" if info.build_number else None
    """
    raise NotImplementedError


@hookspec
def octoci_secrets(env: Mapping[str, str]) -> Iterable[str]:
    """Values to mask in every output, log and error, and to register with the CI's masking:
    secrets that are not tied to a build server being detected (a token of your own service,
    ``GITHUB_TOKEN`` wherever it is set). Asked when the plugins are loaded and again when the
    adapter is created (it masks them too): return the same values each time, quickly, without
    side effects. Each value must be a string.

    A build server's own secrets (its API token, a password in its repository URL) belong in
    the adapter's :meth:`~octoci.server.CIServer.secrets` instead: the core asks only the active
    adapter, so no plugin needs to detect its server here. The core contributes
    ``OCTOPUS_API_KEY``, ``OCTOPUS_ACCESS_TOKEN`` and proxy passwords.

    :param env: the run's environment variables.

    Example::

        @octoci.hookimpl
        def octoci_secrets(env):
            return [env["ACME_TOKEN"]] if env.get("ACME_TOKEN") else []
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def octoci_start_local_octopus(
    seed: Mapping[str, Any], data_dir: Path | None, source: str
) -> LocalOctopus | None:
    """Start a local Octopus-compatible server on 127.0.0.1 and a free port, seeded with ``seed``,
    and return it running (a :class:`~octoci.local_octopus.LocalOctopus`). Stops at first
    non-None result; the caller stops the server.

    ``publish --emulator`` and the ``octopus_emulator`` test fixtures call this; the core has no
    server of its own. The built-in plugin ``emulator`` (package ``octoci_emulator``) implements
    it; implement it to put another server (a container, a shared test instance) behind them.

    :param seed: the model to create, as in an emulator seed file (``docs/emulator.md``).
    :param data_dir: where to keep the state; ``None``: a temporary folder removed on ``stop()``.
    :param source: what the seed came from, for error messages (``octoci publish --emulator``).

    Example::

        @octoci.hookimpl
        def octoci_start_local_octopus(seed, data_dir, source):
            if os.environ.get("ACME_SHARED_OCTOPUS"):
                return SharedOctopus.reset(os.environ["ACME_SHARED_OCTOPUS"], seed)
            return None
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def octoci_id_token(server: CIServer, audience: str) -> str | None:
    """An OIDC ID token for ``audience`` from the build server, which octoci exchanges for an
    Octopus access token (``OCTOPUS_SERVICE_ACCOUNT_ID`` set, no API key). Stops at first
    non-None result; called again whenever the access token must be renewed.

    The core default (``trylast``) returns ``server.id_token(audience)``. Implement this to take
    tokens from somewhere else (a sidecar, a secrets manager).

    :param server: the active build-server adapter.
    :param audience: the Octopus service account id (the token's ``aud``).

    Example::

        @octoci.hookimpl
        def octoci_id_token(server, audience):
            if server.name == "drone":
                return fetch_drone_oidc_token(server.env, audience)
            return None
    """
    raise NotImplementedError


@hookspec
def octoci_outputs(report: RunReport) -> Mapping[str, str]:
    """Output variables for later steps, merged from every plugin; the same name from two
    plugins with different values is an error. The core contributes ``package_id``,
    ``package_version``, ``release_version``, ``release_url`` and friends.

    Example::

        @octoci.hookimpl
        def octoci_outputs(report):
            return {"package_count": str(len(report.packages))}
    """
    raise NotImplementedError


@hookspec
def octoci_summary(report: RunReport) -> str | None:
    """A Markdown section for the job summary; the sections of all plugins are joined in order.

    Example::

        @octoci.hookimpl
        def octoci_summary(report):
            return f"Deployed by {report.server}" if report.deployments else None
    """
    raise NotImplementedError


@hookspec
def octoci_add_commands(cli: click.Group) -> None:
    """Add subcommands to the ``octoci`` command line.

    A command gets the run's :class:`~octoci.context.RunContext` (environment, working folder,
    active adapter, plugin manager, output that masks secrets) with
    :func:`octoci.pass_run_context`; never import ``octoci.cli``, which is internal.

    :param cli: the root ``click`` group.

    Example::

        @octoci.hookimpl
        def octoci_add_commands(cli):
            @cli.command()
            @octoci.pass_run_context
            def hello(context):
                context.echo(f"hello from my plugin, on {context.server.display_name}")
    """


@hookspec
def octoci_run_finished(report: RunReport, exit_code: int, context: RunContext) -> None:
    """The run is over: for notification plugins (chat, e-mail, dashboards). Called once at the
    end of every command that ran, succeeded or failed, after the command's own output and its
    error line; not for ``--help``, ``--version`` or a usage error click reports while reading
    the command line (the command never started).

    A plugin that raises here does not change the run's exit code: octoci writes
    ``octoci: warning: the plugin 'NAME' failed in octoci_run_finished (...); the exit code is
    unchanged`` and still calls the other plugins. Standard output may be the command's ``--json``:
    write with ``context.server.write`` (the job log) or to ``context.stderr``.

    :param report: the :class:`~octoci.model.RunReport` the command handed to the build server
        (packages, build information, release, deployments, warnings), with
        ``report.exit_code`` set; only ``server`` and ``exit_code`` when the command had
        nothing to report (it failed first, or reports nothing).
    :param exit_code: the run's exit code (``docs/reference/exit-codes.md``).
    :param context: the run's :class:`~octoci.context.RunContext` (environment, working folder,
        active server, plugin manager, masked output).

    Example::

        @octoci.hookimpl
        def octoci_run_finished(report, exit_code, context):
            webhook = context.env.get("ACME_CHAT_WEBHOOK")
            if webhook:
                status = "succeeded" if exit_code == 0 else f"failed ({exit_code})"
                post_message(webhook, f"octoci on {report.server} {status}")
    """
