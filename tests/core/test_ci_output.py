from __future__ import annotations

from octoci.testing import CIMessage, parse_ci_output


def test_every_protocol() -> None:
    text = (
        "##teamcity[setParameter name='a' value='x|'y|n']\n"
        "##teamcity[progressMessage 'hello |[1|]']\n"
        "##vso[task.setvariable variable=v;isoutput=true]50%AZP25 done\n"
        "##[group]Pushing\n"
        "::add-mask::s3cret\n"
        "::error file=a.py,line=3::bad%0Athing\n"
        "\x1b[0Ksection_start:1700000000:octoci_1[collapsed=true]\r\x1b[0KPushing packages\n"
        "\x1b[0Ksection_end:1700000000:octoci_1\r\x1b[0K\r\n"
        "@@continua[setBuildVariable name='v' value='it\\'s']\n"
        "plain text\n"
    )
    assert parse_ci_output(text) == [
        CIMessage("teamcity", "setParameter", "", {"name": "a", "value": "x'y\n"}),
        CIMessage("teamcity", "progressMessage", "hello [1]"),
        CIMessage("azure", "task.setvariable", "50% done", {"variable": "v", "isoutput": "true"}),
        CIMessage("azure", "group", "Pushing"),
        CIMessage("github", "add-mask", "s3cret"),
        CIMessage("github", "error", "bad\nthing", {"file": "a.py", "line": "3"}),
        CIMessage(
            "gitlab",
            "section_start",
            "Pushing packages",
            {"name": "octoci_1", "time": "1700000000", "options": "collapsed=true"},
        ),
        CIMessage("gitlab", "section_end", "", {"name": "octoci_1", "time": "1700000000"}),
        CIMessage("continua", "setBuildVariable", "", {"name": "v", "value": "it's"}),
        CIMessage("text", "text", "plain text"),
    ]
