"""One entry point: source text -> one graph of the requested kind per function (module level first)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Union

import networkx as nx

from ..i18n import _
from .cfg import ControlFlowGraph
from .parse import ParsedSource, parse
from .vocabulary import GraphKind, Language


@dataclass
class FunctionGraph:
    name: str
    kind: GraphKind
    graph: nx.MultiDiGraph
    cfg: Optional[ControlFlowGraph]   # None for AST graphs


def control_flow_graphs(parsed: ParsedSource) -> List[ControlFlowGraph]:
    if parsed.language is Language.python:
        from .lang.python import build_python

        return build_python(parsed)
    if parsed.language is Language.go:
        from .lang.go import build_go

        return build_go(parsed)
    if parsed.language is Language.cpp:
        from .lang.cpp import build_cpp

        return build_cpp(parsed)
    from .lang.c import build_c

    return build_c(parsed)


def build(source: Union[str, bytes, ParsedSource], language: Union[Language, str] = Language.python,
          kind: Union[GraphKind, str] = GraphKind.pdg, function: Optional[str] = None,
          allow_errors: bool = False, ast_depth: Optional[int] = None,
          ast_types: Optional[List[str]] = None) -> List[FunctionGraph]:
    """Graphs of `kind` for every function (or only `function`, by qualified name: `C.method`, `f.inner`).

    For AST graphs, `ast_depth` cuts the tree below that depth and `ast_types` keeps only those node types
    (their kept descendants attach to the nearest kept ancestor)."""
    kind = GraphKind(kind)
    parsed = source if isinstance(source, ParsedSource) else parse(source, language, allow_errors)
    cfgs = control_flow_graphs(parsed)
    if function is not None:
        cfgs = [c for c in cfgs if c.name == function]
        if not cfgs:
            names = ", ".join(c.name for c in control_flow_graphs(parsed))
            raise KeyError(_("no function named {function}; the file has: {names}").format(
                function=repr(function), names=names))
    out = []
    for cfg in cfgs:
        if kind is GraphKind.cfg:
            graph = cfg.graph
        elif kind is GraphKind.cdg:
            from .cdg import control_dependence_graph

            graph = control_dependence_graph(cfg)
        elif kind is GraphKind.dfg:
            from .dfg import data_dependence_graph

            graph = data_dependence_graph(cfg)
        elif kind is GraphKind.pdg:
            from .pdg import program_dependence_graph

            graph = program_dependence_graph(cfg)
        else:
            from .ast_graph import syntax_graph

            root = cfg.syntax if cfg.syntax is not None else parsed.root
            graph = syntax_graph(root, max_depth=ast_depth, types=ast_types)
        out.append(FunctionGraph(cfg.name, kind, graph, cfg))
    return out
