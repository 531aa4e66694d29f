"""Seed files: the Octopus model (spaces, environments, lifecycles, projects, tenants, runbooks)
and the emulator's behaviour, from TOML or JSON (the standard library reads both; YAML would need
a dependency, so it is not offered).

A seed is validated completely before anything is created, so a bad file changes nothing. Every
mistake is one :class:`~octoci.errors.InputError` line naming the file and the key.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from octoci.errors import InputError
from octoci.version_rules import range_problem, tag_problem
from octoci_emulator.config import (
    ALL_PERMISSIONS,
    DEFAULT_API_KEY,
    ApiKey,
    EmulatorConfig,
    FaultRule,
    IssueTrackers,
    OidcIssuer,
    TaskOutcome,
    TaskTiming,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]

__all__ = [
    "ChannelRuleSeed",
    "ChannelSeed",
    "FeedSeed",
    "LifecycleSeed",
    "ManualInterventionSeed",
    "PhaseSeed",
    "ProjectSeed",
    "Seed",
    "SpaceSeed",
    "TenantSeed",
    "load_seed",
    "parse_seed",
]

DEFAULT_SPACE = "Default"
DEFAULT_ENVIRONMENTS = ("Dev", "Test", "Production")
DEFAULT_LIFECYCLE = "Default Lifecycle"


@dataclass(frozen=True)
class PhaseSeed:
    """A lifecycle phase: environments deployed automatically or by hand, and its promotion rule."""

    name: str
    automatic: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    minimum: int = 0
    is_optional: bool = False


@dataclass(frozen=True)
class LifecycleSeed:
    """A lifecycle; no phases means one implicit phase per environment, in environment order."""

    name: str
    phases: tuple[PhaseSeed, ...] = ()


@dataclass(frozen=True)
class ChannelRuleSeed:
    """A channel version rule: the package steps it governs, a NuGet/Maven version range and a
    pre-release tag pattern (:mod:`octoci.version_rules`)."""

    steps: tuple[str, ...]
    version_range: str = ""
    tag: str = ""


@dataclass(frozen=True)
class ChannelSeed:
    """A project channel, optionally with its own lifecycle and version rules."""

    name: str
    lifecycle: str = ""
    default: bool = False
    rules: tuple[ChannelRuleSeed, ...] = ()


@dataclass(frozen=True)
class FeedSeed:
    """An external feed (``[[feeds]]``): its name, ``FeedType`` and the properties of that type.

    ``uri`` is the ``FeedUri``; ``password`` (``Password``) and ``secret_key`` (an S3 feed's
    ``SecretKey``) are stored and never answered.
    """

    name: str
    feed_type: str
    uri: str = ""
    username: str = ""
    password: str = ""
    repository: str = ""
    layout_regex: str = ""
    region: str = ""
    access_key: str = ""
    secret_key: str = ""
    use_machine_credentials: bool = False


@dataclass(frozen=True)
class ManualInterventionSeed:
    """A manual intervention step (``Octopus.Manual``): the deployment waits for a person.

    ``environments`` scopes the step (empty: every environment), as a step's environments do.
    """

    name: str
    instructions: str = ""
    environments: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectSeed:
    """A project: its package steps, lifecycle, channels, runbooks and automation settings.

    ``packages`` are package ids; each becomes a deployment step named after the package.
    ``package_feeds`` names the feed of a package that is not in the built-in feed
    (``packages = [{ id = "com.acme:web", feed = "Releases" }]`` in the seed).
    ``auto_create_release`` is a package id (or ``True`` for the first package): pushing that
    package creates a release whose version is the package's version.
    """

    name: str
    lifecycle: str = ""
    packages: tuple[str, ...] = ()
    auto_create_release: str = ""
    tenanted: str = "Untenanted"
    channels: tuple[ChannelSeed, ...] = ()
    runbooks: tuple[str, ...] = ()
    #: Octopus's ``DefaultGuidedFailureMode``: ``EnvironmentDefault``, ``On`` or ``Off``.
    guided_failure: str = "EnvironmentDefault"
    #: Manual intervention steps, run before the package steps.
    manual_interventions: tuple[ManualInterventionSeed, ...] = ()
    #: Version-controlled (config-as-code): the Git repository's URL (empty: stored in the
    #: database). Releases then need a Git ref, and runbooks run through the Git route.
    version_controlled: str = ""
    #: The repository's default branch (a version-controlled project's ``DefaultBranch``).
    default_branch: str = "main"
    #: ``(package id, feed name)`` of packages taken from an external feed.
    package_feeds: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TenantSeed:
    """A tenant, its tags (``TagSet/Tag``) and the environments it is connected to, per project."""

    name: str
    tags: tuple[str, ...] = ()
    projects: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class SpaceSeed:
    """Everything in one space."""

    name: str
    default: bool = False
    description: str = ""
    environments: tuple[str, ...] = ()
    lifecycles: tuple[LifecycleSeed, ...] = ()
    projects: tuple[ProjectSeed, ...] = ()
    tenants: tuple[TenantSeed, ...] = ()
    #: Environments whose ``UseGuidedFailure`` is on (a failing deployment there waits for a
    #: person unless the project or the deployment says otherwise).
    guided_failure: tuple[str, ...] = ()
    #: Deployment targets: ``(name, environment names)`` (what ``--deployment-target`` names).
    machines: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: External feeds (the built-in feed is always there).
    feeds: tuple[FeedSeed, ...] = ()


@dataclass(frozen=True)
class Seed:
    """A whole seed: the spaces to create and the emulator's configuration."""

    spaces: tuple[SpaceSeed, ...] = ()
    config: EmulatorConfig = field(default_factory=EmulatorConfig)

    def with_defaults(self) -> Seed:
        """The seed with a default space, default environments and a default lifecycle filled in.

        Octopus always has a default space with a "Default Lifecycle"; environments Dev, Test and
        Production are added only when the seed names none for that space.
        """
        spaces = _with_default_space(self.spaces)
        completed = []
        for space in spaces:
            environments = space.environments or DEFAULT_ENVIRONMENTS
            lifecycles = space.lifecycles
            if not any(lc.name == DEFAULT_LIFECYCLE for lc in lifecycles):
                lifecycles = (LifecycleSeed(DEFAULT_LIFECYCLE), *lifecycles)
            completed.append(replace(space, environments=environments, lifecycles=lifecycles))
        return replace(self, spaces=tuple(completed))

    def add_to_default_space(
        self, *, environments: Sequence[str] = (), projects: Sequence[str] = ()
    ) -> Seed:
        """The seed with extra environments and (empty) projects in its default space."""
        spaces = _with_default_space(self.spaces)
        index = next(i for i, s in enumerate(spaces) if s.default)
        space = spaces[index]
        spaces[index] = replace(
            space,
            environments=_unique((*space.environments, *environments)),
            projects=(*space.projects, *(ProjectSeed(p) for p in projects)),
        )
        return replace(self, spaces=tuple(spaces))

    def add_spaces(self, names: Sequence[str]) -> Seed:
        """The seed with extra (empty) spaces."""
        known = {s.name.lower() for s in self.spaces}
        base = _with_default_space(self.spaces)
        known |= {s.name.lower() for s in base}
        extra = [SpaceSeed(n) for n in names if n.lower() not in known]
        return replace(self, spaces=(*base, *extra))


def _with_default_space(spaces: Sequence[SpaceSeed]) -> list[SpaceSeed]:
    """``spaces`` with exactly one default: the one marked ``default = true``, else a space
    named ``Default`` (marked now), else a new ``Default`` space first. So ``[[spaces]]`` add to
    ``Default``; marking one of them default is how a seed does without ``Default``."""
    found = list(spaces)
    if any(s.default for s in found):
        return found
    for index, space in enumerate(found):
        if space.name.lower() == DEFAULT_SPACE.lower():
            found[index] = replace(space, default=True)
            return found
    return [SpaceSeed(DEFAULT_SPACE, default=True), *found]


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.lower(), value)
    return tuple(seen.values())


def load_seed(path: Path) -> Seed:
    """Read and validate a seed file (``.toml`` or ``.json``); :class:`InputError` if it is bad."""
    suffix = path.suffix.lower()
    if suffix not in {".toml", ".json"}:
        raise InputError(
            f"seed file {path}: use a .toml or .json file (YAML is not supported: it would need "
            "a third-party library)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read seed file {path}: {exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"seed file {path} is not valid {suffix[1:].upper()}: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"seed file {path}: the top level must be an object/table")
    return parse_seed(data, source=str(path))


class _Node:
    """A value in the seed with its location, for precise error messages."""

    def __init__(self, value: Any, where: str, source: str) -> None:
        self.value = value
        self.where = where
        self.source = source

    def fail(self, message: str) -> InputError:
        return InputError(f"seed file {self.source}: {self.where or 'top level'}: {message}")

    def child(self, key: str | int) -> _Node:
        sep = "" if not self.where else "."
        where = f"{self.where}[{key}]" if isinstance(key, int) else f"{self.where}{sep}{key}"
        value = self.value[key] if isinstance(key, int) else self.value.get(key)
        return _Node(value, where, self.source)

    def table(self, allowed: set[str]) -> _Node:
        if not isinstance(self.value, dict):
            raise self.fail("must be a table/object")
        unknown = sorted(set(self.value) - allowed)
        if unknown:
            raise self.fail(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
        return self

    def items(self) -> list[_Node]:
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.fail("must be a list")
        return [self.child(i) for i in range(len(self.value))]

    def text(self, default: str | None = None) -> str:
        if self.value is None:
            if default is None:
                raise self.fail("is required")
            return default
        if not isinstance(self.value, str) or (default is None and not self.value.strip()):
            raise self.fail("must be a non-empty string")
        return self.value.strip()

    def texts(self) -> tuple[str, ...]:
        return tuple(item.text() for item in self.items())

    def flag(self, default: bool = False) -> bool:
        if self.value is None:
            return default
        if not isinstance(self.value, bool):
            raise self.fail("must be true or false")
        return self.value

    def number(self, default: float, minimum: float = 0) -> float:
        if self.value is None:
            return default
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            raise self.fail("must be a number")
        if self.value < minimum:
            raise self.fail(f"must be at least {minimum}")
        return float(self.value)

    def integer(self, default: int | None, minimum: int = 0) -> int | None:
        if self.value is None:
            return default
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.fail("must be a whole number")
        if self.value < minimum:
            raise self.fail(f"must be at least {minimum}")
        return int(self.value)


_SPACE_KEYS = {
    "environments",
    "lifecycles",
    "projects",
    "tenants",
    "guided_failure",
    "machines",
    "feeds",
}
_TOP_KEYS = _SPACE_KEYS | {
    "spaces",
    "api_keys",
    "tasks",
    "issue_trackers",
    "oidc",
    "faults",
    "version",
}


def parse_seed(data: Mapping[str, Any], *, source: str = "<seed>") -> Seed:
    """Validate a seed already decoded from TOML/JSON."""
    root = _Node(dict(data), "", source).table(_TOP_KEYS)
    spaces = [_space(node) for node in root.child("spaces").items()]
    top_level = {k: data[k] for k in _SPACE_KEYS if k in data}
    if top_level:
        # Top-level model keys describe the default space (created if no space says default).
        index = next((i for i, s in enumerate(spaces) if s.default), None)
        if index is None:
            index = next(
                (i for i, s in enumerate(spaces) if s.name.lower() == DEFAULT_SPACE.lower()), None
            )
        extra = _space(_Node({"name": DEFAULT_SPACE, **top_level}, "", source))
        if index is None:
            spaces.insert(0, replace(extra, default=True))
        else:
            target = replace(spaces[index], default=True)
            spaces[index] = replace(
                target,
                environments=_unique((*target.environments, *extra.environments)),
                lifecycles=(*target.lifecycles, *extra.lifecycles),
                projects=(*target.projects, *extra.projects),
                tenants=(*target.tenants, *extra.tenants),
                guided_failure=_unique((*target.guided_failure, *extra.guided_failure)),
                machines=(*target.machines, *extra.machines),
                feeds=(*target.feeds, *extra.feeds),
            )
    names = [s.name.lower() for s in spaces]
    if len(set(names)) != len(names):
        raise root.fail("two spaces have the same name")
    if sum(s.default for s in spaces) > 1:
        raise root.fail("more than one space is marked default")
    seed = Seed(tuple(spaces), _config(root))
    _check_references(seed, source)
    return seed


def _space(node: _Node) -> SpaceSeed:
    node.table({"name", "default", "description", *_SPACE_KEYS})
    return SpaceSeed(
        name=node.child("name").text(),
        default=node.child("default").flag(),
        description=node.child("description").text(""),
        environments=_unique(node.child("environments").texts()),
        lifecycles=tuple(_lifecycle(n) for n in node.child("lifecycles").items()),
        projects=tuple(_project(n) for n in node.child("projects").items()),
        tenants=tuple(_tenant(n) for n in node.child("tenants").items()),
        guided_failure=_unique(node.child("guided_failure").texts()),
        machines=tuple(_machine(n) for n in node.child("machines").items()),
        feeds=tuple(_feed(n) for n in node.child("feeds").items()),
    )


_FEED_KEYS = {
    "name",
    "type",
    "uri",
    "username",
    "password",
    "repository",
    "layout_regex",
    "region",
    "access_key",
    "secret_key",
    "use_machine_credentials",
}


def _feed(node: _Node) -> FeedSeed:
    from octoci_emulator.feeds import EXTERNAL_FEED_TYPES

    node.table(_FEED_KEYS)
    feed_type = node.child("type").text()
    spelled = {t.lower(): t for t in EXTERNAL_FEED_TYPES}
    if feed_type.lower() not in spelled:
        raise node.child("type").fail(f"must be one of {', '.join(EXTERNAL_FEED_TYPES)}")
    text = {
        key: node.child(key).text("")
        for key in _FEED_KEYS - {"type", "name", "use_machine_credentials"}
    }
    return FeedSeed(
        name=node.child("name").text(),
        feed_type=spelled[feed_type.lower()],
        use_machine_credentials=node.child("use_machine_credentials").flag(),
        **text,
    )


def _packages(node: _Node) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """A project's ``packages``: package ids, or ``{id, feed}`` tables for packages of an
    external feed."""
    ids: list[str] = []
    feeds: list[tuple[str, str]] = []
    for item in node.items():
        if isinstance(item.value, str):
            ids.append(item.text())
            continue
        item.table({"id", "feed"})
        package_id = item.child("id").text()
        ids.append(package_id)
        feed = item.child("feed").text("")
        if feed:
            feeds.append((package_id, feed))
    return tuple(ids), tuple(feeds)


def _machine(node: _Node) -> tuple[str, tuple[str, ...]]:
    node.table({"name", "environments"})
    return node.child("name").text(), _unique(node.child("environments").texts())


def _lifecycle(node: _Node) -> LifecycleSeed:
    node.table({"name", "phases"})
    phases = []
    for phase in node.child("phases").items():
        phase.table({"name", "automatic", "optional", "minimum", "is_optional"})
        phases.append(
            PhaseSeed(
                name=phase.child("name").text(),
                automatic=phase.child("automatic").texts(),
                optional=phase.child("optional").texts(),
                minimum=phase.child("minimum").integer(0) or 0,
                is_optional=phase.child("is_optional").flag(),
            )
        )
    return LifecycleSeed(node.child("name").text(), tuple(phases))


def _project(node: _Node) -> ProjectSeed:
    node.table(
        {
            "name",
            "lifecycle",
            "packages",
            "auto_create_release",
            "tenanted",
            "channels",
            "runbooks",
            "guided_failure",
            "manual_interventions",
            "version_controlled",
            "default_branch",
        }
    )
    packages, package_feeds = _packages(node.child("packages"))
    arc_node = node.child("auto_create_release")
    arc = ""
    if isinstance(arc_node.value, bool):
        if arc_node.value:
            if not packages:
                raise arc_node.fail(
                    "A package step must be provided to enable Automatic Release Creation."
                )
            arc = packages[0]
    elif arc_node.value is not None:
        arc = arc_node.text()
        if arc.lower() not in {p.lower() for p in packages}:
            raise arc_node.fail(
                f"{arc!r} is not one of the project's packages; the Automatic Release Creation "
                "package must be one of its package steps"
            )
    tenanted = node.child("tenanted").text("Untenanted")
    modes = {
        "untenanted": "Untenanted",
        "tenanted": "Tenanted",
        "tenantedoruntenanted": "TenantedOrUntenanted",
    }
    if tenanted.lower() not in modes:
        raise node.child("tenanted").fail("must be Untenanted, Tenanted or TenantedOrUntenanted")
    channels = []
    for channel in node.child("channels").items():
        channel.table({"name", "lifecycle", "default", "rules"})
        channels.append(
            ChannelSeed(
                channel.child("name").text(),
                channel.child("lifecycle").text(""),
                channel.child("default").flag(),
                tuple(_channel_rule(r, packages) for r in channel.child("rules").items()),
            )
        )
    return ProjectSeed(
        name=node.child("name").text(),
        lifecycle=node.child("lifecycle").text(""),
        packages=_unique(packages),
        auto_create_release=arc,
        tenanted=modes[tenanted.lower()],
        channels=tuple(channels),
        runbooks=_unique(node.child("runbooks").texts()),
        guided_failure=_guided_failure_mode(node.child("guided_failure")),
        manual_interventions=tuple(
            _manual_intervention(n) for n in node.child("manual_interventions").items()
        ),
        version_controlled=_repository_url(node.child("version_controlled"), node),
        default_branch=node.child("default_branch").text("main"),
        package_feeds=package_feeds,
    )


def _repository_url(node: _Node, project: _Node) -> str:
    """``version_controlled = true`` (a made-up repository URL) or the repository's URL."""
    if isinstance(node.value, bool):
        name = str(project.value.get("name") or "project").lower().replace(" ", "-")
        return f"https://git.example.com/octoci/{name}.git" if node.value else ""
    return node.text("")


_GUIDED_FAILURE_MODES = {"environmentdefault": "EnvironmentDefault", "on": "On", "off": "Off"}


def _guided_failure_mode(node: _Node) -> str:
    mode = node.text("EnvironmentDefault")
    if mode.lower() not in _GUIDED_FAILURE_MODES:
        raise node.fail("must be EnvironmentDefault, On or Off")
    return _GUIDED_FAILURE_MODES[mode.lower()]


def _manual_intervention(node: _Node) -> ManualInterventionSeed:
    if isinstance(node.value, str):
        return ManualInterventionSeed(node.text())
    node.table({"name", "instructions", "environments"})
    return ManualInterventionSeed(
        node.child("name").text(),
        node.child("instructions").text(""),
        _unique(node.child("environments").texts()),
    )


def _tenant(node: _Node) -> TenantSeed:
    node.table({"name", "tags", "projects"})
    tags = node.child("tags").texts()
    for i, tag in enumerate(tags):
        if tag.count("/") != 1 or tag.startswith("/") or tag.endswith("/"):
            raise node.child("tags").child(i).fail("a tenant tag is written 'TagSet/Tag'")
    projects_node = node.child("projects")
    projects: list[tuple[str, tuple[str, ...]]] = []
    if projects_node.value is not None:
        if not isinstance(projects_node.value, dict):
            raise projects_node.fail("must map project names to lists of environment names")
        for name in projects_node.value:
            projects.append((str(name), projects_node.child(str(name)).texts()))
    return TenantSeed(node.child("name").text(), tags, tuple(projects))


def _config(root: _Node) -> EmulatorConfig:
    config = EmulatorConfig()
    keys = []
    for item in root.child("api_keys").items():
        if isinstance(item.value, str):
            keys.append(ApiKey(item.text()))
            continue
        item.table({"key", "permissions"})
        permissions = item.child("permissions")
        perms = None if permissions.value is None else frozenset(permissions.texts())
        if perms is not None and perms - ALL_PERMISSIONS:
            unknown = sorted(perms - ALL_PERMISSIONS)[0]
            raise permissions.fail(
                f"unknown permission {unknown!r} (known: {', '.join(sorted(ALL_PERMISSIONS))})"
            )
        keys.append(ApiKey(item.child("key").text(), perms))
    for key in keys:
        _check_api_key(key.key, root.child("api_keys"))
    tasks = root.child("tasks")
    timing = config.tasks
    outcomes: list[TaskOutcome] = []
    if tasks.value is not None:
        tasks.table({"queued_seconds", "executing_seconds", "hold", "outcomes"})
        timing = TaskTiming(
            tasks.child("queued_seconds").number(timing.queued_seconds),
            tasks.child("executing_seconds").number(timing.executing_seconds),
            tasks.child("hold").flag(),
        )
        for item in tasks.child("outcomes").items():
            item.table({"state", "error", "project", "environment", "runbook", "tenant", "times"})
            state = item.child("state").text("Success")
            if state not in {"Success", "Failed", "TimedOut"}:
                raise item.child("state").fail("must be Success, Failed or TimedOut")
            outcomes.append(
                TaskOutcome(
                    state=state,  # type: ignore[arg-type]
                    error_message=item.child("error").text(""),
                    project=item.child("project").text(""),
                    environment=item.child("environment").text(""),
                    runbook=item.child("runbook").text(""),
                    tenant=item.child("tenant").text(""),
                    times=item.child("times").integer(0) or 0,
                )
            )
    trackers_node = root.child("issue_trackers")
    trackers = config.issue_trackers
    if trackers_node.value is not None:
        trackers_node.table({"github", "jira_base_url", "azure_devops_url"})
        trackers = IssueTrackers(
            trackers_node.child("github").flag(True),
            trackers_node.child("jira_base_url").text("").rstrip("/"),
            trackers_node.child("azure_devops_url").text("").rstrip("/"),
        )
    issuers = []
    for item in root.child("oidc").items():
        item.table({"issuer", "secret", "service_account_id", "subject"})
        issuers.append(
            OidcIssuer(
                item.child("issuer").text(),
                item.child("secret").text(),
                item.child("service_account_id").text(),
                item.child("subject").text("*"),
            )
        )
    faults = tuple(
        parse_fault(item.value, item.where, root.source) for item in root.child("faults").items()
    )
    return replace(
        config,
        api_keys=tuple(keys) or (ApiKey(DEFAULT_API_KEY),),
        tasks=timing,
        outcomes=tuple(outcomes),
        issue_trackers=trackers,
        oidc_issuers=tuple(issuers),
        faults=faults,
        version=root.child("version").text(config.version),
    )


def _check_api_key(key: str, node: _Node) -> None:
    if not key.startswith("API-") or not key[4:].isalnum() or key[4:].upper() != key[4:]:
        raise node.fail(
            "an API key is 'API-' followed by upper-case letters and digits (as Octopus issues "
            "them; go-octopusdeploy refuses any other form)"
        )


_FAULT_ACTIONS = {"delay", "status", "throttle", "drop", "lose_response", "rate_limit"}


def parse_fault(value: Any, where: str = "fault", source: str = "<fault>") -> FaultRule:
    """A :class:`FaultRule` from a seed table or the JSON of ``POST /__emulator/faults``."""
    import re

    node = _Node(value, where, source).table(
        {
            "action",
            "path",
            "method",
            "status",
            "delay_seconds",
            "retry_after",
            "times",
            "limit",
            "per_seconds",
        }
    )
    action = node.child("action").text()
    if action not in _FAULT_ACTIONS:
        raise node.child("action").fail(f"must be one of {', '.join(sorted(_FAULT_ACTIONS))}")
    path = node.child("path").text("")
    try:
        re.compile(path)
    except re.error as exc:
        raise node.child("path").fail(f"is not a valid regular expression: {exc}") from exc
    status = node.child("status").integer(503, 100) or 503
    if not 100 <= status <= 599:
        raise node.child("status").fail("must be an HTTP status between 100 and 599")
    return FaultRule(
        action=action,  # type: ignore[arg-type]
        path=path,
        method=node.child("method").text("").upper(),
        status=status,
        delay_seconds=node.child("delay_seconds").number(0.0),
        retry_after=node.child("retry_after").integer(1) or 0,
        times=node.child("times").integer(None, 1),
        limit=node.child("limit").integer(10, 0) or 0,
        per_seconds=node.child("per_seconds").number(60.0),
    )


def _channel_rule(node: _Node, packages: Sequence[str]) -> ChannelRuleSeed:
    """``{steps = ["Acme.Web"], version_range = "[1.0,2.0)", tag = "^$"}``; each step is one of
    the project's package steps (named after their packages)."""
    node.table({"steps", "version_range", "tag"})
    steps = node.child("steps").texts()
    if not steps:
        raise node.child("steps").fail("Version rules must specify a package step.")
    known = {p.lower() for p in packages}
    for step in steps:
        if step.lower() not in known:
            raise node.child("steps").fail(f"{step!r} is not one of the project's package steps")
    rule = ChannelRuleSeed(
        tuple(steps), node.child("version_range").text(""), node.child("tag").text("")
    )
    problem = range_problem(rule.version_range) or tag_problem(rule.tag)
    if problem is not None:
        raise node.fail(problem)
    return rule


def _check_references(seed: Seed, source: str) -> None:
    """Every name a seed refers to must exist in the same space (so nothing is half-created)."""

    def fail(message: str) -> InputError:
        return InputError(f"seed file {source}: {message}")

    for space in seed.spaces:
        envs = {e.lower() for e in (space.environments or DEFAULT_ENVIRONMENTS)}
        lifecycles = {lc.name.lower() for lc in space.lifecycles} | {DEFAULT_LIFECYCLE.lower()}
        for lifecycle in space.lifecycles:
            for phase in lifecycle.phases:
                for env in (*phase.automatic, *phase.optional):
                    if env.lower() not in envs:
                        raise fail(
                            f"space {space.name!r}: lifecycle {lifecycle.name!r}, phase "
                            f"{phase.name!r}: unknown environment {env!r}"
                        )
        for env in space.guided_failure:
            if env.lower() not in envs:
                raise fail(f"space {space.name!r}: guided_failure: unknown environment {env!r}")
        for machine, machine_envs in space.machines:
            for env in machine_envs:
                if env.lower() not in envs:
                    raise fail(
                        f"space {space.name!r}: machine {machine!r}: unknown environment {env!r}"
                    )
        feeds = {f.name.lower() for f in space.feeds} | {"octopus server (built-in)"}
        if len(feeds) != len(space.feeds) + 1:
            raise fail(f"space {space.name!r}: two feeds have the same name")
        projects = {}
        for project in space.projects:
            for package_id, feed in project.package_feeds:
                if feed.lower() not in feeds:
                    raise fail(
                        f"space {space.name!r}: project {project.name!r}: package "
                        f"{package_id!r}: unknown feed {feed!r} (add it under [[feeds]])"
                    )
            if project.name.lower() in projects:
                raise fail(f"space {space.name!r}: two projects are named {project.name!r}")
            projects[project.name.lower()] = project
            for lc in (project.lifecycle, *(c.lifecycle for c in project.channels)):
                if lc and lc.lower() not in lifecycles:
                    raise fail(
                        f"space {space.name!r}: project {project.name!r}: unknown lifecycle {lc!r}"
                    )
            for step in project.manual_interventions:
                for env in step.environments:
                    if env.lower() not in envs:
                        raise fail(
                            f"space {space.name!r}: project {project.name!r}: manual "
                            f"intervention {step.name!r}: unknown environment {env!r}"
                        )
        for tenant in space.tenants:
            for project_name, environments in tenant.projects:
                if project_name.lower() not in projects:
                    raise fail(
                        f"space {space.name!r}: tenant {tenant.name!r}: unknown project "
                        f"{project_name!r}"
                    )
                if projects[project_name.lower()].tenanted == "Untenanted":
                    raise fail(
                        f"space {space.name!r}: tenant {tenant.name!r}: project {project_name!r} "
                        'does not allow tenanted deployments (give it tenanted = "Tenanted" or '
                        '"TenantedOrUntenanted")'
                    )
                for env in environments:
                    if env.lower() not in envs:
                        raise fail(
                            f"space {space.name!r}: tenant {tenant.name!r}: unknown environment "
                            f"{env!r}"
                        )
