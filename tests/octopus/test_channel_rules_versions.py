"""Channel version rules (:mod:`octoci.version_rules`): NuGet/Maven ranges and pre-release tag
patterns, with the examples of Octopus's channel documentation."""

from __future__ import annotations

import pytest

from octoci.version_rules import (
    channel_rules,
    parse_range,
    range_problem,
    rule_for,
    rule_problem,
    satisfies_tag,
    tag_subject,
)

RANGES = [
    # (range, version, inside)
    ("", "0.0.1-anything", True),
    ("1.0", "1.0.0", True),
    ("1.0", "0.9.9", False),
    ("1.0", "7.3.0", True),
    ("1.0", "1.0.0-beta", False),  # a pre-release sorts before its release
    ("[1.0]", "1.0.0.0", True),
    ("[1.0]", "1.0.1", False),
    ("[1.0,1.0]", "1.0.0", True),
    ("(1.0,)", "1.0.0", False),
    ("(1.0,)", "1.0.1", True),
    ("(,1.0]", "1.0.0", True),
    ("(,1.0]", "1.0.1", False),
    ("(,1.0)", "1.0.0", False),
    ("(,1.0)", "0.9.0", True),
    ("[1.0,2.0]", "2.0.0", True),
    ("[1.0,2.0)", "2.0.0", False),
    ("[1.0,2.0)", "1.9.99", True),
    ("[1.0,2.0)", "2.0.0-beta", True),
    ("(1.0,2.0)", "1.0.0", False),
    ("(1.0,2.0)", "1.0.0.1", True),
    ("[1.0,2.0)", "1.5.0+build.7", True),  # build metadata does not count
    # Octopus's own example: every 2.0.0 pre-release from alpha.1 on, but not 2.0.0.
    ("[2.0.0-alpha.1,2.0.0)", "2.0.0-alpha.1", True),
    ("[2.0.0-alpha.1,2.0.0)", "2.0.0-beta", True),
    ("[2.0.0-alpha.1,2.0.0)", "2.0.0-alpha", False),
    ("[2.0.0-alpha.1,2.0.0)", "2.0.0", False),
    ("[2.0.0-ALPHA.1,2.0.0)", "2.0.0-alpha.2", True),  # labels compare case-insensitively
    ("[1.0.0-beta.2,)", "1.0.0-beta.10", True),  # numeric identifiers compare as numbers
    # Maven: several intervals.
    ("(,1.0],[1.2,)", "1.1.0", False),
    ("(,1.0],[1.2,)", "1.0.0", True),
    ("(,1.0],[1.2,)", "3.0.0", True),
    (" [ 1.0 , 2.0 ) ", "1.5.0", True),
]


@pytest.mark.parametrize(("text", "version", "inside"), RANGES)
def test_version_ranges(text: str, version: str, inside: bool) -> None:
    assert parse_range(text).contains(version) is inside


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("(1.0)", "an exact version is written [1.0]"),
        ("[1.0)", "an exact version is written [1.0]"),
        ("[2.0,1.0]", "is empty"),
        ("(1.0,1.0]", "is empty"),
        ("[,]", "no version on either side"),
        ("[1.0,x]", "'x' in the version range '[1.0,x]' is not a version"),
        ("1.0,2.0", "is not a version"),
        ("{1.0}", "is not a version"),
        ("[1.0,2.0,3.0]", "more than two versions"),
    ],
)
def test_bad_ranges_say_what_is_wrong(text: str, problem: str) -> None:
    found = range_problem(text)
    assert found is not None
    assert problem in found


TAGS = [
    # Octopus's documented patterns: (pattern, version, accepted)
    (r"^[^\+].*", "1.0.0-beta", True),  # any pre-release
    (r"^[^\+].*", "1.0.0", False),
    (r"^[^\+].*", "1.0.0+abc", False),
    (r"^(|\+.*)$", "1.0.0", True),  # not a pre-release, metadata allowed
    (r"^(|\+.*)$", "1.0.0+abc", True),
    (r"^(|\+.*)$", "1.0.0-rc.1", False),
    ("^$", "1.0.0", True),  # neither pre-release nor metadata
    ("^$", "1.0.0+abc", False),
    ("^$", "1.0.0-beta", False),
    ("^beta", "1.0.0-beta0003", True),
    ("^beta", "1.0.0-mybeta", False),
    ("^beta", "1.0.0-alpha+beta", False),  # metadata containing beta is not a beta
    ("beta", "1.0.0-mybeta", True),  # searched, not anchored
    ("^(?!beta).+", "1.0.0-feature-x", True),
    ("^(?!beta).+", "1.0.0-beta.1", False),
    ("^bugfix-", "1.0.0-bugfix-syscrash", True),
    ("^beta", "1.0.0-BETA", False),  # case-sensitive, as .NET's Regex by default
    ("", "1.0.0-anything+meta", True),
]


@pytest.mark.parametrize(("pattern", "version", "accepted"), TAGS)
def test_tag_patterns(pattern: str, version: str, accepted: bool) -> None:
    assert satisfies_tag(pattern, version) is accepted


def test_the_tag_subject_is_the_pre_release_then_the_metadata() -> None:
    assert tag_subject("1.0.0-beta.1+abc") == "beta.1+abc"
    assert tag_subject("1.0.0+abc") == "+abc"
    assert tag_subject("1.0.0") == ""
    assert tag_subject("1.0.0-a-b") == "a-b"


def test_rule_problems_name_the_part_that_fails() -> None:
    assert rule_problem("1.5.0", "[1.0,2.0)", "^$") is None
    assert rule_problem("2.0.0", "[1.0,2.0)", "") == "it is outside the version range '[1.0,2.0)'"
    assert (
        rule_problem("1.5.0-beta", "[1.0,2.0)", "^$")
        == "its pre-release tag 'beta' does not match the pattern '^$'"
    )
    assert (
        rule_problem("1.5.0", "", "^beta")
        == "it has no pre-release tag, which the pattern '^beta' does not accept"
    )
    problem = rule_problem("1.0.0", "", "(")
    assert problem is not None
    assert "is not a regular expression" in problem


def test_rules_are_read_from_a_channel_resource() -> None:
    channel = {
        "Rules": [
            {
                "ActionPackages": [{"DeploymentAction": "Web", "PackageReference": ""}],
                "VersionRange": "[1.0,2.0)",
                "Tag": "^$",
            },
            {"Actions": ["Api"], "VersionRange": "", "Tag": "beta"},
            "not a rule",
        ]
    }
    rules = channel_rules(channel)
    web = rule_for(rules, "web")
    assert web is not None
    assert web.version_range == "[1.0,2.0)"
    assert web.describe() == "the version range '[1.0,2.0)' and the pre-release tag '^$'"
    api = rule_for(rules, "API")
    assert api is not None
    assert api.tag == "beta"
    assert rule_for(rules, "Web", "sidecar") is None
    assert rule_for(rules, "Other") is None
    assert channel_rules({}) == []
