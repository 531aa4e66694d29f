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

    def test_groups_are_balanced(self, ci_env: Callable[..., dict[str, str]]) -> None:
        server, stream = self.make(ci_env(self.server_class.name, self.variants[0]))
        with server.group("Packing"):
            server.write("inside")
        names = [m.name for m in parse_ci_output(stream.getvalue())]
        opened = sum(n in ("blockOpened", "group", "startGroup", "section_start") for n in names)
        closed = sum(n in ("blockClosed", "endgroup", "endGroup", "section_end") for n in names)
        assert opened == closed
