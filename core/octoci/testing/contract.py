"""``CIServerContract``: tests every build-server adapter must pass, to subclass in your tests.

Example::

    from octoci.testing import CIServerContract

    class TestDrone(CIServerContract):
        server_class = Drone
        variants = ("push", "pull_request", "tag")
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import ClassVar

import pytest

from octoci.normalize import normalize_build_information
from octoci.server import CIServer
from octoci.testing.ci_output import parse_ci_output

__all__ = ["CIServerContract"]

#: Values with every character the CI protocols must escape.
AWKWARD_VALUES = ("plain", "quote ' and | pipe", "brackets [x] ; semi", "50% : a,b")
#: Names :func:`parse_ci_output` gives the messages that open and close a log group.
GROUP_OPENERS = ("blockOpened", "group", "startGroup", "section_start")
GROUP_CLOSERS = ("blockClosed", "endgroup", "endGroup", "section_end")


class CIServerContract:
    """Base class of adapter tests; set :attr:`server_class` and :attr:`variants`.

    Uses the ``ci_env`` fixture, so recordings are looked up as
    ``<server_class.name>/<variant>.json`` in the environment directories.
    """

    server_class: ClassVar[type[CIServer]]
    variants: ClassVar[tuple[str, ...]] = ("push",)

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        # Parametrize from the *subclass's* variants (a class-level fixture would freeze the
        # base class's default when it is defined).
        if "variant" in metafunc.fixturenames and metafunc.cls is not None:
            metafunc.parametrize("variant", metafunc.cls.variants)

    def make(self, env: dict[str, str]) -> tuple[CIServer, io.StringIO]:
        stream = io.StringIO()
        return self.server_class(env, stream), stream

    def test_detects_its_recordings(
        self, ci_env: Callable[..., dict[str, str]], variant: str
    ) -> None:
        assert self.server_class.detect(ci_env(self.server_class.name, variant))

    def test_does_not_detect_an_empty_environment(self) -> None:
        assert not self.server_class.detect({})

    def test_build_information_core_fields(
        self, ci_env: Callable[..., dict[str, str]], variant: str
    ) -> None:
        server, _ = self.make(ci_env(self.server_class.name, variant))
        info = normalize_build_information(server.build_information())
        assert info.build_environment == self.server_class.display_name
        assert info.build_number, "BuildNumber is empty"
        assert info.vcs_commit_number, "VcsCommitNumber is empty"
        assert info.vcs_type in ("Git", "TFVC")
        assert "@" not in info.vcs_root.split("://", 1)[-1].split("/", 1)[0], (
            "credentials in VcsRoot"
        )

    def read_outputs(self, server: CIServer, written: str) -> dict[str, str]:
        """The output variables ``server`` wrote, read back. Understands TeamCity
        ``setParameter``, Azure ``task.setvariable``, Continua ``setBuildVariable`` and the
        default ``octoci output name=value`` line; override it for servers that write outputs
        to files (GitHub's ``$GITHUB_OUTPUT``, GitLab's dotenv report)."""
        outputs: dict[str, str] = {}
        lines = iter(parse_ci_output(written))
        for message in lines:
            props = message.properties
            if message.name in ("setParameter", "setBuildVariable", "setVariable"):
                outputs[props.get("name", "")] = props.get("value", "")
            elif message.name == "task.setvariable":
                outputs[props.get("variable", "")] = message.value
            elif message.protocol == "text" and message.value.startswith("octoci output "):
                name, _, value = message.value[len("octoci output ") :].partition("=")
                outputs[name] = value
        return outputs

    @pytest.mark.parametrize("value", AWKWARD_VALUES)
    def test_output_values_survive_escaping(
        self, ci_env: Callable[..., dict[str, str]], value: str
    ) -> None:
        server, stream = self.make(ci_env(self.server_class.name, self.variants[0]))
        server.set_output("octoci_value", value)
        assert self.read_outputs(server, stream.getvalue()).get("octoci_value") == value

    def test_masked_secret_is_never_written(self, ci_env: Callable[..., dict[str, str]]) -> None:
        server, stream = self.make(ci_env(self.server_class.name, self.variants[0]))
        secret = "s3cr3t-Value-9271"
        server.mask(secret)
        server.write(f"the secret is {secret}")
        server.annotate("warning", f"warn {secret}")
        server.add_summary(f"summary {secret}")
        # A masking command (::add-mask::, ##vso[task.setsecret]) must carry the secret; nothing else.
        for message in parse_ci_output(stream.getvalue()):
            if message.name in ("add-mask", "task.setsecret"):
                continue
            assert secret not in message.value + "".join(message.properties.values())

    def read_groups(self, written: str) -> list[tuple[str, str]]:
        """The log groups and lines ``written`` holds, in order: ``("open", title)``,
        ``("close", "")`` and ``("line", text)``. Understands the group messages of TeamCity,
        Azure, GitHub, GitLab and Continua; override it for a server whose groups
        :func:`~octoci.testing.parse_ci_output` does not know."""
        events: list[tuple[str, str]] = []
        for message in parse_ci_output(written):
            if message.name in GROUP_OPENERS:
                events.append(("open", message.value or message.properties.get("name", "")))
            elif message.name in GROUP_CLOSERS:
                events.append(("close", ""))
            elif message.protocol == "text":
                events.append(("line", message.value))
        return events

    def test_groups_are_balanced(self, ci_env: Callable[..., dict[str, str]]) -> None:
        """Every group opened is closed, even when its block raises, and holds what was written
        inside it. A server without groups (one that keeps :meth:`CIServer.end_group`'s empty
        default) must still show each group's title before its lines: with nothing to count,
        counting alone would pass for an adapter that writes nothing at all."""
        server, stream = self.make(ci_env(self.server_class.name, self.variants[0]))
        with server.group("Packing"):
            server.write("inside")
            with server.group("Nested"):
                server.write("deeper")
        with pytest.raises(RuntimeError), server.group("Failing"):
            raise RuntimeError("the block failed")
        server.write("after")
        events = self.read_groups(stream.getvalue())
        lines = [text for kind, text in events if kind == "line"]
        for expected in ("inside", "deeper", "after"):
            assert expected in lines, f"{expected!r} was not written as a line: {events}"
        if type(server).end_group is CIServer.end_group:
            # No groups to count: each title must come before the first line written inside it.
            texts = [text for _, text in events]
            for title, first_inside in (("Packing", "inside"), ("Nested", "deeper")):
                before = texts[: texts.index(first_inside)]
                assert any(title in text for text in before), (
                    f"no heading for the group {title!r} before its lines: {events}"
                )
            return
        opened = [text for kind, text in events if kind == "open"]
        assert len(opened) == 3, (
            f"{self.server_class.__name__} overrides end_group, so it writes log groups, but "
            f"3 were not found (override read_groups for its protocol): {events}"
        )
        assert "Packing" in opened[0], events
        assert "Nested" in opened[1], events
        depth = 0
        depth_of: dict[str, int] = {}
        for kind, text in events:
            depth += {"open": 1, "close": -1}.get(kind, 0)
            assert depth >= 0, f"a group was closed that was never opened: {events}"
            if kind == "line":
                depth_of[text] = depth
        assert depth == 0, f"{depth} group(s) left open: {events}"
        assert (depth_of["inside"], depth_of["deeper"], depth_of["after"]) == (1, 2, 0), events
