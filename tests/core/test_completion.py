"""Shell completion through the real ``octoci`` console script: each shell's source script and a
completion request, and bash itself completing a command line with the sourced script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: The console script pip installed beside the interpreter running the tests.
OCTOCI = Path(sys.executable).with_name("octoci")


def complete(instruction: str, **words: str) -> subprocess.CompletedProcess[str]:
    """``octoci`` run as a shell's completion script runs it."""
    env = {**os.environ, "_OCTOCI_COMPLETE": instruction, **words}
    env.pop("CI", None)
    return subprocess.run([str(OCTOCI)], capture_output=True, text=True, env=env, check=False)


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _octoci_completion octoci"),
        ("zsh", "#compdef octoci"),
        ("fish", "complete --no-files --command octoci"),
        ("powershell", "Register-ArgumentCompleter -Native -CommandName octoci"),
    ],
)
def test_each_shell_gets_its_source_script(shell: str, marker: str) -> None:
    done = complete(f"{shell}_source")
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("shell", "words", "cword", "expected"),
    [
        ("bash", "octoci rel", "1", "plain,release"),
        ("zsh", "octoci release cr", "2", "plain\ncreate\n"),
        ("fish", "octoci publish --deploy", "--deploy", "plain,--deploy-to\t"),
        ("powershell", "octoci pu", "1", "plain\npublish\n"),
    ],
)
def test_a_completion_request_answers_in_the_shells_format(
    shell: str, words: str, cword: str, expected: str
) -> None:
    done = complete(f"{shell}_complete", COMP_WORDS=words, COMP_CWORD=cword)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout


def test_bash_completes_with_the_sourced_script() -> None:
    bash = shutil.which("bash")
    assert bash is not None
    script = (
        'eval "$(_OCTOCI_COMPLETE=bash_source octoci)"\n'
        "COMP_WORDS=(octoci release de); COMP_CWORD=2; _octoci_completion octoci de release\n"
        'echo "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{OCTOCI.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [bash, "--norc", "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["deploy"]


def test_an_unknown_shell_is_one_line_and_exit_2() -> None:
    done = complete("tcsh_source")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "octoci: error: _OCTOCI_COMPLETE=tcsh_source is not a completion request; use "
        "SHELL_source or SHELL_complete with SHELL one of bash, zsh, fish, powershell"
    ]
