"""Data flow: reaching definitions over a CFG, and the def -> use graph they give.

A definition is (node, name). Along an edge out of a node, the node's must-definitions kill every other
definition of the same name and its may-definitions are added without killing; a `del` (or the implicit
`del e` after `except E as e`) kills without defining; definitions attached to one edge kind (a `for`
target on `true`, `except ... as e` on `true`, case captures on `case_match`) apply along that edge only.
An exceptional edge (`may_raise`, or the `raise` of a failing assert) carries the state before the statement
plus its definitions as may-definitions, because the exception can interrupt the statement anywhere.
Parameters are defined at ENTRY. What counts as a use or a definition of each node is decided by the language
module; its docstring lists the approximations (attributes, subscripts, calls).
"""

from __future__ import annotations

from collections import deque
from typing import Dict, List, Optional, Set, Tuple

import networkx as nx

from .cfg import ControlFlowGraph
from .vocabulary import EdgeKind, NodeKind

ReachingDefinitions = Dict[int, Dict[str, Tuple[int, ...]]]


def _index(cfg: ControlFlowGraph, only: Optional[Set[str]] = None):
    """Number the definitions: bit i of a state stands for defs[i]; by_name[name] has the bits of one name.

    With `only`, definitions of other names are left out: each name's bits evolve on their own, so this
    changes nothing for the names kept."""
    defs: List[Tuple[int, str]] = []
    position: Dict[Tuple[int, str], int] = {}
    by_name: Dict[str, int] = {}

    for node in cfg.nodes:
        if not node.defs and not node.edge_defs:   # most nodes define nothing
            continue
        for definitions in (node.defs, *node.edge_defs.values()):
            for name, _ in definitions:
                if only is not None and name not in only:
                    continue
                key = (node.id, name)
                if key not in position:
                    position[key] = len(defs)
                    defs.append(key)
                    by_name[name] = by_name.get(name, 0) | (1 << position[key])
    return defs, position, by_name


def _effect(node_id: int, definitions, kills, position, by_name) -> Tuple[int, int]:
    """(gen, kill) masks of a node's definitions, then its kills, applied in order."""
    gen = kill = 0
    for name, must in definitions:
        if name not in by_name:   # left out by _index(only=...)
            continue
        if must:
            kill |= by_name[name]
            gen &= ~by_name[name]
        gen |= 1 << position[(node_id, name)]
    for name in kills:
        kill |= by_name.get(name, 0)
        gen &= ~by_name.get(name, 0)
    return gen, kill


def _solve(cfg: ControlFlowGraph, only: Optional[Set[str]] = None):
    """Fixpoint of the reaching-definitions equations; definitions are bits of one int per node.

    Node ids are 0..n-1, so states and edge lists are plain lists indexed by id. Each edge's transfer is
    folded into one (keep, gen) pair up front: the state it carries is `(state of its source & keep) | gen`.
    """
    defs, position, by_name = _index(cfg, only)
    nodes = cfg.nodes
    state_in = [0] * len(nodes)
    if not defs:   # without definitions every state is empty
        return defs, by_name, state_in
    plain = [_effect(n.id, n.defs, n.kills, position, by_name) if n.defs or n.kills else (0, 0) for n in nodes]
    incoming: List[List[Tuple[int, int, int]]] = [[] for _ in nodes]
    back_targets = set()
    for u, v, k in cfg.edges():
        source = nodes[u]
        if k is EdgeKind.MAY_RAISE or (k is EdgeKind.RAISE and source.kind is NodeKind.ASSERT):
            # The exception can interrupt the statement anywhere: the state before it plus its definitions.
            keep, gen = -1, 0
            for name in {d for d, _ in source.defs}:
                if (u, name) in position:   # not left out by _index(only=...)
                    gen |= 1 << position[(u, name)]
        else:
            gen, kill = plain[u]
            if k in source.edge_defs:   # then the definitions that happen along this edge only
                gen2, kill2 = _effect(u, source.edge_defs[k], (), position, by_name)
                gen, kill = (gen & ~kill2) | gen2, kill | kill2
            keep = ~kill
        incoming[v].append((u, keep, gen))
        if u >= v:
            back_targets.add(v)
    # Chaotic iteration from all-empty states reaches the least fixpoint in any order that re-evaluates a node
    # whenever one of its inputs has grown. One sweep in id (roughly source) order settles every node whose
    # inputs all come from lower ids; only targets of edges from a higher or equal id (loops) can be stale
    # after it, so a worklist continues from those.
    for i in range(len(nodes)):
        new = 0
        for u, keep, gen in incoming[i]:
            new |= (state_in[u] & keep) | gen
        state_in[i] = new
    if not back_targets:
        return defs, by_name, state_in
    successors: List[List[int]] = [[] for _ in nodes]
    for v, sources in enumerate(incoming):
        for u, _, _ in sources:
            successors[u].append(v)
    work = deque(sorted(back_targets))
    pending = [False] * len(nodes)
    for i in work:
        pending[i] = True
    while work:
        i = work.popleft()
        pending[i] = False
        new = 0
        for u, keep, gen in incoming[i]:
            new |= (state_in[u] & keep) | gen
        if new != state_in[i]:
            state_in[i] = new
            for v in successors[i]:
                if not pending[v]:
                    pending[v] = True
                    work.append(v)
    return defs, by_name, state_in


def _bits(mask: int):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def reaching_definitions(cfg: ControlFlowGraph) -> ReachingDefinitions:
    """For every node, the definitions of each name that reach it: {node: {name: (defining node, ...)}}."""
    defs, _, state_in = _solve(cfg)
    result: ReachingDefinitions = {}
    for i, state in enumerate(state_in):
        per_name: Dict[str, List[int]] = {}
        for bit in _bits(state):
            node_id, name = defs[bit]
            per_name.setdefault(name, []).append(node_id)
        result[i] = {name: tuple(sorted(ids)) for name, ids in sorted(per_name.items())}
    return result


def data_dependences(cfg: ControlFlowGraph) -> List[Tuple[int, int, str]]:
    """(defining node, using node, name) triples, sorted."""
    # Only definitions of names that some node reads can give a dependence.
    used = {name for node in cfg.nodes for name in node.uses}
    if not used:
        return []
    defs, by_name, state_in = _solve(cfg, used)
    out = set()
    for node in cfg.nodes:
        state = state_in[node.id]
        if not state:
            continue
        for name in node.uses:
            mask = state & by_name.get(name, 0)
            while mask:   # the set bits, lowest first (as _bits, without a generator per use)
                low = mask & -mask
                out.add((defs[low.bit_length() - 1][0], node.id, name))
                mask ^= low
    return sorted(out)


def data_dependence_graph(cfg: ControlFlowGraph) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for node in cfg.nodes:
        graph.add_node(node.id, node=node)
    for source, target, name in data_dependences(cfg):
        graph.add_edge(source, target, key=(EdgeKind.DATA, name), var=name)
    return graph
