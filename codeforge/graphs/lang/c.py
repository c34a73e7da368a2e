"""C control flow graphs from tree-sitter-c: if/else, for, while, do-while, switch with fall-through and
default, goto and labels, break, continue, return.

A switch tests its `case` labels in source order (`case_fail` to the next label, `default` when all fail,
wherever it is written); the statements of a case run on into the next case unless they `break`
(`fallthrough` edges). `exit()`, `abort()` and `longjmp` are ordinary calls. The preprocessor is not run:
macros are read as the calls or names they look like. See codeforge.graphs.lang.clike for the data-flow
approximations shared with Go.
"""

from __future__ import annotations

from typing import List, Optional

from ..cfg import ControlFlowGraph, Frontier, text_of
from ..parse import ParsedSource
from ..vocabulary import EdgeKind, Language, NodeKind
from .clike import CLikeLowering, Facts, identifiers

E = EdgeKind


def _declared_name(declarator) -> Optional[str]:
    while declarator is not None and declarator.type != "identifier":
        inner = declarator.child_by_field_name("declarator")
        if inner is None:
            inner = next((c for c in declarator.named_children if c.type == "identifier"), None)
        declarator = inner
    return declarator.text.decode() if declarator is not None else None


class CLowering(CLikeLowering):
    language = Language.c
    LOOP_TYPES = ("for_statement", "while_statement", "do_statement")

    def facts(self, ts) -> Facts:
        facts = Facts()
        self._walk(ts, facts)
        return facts

    def _walk(self, ts, facts: Facts) -> None:
        t = ts.type
        if t == "declaration":
            for d in ts.children_by_field_name("declarator"):
                if d.type == "init_declarator":
                    self._walk(d.child_by_field_name("value"), facts)
                    name = _declared_name(d.child_by_field_name("declarator"))
                    if name:
                        facts.define(name)
        elif t == "assignment_expression":
            left, right = ts.child_by_field_name("left"), ts.child_by_field_name("right")
            self._walk(right, facts)
            operator = ts.child_by_field_name("operator")
            if left.type == "identifier":
                if operator is not None and operator.text != b"=":
                    facts.use(left.text.decode())
                facts.define(left.text.decode())
            else:
                self._walk(left, facts)
        elif t == "update_expression":
            target = ts.child_by_field_name("argument")
            self._walk(target, facts)
            if target.type == "identifier":
                facts.define(target.text.decode())
        elif t == "identifier":
            facts.use(ts.text.decode())
        elif t in ("field_identifier", "type_identifier", "statement_identifier", "primitive_type"):
            return
        elif t == "call_expression":
            self._walk(ts.child_by_field_name("function"), facts)
            self._walk(ts.child_by_field_name("arguments"), facts)
        else:
            for child in ts.named_children:
                self._walk(child, facts)

    def statement(self, s, frontier: Frontier) -> Frontier:
        t = s.type
        if t == "compound_statement":
            return self.statements(s.named_children, frontier)
        if t == "if_statement":
            alternative = s.child_by_field_name("alternative")
            if alternative is not None and alternative.type == "else_clause":
                alternative = alternative.named_children[0] if alternative.named_children else None
            return self.if_chain(s.child_by_field_name("condition"), s.child_by_field_name("consequence"),
                                 alternative, frontier)
        if t == "for_statement":
            return self.loop(frontier, s.child_by_field_name("initializer"), s.child_by_field_name("condition"),
                             s.child_by_field_name("update"), s.child_by_field_name("body"), s)
        if t == "while_statement":
            return self.loop(frontier, None, s.child_by_field_name("condition"), None,
                             s.child_by_field_name("body"), s)
        if t == "do_statement":
            return self.loop(frontier, None, s.child_by_field_name("condition"), None,
                             s.child_by_field_name("body"), s, do_while=True)
        if t == "switch_statement":
            label = self.take_label()
            condition = s.child_by_field_name("condition")
            subject = self.node(NodeKind.MATCH, condition, text="switch " + text_of(condition))
            self.b.link(frontier, subject)
            body = s.child_by_field_name("body")
            cases = [c for c in body.named_children if c.type == "case_statement"]
            return self.cases(subject, cases, True, self._case_body, self._case_test, True, label)
        if t == "labeled_statement":
            inner = next((c for c in s.named_children if c.type != "statement_identifier"), None)
            return self.labeled(s, s.child_by_field_name("label"), inner, frontier)
        if t == "break_statement":
            return self.jump(s, frontier, E.BREAK)
        if t == "continue_statement":
            return self.jump(s, frontier, E.CONTINUE)
        if t == "goto_statement":
            return self.goto(s, frontier, s.child_by_field_name("label").text.decode())
        if t == "return_statement":
            return self.ret(s, frontier)
        if t == "expression_statement" and not s.named_children:
            return frontier   # `;`
        return self.simple(s, frontier)

    @staticmethod
    def _case_body(case):
        value = case.child_by_field_name("value")
        return [c for c in case.named_children if value is None or c.id != value.id]

    @staticmethod
    def _case_test(case):
        value = case.child_by_field_name("value")
        if value is None:
            return None, ()
        facts = Facts()
        identifiers(value, facts)
        return facts, ()


def build_c(parsed: ParsedSource) -> List[ControlFlowGraph]:
    graphs = []
    for decl in parsed.top_level:
        if decl.type != "function_definition":
            continue
        declarator = decl.child_by_field_name("declarator")
        while declarator is not None and declarator.type != "function_declarator":
            declarator = declarator.child_by_field_name("declarator")
        if declarator is None:
            continue
        name = _declared_name(declarator.child_by_field_name("declarator")) or "<anonymous>"
        params = []
        for p in declarator.child_by_field_name("parameters").named_children:
            pname = _declared_name(p.child_by_field_name("declarator")) if p.type == "parameter_declaration" else None
            if pname:
                params.append(pname)
        graphs.append(CLowering(name, decl, tuple(params), decl.child_by_field_name("body")).graph)
    return graphs
