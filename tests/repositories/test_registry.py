"""The kinds plugins register: checked as package formats are (a name twice, a wrong type)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import octoci
from octoci.repositories import RepositoryKind
from octoci.repositories.directory import KIND as DIRECTORY
from octoci.testing import CliResult

Run = Callable[..., CliResult]


class _Twice:
    @octoci.hookimpl
    def octoci_repository_kinds(self) -> Iterable[RepositoryKind]:
        return [RepositoryKind("directory", "another folder kind", create=DIRECTORY.create)]


class _NotAKind:
    @octoci.hookimpl
    def octoci_repository_kinds(self) -> Iterable[object]:
        return ["maven"]


def test_a_kind_registered_twice_is_an_error_naming_both_plugins(
    octoci_run: Run, package: Callable[..., Path]
) -> None:
    package("Acme.Web.1.0.0.zip")
    result = octoci_run("push", "dist/*.zip", plugins=[_Twice()])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "two plugins register the repository kind 'directory'" in line
    assert "'octoci.repositories'" in line


def test_a_plugin_returning_something_else_is_named(
    octoci_run: Run, package: Callable[..., Path]
) -> None:
    package("Acme.Web.1.0.0.zip")
    result = octoci_run("push", "dist/*.zip", plugins=[_NotAKind()])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "returned a list holding a str from octoci_repository_kinds" in line
    assert "a list of RepositoryKind" in line
