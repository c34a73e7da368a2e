"""Program graphs for Python, Go, C and C++: AST, CFG, CDG, DFG and PDG as networkx graphs.

    from codeforge.graphs import build
    for g in build(open("f.py").read(), "python", "pdg"):
        print(g.name, g.graph.number_of_edges())

Submodules: parse (tree-sitter), vocabulary (closed node and edge kinds), builder (source -> one graph per
function: `build`), cfg / cdg / dfg / pdg / ast_graph (the graphs), lang.python / lang.go / lang.c / lang.cpp
(per-language lowering; each lists its approximations), text (linearisation), rows (sorted node and edge
rows), export (json, dot, text), dataset (graph-augmented training rows from codeforge.tasks), config (the
settings of the graphs commands).

The names below are imported on first use, so that the command line can read the settings without loading
networkx and the grammars.
"""

from importlib import import_module

_EXPORTS = {"FunctionGraph": "builder", "build": "builder", "control_flow_graphs": "builder",
            "ParseError": "parse", "parse": "parse", "EdgeKind": "vocabulary", "GraphKind": "vocabulary",
            "Language": "vocabulary", "NodeKind": "vocabulary"}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")  # untranslated: Python's protocol
    value = getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
