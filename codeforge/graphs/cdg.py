"""Control dependence (Ferrante, Ottenstein and Warren) from the post-dominator tree of a CFG.

`may_raise` edges are left out: a statement inside a `try` is not a branch, the `try` node is (its `next` edge
into the body and its `exception` edge to the handlers). ENTRY is treated as a branch whose other side goes
straight to EXIT, so statements that depend on no condition depend on ENTRY (edge kind `next`). A loop test
depends on itself through its back edge, as in the classic construction. Loops that never exit have a
`no_exit` edge to EXIT (added by the CFG builder), so the post-dominator tree is always defined.
"""

from __future__ import annotations

from typing import Dict, List, Set, Tuple

import networkx as nx

from .cfg import ControlFlowGraph
from .vocabulary import EdgeKind

_AUGMENT = "augment"   # the virtual ENTRY -> EXIT edge; never appears in the result


def post_dominators(cfg: ControlFlowGraph) -> Dict[int, int]:
    """Immediate post-dominator of every node (EXIT maps to itself), ignoring may-raise edges.

    Cooper, Harvey and Kennedy's iterative algorithm on the reversed graph, in reverse post-order.
    """
    succ: Dict[int, List[int]] = {n.id: [] for n in cfg.nodes}   # successors in the reversed graph
    for u, v, k in cfg.edges():
        if k is not EdgeKind.MAY_RAISE:
            succ[v].append(u)
    succ[cfg.exit].append(cfg.entry)   # the augmenting ENTRY -> EXIT edge, reversed
    order: List[int] = []
    seen = {cfg.exit}
    stack = [(cfg.exit, iter(sorted(succ[cfg.exit])))]
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            order.append(node)
        elif child not in seen:
            seen.add(child)
            stack.append((child, iter(sorted(succ[child]))))
    order.reverse()
    rank = {n: i for i, n in enumerate(order)}
    pred: Dict[int, List[int]] = {n: [] for n in order}
    for u in order:
        for v in succ[u]:
            pred[v].append(u)
    idom = {cfg.exit: cfg.exit}
    changed = True
    while changed:
        changed = False
        for n in order[1:]:
            new = None
            for p in pred[n]:
                if p in idom:
                    new = p if new is None else _intersect(idom, rank, p, new)
            if new is not None and idom.get(n) != new:
                idom[n] = new
                changed = True
    return idom


def _intersect(idom, rank, a: int, b: int) -> int:
    while a != b:
        while rank[a] > rank[b]:
            a = idom[a]
        while rank[b] > rank[a]:
            b = idom[b]
    return a


def control_dependences(cfg: ControlFlowGraph) -> Set[Tuple[int, int, EdgeKind]]:
    """(controller, dependent, branch kind) triples."""
    ipdom = post_dominators(cfg)
    edges = [(u, v, k) for u, v, k in cfg.edges() if k is not EdgeKind.MAY_RAISE]
    edges.append((cfg.entry, cfg.exit, _AUGMENT))
    result: Set[Tuple[int, int, EdgeKind]] = set()
    for a, b, kind in edges:
        if a not in ipdom or b not in ipdom or _post_dominates(ipdom, b, a, cfg.exit):
            continue
        runner = b
        while runner != ipdom[a]:
            if kind != _AUGMENT:
                result.add((a, runner, kind))
            if runner == cfg.exit:
                break
            runner = ipdom[runner]
    return result


def _post_dominates(ipdom: Dict[int, int], b: int, a: int, exit_id: int) -> bool:
    x = a
    while x != exit_id:
        x = ipdom[x]
        if x == b:
            return True
    return False


def control_dependence_graph(cfg: ControlFlowGraph) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for node in cfg.nodes:
        graph.add_node(node.id, node=node)
    for a, b, kind in sorted(control_dependences(cfg), key=lambda e: (e[0], e[1], e[2].value)):
        graph.add_edge(a, b, key=kind)
    return graph
