"""Control flow graphs: the node and graph types shared by every language, and the builder they use.

A ControlFlowGraph belongs to one function, lambda, class body or module. Nodes are statements (or the parts of
a compound statement that run on their own: an `if` test, a `for` iterable and its next-item step, an `except`
test, ...) plus synthetic nodes (ENTRY, EXIT, finally / with-exit / unbind copies). Each node carries what the
data-flow analysis needs: the names it uses, the names it defines (must or may), the names it deletes, and
definitions that happen only along one kind of out edge (a `for` target on `true`, an `except ... as e` name
when the clause matches, `case` captures on `case_match`).

`finish()` makes the invariants hold: statements that cannot be reached from ENTRY (code after `return`,
`raise`, `continue`, an endless loop) are removed and listed in `unreachable`; a loop that never exits gets one
`no_exit` edge to EXIT so that every node reaches EXIT and the post-dominator tree is defined; node ids are
renumbered 0..n-1 in source order, ENTRY first and EXIT last, so the output does not depend on build order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

import networkx as nx

from .vocabulary import SYNTHETIC_NODE_KINDS, EdgeKind, Language, NodeKind, ScopeKind

Position = Tuple[int, int]          # (line 1-based, column 0-based, in bytes)
Span = Tuple[Position, Position]
Definition = Tuple[str, bool]       # (name, must): a may-definition adds without killing


@dataclass(eq=False, slots=True)   # slots: graphs hold many nodes, and they are built in hot loops
class Node:
    id: int
    kind: NodeKind
    start: Position
    end: Position
    text: str
    uses: Tuple[str, ...] = ()
    defs: Tuple[Definition, ...] = ()
    kills: Tuple[str, ...] = ()
    edge_defs: Dict[EdgeKind, Tuple[Definition, ...]] = field(default_factory=dict)
    declares: Tuple[Tuple[str, str], ...] = ()   # (name, "global" | "nonlocal" | "local") without a runtime def
    owned: Tuple[Span, ...] = ()    # source ranges this node evaluates (for mapping executed code to nodes)
    exact: Tuple[Span, ...] = ()    # whole-statement ranges that belong to this node only when matched exactly

    @property
    def synthetic(self) -> bool:
        return self.kind in SYNTHETIC_NODE_KINDS

    @property
    def start_line(self) -> int:
        return self.start[0]

    @property
    def end_line(self) -> int:
        return self.end[0]


Frontier = List[Tuple[Node, EdgeKind]]   # dangling edges waiting for the next node


class ControlFlowGraph:
    """Nodes (ids 0..n-1, ENTRY first, EXIT last) and sorted (source, target, kind) edges.

    `graph` is the same thing as a networkx MultiDiGraph (edge key = kind, node attribute `node`), built on
    first use: the analyses here work on the plain lists, which is several times faster.
    """

    def __init__(self, name: str, scope: ScopeKind, language: Language, nodes: List[Node],
                 edges: List[Tuple[int, int, EdgeKind]], params: Tuple[str, ...], unreachable: List[Node],
                 syntax=None):
        self.name = name
        self.scope = scope
        self.language = language
        self.nodes = nodes
        self._edges = edges
        self.entry = 0
        self.exit = len(nodes) - 1
        self.params = params
        self.unreachable = unreachable
        self.syntax = syntax   # the tree-sitter node of the function / module, for AST graphs
        self._graph: Optional[nx.MultiDiGraph] = None

    @property
    def graph(self) -> nx.MultiDiGraph:
        if self._graph is None:
            graph = nx.MultiDiGraph()
            graph.add_nodes_from((n.id, {"node": n}) for n in self.nodes)
            graph.add_edges_from(self._edges)
            self._graph = graph
        return self._graph

    def node(self, node_id: int) -> Node:
        return self.nodes[node_id]

    def edges(self) -> List[Tuple[int, int, EdgeKind]]:
        if self._graph is not None:   # the networkx view is authoritative once someone holds it
            return sorted(self._graph.edges(keys=True), key=lambda e: (e[0], e[1], e[2].value))
        return list(self._edges)

    def successors(self, node_id: int) -> List[Tuple[int, EdgeKind]]:
        return [(v, k) for u, v, k in self.edges() if u == node_id]

    def names(self) -> Dict[str, set]:
        """Scope facts read off the graph: names bound here, and names declared global / nonlocal."""
        bound, declared = set(self.params), {"global": set(), "nonlocal": set(), "local": set()}
        for node in self.nodes + self.unreachable:
            bound.update(name for name, _ in node.defs)
            bound.update(node.kills)
            for defs in node.edge_defs.values():
                bound.update(name for name, _ in defs)
            for name, how in node.declares:
                declared[how].add(name)
        bound |= declared["local"]
        return {"local": bound - declared["global"] - declared["nonlocal"], "global": declared["global"],
                "nonlocal": declared["nonlocal"]}


class CFGBuilder:
    """Collects nodes and edges; `finish()` prunes, closes endless loops and renumbers."""

    def __init__(self, name: str, scope: ScopeKind, language: Language, span: Span, params: Tuple[str, ...] = (),
                 syntax=None):
        self.name, self.scope, self.language, self.params, self.syntax = name, scope, language, params, syntax
        self._order: List[Node] = []
        self._edges: Dict[Tuple[int, int, EdgeKind], None] = {}   # an ordered set
        self.entry = self.add(NodeKind.ENTRY, span[0], span[0], f"ENTRY {name}",
                              defs=tuple((p, True) for p in params))
        self.exit = self.add(NodeKind.EXIT, span[1], span[1], f"EXIT {name}")

    def add(self, kind: NodeKind, start: Position, end: Position, text: str, uses: Tuple[str, ...] = (),
            defs: Tuple[Definition, ...] = (), kills: Tuple[str, ...] = (),
            edge_defs: Optional[Dict[EdgeKind, Tuple[Definition, ...]]] = None,
            declares: Tuple[Tuple[str, str], ...] = (), owned: Tuple[Span, ...] = (),
            exact: Tuple[Span, ...] = ()) -> Node:
        # Positional: this runs once per node, and keyword arguments cost noticeably more.
        node = Node(len(self._order), kind, start, end, text, uses, defs, kills,
                    {} if edge_defs is None else edge_defs, declares, owned, exact)
        self._order.append(node)
        return node

    def link(self, frontier: Iterable[Tuple[Node, EdgeKind]], target: Node) -> None:
        for source, kind in frontier:
            self._edges[(source.id, target.id, kind)] = None

    def finish(self) -> ControlFlowGraph:
        order, entry, exit_ = self._order, self.entry, self.exit
        edges = list(self._edges)
        all_entered, all_leave = self._plainly_connected(edges)
        if all_entered:   # the usual case: nothing to prune
            alive = None
            unreachable: List[Node] = []
        else:
            succ: List[List[int]] = [[] for _ in order]
            for u, v, _ in edges:
                succ[u].append(v)
            alive = _reach(succ, entry.id)
            alive.add(exit_.id)
            unreachable = [n for n in order if n.id not in alive]
            edges = [e for e in edges if e[0] in alive and e[1] in alive]
        if not (all_entered and all_leave):
            edges += self._endless_loop_edges(set(range(len(order))) if alive is None else alive, edges)
        # Source line first, then build order: within a line that is evaluation order (a `for` iterable before
        # its next-item step), and copies of a finally body follow the first one. `order` is in build order
        # and the sort is stable, so sorting by line alone keeps build order within a line.
        if alive is None:
            middle = order[2:]   # all but ENTRY and EXIT, the first two built
        else:
            middle = [n for n in order if n.id in alive and n is not entry and n is not exit_]
        middle.sort(key=_start_line)
        kept = [entry] + middle + [exit_]
        mapping = [-1] * len(order)
        for new, node in enumerate(kept):
            mapping[node.id] = new
            node.id = new
        # Edges are unique (an ordered set), and EdgeKind is a str enum, so these tuples sort by (source,
        # target, kind value) without ties.
        edges = sorted([(mapping[u], mapping[v], k) for u, v, k in edges])
        unreachable.sort(key=lambda n: (n.start, n.id))
        return ControlFlowGraph(self.name, self.scope, self.language, kept, edges, self.params, unreachable,
                                self.syntax)

    def _plainly_connected(self, edges) -> Tuple[bool, bool]:
        """Quick tests that are enough to show (1) that every node is reachable from ENTRY and (2) that every
        node reaches EXIT without may-raise edges; `finish` looks properly only where one fails.

        (1) holds when every node has an edge in from a node built before it (not EXIT): by induction on build
        order from ENTRY, which is built first. (2) holds when every node has an edge out (not may-raise) to
        EXIT or to a node built after it: by induction on reverse build order. Straight-line code and branches
        pass both; a loop passes (1) only, as its back edge leads to a node built before.
        """
        exit_id = self.exit.id
        entered = [False] * len(self._order)
        leaves = [False] * len(self._order)
        for u, v, k in edges:
            if u < v and u != exit_id:
                entered[v] = True
            if k is not EdgeKind.MAY_RAISE and (u < v or v == exit_id):
                leaves[u] = True
        entered[self.entry.id] = entered[exit_id] = leaves[exit_id] = True
        return all(entered), all(leaves)

    def _endless_loop_edges(self, alive: set, edges) -> List[Tuple[int, int, EdgeKind]]:
        """Link the first node of each region that cannot reach EXIT (ignoring may-raise edges) to EXIT."""
        added: List[Tuple[int, int, EdgeKind]] = []
        normal = [(u, v) for u, v, k in edges if k is not EdgeKind.MAY_RAISE]
        while True:
            pred: List[List[int]] = [[] for _ in self._order]
            for u, v in normal:
                pred[v].append(u)
            reaches_exit = _reach(pred, self.exit.id)
            if len(reaches_exit) == len(alive):   # every live node reaches EXIT (edges join live nodes only)
                return added
            stuck = [i for i in sorted(alive) if i not in reaches_exit]
            # A node stuck only because it leads into an endless loop must not get the edge: pick the loop
            # itself, a sink component of the stuck part, and its first node in source order (the header).
            inside = set(stuck)
            part = nx.DiGraph([(u, v) for u, v in normal if u in inside and v in inside])
            part.add_nodes_from(stuck)
            condensed = nx.condensation(part)
            for component in [c for c in condensed.nodes if condensed.out_degree(c) == 0]:
                members = condensed.nodes[component]["members"]
                first = min(members, key=lambda i: (self._order[i].start, i))
                added.append((first, self.exit.id, EdgeKind.NO_EXIT))
                normal.append((first, self.exit.id))


def _start_line(node: Node) -> int:
    return node.start[0]


def _reach(adjacency: List[List[int]], start: int) -> set:
    """Node ids reachable from `start`; node ids index `adjacency`."""
    seen, stack = {start}, [start]
    while stack:
        for v in adjacency[stack.pop()]:
            if v not in seen:
                seen.add(v)
                stack.append(v)
    return seen


def first_node(builder: CFGBuilder, frontier: Frontier, node: Node) -> Frontier:
    """Link the frontier into `node` and continue from it with a plain `next` edge."""
    builder.link(frontier, node)
    return [(node, EdgeKind.NEXT)]


def span_of(ts_node) -> Span:
    (start_row, start_column), (end_row, end_column) = ts_node.start_point, ts_node.end_point
    return (start_row + 1, start_column), (end_row + 1, end_column)


def text_of(ts_node, limit: Optional[int] = 240) -> str:
    return compact_text(ts_node.text, limit)


def compact_text(raw: bytes, limit: Optional[int] = 240) -> str:
    """Source text on one line: whitespace runs become one space, and past `limit` it is cut with `…`."""
    text = " ".join(raw.decode("utf-8", "replace").split())
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
