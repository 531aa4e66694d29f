"""What the Azure DevOps adapter writes back, parsed as the agent would read it.

Escaping is property-tested: anything written through a logging command or the log reads back
unchanged through :func:`octoci.testing.parse_ci_output`, and plain text never becomes a command.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from octoci.plugins import OctociPluginManager
from octoci.testing import CliResult, parse_ci_output
from octoci_plugins.azure_devops import AzureDevOps
from octoci_plugins.azure_devops.messages import command, escape_data, escape_property

CiEnv = Callable[..., dict[str, str]]
Make = Callable[[], tuple[AzureDevOps, io.StringIO]]
SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# The agent splits its input on \r and \n only; parse_ci_output uses str.splitlines(), which
# also splits on these, so command values in the property tests leave them out.
ZWJ = "\u200d"
OTHER_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
command_text = st.text(st.characters(blacklist_characters=OTHER_LINE_BREAKS, codec="utf-8"))
awkward = st.sampled_from(
    ["%", "%AZP25", "%0A", "%3B", "%5D", "\r\n", ";", "]", "[", "=", "##vso[", "##[error]"]
)
values = st.lists(st.one_of(command_text, awkward), max_size=6).map("".join)


@pytest.fixture
def server(ci_env: CiEnv) -> Make:
    def make() -> tuple[AzureDevOps, io.StringIO]:
        stream = io.StringIO()
        return AzureDevOps(ci_env("azure_devops", "push"), stream), stream

    return make


def test_escaping_examples() -> None:
    assert escape_data("100%\r\ndone]") == "100%AZP25%0D%0Adone]"
    assert escape_property("a;b]c%") == "a%3Bb%5Dc%AZP25"
    assert command("task.logissue", "x", {"type": "warning", "sourcepath": None}) == (
        "##vso[task.logissue type=warning;]x"
    )


@SETTINGS
@given(name=values.filter(lambda n: n and not any(c in n for c in "\r\n;]=")), value=values)
def test_outputs_round_trip(server: Make, name: str, value: str) -> None:
    adapter, stream = server()
    adapter.set_output(name, value)
    messages = parse_ci_output(stream.getvalue())
    assert [(m.name, m.value) for m in messages] == [("task.setvariable", value)] * 2
    assert [m.properties for m in messages] == [
        {"variable": name},
        {"variable": name, "isoutput": "true"},
    ]


@SETTINGS
@given(
    message=values,
    file=values.filter(bool),
    line=st.integers(1, 10**6),
    level=st.sampled_from(["warning", "error"]),
)
def test_issues_round_trip(server: Make, message: str, file: str, line: int, level: str) -> None:
    adapter, stream = server()
    adapter.annotate(level, message, file=file, line=line)  # type: ignore[arg-type]
    [parsed] = parse_ci_output(stream.getvalue())
    assert (parsed.protocol, parsed.name, parsed.value) == ("azure", "task.logissue", message)
    assert parsed.properties == {"type": level, "sourcepath": file, "linenumber": str(line)}


@SETTINGS
@given(title=values)
def test_groups_round_trip(server: Make, title: str) -> None:
    adapter, stream = server()
    with adapter.group(title):
        pass
    messages = parse_ci_output(stream.getvalue())
    # Only zero-width joiners may have been added (to make "##vso[" in a title inert).
    assert [(m.name, m.value.replace(ZWJ, "")) for m in messages] == [
        ("group", title.replace(ZWJ, "")),
        ("endgroup", ""),
    ]


log_text = st.lists(
    st.one_of(
        st.text(),
        st.sampled_from(
            [
                "##vso[task.setvariable variable=x]injected",
                "  ##[error]not ours",
                "commit: ##VSO[task.complete result=Failed]",
                "##[group]x",
            ]
        ),
    ),
    max_size=5,
).map("\n".join)


@SETTINGS
@given(text=log_text)
def test_plain_text_never_becomes_a_command(server: Make, text: str) -> None:
    adapter, stream = server()
    adapter.write(text)
    written = stream.getvalue()
    assert "##vso[" not in written.lower()
    assert all(m.protocol == "text" for m in parse_ci_output(written))
    assert written.replace(ZWJ, "") == text.replace(ZWJ, "") + "\n"  # only joiners were added


def test_notices_are_log_lines(server: Make) -> None:
    adapter, stream = server()
    adapter.annotate("notice", "Release 1.4.0 created")
    assert stream.getvalue() == "Release 1.4.0 created\n"


def test_mask_registers_each_line_and_hides_the_secret(server: Make) -> None:
    adapter, stream = server()
    secret = "line-one-secret\nline-two-secret%"
    adapter.mask(secret)
    adapter.mask(secret)
    adapter.write(f"value: {secret}")
    adapter.write("just line-two-secret% here")
    adapter.annotate("warning", "line-one-secret leaked?")
    messages = parse_ci_output(stream.getvalue())
    masks = [m.value for m in messages if m.name == "task.setsecret"]
    assert masks == [secret, "line-one-secret", "line-two-secret%"]
    for m in messages:
        if m.name != "task.setsecret":
            assert "secret" not in m.value + "".join(m.properties.values())


def test_secret_outputs_stay_secret(server: Make) -> None:
    adapter, stream = server()
    adapter.mask("API-0123456789ABCDEF")
    adapter.set_output("octopus_token", "API-0123456789ABCDEF")
    outputs = [m for m in parse_ci_output(stream.getvalue()) if m.name == "task.setvariable"]
    assert {m.properties.get("issecret") for m in outputs} == {"true"}


def test_the_job_token_is_never_written(ci_env: CiEnv, octoci_pm: OctociPluginManager) -> None:
    stream = io.StringIO()
    env = ci_env("azure_devops", "push", SYSTEM_ACCESSTOKEN="eyJ0eXAi-job")
    adapter = octoci_pm.select_server(env, stream, name="azure_devops")  # as octoci creates it
    adapter.write("Authorization: Bearer eyJ0eXAi-job")
    assert CliResult(0, stream.getvalue(), "").leaks("eyJ0eXAi-job") == []
    assert "##vso[task.setsecret]eyJ0eXAi-job" in stream.getvalue()


def test_summary_is_uploaded_from_the_agent_temp_folder(server: Make) -> None:
    adapter, stream = server()
    adapter.mask("s3cr3t-value")
    adapter.add_summary("## Release 1.4.0\n\n[Staging](https://octopus.acme.test/d/1) s3cr3t-value")
    [message] = [m for m in parse_ci_output(stream.getvalue()) if m.name == "task.uploadsummary"]
    path = Path(message.value)
    assert path.parent == Path(adapter.env["AGENT_TEMPDIRECTORY"]).resolve()
    assert path.read_text(encoding="utf-8") == (
        "## Release 1.4.0\n\n[Staging](https://octopus.acme.test/d/1) ***\n"
    )
