"""Linearisation: a compact, stable text form of a graph, one line per statement.

    L12 cd:L11T dd:total@L9,x@L11

A node's id is `L<line>`; when several nodes start on one line (a `for` iterable and its next-item step,
`a = 1; b = 2`, copies of a `finally` body) they get `L12a`, `L12b`, ... in source and evaluation order.
ENTRY is labelled with its def line (parameters are defined there: `dd:x@L4`; a module's ENTRY is `ENTRY`),
EXIT is `EXIT`.
Edge codes: T true, F false, L loop back, B break, C continue, R return, X raise, E exception, M case match,
N case fail, S suppress, G goto, D fallthrough; plain `next` has no code. The text leaves out `may_raise` and
`no_exit` edges and control dependences on ENTRY; the JSON export has everything.

Formats per kind:  cfg `L12 cf:L13,L15F` (synthetic nodes included)  cdg `L12 cd:L11T`  dfg `L12 dd:x@L9`
pdg `L12 cd:L11T dd:x@L9`  ast: the syntax tree, indented.
"""

from __future__ import annotations

import string
from typing import Dict, List, Tuple

from .cfg import ControlFlowGraph
from .dfg import reaching_definitions
from .rows import edge_rows
from .vocabulary import EdgeKind, GraphKind, ScopeKind

CODES = {EdgeKind.NEXT: "", EdgeKind.TRUE: "T", EdgeKind.FALSE: "F", EdgeKind.LOOP_BACK: "L",
         EdgeKind.BREAK: "B", EdgeKind.CONTINUE: "C", EdgeKind.RETURN: "R", EdgeKind.RAISE: "X",
         EdgeKind.EXCEPTION: "E", EdgeKind.CASE_MATCH: "M", EdgeKind.CASE_FAIL: "N", EdgeKind.SUPPRESS: "S",
         EdgeKind.GOTO: "G", EdgeKind.FALLTHROUGH: "D"}
HIDDEN = {EdgeKind.MAY_RAISE, EdgeKind.NO_EXIT}


def _suffix(i: int) -> str:
    letters = string.ascii_lowercase
    return letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]


def node_labels(cfg: ControlFlowGraph) -> Dict[int, str]:
    by_line: Dict[int, List[int]] = {}
    labels = {cfg.exit: "EXIT"}
    if cfg.scope is ScopeKind.module:   # line 1 usually holds a statement; the module has no def line
        labels[cfg.entry] = "ENTRY"
    for node in cfg.nodes:
        if node.id not in labels:
            by_line.setdefault(node.start_line, []).append(node.id)
    for line, ids in by_line.items():
        for i, node_id in enumerate(sorted(ids)):
            labels[node_id] = f"L{line}" if len(ids) == 1 else f"L{line}{_suffix(i)}"
    return labels


def linearise(cfg: ControlFlowGraph, graph, kind: GraphKind, code: bool = False) -> str:
    kind = GraphKind(kind)
    if kind is GraphKind.ast:
        return _ast_text(graph)
    labels = node_labels(cfg)
    control: Dict[int, List[str]] = {}
    data: Dict[int, List[str]] = {}
    for u, v, edge, var in edge_rows(graph):
        if edge in HIDDEN:
            continue
        if edge is EdgeKind.DATA:
            data.setdefault(v, []).append(f"{var}@{labels[u]}")
        elif kind is GraphKind.cfg:
            control.setdefault(u, []).append(labels[v] + CODES[edge])
        elif u != cfg.entry:
            control.setdefault(v, []).append(labels[u] + CODES[edge])
    prefix = "cf" if kind is GraphKind.cfg else "cd"
    lines = []
    for node in cfg.nodes:
        if kind is not GraphKind.cfg and node.synthetic:
            continue
        parts = [labels[node.id]]
        if control.get(node.id):
            parts.append(f"{prefix}:" + ",".join(control[node.id]))
        if data.get(node.id):
            parts.append("dd:" + ",".join(data[node.id]))
        line = " ".join(parts)
        if code:
            line = f"{line:<40} # {node.text}"
        lines.append(line)
    return "\n".join(lines)


def _ast_text(graph) -> str:
    lines: List[str] = []
    roots = [n for n in sorted(graph.nodes) if graph.in_degree(n) == 0]

    def walk(n: int, depth: int) -> None:
        attrs = graph.nodes[n]
        (l1, _), (l2, _) = attrs["start"], attrs["end"]
        where = f"L{l1}" if l1 == l2 else f"L{l1}-{l2}"
        text = f" {attrs['text']}" if attrs["text"] else ""
        lines.append(f"{'  ' * depth}{attrs['kind']} {where}{text}")
        for child in sorted(graph.successors(n)):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return "\n".join(lines)


def question_answers(cfg: ControlFlowGraph, kind: GraphKind) -> List[Tuple[str, str]]:
    """Checkable questions about the graph: which definitions reach a line, which branches control it."""
    kind = GraphKind(kind)
    pairs: List[Tuple[str, str]] = []
    if kind in (GraphKind.dfg, GraphKind.pdg):
        reaching = reaching_definitions(cfg)
        per_line: Dict[Tuple[int, str], set] = {}
        for node in cfg.nodes:
            for name in node.uses:
                if name in reaching[node.id]:
                    per_line.setdefault((node.start_line, name), set()).update(reaching[node.id][name])
        for (line, name), sources in sorted(per_line.items()):
            where = sorted({cfg.node(s).start_line for s in sources})
            answer = ", ".join(f"line {w}" + (" (parameter)" if any(
                s == cfg.entry and cfg.node(s).start_line == w for s in sources) else "") for w in where)
            pairs.append((f"Which definitions of `{name}` reach line {line}?", answer))
    if kind in (GraphKind.cdg, GraphKind.pdg):
        from .cdg import control_dependences

        controllers: Dict[int, set] = {}
        for a, b, edge in control_dependences(cfg):
            if a != cfg.entry and not cfg.node(b).synthetic:
                controllers.setdefault(cfg.node(b).start_line, set()).add((cfg.node(a).start_line, edge.value))
        for line, found in sorted(controllers.items()):
            answer = ", ".join(f"line {w} ({e})" for w, e in sorted(found))
            pairs.append((f"Which conditions decide whether line {line} runs?", answer))
    return pairs
