"""Control flow shared by the Go, C and C++ builders: blocks, if, loops, switch, labels, goto, break, continue.

Each language module subclasses `CLikeLowering` and says how its syntax spells these (field names differ
between tree-sitter-go, tree-sitter-c and tree-sitter-cpp) and which names a statement reads and writes;
C++ (lang/cpp.py) extends the C rules.

Approximations (all three languages): block scoping is ignored (two variables with one name in different
blocks are one variable for data flow); a pointer, field or index store (`*p = v`, `s.f = v`, `a[i] = v`)
reads the base and defines nothing; passing `&x` (or, in C++, a reference) to a call defines nothing; the
body of a Go function literal gets no graph of its own (a C++ lambda does, see lang/cpp.py), and in both its
reads are not reads of the enclosing statement; there is no module-level graph (top-level declarations
execute nothing).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from ..cfg import CFGBuilder, ControlFlowGraph, Frontier, Node, span_of, text_of
from ..parse import first_error
from ..vocabulary import EdgeKind, Language, NodeKind, ScopeKind

E = EdgeKind


@dataclass
class Facts:
    uses: List[str] = field(default_factory=list)
    defs: List[Tuple[str, bool]] = field(default_factory=list)

    def use(self, name: str) -> None:
        if name not in self.uses and name != "_":
            self.uses.append(name)

    def define(self, name: str) -> None:
        if (name, True) not in self.defs and name != "_":
            self.defs.append((name, True))


@dataclass
class _Breakable:
    breaks: Frontier = field(default_factory=list)
    continue_to: Optional[Node] = None    # None for a switch / select: `continue` goes to an outer loop
    label: Optional[str] = None


class CLikeLowering(ABC):
    language: Language
    LOOP_TYPES: Tuple[str, ...] = ()

    def __init__(self, name: str, definition, params: Tuple[str, ...], body,
                 scope: ScopeKind = ScopeKind.function):
        self.b = CFGBuilder(name, scope, self.language, span_of(definition), params, definition)
        self.definition = definition
        self.stack: List[_Breakable] = []
        self.labels: Dict[str, Node] = {}
        self.gotos: List[Tuple[Node, str]] = []
        self.pending_label: Optional[str] = None
        end = self.function_body(body, [(self.b.entry, E.NEXT)])
        self.b.link(end, self.b.exit)
        for node, label in self.gotos:
            if label in self.labels:
                self.b.link([(node, E.GOTO)], self.labels[label])
        self.graph: ControlFlowGraph = self.b.finish()

    # language hooks: GoLowering and CLowering say what a statement reads and binds, and how it flows
    @abstractmethod
    def facts(self, ts) -> Facts:
        """What one statement reads and binds."""

    @abstractmethod
    def statement(self, s, frontier: Frontier) -> Frontier:
        """Lower one statement reached from `frontier`; return the frontier after it."""

    def function_body(self, body, frontier: Frontier) -> Frontier:
        """Lower what runs when the function is called (C++ adds a constructor's member initializers)."""
        return self.statement(body, frontier)

    # shared helpers
    def node(self, kind: NodeKind, ts, facts: Optional[Facts] = None, text: Optional[str] = None, **extra) -> Node:
        facts = facts if facts is not None else self.facts(ts)
        if ts.has_error and first_error(ts, self.language) is not None:
            kind = NodeKind.ERROR if kind is NodeKind.STATEMENT else kind
        start, end = span_of(ts)
        return self.b.add(kind, start, end, text if text is not None else text_of(ts), uses=tuple(facts.uses),
                          defs=tuple(facts.defs), owned=(span_of(ts),), **extra)

    def simple(self, s, frontier: Frontier, kind: NodeKind = NodeKind.STATEMENT) -> Frontier:
        node = self.node(kind, s)
        self.b.link(frontier, node)
        return [(node, E.NEXT)]

    def statements(self, children, frontier: Frontier) -> Frontier:
        for child in children:
            if child.type != "comment":
                frontier = self.statement(child, frontier)
        return frontier

    def take_label(self) -> Optional[str]:
        label, self.pending_label = self.pending_label, None
        return label

    def labeled(self, s, label_node, inner, frontier: Frontier) -> Frontier:
        label = label_node.text.decode()
        node = self.b.add(NodeKind.LABEL, *span_of(label_node), f"{label}:")
        self.labels[label] = node
        self.b.link(frontier, node)
        if inner is None:
            return [(node, E.NEXT)]
        if inner.type in self.LOOP_TYPES or inner.type.endswith("switch_statement") or inner.type == "select_statement":
            self.pending_label = label
        return self.statement(inner, [(node, E.NEXT)])

    def jump(self, s, frontier: Frontier, kind: EdgeKind, label: Optional[str] = None) -> Frontier:
        node = self.node(NodeKind.JUMP, s, Facts())
        self.b.link(frontier, node)
        for frame in reversed(self.stack):
            if label is not None and frame.label != label:
                continue
            if kind is E.BREAK:
                frame.breaks.append((node, E.BREAK))
                return []
            if frame.continue_to is not None:
                self.b.link([(node, E.CONTINUE)], frame.continue_to)
                return []
        return []

    def goto(self, s, frontier: Frontier, label: str) -> Frontier:
        node = self.node(NodeKind.JUMP, s, Facts())
        self.b.link(frontier, node)
        self.gotos.append((node, label))
        return []

    def ret(self, s, frontier: Frontier, kind: NodeKind = NodeKind.RETURN, edge: EdgeKind = E.RETURN) -> Frontier:
        node = self.node(kind, s)
        self.b.link(frontier, node)
        self.b.link([(node, edge)], self.b.exit)
        return []

    def if_chain(self, condition, consequence, alternative, frontier: Frontier, prelude=None) -> Frontier:
        if prelude is not None:
            frontier = self.statement(prelude, frontier)
        test = self.node(NodeKind.CONDITION, condition, text="if " + text_of(condition))
        self.b.link(frontier, test)
        out = self.statement(consequence, [(test, E.TRUE)])
        if alternative is None:
            return out + [(test, E.FALSE)]
        return out + self.statement(alternative, [(test, E.FALSE)])

    def loop(self, frontier: Frontier, init=None, condition=None, update=None, body=None, ts=None,
             do_while: bool = False) -> Frontier:
        """Three-clause, condition-only, endless and do-while loops."""
        label = self.take_label()
        if init is not None:
            frontier = self.statement(init, frontier) if init.type.endswith(("declaration", "statement")) \
                else self._expr_node(NodeKind.LOOP_INIT, init, frontier)
        test = self.node(NodeKind.CONDITION, condition if condition is not None else ts,
                         Facts() if condition is None else None,
                         text=("for" if condition is None else "loop " + text_of(condition)))
        if condition is None:
            test.end = test.start
        step = self.node(NodeKind.LOOP_UPDATE, update) if update is not None else None
        frame = _Breakable(continue_to=step or test, label=label)
        self.stack.append(frame)
        if do_while:
            mark = len(self.b._order)
            body_end = self.statement(body, frontier)
            self.b.link(body_end, test)
            made = [n for n in self.b._order[mark:] if n.start >= span_of(body)[0]]
            first = min(made, key=lambda n: (n.start, n.id)) if made else test
            self.b.link([(test, E.TRUE)], first)
        else:
            self.b.link(frontier, test)
            body_end = self.statement(body, [(test, E.TRUE)])
            self._link_back(body_end, step or test)
        self.stack.pop()
        if step is not None:
            self.b.link([(step, E.NEXT)], test)
        exits = [] if condition is None else [(test, E.FALSE)]
        return exits + frame.breaks

    def _link_back(self, frontier: Frontier, header: Node) -> None:
        self.b.link([(n, E.LOOP_BACK if k is E.NEXT else k) for n, k in frontier], header)

    def _expr_node(self, kind: NodeKind, ts, frontier: Frontier) -> Frontier:
        node = self.node(kind, ts)
        self.b.link(frontier, node)
        return [(node, E.NEXT)]

    def cases(self, subject: Node, cases, frontier_default_last: bool, body_of, test_facts,
              fallthrough_natural: bool, label: Optional[str], always_blocks: bool = False) -> Frontier:
        """A switch: tests chained in order (default last), bodies in source order (for fall-through)."""
        frame = _Breakable(label=label)
        self.stack.append(frame)
        tests: List[Tuple[object, Optional[Node]]] = []
        pending: Frontier = [(subject, E.NEXT)]
        for case in cases:
            facts, defs_on_match = test_facts(case)
            if facts is None:       # default
                tests.append((case, None))
                continue
            node = self.node(NodeKind.CASE, case, facts, text=case_header(case),
                             edge_defs={E.CASE_MATCH: tuple(defs_on_match)} if defs_on_match else {})
            self.b.link(pending, node)
            pending = [(node, E.CASE_FAIL)]
            tests.append((case, node))
        default = next((c for c, n in tests if n is None), None)
        out: Frontier = []
        carried: Frontier = []
        for case, node in tests:
            into = list(carried)
            if node is not None:
                into.append((node, E.CASE_MATCH))
            elif case is default:
                into += pending
            end = self.statements(body_of(case), into)
            if fallthrough_natural:
                carried = [(n, E.FALLTHROUGH if k is E.NEXT else k) for n, k in end]
            else:
                carried = [(n, k) for n, k in end if k is E.FALLTHROUGH]
                out += [(n, k) for n, k in end if k is not E.FALLTHROUGH]
        self.stack.pop()
        out += [(n, E.NEXT if k is E.FALLTHROUGH else k) for n, k in carried]
        if default is None and not always_blocks:
            out += pending
        return out + frame.breaks


def case_header(case) -> str:
    body_start = None
    for child in case.children:
        if child.type == ":":
            body_start = child.end_byte
            break
    raw = case.text[: (body_start - case.start_byte)] if body_start else case.text.split(b"\n")[0]
    return " ".join(raw.decode("utf-8", "replace").split())


def identifiers(ts, facts: Facts, skip=("field_identifier", "type_identifier", "package_identifier",
                                         "label_name", "statement_identifier", "func_literal")) -> None:
    if ts.type == "identifier":
        facts.use(ts.text.decode("utf-8", "replace"))
        return
    if ts.type in skip:
        return
    for child in ts.named_children:
        identifiers(child, facts)
