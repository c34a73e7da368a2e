"""The syntax tree as a networkx graph: one node per tree-sitter node, `child` edges in source order.

Node kinds are tree-sitter node types (closed by each grammar). Options: `max_depth` cuts the tree below a
depth; `types` keeps only nodes of those types, each linked to its nearest kept ancestor; anonymous tokens
(punctuation, keywords) are left out unless `anonymous=True`.
"""

from __future__ import annotations

from typing import Iterable, Optional

import networkx as nx

from .cfg import span_of, text_of
from .vocabulary import EdgeKind


def syntax_graph(ts_node, max_depth: Optional[int] = None, types: Optional[Iterable[str]] = None,
                 anonymous: bool = False) -> nx.MultiDiGraph:
    keep = set(types) if types else None
    graph = nx.MultiDiGraph()
    counter = 0
    stack = [(ts_node, None, 0)]
    while stack:
        node, parent, depth = stack.pop()
        kept = (keep is None or node.type in keep or parent is None) and (anonymous or node.is_named)
        current = parent
        if kept:
            start, end = span_of(node)
            leaf = node.child_count == 0
            graph.add_node(counter, kind=node.type, start=start, end=end,
                           text=text_of(node, 80) if leaf or node.type in ("identifier", "string") else "")
            if parent is not None:
                graph.add_edge(parent, counter, key=EdgeKind.CHILD)
            current = counter
            counter += 1
        if max_depth is None or depth < max_depth:
            for child in reversed(node.children):
                stack.append((child, current, depth + 1))
    return graph
