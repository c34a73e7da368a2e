"""Go control flow graphs from tree-sitter-go: if (with init), for (three-clause, condition, endless, range),
switch and type switch (with init, default, fallthrough), select, defer, goto and labels, labelled break and
continue, return and panic.

A `range` loop is a `loop_iter` node (the range expression, evaluated once) and a `loop_next` node binding
the key and value on its `true` edge. A switch tests its cases in source order with `case_fail` edges and runs
`default` when all fail, wherever `default` is written. A `select` is tested the same way; without `default`
it blocks, so its last case has no `case_fail` edge. A call to `panic` is a `raise` node with an edge to EXIT.
`defer` is a node that registers the call: the deferred calls run at function exit and are not separate nodes,
and `recover` is not modelled (a panic always ends the function). See codeforge.graphs.lang.clike for the
data-flow approximations shared with C.
"""

from __future__ import annotations

from typing import List

from ..cfg import ControlFlowGraph, Frontier, text_of
from ..parse import ParsedSource
from ..vocabulary import EdgeKind, Language, NodeKind
from .clike import CLikeLowering, Facts, identifiers

E = EdgeKind


def _names(expression_list) -> List[str]:
    if expression_list is None:
        return []
    items = expression_list.named_children if expression_list.type == "expression_list" else [expression_list]
    return [i.text.decode() for i in items if i.type == "identifier"]


def _params(*lists) -> tuple:
    out = []
    for plist in lists:
        for p in (plist.named_children if plist is not None else []):
            out += [n.text.decode() for n in p.children_by_field_name("name")]
    return tuple(out)


class GoLowering(CLikeLowering):
    language = Language.go
    LOOP_TYPES = ("for_statement",)

    def facts(self, ts) -> Facts:
        facts = Facts()
        t = ts.type
        if t in ("short_var_declaration", "assignment_statement", "range_clause", "receive_statement"):
            operator = ts.child_by_field_name("operator")
            right = ts.child_by_field_name("right")
            left = ts.child_by_field_name("left")
            if right is not None:
                identifiers(right, facts)
            compound = operator is not None and operator.text not in (b"=", b":=")
            for item in (left.named_children if left is not None and left.type == "expression_list" else
                         [left] if left is not None else []):
                if item.type == "identifier":
                    if compound:
                        facts.use(item.text.decode())
                    facts.define(item.text.decode())
                else:
                    identifiers(item, facts)
        elif t in ("inc_statement", "dec_statement"):
            target = ts.named_children[0]
            identifiers(target, facts)
            if target.type == "identifier":
                facts.define(target.text.decode())
        elif t in ("var_declaration", "const_declaration"):
            for spec in ts.named_children:
                for value in spec.children_by_field_name("value"):
                    identifiers(value, facts)
                for name in spec.children_by_field_name("name"):
                    if spec.child_by_field_name("value") is not None or t == "var_declaration":
                        facts.define(name.text.decode())
        else:
            identifiers(ts, facts)
        return facts

    def statement(self, s, frontier: Frontier) -> Frontier:
        t = s.type
        if t in ("block", "statement_list"):
            return self.statements(s.named_children, frontier)
        if t == "if_statement":
            return self.if_chain(s.child_by_field_name("condition"), s.child_by_field_name("consequence"),
                                 s.child_by_field_name("alternative"), frontier, s.child_by_field_name("initializer"))
        if t == "for_statement":
            return self._for(s, frontier)
        if t in ("expression_switch_statement", "type_switch_statement"):
            return self._switch(s, frontier)
        if t == "select_statement":
            subject = self.node(NodeKind.MATCH, s, Facts(), text="select")
            subject.end = subject.start
            self.b.link(frontier, subject)
            cases = [c for c in s.named_children if c.type in ("communication_case", "default_case")]
            has_default = any(c.type == "default_case" for c in cases)
            return self.cases(subject, cases, True, self._case_body, self._select_test, False,
                              self.take_label(), always_blocks=not has_default)
        if t == "labeled_statement":
            inner = next((c for c in s.named_children if c.type != "label_name"), None)
            return self.labeled(s, s.child_by_field_name("label"), inner, frontier)
        if t == "break_statement" or t == "continue_statement":
            label = next((c.text.decode() for c in s.named_children if c.type == "label_name"), None)
            return self.jump(s, frontier, E.BREAK if t == "break_statement" else E.CONTINUE, label)
        if t == "goto_statement":
            return self.goto(s, frontier, s.named_children[0].text.decode())
        if t == "return_statement":
            return self.ret(s, frontier)
        if t == "defer_statement":
            return self.simple(s, frontier, NodeKind.DEFER)
        if t == "fallthrough_statement":
            node = self.node(NodeKind.JUMP, s, Facts())
            self.b.link(frontier, node)
            return [(node, E.FALLTHROUGH)]
        if t == "expression_statement" and self._is_panic(s):
            return self.ret(s, frontier, NodeKind.RAISE, E.RAISE)
        if t == "empty_statement":
            return frontier
        return self.simple(s, frontier)

    @staticmethod
    def _is_panic(s) -> bool:
        call = s.named_children[0] if s.named_children else None
        return call is not None and call.type == "call_expression" and \
            call.child_by_field_name("function").text == b"panic"

    def _for(self, s, frontier: Frontier) -> Frontier:
        body = s.child_by_field_name("body")
        clause = next((c for c in s.named_children if c.start_byte != body.start_byte), None)
        if clause is not None and clause.type == "range_clause":
            label = self.take_label()
            right = clause.child_by_field_name("right")
            iterable = self.node(NodeKind.LOOP_ITER, right)
            self.b.link(frontier, iterable)
            left = clause.child_by_field_name("left")
            bound = [(n, True) for n in _names(left) if n != "_"]
            uses = Facts()
            if left is not None and clause.child_by_field_name("operator") is not None and \
                    clause.child_by_field_name("operator").text == b"=":
                for item in left.named_children:
                    if item.type != "identifier":
                        identifiers(item, uses)
            header = self.node(NodeKind.LOOP_NEXT, left if left is not None else clause, uses,
                               text=f"for {text_of(left) if left is not None else ''} range {text_of(right, 60)}",
                               edge_defs={E.TRUE: tuple(bound)})
            self.b.link([(iterable, E.NEXT)], header)
            from .clike import _Breakable

            frame = _Breakable(continue_to=header, label=label)
            self.stack.append(frame)
            self._link_back(self.statement(body, [(header, E.TRUE)]), header)
            self.stack.pop()
            return [(header, E.FALSE)] + frame.breaks
        if clause is not None and clause.type == "for_clause":
            return self.loop(frontier, clause.child_by_field_name("initializer"),
                             clause.child_by_field_name("condition"), clause.child_by_field_name("update"),
                             body, s)
        return self.loop(frontier, None, clause, None, body, s)

    def _switch(self, s, frontier: Frontier) -> Frontier:
        label = self.take_label()
        init = s.child_by_field_name("initializer")
        if init is not None:
            frontier = self.statement(init, frontier)
        value = s.child_by_field_name("value")
        facts = self.facts(value) if value is not None else Facts()
        alias = s.child_by_field_name("alias")
        self._alias = [(n, True) for n in _names(alias)]
        subject = self.node(NodeKind.MATCH, value if value is not None else s, facts,
                            text="switch " + (text_of(value) if value is not None else "true"))
        self.b.link(frontier, subject)
        cases = [c for c in s.named_children if c.type in ("expression_case", "type_case", "default_case")]
        return self.cases(subject, cases, True, self._case_body, self._switch_test, False, label)

    @staticmethod
    def _case_body(case):
        out = []
        for child in case.named_children:
            if child.type == "statement_list":
                out += child.named_children
            elif case.field_name_for_named_child(case.named_children.index(child)) is None and \
                    child.type.endswith("statement"):
                out.append(child)
        return out

    def _switch_test(self, case):
        if case.type == "default_case":
            return None, ()
        facts = Facts()
        for value in case.children_by_field_name("value"):
            identifiers(value, facts)
        return facts, tuple(self._alias) if case.type == "type_case" else ()

    def _select_test(self, case):
        if case.type == "default_case":
            return None, ()
        communication = case.child_by_field_name("communication")
        facts = self.facts(communication) if communication is not None else Facts()
        defs = tuple(facts.defs)
        facts.defs = []
        return facts, defs


def build_go(parsed: ParsedSource) -> List[ControlFlowGraph]:
    graphs = []
    for decl in parsed.top_level:
        if decl.type not in ("function_declaration", "method_declaration"):
            continue
        body = decl.child_by_field_name("body")
        if body is None:
            continue
        name = decl.child_by_field_name("name").text.decode()
        receiver = decl.child_by_field_name("receiver")
        params = _params(receiver, decl.child_by_field_name("parameters"),
                         decl.child_by_field_name("result") if decl.child_by_field_name("result") is not None
                         and decl.child_by_field_name("result").type == "parameter_list" else None)
        if receiver is not None:
            kind = receiver.named_children[0].child_by_field_name("type") if receiver.named_children else None
            name = f"{text_of(kind).lstrip('*')}.{name}" if kind is not None else name
        graphs.append(GoLowering(name, decl, params, body).graph)
    return graphs
