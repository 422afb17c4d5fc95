"""No import cycle inside obs/ (issue 22): the import graph is built from the source's AST, with
imports inside functions counted like module-level ones (a lazy import only hides a cycle), and
every strongly connected component of more than one module is a failure naming its edges."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.support import REPO

PACKAGE = REPO / "obs"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path, known: set[str]) -> dict[str, int]:
    """The obs modules `name` imports anywhere in its source (module -> first line): `import a.b` is an
    edge to a.b; `from a import b` to a.b when that is a module, else to a."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        for target in targets:
            if target in known and target != name:
                found.setdefault(target, node.lineno)
    return found


def graph() -> dict[str, dict[str, int]]:
    found = modules()
    return {name: imported(name, path, set(found)) for name, path in found.items()}


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def describe(component: list[str], edges: dict[str, dict[str, int]]) -> str:
    inside = set(component)
    return "; ".join(f"{source}:{line} -> {target}" for source in component
                     for target, line in sorted(edges[source].items()) if target in inside)


def test_the_graph_sees_module_level_and_function_level_imports():
    edges = graph()
    assert "obs.errors" in edges["obs.model.checks"]  # module level
    assert len(edges) > 100 and sum(map(len, edges.values())) > 300


def test_a_cycle_hidden_in_a_function_is_found():
    edges = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3}, "d": {"a": 1}}
    assert cycles(edges) == [["a", "b", "c"]]


def test_no_import_cycle_inside_obs():
    edges = graph()
    found = cycles(edges)
    assert found == [], "import cycles in obs/ (a lazy import inside a function counts too):\n" + "\n".join(
        describe(component, edges) for component in found)


def test_test_modules_share_helpers_through_support_modules_only():
    """A test module never imports another test module or conftest (lazily neither): shared
    helpers live in tests/support.py and the harness modules."""
    found = []
    for path in sorted((REPO / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}:{node.lineno} imports {name}" for name in names
                      if name.startswith(("tests.test_", "tests.conftest", "test_", "conftest"))]
    assert found == []
