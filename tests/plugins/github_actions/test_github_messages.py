"""What the GitHub Actions adapter writes back, parsed as the runner would read it.

Escaping is property-tested: anything written through a workflow command, ``$GITHUB_OUTPUT`` or
the log reads back unchanged through :func:`octoci.testing.parse_ci_output`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from octoci.plugins import OctociPluginManager
from octoci.testing import CIMessage, CliResult, parse_ci_output
from octoci_plugins.github_actions import GitHubActions
from octoci_plugins.github_actions.adapter import SUMMARY_LIMIT
from octoci_plugins.github_actions.messages import command, escape_data, escape_property

from .test_github_adapter import read_github_outputs

CiEnv = Callable[..., dict[str, str]]
SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# The runner splits its input on \r and \n only; parse_ci_output uses str.splitlines(), which
# also splits on these, so command values in the property tests leave them out.
OTHER_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
command_text = st.text(st.characters(blacklist_characters=OTHER_LINE_BREAKS, codec="utf-8"))
awkward = st.sampled_from(
    ["%", "%25", "%0A", "\r\n", ":", ",", "::", "a=b", "%3A", "%2C", "ghadelimiter_x", "]"]
)
values = st.lists(st.one_of(command_text, awkward), max_size=6).map("".join)


def runner_view(output: str) -> tuple[list[CIMessage], list[str]]:
    """The commands the runner would run and the text lines it would show, honouring
    ``::stop-commands::TOKEN`` ... ``::TOKEN::``."""
    commands: list[CIMessage] = []
    texts: list[str] = []
    stopped: str | None = None
    for line in output.splitlines():
        if stopped is not None:
            if line == f"::{stopped}::":
                stopped = None
            else:
                texts.append(line)
            continue
        parsed = parse_ci_output(line)
        message = parsed[0] if parsed else None
        if message is not None and message.protocol == "github":
            if message.name == "stop-commands":
                stopped = message.value
            else:
                commands.append(message)
        else:
            texts.append(line)
    assert stopped is None, "commands were stopped and never resumed"
    return commands, texts


@pytest.fixture
def server(ci_env: CiEnv) -> Callable[[], tuple[GitHubActions, io.StringIO]]:
    def make() -> tuple[GitHubActions, io.StringIO]:
        stream = io.StringIO()
        return GitHubActions(ci_env("github_actions", "push"), stream), stream

    return make


def test_escaping_examples() -> None:
    assert escape_data("100%\r\ndone") == "100%25%0D%0Adone"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert command("warning", "x", {"file": "src/a,b.py", "line": "3", "col": None}) == (
        "::warning file=src/a%2Cb.py,line=3::x"
    )


@SETTINGS
@given(
    message=values,
    file=values.filter(bool),
    line=st.integers(1, 10**6),
    level=st.sampled_from(["notice", "warning", "error"]),
)
def test_annotations_round_trip(
    server: Callable[[], tuple[GitHubActions, io.StringIO]],
    message: str,
    file: str,
    line: int,
    level: str,
) -> None:
    adapter, stream = server()
    adapter.annotate(level, message, file=file, line=line)  # type: ignore[arg-type]
    [parsed] = parse_ci_output(stream.getvalue())
    assert (parsed.protocol, parsed.name, parsed.value) == ("github", level, message)
    assert parsed.properties == {"file": file, "line": str(line)}


@SETTINGS
@given(title=values)
def test_groups_round_trip(
    server: Callable[[], tuple[GitHubActions, io.StringIO]], title: str
) -> None:
    adapter, stream = server()
    with adapter.group(title):
        pass
    assert [(m.name, m.value) for m in parse_ci_output(stream.getvalue())] == [
        ("group", title),
        ("endgroup", ""),
    ]


@SETTINGS
@given(
    name=st.text(
        st.characters(blacklist_characters="\r\n=<" + OTHER_LINE_BREAKS, codec="utf-8"), min_size=1
    ),
    value=values,
)
def test_outputs_round_trip_through_the_output_file(
    server: Callable[[], tuple[GitHubActions, io.StringIO]], name: str, value: str
) -> None:
    adapter, stream = server()
    output_file = Path(adapter.env["GITHUB_OUTPUT"])
    output_file.write_text("", encoding="utf-8")
    adapter.set_output(name, value)
    adapter.set_output("after", "still here")
    assert read_github_outputs(output_file) == {name: value, "after": "still here"}
    assert stream.getvalue() == ""  # nothing in the log


command_like = st.sampled_from(
    [
        "::set-output name=version::6.6.6",
        "  ::add-mask::oops",
        "::error file=x::injected",
        "##[set-output name=x;]1",
        "::stop-commands::abc",
    ]
)
log_text = st.lists(st.one_of(st.text(), command_like), max_size=5).map("\n".join)


@SETTINGS
@given(text=log_text)
def test_plain_text_never_runs_a_command(
    server: Callable[[], tuple[GitHubActions, io.StringIO]], text: str
) -> None:
    adapter, stream = server()
    adapter.write(text)
    commands, texts = runner_view(stream.getvalue())
    assert commands == []
    assert texts == (text + "\n").splitlines()  # write() ends the text with a newline


def test_mask_registers_the_secret_and_hides_it(
    server: Callable[[], tuple[GitHubActions, io.StringIO]],
) -> None:
    adapter, stream = server()
    secret = "-----BEGIN KEY-----\nMIIEvQIBADANBg%kqhkiG9w0\n-----END KEY-----"
    adapter.mask(secret)
    adapter.mask(secret)  # registered once per value
    adapter.write(f"the key is {secret}")
    adapter.annotate("error", f"bad {secret.splitlines()[1]}", file="k.pem")
    adapter.add_summary(f"summary {secret}")
    commands, texts = runner_view(stream.getvalue())
    masks = [m.value for m in commands if m.name == "add-mask"]
    assert masks == [secret, *secret.splitlines()]
    others = [m for m in commands if m.name != "add-mask"]
    for line in texts + [m.value + "".join(m.properties.values()) for m in others]:
        assert "MIIEvQIBADANBg" not in line
    summary = Path(adapter.env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "MIIEvQIBADANBg" not in summary


def test_credentials_from_the_environment_are_never_written(
    ci_env: CiEnv, octoci_pm: OctociPluginManager
) -> None:
    token = "ghs_EnvironmentToken0123456789"
    stream = io.StringIO()
    env = ci_env("github_actions", "push", GITHUB_TOKEN=token)
    adapter = octoci_pm.select_server(env, stream, name="github_actions")  # as octoci creates it
    adapter.write(f"token={token}")
    adapter.annotate("warning", token)
    assert CliResult(0, stream.getvalue(), "").leaks(token) == []
    assert f"::add-mask::{token}" in stream.getvalue()


def test_summary_is_appended_to_the_step_summary_file(
    server: Callable[[], tuple[GitHubActions, io.StringIO]],
) -> None:
    adapter, stream = server()
    adapter.add_summary("## Release 1.4.0\n\n[Release](https://octopus.acme.test/app#/r/1)")
    adapter.add_summary("| Environment | State |\n|---|---|\n| Staging | Success |")
    summary = Path(adapter.env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary == (
        "## Release 1.4.0\n\n[Release](https://octopus.acme.test/app#/r/1)\n\n"
        "| Environment | State |\n|---|---|\n| Staging | Success |\n\n"
    )
    assert stream.getvalue() == ""


def test_summary_stays_within_githubs_limit(
    server: Callable[[], tuple[GitHubActions, io.StringIO]],
) -> None:
    adapter, _ = server()
    adapter.add_summary("é" * (SUMMARY_LIMIT // 2 - 10))
    adapter.add_summary("x" * 5000)
    adapter.add_summary("more")
    path = Path(adapter.env["GITHUB_STEP_SUMMARY"])
    assert path.stat().st_size <= SUMMARY_LIMIT
    text = path.read_text(encoding="utf-8")  # still valid UTF-8
    assert text.endswith("*(octoci: the summary was cut at GitHub's 1 MiB limit)*\n")
    assert "more" not in text  # nothing after the cut


def test_without_runner_files_outputs_and_summary_go_to_the_log(ci_env: CiEnv) -> None:
    stream = io.StringIO()
    env = ci_env("github_actions", "push", GITHUB_OUTPUT="", GITHUB_STEP_SUMMARY="")
    adapter = GitHubActions(env, stream)
    adapter.set_output("release", "1.4.0")
    adapter.add_summary("done")
    assert stream.getvalue().splitlines() == ["octoci output release=1.4.0", "done"]


def test_no_artifact_publishing_from_a_step(
    server: Callable[[], tuple[GitHubActions, io.StringIO]], tmp_path: Path
) -> None:
    # GitHub's artifact service is internal to actions/upload-artifact: octoci says it cannot.
    adapter, _ = server()
    assert adapter.publish_artifact(tmp_path) is False
    assert adapter.artifact_roots() == []
