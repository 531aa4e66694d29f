"""The emulator is a plugin of its own (``octoci_emulator``): the core (everything under
core/octoci) never imports it, not even lazily inside a function, and names it only to register it
as a built-in; it reaches the server only through the ``octoci_start_local_octopus`` hook."""

from __future__ import annotations

import ast
from pathlib import Path

from octoci.plugins import BUILTIN_PACKAGES

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core" / "octoci"
EMULATOR = "octoci_emulator"


def _is_emulator(name: str | None) -> bool:
    return name is not None and (name == EMULATOR or name.startswith(f"{EMULATOR}."))


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring nodes (prose may mention the package)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def emulator_references(source: str, filename: str) -> list[str]:
    """Every import of ``octoci_emulator`` (at the top, inside functions, under TYPE_CHECKING,
    through ``importlib.import_module``/``__import__``) and every string naming it, outside
    docstrings, as ``file:line: what``."""
    tree = ast.parse(source, filename)
    docstrings = _docstrings(tree)
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        line, column = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
        if isinstance(node, ast.Import):
            found += [
                (line, column, f"import {a.name}") for a in node.names if _is_emulator(a.name)
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_emulator(node.module):
            found.append((line, column, f"from {node.module} import ..."))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and EMULATOR in node.value
        ):
            found.append((line, column, f"the string {node.value!r}"))
    return [f"{filename}:{line}: {what}" for line, _, what in sorted(found)]


def test_the_scan_finds_every_kind_of_import() -> None:
    source = '''"""Docstrings may name octoci_emulator."""
import octoci_emulator
import octoci_emulator.runner as runner
from octoci_emulator import Emulator
from octoci_emulator.seed import parse_seed

def later():
    """octoci_emulator, in prose."""
    from octoci_emulator import Emulator
    import importlib
    return importlib.import_module("octoci_emulator.runner"), __import__("octoci_emulator")

if TYPE_CHECKING:
    from octoci_emulator.app import EmulatorApp
import octoci_emulators_fork  # another package: not it
'''
    found = emulator_references(source, "example.py")
    assert [entry.split(": ", 1)[1] for entry in found] == [
        "import octoci_emulator",
        "import octoci_emulator.runner",
        "from octoci_emulator import ...",
        "from octoci_emulator.seed import ...",
        "from octoci_emulator import ...",
        "the string 'octoci_emulator.runner'",
        "the string 'octoci_emulator'",
        "from octoci_emulator.app import ...",
    ]


def test_no_core_module_imports_the_emulator() -> None:
    modules = sorted(CORE.rglob("*.py"))
    assert len(modules) > 50  # the scan really walks the core
    found = []
    for path in modules:
        found += emulator_references(
            path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix()
        )
    # The one mention allowed: the built-in registration table, by module name (as data).
    allowed = [
        f"core/octoci/plugins.py:{_line_of_builtin_packages()}: the string 'octoci_emulator.plugin'"
    ]
    assert found == allowed
    assert BUILTIN_PACKAGES == {"emulator": "octoci_emulator.plugin"}


def _line_of_builtin_packages() -> int:
    tree = ast.parse((CORE / "plugins.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "BUILTIN_PACKAGES":
            return node.lineno
    raise AssertionError("core/octoci/plugins.py has no BUILTIN_PACKAGES")


def test_the_emulator_plugin_provides_the_local_server_and_the_command() -> None:
    from octoci.plugins import create_plugin_manager

    pm = create_plugin_manager(load_entrypoints=False)
    plugin = pm.get_plugin("emulator")
    assert plugin is not None
    assert plugin.__name__ == "octoci_emulator.plugin"
    hooks = {caller.name for caller in pm.get_hookcallers(plugin) or ()}
    assert hooks == {"octoci_add_commands", "octoci_start_local_octopus"}
