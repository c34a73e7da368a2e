"""Linearisation: a compact, stable text form of a graph, one line per statement.

    L12 cd:L11T dd:total@L9,x@L11

A node's id is `L<line>`; when several nodes start on one line (a `for` iterable and its next-item step,
`a = 1; b = 2`, copies of a `finally` body) they get `L12a`, `L12b`, ... in source and evaluation order.
ENTRY is labelled with its def line (parameters are defined there: `dd:x@L4`; a module's ENTRY is `ENTRY`),
EXIT is `EXIT`. A node built from source that does not parse (only with allow_errors) is marked `!error`
after its label: `L4 !error cf:L6`.
Edge codes (vocabulary.EDGE_CODES, explained by vocabulary.LEGEND): T true, F false, L loop back, B break,
C continue, R return, X raise, E exception, M case match, N case fail, S suppress, G goto, D fallthrough;
plain `next` has no code. The text leaves out `may_raise` and `no_exit` edges and control dependences on
ENTRY; the JSON export has everything.

Formats per kind:  cfg `L12 cf:L13,L15F` (synthetic nodes included)  cdg `L12 cd:L11T`  dfg `L12 dd:x@L9`
pdg `L12 cd:L11T dd:x@L9`  ast: the syntax tree, indented.
"""

from __future__ import annotations

import string
from typing import Dict, List, Tuple

from .cfg import ControlFlowGraph
from .dfg import reaching_definitions
from .rows import edge_rows
from .vocabulary import EDGE_CODES, EdgeKind, GraphKind, NodeKind, ScopeKind

HIDDEN = {EdgeKind.MAY_RAISE, EdgeKind.NO_EXIT}
ERROR_MARK = "!error"


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
            control.setdefault(u, []).append(labels[v] + EDGE_CODES[edge])
        elif u != cfg.entry:
            control.setdefault(v, []).append(labels[u] + EDGE_CODES[edge])
    prefix = "cf" if kind is GraphKind.cfg else "cd"
    lines = []
    for node in cfg.nodes:
        if kind is not GraphKind.cfg and node.synthetic:
            continue
        parts = [labels[node.id]]
        if node.kind is NodeKind.ERROR:
            parts.append(ERROR_MARK)
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
    """Checkable questions about the graph, with the answers it gives: which lines can run next after a line
    (cfg), which definitions reach a line (dfg, pdg), which conditions decide whether a line runs (cdg, pdg).
    An AST has none."""
    kind = GraphKind(kind)
    pairs: List[Tuple[str, str]] = []
    if kind is GraphKind.cfg:
        end = "the end of the module" if cfg.scope is ScopeKind.module else "the end of the function"
        for line, (lines, ends) in sorted(next_lines(cfg).items()):
            answer = ", ".join([f"line {w}" for w in sorted(lines)] + ([end] if ends else []))
            if answer:
                pairs.append((f"Which lines can run next after line {line}?", answer))
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


def next_lines(cfg: ControlFlowGraph) -> Dict[int, Tuple[set, bool]]:
    """For each line with a statement: the other lines that can run right after it, and whether the
    function (or module) can end right after it. Control passes through the line's own nodes and through
    synthetic ones (finally copies, with exits); may-raise and no-exit edges are left out, as in the text."""
    successors: Dict[int, List[int]] = {}
    for u, v, edge in cfg.edges():
        if edge not in HIDDEN:
            successors.setdefault(u, []).append(v)
    by_line: Dict[int, List[int]] = {}
    for node in cfg.nodes:
        if not node.synthetic:
            by_line.setdefault(node.start_line, []).append(node.id)
    result: Dict[int, Tuple[set, bool]] = {}
    for line, ids in by_line.items():
        seen, stack, lines, ends = set(ids), list(ids), set(), False
        while stack:
            for v in successors.get(stack.pop(), ()):
                if v in seen:
                    continue
                seen.add(v)
                node = cfg.node(v)
                if v == cfg.exit:
                    ends = True
                elif node.synthetic or node.start_line == line:
                    stack.append(v)
                else:
                    lines.add(node.start_line)
        result[line] = (lines, ends)
    return result
