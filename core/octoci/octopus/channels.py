"""What a release's packages must satisfy, checked before anything is created: every
``--package`` names a step (or package) of the deployment process, every version named is in
its step's feed (the built-in feed, or an external feed, which Octopus asks its repository), and
the versions satisfy the channel's version rules
(:mod:`octoci.version_rules`, the rules the emulator enforces too).

The same check serves a real run and ``--dry-run`` (a refusal Octopus would answer is an
error, exit code 2, before the first request that creates something), ``release create`` and
``publish`` (whose pre-flight counts the versions it is about to push as present).

Example::

    check_release_packages(connection, project, ReleaseRequest("Shop", packages=("Web:2.0.0",)))
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from octoci.errors import InputError
from octoci.octopus.connection import Connection, close_matches
from octoci.octopus.errors import OctopusApiError, OctopusAuthError
from octoci.octopus.executions import ReleaseRequest, find_channel
from octoci.octopus.packages import package_versions
from octoci.package_names import canonical_version
from octoci.version_rules import channel_rules, rule_for, rule_problem

__all__ = ["PackageReference", "check_release_packages", "package_references"]

log = logging.getLogger("octoci")
_TAKE_ALL = 2147483647
_BUILT_IN = "feeds-builtin"


@dataclass(frozen=True)
class PackageReference:
    """One package of the deployment process: the action (what releases select by), its step,
    the package reference name (``""`` for the primary package), the package id and its feed."""

    action: str
    step: str
    reference: str
    package_id: str
    feed: str

    def matches(self, who: str) -> bool:
        """True when ``who`` (a ``--package`` item's first part) names this package."""
        return who == "*" or who.lower() in {
            self.action.lower(),
            self.step.lower(),
            self.package_id.lower(),
        }


def package_references(connection: Connection, project: dict[str, Any]) -> list[PackageReference]:
    """Every package of ``project``'s deployment process (none for a version-controlled project,
    whose process is not a resource; disabled actions take none, as in Octopus)."""
    process_id = project.get("DeploymentProcessId")
    if not process_id:
        return []
    process = connection.get_json(
        connection.space_path(f"/deploymentprocesses/{process_id}"),
        what=f"reading the deployment process of {project['Name']}",
    )
    found = []
    for step in process.get("Steps") or []:
        for action in step.get("Actions") or []:
            if action.get("IsDisabled"):
                continue
            for package in action.get("Packages") or []:
                if package.get("PackageId"):
                    found.append(
                        PackageReference(
                            action=str(action.get("Name") or step.get("Name") or ""),
                            step=str(step.get("Name") or ""),
                            reference=str(package.get("Name") or ""),
                            package_id=str(package["PackageId"]),
                            feed=str(package.get("FeedId") or _BUILT_IN),
                        )
                    )
    return found


def _versions(
    request: ReleaseRequest, packages: Sequence[PackageReference], pushed_ids: Collection[str]
) -> tuple[dict[PackageReference, str], list[str]]:
    """The version each package will get when the request names one, and the problems of
    ``--package`` items that name no step or package (items for ``pushed_ids``, the packages a
    publish pushes, may belong to another project's process and are let through)."""
    chosen: dict[PackageReference, str] = {}
    if request.package_version:
        chosen = dict.fromkeys(packages, request.package_version)
    problems = []
    pushed = {p.lower() for p in pushed_ids}
    for spec in request.packages:
        # The version is after the last ":"; before it a step or package name, or
        # StepName:PackageReferenceName. A Maven package id has a ":" of its own
        # (group:artifact), so the whole name is tried first, as Octopus's emulator does.
        named, _, version = spec.rpartition(":")
        hits = [p for p in packages if p.matches(named)]
        who = named
        if not hits and ":" in named:
            who, _, reference = named.rpartition(":")
            hits = [
                p for p in packages if p.matches(who) and p.reference.lower() == reference.lower()
            ]
        if not hits and who.lower() not in pushed:
            names = [p.action for p in packages] + [p.package_id for p in packages]
            problems.append(
                f"--package {spec!r}: no step or package {who!r}{close_matches(who, names)}"
            )
        for package in hits:
            chosen[package] = version
    return chosen, problems


def _in_feed(
    connection: Connection, package_id: str, version: str, feed: str = _BUILT_IN
) -> tuple[bool, list[str]]:
    """Whether feed ``feed`` holds ``package_id`` ``version``, and the versions it holds (an
    external feed's as Octopus reads them from its repository, compared as it compares them)."""
    if feed.lower() != _BUILT_IN:
        from octoci.octopus.feeds import feed_has_version, feed_versions

        if feed_has_version(connection, feed, package_id, version):
            return True, []
        return False, feed_versions(connection, feed, package_id)
    held = package_versions(connection, package_id)
    wanted = canonical_version(version).lower()
    return any(canonical_version(v).lower() == wanted for v in held), held


def _channel(connection: Connection, project: dict[str, Any], name: str) -> dict[str, Any] | None:
    if name:
        return find_channel(connection, project, name)
    channels = connection.get_json(
        connection.space_path(f"/projects/{project['Id']}/channels"),
        what=f"listing channels of {project['Name']}",
        params={"take": _TAKE_ALL},
    )
    items = [c for c in channels.get("Items") or [] if isinstance(c, dict)]
    return next((c for c in items if c.get("IsDefault")), None)


def check_release_packages(
    connection: Connection,
    project: dict[str, Any],
    request: ReleaseRequest,
    *,
    present: Collection[tuple[str, str]] = (),
    pushed_ids: Collection[str] = (),
) -> None:
    """Raise :class:`InputError` (exit code 2) when Octopus would refuse the release ``request``
    describes because of its packages: a ``--package`` naming no step or package, a version the
    built-in feed does not hold (``present``: ``(package id, version)`` pairs this run pushes,
    which count as held), or a version the channel's rules refuse.

    A step without a version is Octopus's to choose (the latest its channel accepts). A version
    on an external feed is asked of the feed (Octopus asks its repository); a feed Octopus
    cannot search (a type it does not list versions of) is left to Octopus, with a warning.
    """
    packages = package_references(connection, project)
    chosen, problems = _versions(request, packages, pushed_ids)
    held = {(i.lower(), canonical_version(v).lower()) for i, v in present}
    for package, version in chosen.items():
        if (package.package_id.lower(), canonical_version(version).lower()) in held:
            continue
        try:
            found, versions = _in_feed(connection, package.package_id, version, package.feed)
        except OctopusApiError as exc:
            if package.feed.lower() == _BUILT_IN or isinstance(exc, OctopusAuthError):
                raise
            log.warning(
                "%s %s (step %r) is in feed %s, which Octopus could not search (%s); Octopus "
                "will check it when it creates the release",
                package.package_id,
                version,
                package.action,
                package.feed,
                exc,
            )
            continue
        if not found:
            holds = f"it holds {', '.join(versions[:5])}" if versions else "it holds none"
            built_in = package.feed.lower() == _BUILT_IN
            feed = "the built-in feed" if built_in else f"the feed {package.feed}"
            problems.append(
                f"{feed} has no {package.package_id} {version} (step "
                f"{package.action!r}; {holds}); push it first or pick a version it holds"
            )
    # Octopus's IgnoreChannelRules (the official tools' --ignore-channel-rules / --force).
    if not bool(getattr(request, "ignore_channel_rules", False)):
        channel = _channel(connection, project, request.channel)
        rules = channel_rules(channel or {})
        for package, version in chosen.items():
            rule = rule_for(rules, package.action, package.reference)
            problem = rule and rule_problem(version, rule.version_range, rule.tag)
            if rule is not None and problem:
                problems.append(
                    f"the channel {str((channel or {}).get('Name'))!r} does not accept "
                    f"{package.package_id} {version} (step {package.action!r}): {problem} "
                    f"({rule.describe()}); pick a version its rules accept, or another channel"
                )
    if problems:
        raise InputError(
            f"cannot create a release of {project['Name']}: {'; '.join(problems)}; "
            "nothing was created"
        )
