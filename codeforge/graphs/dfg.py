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
from typing import Dict, List, Tuple

import networkx as nx

from .cfg import ControlFlowGraph
from .vocabulary import EdgeKind, NodeKind

ReachingDefinitions = Dict[int, Dict[str, Tuple[int, ...]]]


def _index(cfg: ControlFlowGraph):
    defs: List[Tuple[int, str]] = []
    position: Dict[Tuple[int, str], int] = {}
    by_name: Dict[str, int] = {}

    def add(node_id: int, name: str) -> int:
        key = (node_id, name)
        if key not in position:
            position[key] = len(defs)
            defs.append(key)
            by_name[name] = by_name.get(name, 0) | (1 << position[key])
        return 1 << position[key]

    for node in cfg.nodes:
        for name, _ in node.defs:
            add(node.id, name)
        for edge_defs in node.edge_defs.values():
            for name, _ in edge_defs:
                add(node.id, name)
    return defs, position, by_name


def _solve(cfg: ControlFlowGraph):
    """Fixpoint of the reaching-definitions equations; definitions are bits of one int per node."""
    defs, position, by_name = _index(cfg)
    nodes = {n.id: n for n in cfg.nodes}

    def effect(node, definitions, kills=()):
        gen = kill = 0
        for name, must in definitions:
            bit = 1 << position[(node.id, name)]
            if must:
                kill |= by_name[name]
                gen &= ~by_name[name]
            gen |= bit
        for name in kills:
            kill |= by_name.get(name, 0)
            gen &= ~by_name.get(name, 0)
        return gen, kill

    plain = {i: effect(n, n.defs, n.kills) for i, n in nodes.items()}
    exceptional = {i: sum(1 << position[(i, name)] for name in {d for d, _ in n.defs}) for i, n in nodes.items()}
    on_edge = {(i, kind): effect(n, d) for i, n in nodes.items() for kind, d in n.edge_defs.items()}

    def transfer(source: int, kind: EdgeKind, state: int) -> int:
        if kind is EdgeKind.MAY_RAISE or (kind is EdgeKind.RAISE and nodes[source].kind is NodeKind.ASSERT):
            return state | exceptional[source]
        gen, kill = plain[source]
        state = (state & ~kill) | gen
        if (source, kind) in on_edge:
            gen, kill = on_edge[(source, kind)]
            state = (state & ~kill) | gen
        return state

    incoming = {i: [] for i in nodes}
    successors = {i: set() for i in nodes}
    for u, v, k in cfg.edges():
        incoming[v].append((u, k))
        successors[u].add(v)
    state_in = {i: 0 for i in nodes}
    if defs:   # without definitions every state is empty
        work = deque(sorted(nodes))
        pending = set(work)
        while work:
            i = work.popleft()
            pending.discard(i)
            new = 0
            for u, k in incoming[i]:
                new |= transfer(u, k, state_in[u])
            if new != state_in[i]:
                state_in[i] = new
                for v in successors[i]:
                    if v not in pending:
                        pending.add(v)
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
    for i, state in state_in.items():
        per_name: Dict[str, List[int]] = {}
        for bit in _bits(state):
            node_id, name = defs[bit]
            per_name.setdefault(name, []).append(node_id)
        result[i] = {name: tuple(sorted(ids)) for name, ids in sorted(per_name.items())}
    return result


def data_dependences(cfg: ControlFlowGraph) -> List[Tuple[int, int, str]]:
    """(defining node, using node, name) triples, sorted."""
    defs, by_name, state_in = _solve(cfg)
    out = set()
    for node in cfg.nodes:
        state = state_in[node.id]
        for name in node.uses:
            for bit in _bits(state & by_name.get(name, 0)):
                out.add((defs[bit][0], node.id, name))
    return sorted(out)


def data_dependence_graph(cfg: ControlFlowGraph) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for node in cfg.nodes:
        graph.add_node(node.id, node=node)
    for source, target, name in data_dependences(cfg):
        graph.add_edge(source, target, key=(EdgeKind.DATA, name), var=name)
    return graph
