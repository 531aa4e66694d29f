"""TeamCity service messages: exact escaping (round trip through the parser) and what each
writing-back method emits."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from octoci.testing import parse_ci_output
from octoci_plugins.teamcity import TeamCityServer
from octoci_plugins.teamcity.messages import escape, service_message

EnvFactory = Callable[..., dict[str, str]]
# Characters the escaping is about, mixed into arbitrary text so every rule is exercised.
SPECIAL = st.sampled_from([*"|'[]\n\r\u0085\u2028\u2029\x0b\x0c\x1c\x1e\t", "|0x", "##teamcity["])
TEXT = st.lists(st.one_of(st.text(max_size=8), SPECIAL), max_size=12).map("".join)


@given(name=TEXT, value=TEXT)
def test_set_parameter_round_trips_any_text(name: str, value: str) -> None:
    line = service_message("setParameter", name=name, value=value)
    assert "\n" not in line
    assert "\r" not in line
    (message,) = parse_ci_output(line)
    assert (message.protocol, message.name) == ("teamcity", "setParameter")
    assert message.properties == {"name": name, "value": value}


@given(value=TEXT)
def test_single_value_messages_round_trip(value: str) -> None:
    (message,) = parse_ci_output(service_message("publishArtifacts", value))
    assert (message.name, message.value) == ("publishArtifacts", value)


@given(text=st.text())
def test_one_message_per_line_whatever_the_text(text: str) -> None:
    assert len(escape(text).splitlines() or [""]) == 1


@given(text=st.text(alphabet=st.characters(blacklist_characters="\u0085\u2028\u2029\x0b\x0c")))
def test_agrees_with_jetbrains_python_library(text: str) -> None:
    messages = pytest.importorskip("teamcity.messages")
    if any(ord(c) < 0x20 and c not in "\n\r\t" for c in text):
        return  # we escape other control characters as |0xNNNN; the library leaves them raw
    assert escape(text) == messages.escape_value(text)


def test_documented_escapes() -> None:
    assert escape("|'\n\r[]") == "|||'|n|r|[|]"
    assert escape("\u0085\u2028\u2029") == "|x|l|p"
    assert escape("\x1b[0m") == "|0x001b|[0m"
    assert escape("café 🚀") == "café 🚀"


def test_invalid_message_names_are_refused() -> None:
    with pytest.raises(ValueError, match="not a service-message name"):
        service_message("bad name]", "x")
    with pytest.raises(ValueError, match="either a single value or attributes"):
        service_message("message", "x", text="y")


def make(ci_env: EnvFactory) -> tuple[TeamCityServer, io.StringIO]:
    stream = io.StringIO()
    return TeamCityServer(ci_env("teamcity", "push"), stream), stream


def test_text_that_looks_like_a_service_message_cannot_command_teamcity(
    ci_env: EnvFactory,
) -> None:
    server, stream = make(ci_env)
    server.write("commit: ##teamcity[buildStatus status='FAILURE' text='pwned']")
    server.write("plain line")
    first, second = parse_ci_output(stream.getvalue())
    assert first.name == "message"
    assert (
        first.properties["text"] == "commit: ##teamcity[buildStatus status='FAILURE' text='pwned']"
    )
    assert second.value == "plain line"


def test_groups_nest_and_close_by_name(ci_env: EnvFactory) -> None:
    server, stream = make(ci_env)
    with server.group("Packing [web]"), server.group("Pushing"):
        server.write("inside")
    server.end_group()  # one too many: nothing written
    messages = [(m.name, m.properties.get("name")) for m in parse_ci_output(stream.getvalue())]
    assert messages == [
        ("blockOpened", "Packing [web]"),
        ("blockOpened", "Pushing"),
        ("text", None),
        ("blockClosed", "Pushing"),
        ("blockClosed", "Packing [web]"),
    ]


@pytest.mark.parametrize(
    ("level", "status"), [("notice", "NORMAL"), ("warning", "WARNING"), ("error", "ERROR")]
)
def test_annotations_are_messages_with_a_status(
    ci_env: EnvFactory, level: str, status: str
) -> None:
    server, stream = make(ci_env)
    server.annotate(level, "Package 'web' is big", file="src/app.py", line=3)  # type: ignore[arg-type]
    (message,) = parse_ci_output(stream.getvalue())
    assert message.name == "message"
    assert message.properties == {"text": "Package 'web' is big (src/app.py:3)", "status": status}


def test_summary_is_a_block_and_the_status_text_is_set_status(ci_env: EnvFactory) -> None:
    server, stream = make(ci_env)
    server.add_summary(
        "### Released [1.2.3](https://octopus.example/app#/Spaces-1/releases/1)\n"
        "\n"
        "| Environment | State |\n|---|---|\n| Production | Success |\n"
    )
    server.add_summary("Deployed to **Production**")
    messages = parse_ci_output(stream.getvalue())
    assert messages[0].name == "blockOpened"
    assert any(
        m.properties.get("text", m.value)
        == "### Released 1.2.3 (https://octopus.example/app#/Spaces-1/releases/1)"
        for m in messages
    ), "the log keeps the link target"
    # The status text is the run's (set_status), not a summary's first line.
    assert [m for m in messages if m.name == "buildStatus"] == []
    server.set_status("Released Shop 1.2.3; Production: Failed", "failed")
    (status,) = [m for m in parse_ci_output(stream.getvalue()) if m.name == "buildStatus"]
    assert status.properties == {
        "text": "{build.status.text}; Released Shop 1.2.3; Production: Failed"
    }
    opened = sum(m.name == "blockOpened" for m in messages)
    assert opened == sum(m.name == "blockClosed" for m in messages) == 2


def test_publish_artifact(ci_env: EnvFactory, tmp_path: Path) -> None:
    server, stream = make(ci_env)
    package = tmp_path / "Acme.Web.1.2.3.zip"
    assert server.publish_artifact(package, "octopus-packages")
    assert server.publish_artifact(package)
    first, second = parse_ci_output(stream.getvalue())
    assert (first.name, first.value) == ("publishArtifacts", f"{package} => octopus-packages")
    assert second.value == str(package)


def test_output_parameter(ci_env: EnvFactory) -> None:
    server, stream = make(ci_env)
    server.set_output("octoci.release_version", "1.2.3-pr.7 [x] 'y'")
    (message,) = parse_ci_output(stream.getvalue())
    assert message.properties == {"name": "octoci.release_version", "value": "1.2.3-pr.7 [x] 'y'"}
