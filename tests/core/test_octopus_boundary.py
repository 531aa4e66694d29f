"""All Octopus talk lives in ``octoci.octopus``: no other module of the core calls a connection's
request methods or holds an Octopus API path (the pre-flight, the dry run, the links and the
commands go through functions of ``octoci.octopus``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core" / "octoci"
OCTOPUS = CORE / "octopus"

#: The connection methods that send a request or build a space's API path.
REQUEST_METHODS = frozenset({"get_json", "post_json", "request", "space_path"})
#: One of Octopus's API collections in an absolute path (or an f-string's part of one):
#: ``/api/...``, ``/projects/``, ``/tasks/{id}``; a relative folder such as ``.octoci/packages``
#: is no API path.
API_PATH = re.compile(
    r"(^|/)(api|projects|releases|packages|tasks|deployments|build-information|users|channels|"
    r"deploymentprocesses|runbooks|runbookRuns|runbook-runs|environments|tenants|spaces|feeds|"
    r"lifecycles|permissions)(/|\?|$)"
)


_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring nodes (prose may name API paths)."""
    heads = [n.body[0] for n in ast.walk(tree) if isinstance(n, _DOCUMENTED) and n.body]
    return {
        id(h.value) for h in heads if isinstance(h, ast.Expr) and isinstance(h.value, ast.Constant)
    }


def octopus_talk(source: str, filename: str) -> list[str]:
    """Every call of a request method and every string (or f-string part) that is an Octopus API
    path, outside docstrings, as ``file:line: what``."""
    tree = ast.parse(source, filename)
    docstrings = _docstrings(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in REQUEST_METHODS
        ):
            found.append((line, f"calls .{node.func.attr}()"))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and node.value.startswith("/")
            and API_PATH.search(node.value)
        ):
            found.append((line, f"the API path {node.value!r}"))
    return [f"{filename}:{line}: {what}" for line, what in sorted(found)]


def test_the_scan_finds_requests_and_paths() -> None:
    source = '''"""Prose may say /api/users/me."""
def check(connection, project):
    """GET /api/{space}/projects/{id}, in prose."""
    connection.get_json("/api/users/me", what="me")
    connection.post_json(connection.space_path(f"/projects/{project}/channels"), {}, what="x")
    url = f"{base}/app#/{space}/tasks/{task}"
    config = {"tenants": [], "packages": "a/b", "out": ".octoci/packages"}  # no API paths
'''
    assert [f.split(": ", 1)[1] for f in octopus_talk(source, "x.py")] == [
        "calls .get_json()",
        "the API path '/api/users/me'",
        "calls .post_json()",
        "calls .space_path()",
        "the API path '/channels'",
        "the API path '/projects/'",
        "the API path '/tasks/'",
    ]


def test_no_module_outside_octoci_octopus_talks_to_octopus() -> None:
    modules = [p for p in sorted(CORE.rglob("*.py")) if OCTOPUS not in p.parents]
    assert len(modules) > 40  # the scan really walks the core
    found = []
    for path in modules:
        found += octopus_talk(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert found == []
