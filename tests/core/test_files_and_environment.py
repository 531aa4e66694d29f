from __future__ import annotations

from pathlib import Path

import pytest

from octoci.environment import Environment, is_truthy
from octoci.errors import InputError
from octoci.files import parse_properties, read_json_file, read_properties_file


def test_properties_parsing() -> None:
    text = (
        "# comment\n"
        "! also a comment\n"
        "teamcity.build.id=42\n"
        "vcsroot.url = https\\://github.com/acme/shop.git\n"
        "agent.work.dir C\\:\\\\BuildAgent\\\\work\n"
        "multi=one \\\n"
        "    two\n"
        "unicode=caf\\u00e9\n"
        "empty=\n"
        "key\\ with\\ space=v\n"
    )
    assert parse_properties(text) == {
        "teamcity.build.id": "42",
        "vcsroot.url": "https://github.com/acme/shop.git",
        "agent.work.dir": "C:\\BuildAgent\\work",
        "multi": "one two",
        "unicode": "café",
        "empty": "",
        "key with space": "v",
    }


def test_malformed_properties_file_is_one_line_input_error(tmp_path: Path) -> None:
    path = tmp_path / "build.properties"
    path.write_text("bad=\\u12\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"build properties file .* is malformed: line 1"):
        read_properties_file(path, "build properties file")


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_json_file(tmp_path / "nope.json", "event file")
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(InputError, match="not UTF-8"):
        read_json_file(bad, "event file")


def test_malformed_json(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text('{"commits": [', encoding="utf-8")
    with pytest.raises(InputError, match=r"event file .* is not valid JSON: .* line 1"):
        read_json_file(path, "event file")


def test_json_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert read_json_file(path, "event file") == {"a": 1}


def test_non_utf8_environment_value_names_the_variable() -> None:
    env = Environment({"GOOD": "x", "BAD": b"caf\xe9".decode("utf-8", "surrogateescape")})
    assert env["GOOD"] == "x"
    assert "BAD" in env
    with pytest.raises(InputError, match="environment variable BAD is not valid UTF-8"):
        env.get("BAD")
    assert "BAD" not in repr(env)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("True", True), ("true", True), ("1", True), ("false", False), ("", False), (None, False)],
)
def test_truthy(value: str | None, expected: bool) -> None:
    assert is_truthy(value) is expected


def test_properties_join_surrogate_pairs_as_java_writes_them() -> None:
    assert parse_properties("emoji=\\ud83d\\ude80 go\n") == {"emoji": "\U0001f680 go"}
    # A lone surrogate cannot be text: it becomes the replacement character, not a crash.
    assert parse_properties("bad=\\ud83d\n") == {"bad": "\ufffd"}


def test_write_text_atomic(tmp_path: Path) -> None:
    from octoci.errors import OctociError
    from octoci.files import write_text_atomic

    target = tmp_path / "out.properties"
    write_text_atomic(target, "a=1\n")
    write_text_atomic(target, "a=2\n")
    assert target.read_text(encoding="utf-8") == "a=2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.properties"], "no temporary file left"
    with pytest.raises(OctociError, match=r"cannot write the output file .*missing"):
        write_text_atomic(tmp_path / "missing" / "x", "", "output file")
