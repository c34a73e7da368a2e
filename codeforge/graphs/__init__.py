"""Program graphs for Python, Go, C and C++: AST, CFG, CDG, DFG and PDG as networkx graphs.

    from codeforge.graphs import build
    for g in build(open("f.py").read(), "python", "pdg"):
        print(g.name, g.graph.number_of_edges())

Submodules: parse (tree-sitter), vocabulary (closed node and edge kinds), cfg / cdg / dfg / pdg / ast_graph
(builders), lang.python / lang.go / lang.c / lang.cpp (per-language lowering; each lists its approximations), text
(linearisation), rows (sorted node and edge rows), export (json, dot, text), dataset (graph-augmented
training rows).
"""

from .build import FunctionGraph, build, control_flow_graphs
from .parse import ParseError, parse
from .vocabulary import EdgeKind, GraphKind, Language, NodeKind

__all__ = ["FunctionGraph", "build", "control_flow_graphs", "ParseError", "parse", "EdgeKind", "GraphKind",
           "Language", "NodeKind"]
