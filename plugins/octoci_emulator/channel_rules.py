"""Channel version rules as the emulator enforces them: checked when a channel is saved, used to
pick a step's latest package version, and applied to a release's selected packages (unless the
request sets ``IgnoreChannelRules``). The rules themselves are :mod:`octoci.version_rules`, the
implementation the client's dry run and pre-flight use too.

Octopus's exact wording for a refused release was not found in its public documents; the
message below is the closest: it names the channel, each step, package and version, and the
rule part that fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from octoci.version_rules import channel_rules, range_problem, rule_for, rule_problem, tag_problem
from octoci_emulator.errors import BadRequest
from octoci_emulator.model_checks import Checks
from octoci_emulator.store import Document

__all__ = ["accepts", "check_rules", "check_selected_packages"]


def accepts(channel: Document | None, step: str, reference: str, version: str) -> bool:
    """True when ``channel``'s rules let ``step``'s package ``reference`` be ``version``."""
    rule = rule_for(channel_rules(channel or {}), step, reference)
    return rule is None or rule_problem(version, rule.version_range, rule.tag) is None


def check_selected_packages(
    project: Document, channel: Document, selected: Sequence[Document]
) -> None:
    """Refuse (400, one error per package) a release whose selected packages break the rules."""
    rules = channel_rules(channel)
    errors = []
    for package in selected:
        step = str(package["ActionName"])
        rule = rule_for(rules, step, str(package.get("PackageReferenceName") or ""))
        if rule is None:
            continue
        problem = rule_problem(str(package["Version"]), rule.version_range, rule.tag)
        if problem is not None:
            errors.append(
                f"The version {package['Version']} of package '{package['_PackageId']}' for step "
                f"'{step}' does not satisfy the version rules of channel '{channel['Name']}' of "
                f"project '{project['Name']}' ({rule.describe()}: {problem}). Select a version "
                "that satisfies the rules, another channel, or ignore the channel rules."
            )
    if errors:
        raise BadRequest(*errors)


def check_rules(checks: Checks, rules: Sequence[Any]) -> None:
    """Record a problem for each rule Octopus refuses to save: no package step, a version range
    that is not NuGet/Maven syntax, a tag that is not a regular expression."""
    for rule in rules:
        if not isinstance(rule, dict):
            checks.fail("Each version rule must be an object.")
            continue
        packages = [p for p in rule.get("ActionPackages") or [] if isinstance(p, dict)]
        if not packages and not rule.get("Actions"):
            checks.fail("Version rules must specify a package step.")
        for problem in (
            range_problem(str(rule.get("VersionRange") or "")),
            tag_problem(str(rule.get("Tag") or "")),
        ):
            if problem is not None:
                checks.fail(f"The version rule is not valid: {problem}.")
