"""Export: the graph JSON of the design, Graphviz dot, and text.

JSON: `{"language", "kind", "functions": [{"name", "nodes": [...], "edges": [...]}]}`; a node is
`{"id", "kind", "start_line", "end_line", "text"}`, an edge `{"source", "target", "kind"}` plus `"var"` on
data edges. Nodes and edges come sorted from codeforge.graphs.rows and keys are written in a fixed order, so
the bytes are the same on every run and under every PYTHONHASHSEED.
"""

from __future__ import annotations

import json
from typing import Optional, Sequence

from .rows import edge_rows, node_rows
from .text import linearise
from .vocabulary import EdgeKind, GraphKind, Language


def function_dict(name: str, graph) -> dict:
    edges = []
    for u, v, kind, var in edge_rows(graph):
        edge = {"source": u, "target": v, "kind": kind.value}
        if var is not None:
            edge["var"] = var
        edges.append(edge)
    return {"name": name, "nodes": node_rows(graph), "edges": edges}


def to_json(functions: Sequence, language: Language, kind: GraphKind, indent: Optional[int] = 2) -> str:
    document = {"language": Language(language).value, "kind": GraphKind(kind).value,
                "functions": [function_dict(f.name, f.graph) for f in functions]}
    return json.dumps(document, indent=indent, ensure_ascii=False) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


DOT_STYLE = {EdgeKind.DATA: "color=blue, style=dashed", EdgeKind.MAY_RAISE: "color=gray, style=dotted",
             EdgeKind.NO_EXIT: "color=gray, style=dotted", EdgeKind.CHILD: "color=black"}


def to_dot(functions: Sequence, kind: GraphKind) -> str:
    lines = [f"digraph {GraphKind(kind).value} {{", "  node [shape=box, fontname=monospace];"]
    for index, function in enumerate(functions):
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f"    label={_quote(function.name)};")
        for row in node_rows(function.graph):
            label = f"{row['kind']} L{row['start_line']}\n" + row["text"][:60]
            lines.append(f"    f{index}_{row['id']} [label={_quote(label)}];")
        for u, v, edge, var in edge_rows(function.graph):
            label = edge.value if var is None else f"{edge.value}:{var}"
            style = DOT_STYLE.get(edge, "color=black")
            lines.append(f"    f{index}_{u} -> f{index}_{v} [label={_quote(label)}, {style}];")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_text(functions: Sequence, kind: GraphKind, code: bool = True) -> str:
    blocks = []
    for function in functions:
        body = linearise(function.cfg, function.graph, kind, code=code)
        blocks.append(f"## {function.name}\n{body}")
    return "\n\n".join(blocks) + "\n"


def render(source, language, kind: GraphKind, fmt: str, function: Optional[str] = None,
           allow_errors: bool = False) -> str:
    """Build and serialise in one call: fmt is json, dot or text."""
    from .builder import build

    functions = build(source, language, kind, function=function, allow_errors=allow_errors)
    if fmt == "json":
        return to_json(functions, language, kind)
    if fmt == "dot":
        return to_dot(functions, kind)
    return to_text(functions, kind)
