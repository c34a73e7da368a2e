"""The graphs package imports one way: no cycles between its modules, nothing from the layers above it, and no
model stack (the graphs must stay usable without torch)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[2] / "codeforge" / "graphs"
ALLOWED_OUTSIDE = ("codeforge.vocabulary", "codeforge.config", "codeforge.tasks")
FORBIDDEN_TOP = ("torch", "transformers", "trl", "peft", "vllm")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path):
    """Every module `path` imports, at the top or inside a function, as absolute names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            yield module
            for alias in node.names:   # `from . import text` imports a module
                yield f"{module}.{alias.name}"


def _graph():
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    outside = {}
    for name, path in modules.items():
        for target in _imports(path):
            if target in modules and target != name and not name.startswith(target + "."):
                graph.add_edge(name, target)
            elif target.startswith("codeforge.") and not target.startswith("codeforge.graphs"):
                outside.setdefault(name, set()).add(target)
            elif target.split(".")[0] in FORBIDDEN_TOP:
                outside.setdefault(name, set()).add(target)
    return graph, outside


def test_no_import_cycles_inside_graphs():
    graph, _ = _graph()
    assert graph.number_of_nodes() > 10
    assert list(nx.simple_cycles(graph)) == []


def test_graphs_import_only_lower_layers():
    _, outside = _graph()
    wrong = {name: sorted(t for t in targets if not t.startswith(ALLOWED_OUTSIDE))
             for name, targets in outside.items()}
    assert {name: targets for name, targets in wrong.items() if targets} == {}
