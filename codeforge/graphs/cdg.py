"""Control dependence (Ferrante, Ottenstein and Warren) from the post-dominator tree of a CFG.

`may_raise` edges are left out: a statement inside a `try` is not a branch, the `try` node is (its `next` edge
into the body and its `exception` edge to the handlers). ENTRY is treated as a branch whose other side goes
straight to EXIT, so statements that depend on no condition depend on ENTRY (edge kind `next`). A loop test
depends on itself through its back edge, as in the classic construction. Loops that never exit have a
`no_exit` edge to EXIT (added by the CFG builder), so the post-dominator tree is always defined.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import networkx as nx

from .cfg import ControlFlowGraph
from .vocabulary import EdgeKind


def post_dominators(cfg: ControlFlowGraph) -> Dict[int, int]:
    """Immediate post-dominator of every node (EXIT maps to itself), ignoring may-raise edges."""
    ipdom = _post_dominator_tree(len(cfg.nodes), _control_edges(cfg), cfg.entry, cfg.exit)
    return {n: d for n, d in enumerate(ipdom) if d is not None}


def _control_edges(cfg: ControlFlowGraph) -> List[Tuple[int, int, EdgeKind]]:
    return [e for e in cfg.edges() if e[2] is not EdgeKind.MAY_RAISE]


def _post_dominator_tree(size: int, edges, entry: int, exit_id: int) -> List[Optional[int]]:
    """Immediate post-dominators by node id (None for a node that cannot reach EXIT).

    Cooper, Harvey and Kennedy's iterative algorithm on the reversed graph, in reverse post-order. Node ids
    are 0..size-1, so plain lists indexed by id hold everything.
    """
    after: List[List[int]] = [[] for _ in range(size)]   # CFG successors: predecessors in the reversed graph
    forward = exit_id == size - 1
    for u, v, _ in edges:
        after[u].append(v)
        if u >= v:
            forward = False
    after[entry].append(exit_id)   # the augmenting ENTRY -> EXIT edge
    if forward and all(after[:exit_id]):   # EXIT, the last id, has no successor
        return _post_dominator_tree_forward(after, exit_id)
    before: List[List[int]] = [[] for _ in range(size)]   # successors in the reversed graph
    for u, successors in enumerate(after):
        for v in successors:
            before[v].append(u)
    # Depth-first post-order from EXIT over the reversed graph. Any reverse post-order gives the same tree
    # (the immediate post-dominator is unique); the order only decides how fast the iteration settles.
    order: List[int] = []
    seen = [False] * size
    seen[exit_id] = True
    stack = [(exit_id, iter(before[exit_id]))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if not seen[child]:
                seen[child] = True
                stack.append((child, iter(before[child])))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    rank = [0] * size
    for i, n in enumerate(order):
        rank[n] = i
    idom: List[Optional[int]] = [None] * size
    idom[exit_id] = exit_id
    changed = True
    while changed:
        changed = False
        for n in order[1:]:
            new = None
            for p in after[n]:
                if idom[p] is not None:
                    if new is None:
                        new = p
                    else:   # intersect: walk both fingers up the tree until they meet
                        a = p
                        while a != new:
                            while rank[a] > rank[new]:
                                a = idom[a]
                            while rank[new] > rank[a]:
                                new = idom[new]
            if new is not None and idom[n] != new:
                idom[n] = new
                changed = True
    return idom


def _post_dominator_tree_forward(after: List[List[int]], exit_id: int) -> List[Optional[int]]:
    """The same, for a graph whose every edge goes to a higher id (no loop), EXIT has the highest id and every
    other node has a successor: then all nodes reach EXIT, and decreasing id is a topological order of the
    reversed graph, so one pass in that order settles every node, with the id itself as the rank (a node's
    post-dominators all have higher ids)."""
    idom: List[Optional[int]] = [None] * len(after)
    idom[exit_id] = exit_id
    for n in range(exit_id - 1, -1, -1):
        successors = after[n]
        new = successors[0]
        for a in successors[1:]:
            while a != new:   # intersect: climb from the lower id until the fingers meet
                while a < new:
                    a = idom[a]
                while new < a:
                    new = idom[new]
        idom[n] = new
    return idom


def control_dependences(cfg: ControlFlowGraph) -> Set[Tuple[int, int, EdgeKind]]:
    """(controller, dependent, branch kind) triples.

    For each edge a -> b, the nodes from b up the post-dominator tree to (not including) ipdom(a) depend on a.
    When b post-dominates a strictly, b is ipdom(a) and the walk is empty, so that case needs no test.
    """
    edges = _control_edges(cfg)
    ipdom = _post_dominator_tree(len(cfg.nodes), edges, cfg.entry, cfg.exit)
    exit_id = cfg.exit
    result: Set[Tuple[int, int, EdgeKind]] = set()
    # The augmenting ENTRY -> EXIT edge is left out: EXIT post-dominates ENTRY, so its walk is empty.
    for a, b, kind in edges:
        stop = ipdom[a]
        if stop is None or ipdom[b] is None:
            continue
        runner = b
        while runner != stop:
            result.add((a, runner, kind))
            if runner == exit_id:
                break
            runner = ipdom[runner]
    return result


def control_dependence_graph(cfg: ControlFlowGraph) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for node in cfg.nodes:
        graph.add_node(node.id, node=node)
    for a, b, kind in sorted(control_dependences(cfg), key=lambda e: (e[0], e[1], e[2].value)):
        graph.add_edge(a, b, key=kind)
    return graph
