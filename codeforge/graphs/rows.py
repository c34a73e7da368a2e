"""A graph's nodes and edges as sorted rows: what the text form, the exports and the tables all read.

Nodes are sorted by id and edges by (source, target, kind, var), and nothing depends on set or dict iteration
of hashed strings, so every form built from these rows is the same on every run and under every
PYTHONHASHSEED.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from .vocabulary import EdgeKind


def edge_rows(graph) -> List[Tuple[int, int, EdgeKind, Optional[str]]]:
    """(source, target, kind, var) per edge; var is the variable of a data edge, else None."""
    rows = []
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        if isinstance(key, tuple):
            rows.append((u, v, key[0], attrs.get("var", key[1])))
        else:
            rows.append((u, v, key, None))
    rows.sort(key=lambda r: (r[0], r[1], r[2].value, r[3] or ""))
    return rows


def node_rows(graph) -> List[dict]:
    """`{"id", "kind", "start_line", "end_line", "text"}` per node, for CFG-based and AST graphs alike."""
    rows = []
    for node_id in sorted(graph.nodes):
        attrs = graph.nodes[node_id]
        if "node" in attrs:
            n = attrs["node"]
            rows.append({"id": node_id, "kind": n.kind.value, "start_line": n.start_line, "end_line": n.end_line,
                         "text": n.text})
        else:
            rows.append({"id": node_id, "kind": attrs["kind"], "start_line": attrs["start"][0],
                         "end_line": attrs["end"][0], "text": attrs["text"]})
    return rows
