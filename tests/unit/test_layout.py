"""The package's layout rules, checked on its source: no import cycle, no private name imported from
another module, no function over 80 lines, and package imports at the top of modules (the command
modules excepted: they load the training stack inside ``execute`` so that ``ftcourse --help`` stays quick)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ftcourse"
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, ast.Module]:
    trees = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        trees[name] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return trees


def _imports(tree: ast.Module, modules: set[str]):
    """(imported module, imported names, at module level?) for every import of a package module."""
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "ftcourse":
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                yield (target if target in modules else node.module), alias.name, id(node) in top_level
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "ftcourse":
                    yield alias.name, None, id(node) in top_level


def _edges(trees: dict[str, ast.Module]) -> dict[str, set[str]]:
    modules = set(trees)
    return {
        name: {target for target, _, _ in _imports(tree, modules) if target in modules and target != name}
        for name, tree in trees.items()
    }


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    # Depth-first search; a package's __init__ importing its own submodules is not a cycle of concerns.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if state.get(nxt) is None and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in edges:
        if state.get(node) is None and (found := visit(node)):
            return found
    return None


def test_no_import_cycle():
    assert _find_cycle(_edges(_modules())) is None


def test_no_private_name_is_imported_from_another_module():
    trees = _modules()
    bad = [
        f"{name} imports {target}.{imported}"
        for name, tree in trees.items()
        for target, imported, _ in _imports(tree, set(trees))
        if imported and imported.startswith("_") and not imported.startswith("__") and target != name
    ]
    assert bad == []


def test_no_function_is_longer_than_80_lines():
    long = []
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                if node.end_lineno - start + 1 > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {node.end_lineno - start + 1} lines")
    assert long == []


def test_package_imports_are_at_the_top_outside_the_command_modules():
    trees = _modules()
    inside = [
        f"{name} imports {target} inside a function"
        for name, tree in trees.items()
        if not name.startswith("ftcourse.cli")
        for target, _, top in _imports(tree, set(trees))
        if not top
    ]
    assert inside == []


@pytest.mark.parametrize(
    "edges, cycle", [({"a": {"b"}, "b": {"a"}}, True), ({"a": {"b"}, "b": set()}, False), ({"p": {"p.x"}, "p.x": {"p"}}, False)]
)
def test_the_cycle_finder_finds_cycles(edges, cycle):
    assert (_find_cycle(edges) is not None) == cycle
