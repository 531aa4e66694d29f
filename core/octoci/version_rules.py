"""Channel version rules, as Octopus applies them when a release is created: does a package
version satisfy a rule's version range and pre-release tag pattern?

No HTTP and no emulator imports: the client (dry runs and the pre-flight) and the emulator
(which enforces the rules) share this one implementation.

* **Version range**: NuGet interval syntax (Maven's is the same, and may join several intervals
  with commas). ``1.0`` is ``>= 1.0``; ``[1.0]`` is exactly 1.0; ``[1.0,2.0)`` is
  ``1.0 <= v < 2.0``; ``(,1.0]`` is ``<= 1.0``; ``(1.0,)`` is ``> 1.0``; Maven's
  ``(,1.0],[1.2,)`` is either. Empty: any version. Versions compare as SemVer 2 (``1.0`` equals
  ``1.0.0`` and ``1.0.0.0``; build metadata is ignored; a pre-release sorts before its release,
  so ``2.0.0-beta`` is inside ``[1.0,2.0)``).
* **Tag**: a regular expression searched (not anchored unless it says so) in the version's
  pre-release tag followed by its build metadata (``+...``): ``^$`` accepts only versions with
  neither, ``^(|\\+.*)$`` any non-pre-release, ``^[^\\+].*`` any pre-release, ``beta`` any tag
  containing "beta". Case-sensitive, as .NET's ``Regex`` is by default. Empty: any tag.

Example::

    rule_problem("2.0.0-beta", "[1.0,2.0)", "^$")
    # "its pre-release tag 'beta' does not match the pattern '^$'"
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from octoci.package_names import VersionKey, validate_version, version_key

__all__ = [
    "ChannelRule",
    "VersionRange",
    "channel_rules",
    "parse_range",
    "range_problem",
    "rule_for",
    "rule_problem",
    "satisfies_tag",
    "tag_problem",
    "tag_subject",
]


def _key(version: str) -> VersionKey:
    # NuGet and Octopus compare pre-release labels case-insensitively.
    return version_key(version.lower())


@dataclass(frozen=True)
class _Interval:
    low: str | None
    low_inclusive: bool
    high: str | None
    high_inclusive: bool

    def contains(self, version: str) -> bool:
        key = _key(version)
        if self.low is not None:
            low = _key(self.low)
            if key < low or (key == low and not self.low_inclusive):
                return False
        if self.high is not None:
            high = _key(self.high)
            if key > high or (key == high and not self.high_inclusive):
                return False
        return True


@dataclass(frozen=True)
class VersionRange:
    """A parsed version range (a union of intervals; none means any version)."""

    text: str
    intervals: tuple[_Interval, ...] = ()

    def contains(self, version: str) -> bool:
        """True when ``version`` is inside the range."""
        return not self.intervals or any(i.contains(version) for i in self.intervals)


def _bound(text: str, whole: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    problem = validate_version(text)
    if problem is not None:
        raise ValueError(f"'{text}' in the version range '{whole}' is not a version ({problem})")
    return text


def _ordered(low: str, high: str, closed: bool) -> bool:
    # [1.0,1.0] is 1.0 exactly; (1.0,1.0] and [2.0,1.0] hold nothing.
    return _key(low) < _key(high) or (closed and _key(low) == _key(high))


def _interval(part: str, whole: str) -> _Interval:
    opening, closing = part[0], part[-1]
    if opening not in "[(" or closing not in "])":
        raise ValueError(
            f"the version range '{whole}' is not NuGet or Maven range syntax "
            "(e.g. 1.0, [1.0], [1.0,2.0), (,1.0])"
        )
    inner = part[1:-1]
    if "," not in inner:
        # "[1.0]" is exactly 1.0; "(1.0)" or "[1.0)" matches nothing and is refused, as in NuGet.
        if opening != "[" or closing != "]":
            raise ValueError(f"the version range '{whole}': an exact version is written [1.0]")
        exact = _bound(inner, whole)
        if exact is None:
            raise ValueError(f"the version range '{whole}' has an empty exact version")
        return _Interval(exact, True, exact, True)
    low_text, _, high_text = inner.partition(",")
    if "," in high_text:
        raise ValueError(f"the version range '{whole}' has more than two versions in one interval")
    low, high = _bound(low_text, whole), _bound(high_text, whole)
    if low is None and high is None:
        raise ValueError(f"the version range '{whole}' has no version on either side")
    closed = opening == "[" and closing == "]"
    if low is not None and high is not None and not _ordered(low, high, closed):
        raise ValueError(
            f"the version range '{whole}' is empty (its minimum is not below its maximum)"
        )
    return _Interval(low, opening == "[", high, closing == "]")


def parse_range(text: str) -> VersionRange:
    """Parse a NuGet (or Maven) version range; raise :class:`ValueError` saying what is wrong.

    >>> parse_range("[1.0,2.0)").contains("1.5.3"), parse_range("1.0").contains("0.9")
    (True, False)
    """
    whole = text.strip()
    if not whole:
        return VersionRange(text)
    if whole[0] not in "[(":
        return VersionRange(text, (_Interval(_bound(whole, whole), True, None, False),))
    # Maven joins intervals with commas: split at each "," that follows a closing bracket.
    parts = [p.strip() for p in re.split(r"(?<=[\])])\s*,\s*(?=[\[(])", whole)]
    return VersionRange(text, tuple(_interval(p, whole) for p in parts))


def range_problem(text: str) -> str | None:
    """Why ``text`` is not a version range Octopus accepts, or ``None``."""
    try:
        parse_range(text)
    except ValueError as exc:
        return str(exc)
    return None


def tag_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable pre-release tag pattern, or ``None``."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"the pre-release tag pattern '{pattern}' is not a regular expression ({exc})"
    return None


def tag_subject(version: str) -> str:
    """What a tag pattern is matched against: the pre-release tag, then ``+`` and the build
    metadata when there is some (``1.0.0-beta.1+abc`` -> ``beta.1+abc``; ``1.0.0+abc`` ->
    ``+abc``; ``1.0.0`` -> ``""``)."""
    core, plus, metadata = version.partition("+")
    _, _, pre = core.partition("-")
    return pre + (f"+{metadata}" if plus else "")


def satisfies_tag(pattern: str, version: str) -> bool:
    """True when the tag pattern accepts ``version`` (an empty pattern accepts any)."""
    return not pattern or re.search(pattern, tag_subject(version)) is not None


@dataclass(frozen=True)
class ChannelRule:
    """One of a channel's version rules: the package references it applies to
    (``(step, package reference)``, lower-case), its range and its tag pattern."""

    packages: tuple[tuple[str, str], ...]
    version_range: str = ""
    tag: str = ""

    def applies_to(self, step: str, reference: str = "") -> bool:
        """True when this rule governs the package ``reference`` of ``step``."""
        return (step.lower(), reference.lower()) in self.packages

    def describe(self) -> str:
        """``the version range '[1.0,2.0)' and the tag '^$'``."""
        parts = []
        if self.version_range.strip():
            parts.append(f"the version range '{self.version_range}'")
        if self.tag:
            parts.append(f"the pre-release tag '{self.tag}'")
        return " and ".join(parts) or "any version"


def channel_rules(channel: Mapping[str, Any]) -> list[ChannelRule]:
    """The rules of a ``ChannelResource`` (its ``Rules``: ``ActionPackages`` with
    ``DeploymentAction`` and ``PackageReference``, or the older ``Actions`` step names)."""
    rules = []
    for rule in channel.get("Rules") or []:
        if not isinstance(rule, Mapping):
            continue
        packages = [
            (
                str(p.get("DeploymentAction") or "").lower(),
                str(p.get("PackageReference") or "").lower(),
            )
            for p in rule.get("ActionPackages") or []
            if isinstance(p, Mapping)
        ]
        packages += [(str(a).lower(), "") for a in rule.get("Actions") or []]
        rules.append(
            ChannelRule(
                tuple(packages), str(rule.get("VersionRange") or ""), str(rule.get("Tag") or "")
            )
        )
    return rules


def rule_for(rules: Sequence[ChannelRule], step: str, reference: str = "") -> ChannelRule | None:
    """The rule governing ``step``'s package ``reference`` (none: any version goes)."""
    return next((r for r in rules if r.applies_to(step, reference)), None)


def rule_problem(version: str, version_range: str, tag: str) -> str | None:
    """Why ``version`` breaks the rule (range, then tag), or ``None`` when it satisfies it.

    An invalid range or pattern is reported as the problem (Octopus refuses to save one).
    """
    try:
        parsed = parse_range(version_range)
    except ValueError as exc:
        return str(exc)
    if not parsed.contains(version):
        return f"it is outside the version range '{version_range}'"
    problem = tag_problem(tag) if tag else None
    if problem is not None:
        return problem
    if not satisfies_tag(tag, version):
        subject = tag_subject(version)
        if not subject:
            return f"it has no pre-release tag, which the pattern '{tag}' does not accept"
        return f"its pre-release tag '{subject}' does not match the pattern '{tag}'"
    return None
