"""``CIServerContract`` itself: its checks fail for adapters that break them, including the log
group check for adapters that write no groups (where counting alone passes on nothing)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from octoci import BuildInformation, CIServer
from octoci.testing import CIServerContract


class Plain(CIServer):
    """No groups of its own: the default heading line, as Jenkins or Bamboo write."""

    name = "plain"
    display_name = "Plain"

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        return env.get("PLAIN") == "true"

    def build_information(self) -> BuildInformation:
        return BuildInformation(build_environment=self.display_name)


class Silent(Plain):
    """Writes nothing when a group opens: its log loses every heading."""

    def start_group(self, title: str) -> None:
        pass


class Grouping(Plain):
    """GitHub-style groups."""

    def start_group(self, title: str) -> None:
        self.write(f"::group::{title}")

    def end_group(self) -> None:
        self.write("::endgroup::")


class NeverCloses(Grouping):
    def end_group(self) -> None:
        pass


class Unknown(Grouping):
    """Claims groups (it overrides ``end_group``) in a protocol the contract does not know."""

    def start_group(self, title: str) -> None:
        self.write(f"[[open {title}]]")

    def end_group(self) -> None:
        self.write("[[close]]")


class TaughtContract(CIServerContract):
    """The contract taught :class:`Unknown`'s protocol, as its author would."""

    def read_groups(self, written: str) -> list[tuple[str, str]]:
        events = []
        for line in written.splitlines():
            if line.startswith("[[open "):
                events.append(("open", line.removeprefix("[[open ").removesuffix("]]")))
            elif line == "[[close]]":
                events.append(("close", ""))
            elif line:
                events.append(("line", line))
        return events


def check_groups(adapter: type[CIServer], base: type[CIServerContract] = CIServerContract) -> None:
    contract = type("Contract", (base,), {"server_class": adapter})()
    contract.test_groups_are_balanced(lambda name, variant="push": {"PLAIN": "true"})


@pytest.mark.parametrize("adapter", [Plain, Grouping])
def test_adapters_that_show_their_groups_pass(adapter: type[CIServer]) -> None:
    check_groups(adapter)


def test_an_adapter_without_groups_must_still_write_each_heading() -> None:
    with pytest.raises(AssertionError, match="no heading for the group 'Packing'"):
        check_groups(Silent)


def test_a_group_left_open_fails() -> None:
    with pytest.raises(AssertionError, match="left open"):
        check_groups(NeverCloses)


def test_groups_the_contract_cannot_read_fail_until_read_groups_is_overridden() -> None:
    with pytest.raises(AssertionError, match="override read_groups"):
        check_groups(Unknown)
    check_groups(Unknown, TaughtContract)
