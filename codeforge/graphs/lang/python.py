"""Python control flow graphs from tree-sitter-python, with the facts data flow needs on every node.

One graph for the module, one per `def`, `class` body and `lambda` (nested definitions are binding nodes in
the enclosing graph). Constructs: if/elif/else; while and for with `else`, break, continue (`while True` and
`while 1` have no false exit); return, raise, assert (a `raise` edge when it fails); try/except/except*/else/
finally; with and async with; match/case with guards; yield and await statements; def, class and lambda.

How the hard parts are lowered:
- `for`: a `loop_iter` node (the iterable, evaluated once) then a `loop_next` node (take the next item; the
  target is bound on its `true` edge only).
- `try`: the `try` node is a branch: `next` into the body, `exception` to the first `except` test (and to the
  exception copy of `finally`). Every statement inside a protected region (a try body, a handler or body under
  a `finally`, a `with` body, an `except ... as` body) also gets a `may_raise` edge to where its exception
  goes; control dependence ignores those edges, so a try body is not a chain of branches.
- `finally`, `with` exits and the implicit `del e` of `except E as e` are copied once per kind of exit that
  crosses them (normal, return, break, continue, exception); each copy continues to where that kind of exit
  goes, so no path leaves a `finally` entered by `return` anywhere but EXIT. The exception copy of a `with`
  exit may also `suppress` the exception and continue after the statement.
- `case`: `case_match` into the guard or body, binding the captures; `case_fail` to the next case (absent for
  an irrefutable pattern such as `case _:` or `case x:`).

Approximations (known and deliberate):
- exceptions are implicit only inside protected regions: a statement outside any try/with cannot reach a
  handler, and its exception ends the function without an edge (the trace simply ends);
- one `with` exit node stands for the `__exit__` of all items of a multi-item `with`;
- a constant condition other than `while True` / `while 1` (`if False:`) still gets both edges;
- data flow: attribute and subscript stores read the base and define nothing; a call defines nothing in the
  caller (not even names a callee declares `global` or `nonlocal`); `from m import *` defines nothing;
  a walrus in the right of `and`/`or`, a conditional branch or a comprehension is a may-definition; reads
  inside a lambda or nested def belong to that function's graph, reads inside a generator expression belong
  to the statement that creates it; a name read in the same statement that defines it by walrus is not
  linked to that definition; annotations of local variables are not evaluated (as in CPython), other
  annotations, decorators and defaults are read by the definition node; Python 3.12 type parameters are
  not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from ..cfg import CFGBuilder, ControlFlowGraph, Frontier, Node, compact_text, span_of
from ..parse import ParsedSource
from ..vocabulary import EdgeKind, Language, NodeKind, ScopeKind
from .python_names import (Names, case_pattern, expression, irrefutable, name_of, parameter_defaults,
                           parameter_names, target, type_of)

E = EdgeKind
EXCEPTIONAL = (E.RAISE, E.MAY_RAISE)
_NO_NAMES = Names(b"")   # shared by nodes that read and bind nothing; never added to
CONSTANT_TRUE = {"True", "1"}


@dataclass
class _Loop:
    header: Node
    breaks: Frontier = field(default_factory=list)


@dataclass
class _Handlers:
    target: Node


@dataclass
class _Exit:
    """Code that runs whenever control leaves a region: a finally body, a with exit, an implicit `del e`."""

    header: Node
    entry: Callable[[str], Node]
    body: Callable[[Frontier], Frontier]
    copies: Dict[str, Node] = field(default_factory=dict)


def build_python(parsed: ParsedSource) -> List[ControlFlowGraph]:
    """Every graph of a Python file: the module first, then definitions in source order."""
    root = parsed.root
    queue: List[Tuple[ScopeKind, object, str]] = []
    graphs = [_Lowering(ScopeKind.module, root, "<module>", queue, parsed.source, parsed.top_level).graph]
    while queue:
        scope, node, name = queue.pop(0)
        graphs.append(_Lowering(scope, node, name, queue, parsed.source).graph)
    graphs[1:] = sorted(graphs[1:], key=lambda g: (g.node(g.entry).start, g.name))
    return graphs


def _block_of(node):
    return next((c for c in reversed(node.named_children) if type_of(c) == "block"), None)


class _Lowering:
    def __init__(self, scope: ScopeKind, ts_node, name: str, queue, source: bytes, top_level=None):
        self.queue = queue
        self.source = source
        self.prefix = "" if scope is ScopeKind.module else name + "."
        self.stack: list = []
        self.scope = scope
        # A node has an error only inside a subtree that has one: test every statement only when needed.
        self.has_errors = ts_node.has_error
        if scope is ScopeKind.module:
            span = ((1, 0), span_of(ts_node)[1])
            self.b = CFGBuilder(name, scope, Language.python, span, syntax=ts_node)
            children = ts_node.named_children if top_level is None else top_level
            end = self.statements(children, [(self.b.entry, E.NEXT)])
        elif scope is ScopeKind.lambda_:
            parameters = ts_node.child_by_field_name("parameters")
            params = tuple(parameter_names(parameters)) if parameters is not None else ()
            self.b = CFGBuilder(name, scope, Language.python, span_of(ts_node), params, ts_node)
            body = ts_node.child_by_field_name("body")
            ret = self.node(NodeKind.RETURN, body, expression(body, self.names()), owned=(span_of(ts_node),))
            self.b.link([(self.b.entry, E.NEXT)], ret)
            self.jump([(ret, E.RETURN)], E.RETURN)
            end = []
        else:
            parameters = ts_node.child_by_field_name("parameters")
            params = tuple(parameter_names(parameters)) if parameters is not None else ()
            self.b = CFGBuilder(name, scope, Language.python, span_of(ts_node), params, ts_node)
            frontier = [(self.b.entry, E.NEXT)]
            if self.has_errors:   # what did not parse between the header and the body is this scope's too
                frontier = self.statements([c for c in ts_node.named_children if type_of(c) == "ERROR"], frontier)
            end = self.block(ts_node.child_by_field_name("body"), frontier)
        self.b.link(end, self.b.exit)
        self.graph = self.b.finish()

    # ---- nodes and jumps -------------------------------------------------------------------------------------

    def names(self) -> Names:
        return Names(self.source)

    def text(self, ts, limit: Optional[int] = 240) -> str:
        """The same as cfg.text_of, sliced from the source bytes (cheaper than Node.text)."""
        return compact_text(self.source[ts.start_byte:ts.end_byte], limit)

    def _header_text(self, outer, body) -> str:
        """A compound statement's text up to its body, without the colon."""
        raw = self.source[outer.start_byte:body.start_byte if body is not None else outer.end_byte]
        return " ".join(raw.decode("utf-8", "replace").split()).rstrip(":").rstrip()

    def node(self, kind: NodeKind, ts, names: Optional[Names] = None, text: Optional[str] = None,
             owned=None, exact=(), may_raise: bool = True, declares=(), edge_defs=None, kills=()) -> Node:
        names = names or _NO_NAMES
        if self.has_errors and ts.has_error and kind in (NodeKind.STATEMENT, NodeKind.DEFINITION):
            kind = NodeKind.ERROR   # built from what parsed (allow_errors); marked so a reader knows
        elif kind is NodeKind.STATEMENT and names.yields:
            kind = NodeKind.YIELD
        elif kind is NodeKind.STATEMENT and names.awaits:
            kind = NodeKind.AWAIT
        span = span_of(ts)
        node = self.b.add(kind, span[0], span[1], text if text is not None else self.text(ts),
                          uses=tuple(names.uses), defs=tuple(names.defs), kills=kills, edge_defs=edge_defs,
                          declares=declares, owned=(span,) if owned is None else tuple(owned), exact=tuple(exact))
        for lam in names.lambdas:
            line, col = lam.start_point
            self.queue.append((ScopeKind.lambda_, lam, f"{self.prefix}<lambda>@L{line + 1}:{col}"))
        if may_raise and self.stack and not node.synthetic and self._protected():
            self.jump([(node, E.MAY_RAISE)], E.MAY_RAISE)
        return node

    def _protected(self) -> bool:
        for frame in self.stack:
            if not isinstance(frame, _Loop):
                return True
        return False

    def synthetic(self, kind: NodeKind, ts, text: str, **facts) -> Node:
        start, end = span_of(ts)
        return self.b.add(kind, start, end, text, **facts)

    def jump(self, frontier: Frontier, kind: EdgeKind) -> None:
        self._route(frontier, kind, len(self.stack))

    def _route(self, frontier: Frontier, kind: EdgeKind, level: int) -> None:
        """Send an abrupt exit outward through the frames it crosses, copying exit code once per kind."""
        for i in range(level - 1, -1, -1):
            frame = self.stack[i]
            if isinstance(frame, _Loop):
                if kind is E.BREAK:
                    frame.breaks.extend(frontier)
                    return
                if kind is E.CONTINUE:
                    self.b.link(frontier, frame.header)
                    return
            elif isinstance(frame, _Handlers):
                if kind in EXCEPTIONAL:
                    self.b.link(frontier, frame.target)
                    return
            else:
                key = "exception" if kind in EXCEPTIONAL else kind.value
                entry = frame.copies.get(key)
                if entry is None:
                    entry = self._copy(frame, key, i)
                self.b.link(frontier, entry)
                return
        if kind in (E.RETURN,) + EXCEPTIONAL:
            self.b.link(frontier, self.b.exit)

    def _copy(self, frame: _Exit, key: str, level: int) -> Node:
        label = E.RAISE if key == "exception" else E(key)
        saved, self.stack = self.stack, self.stack[:level]
        try:
            entry = frame.entry(label.value)
            frame.copies[key] = entry
            if key == "exception":
                self.b.link([(frame.header, E.EXCEPTION)], entry)
            out = frame.body([(entry, E.NEXT)])
            self._route([(n, label if k is E.NEXT else k) for n, k in out], label, level)
        finally:
            self.stack = saved
        return entry

    # ---- statements -----------------------------------------------------------------------------------------

    def block(self, block, frontier: Frontier) -> Frontier:
        return self.statements(block.named_children if block is not None else [], frontier)

    def statements(self, children, frontier: Frontier) -> Frontier:
        for child in children:
            t = type_of(child)
            if t == "comment":
                continue
            handler = _STATEMENTS.get(t)
            if handler is not None:
                frontier = handler(self, child, frontier)
            else:
                frontier = self.simple_statement(child, frontier, t)
        return frontier

    def simple_statement(self, s, frontier: Frontier, t: str) -> Frontier:
        """A statement with no lowering of its own (`t`: its type) is one plain node."""
        kind = NodeKind.ERROR if t == "ERROR" else NodeKind.STATEMENT
        node = self.node(kind, s, self.names() if kind is NodeKind.ERROR else self.simple_names(s))
        self.b.link(frontier, node)
        return [(node, E.NEXT)]

    def simple_names(self, s, children=None) -> Names:
        names = self.names()
        for child in s.named_children if children is None else children:
            t = type_of(child)
            if t == "assignment":
                self.assignment(child, names)
            elif t == "augmented_assignment":
                expression(child.child_by_field_name("right"), names)
                left = child.child_by_field_name("left")
                if type_of(left) == "identifier":
                    name = name_of(left)
                    names.use(name)
                    names.define(name)
                else:
                    target(left, names)
            else:   # a comment reads nothing
                expression(child, names)
        return names

    def assignment(self, node, names: Names) -> None:
        right = node.child_by_field_name("right")
        if right is not None:
            if type_of(right) == "assignment":
                self.assignment(right, names)
            else:
                expression(right, names)
        kind = node.child_by_field_name("type")
        if kind is not None and self.scope is not ScopeKind.function:
            expression(kind, names)
        left = node.child_by_field_name("left")
        if right is None:
            # A bare annotation makes the name local but binds nothing at run time.
            target(left, names) if type_of(left) != "identifier" else None
            return
        target(left, names)

    def _expression_statement(self, s, frontier):
        children = s.named_children
        names = self.simple_names(s, children)
        declares = ()
        first = children[0] if children else None
        if first is not None and type_of(first) == "assignment" and first.child_by_field_name("right") is None:
            left = first.child_by_field_name("left")
            if type_of(left) == "identifier":
                declares = ((name_of(left), "local"),)
        node = self.node(NodeKind.STATEMENT, s, names, declares=declares)
        self.b.link(frontier, node)
        return [(node, E.NEXT)]

    def _return_statement(self, s, frontier):
        node = self.node(NodeKind.RETURN, s, self.simple_names(s))
        self.b.link(frontier, node)
        self.jump([(node, E.RETURN)], E.RETURN)
        return []

    def _raise_statement(self, s, frontier):
        node = self.node(NodeKind.RAISE, s, self.simple_names(s), may_raise=False)
        self.b.link(frontier, node)
        self.jump([(node, E.RAISE)], E.RAISE)
        return []

    def _assert_statement(self, s, frontier):
        node = self.node(NodeKind.ASSERT, s, self.simple_names(s), may_raise=False)
        self.b.link(frontier, node)
        self.jump([(node, E.RAISE)], E.RAISE)
        return [(node, E.TRUE)]

    def _pass_statement(self, s, frontier):
        node = self.node(NodeKind.STATEMENT, s, may_raise=False)
        self.b.link(frontier, node)
        return [(node, E.NEXT)]

    def _break_statement(self, s, frontier):
        node = self.node(NodeKind.JUMP, s, may_raise=False)
        self.b.link(frontier, node)
        self.jump([(node, E.BREAK)], E.BREAK)
        return []

    def _continue_statement(self, s, frontier):
        node = self.node(NodeKind.JUMP, s, may_raise=False)
        self.b.link(frontier, node)
        self.jump([(node, E.CONTINUE)], E.CONTINUE)
        return []

    def _global_statement(self, s, frontier, how="global"):
        declares = tuple((name_of(c), how) for c in s.named_children if type_of(c) == "identifier")
        node = self.node(NodeKind.STATEMENT, s, may_raise=False, declares=declares)
        self.b.link(frontier, node)
        return [(node, E.NEXT)]

    def _nonlocal_statement(self, s, frontier):
        return self._global_statement(s, frontier, "nonlocal")

    def _delete_statement(self, s, frontier):
        names, kills = self.names(), []

        def visit(t):
            if type_of(t) == "identifier":
                kills.append(name_of(t))
            elif type_of(t) in ("expression_list", "tuple", "list", "parenthesized_expression", "pattern_list"):
                for c in t.named_children:
                    visit(c)
            else:
                target(t, names)

        for child in s.named_children:
            visit(child)
        node = self.node(NodeKind.STATEMENT, s, names, kills=tuple(kills))
        self.b.link(frontier, node)
        return [(node, E.NEXT)]

    def _import_statement(self, s, frontier):
        names = self.names()
        for item in s.children_by_field_name("name"):
            if type_of(item) == "aliased_import":
                names.define(name_of(item.child_by_field_name("alias")))
            elif type_of(item) == "dotted_name":
                bound = item.named_children[0] if type_of(s) == "import_statement" else item.named_children[-1]
                names.define(name_of(bound))
        node = self.node(NodeKind.STATEMENT, s, names)
        self.b.link(frontier, node)
        return [(node, E.NEXT)]

    _import_from_statement = _import_statement
    _future_import_statement = _import_statement

    def _type_alias_statement(self, s, frontier):
        names = self.names()
        left = s.child_by_field_name("left")
        ident = left if type_of(left) == "identifier" else next(
            (c for c in left.named_children if type_of(c) == "identifier"), None)
        if ident is not None:
            names.define(name_of(ident))
        node = self.node(NodeKind.STATEMENT, s, names)
        self.b.link(frontier, node)
        return [(node, E.NEXT)]

    # ---- compound statements --------------------------------------------------------------------------------

    def _if_statement(self, s, frontier):
        condition = s.child_by_field_name("condition")
        test = self.node(NodeKind.CONDITION, condition, expression(condition, self.names()),
                         text="if " + self.text(condition))
        self.b.link(frontier, test)
        out = self.block(s.child_by_field_name("consequence"), [(test, E.TRUE)])
        pending: Frontier = [(test, E.FALSE)]
        for alt in s.children_by_field_name("alternative"):
            if type_of(alt) == "elif_clause":
                condition = alt.child_by_field_name("condition")
                test = self.node(NodeKind.CONDITION, condition, expression(condition, self.names()),
                                 text="elif " + self.text(condition))
                self.b.link(pending, test)
                out += self.block(alt.child_by_field_name("consequence"), [(test, E.TRUE)])
                pending = [(test, E.FALSE)]
            else:
                out += self.block(alt.child_by_field_name("body") or _block_of(alt), pending)
                pending = []
        return out + pending

    def _loop_tail(self, s, loop: _Loop, exits: Frontier) -> Frontier:
        self.stack.pop()
        alternative = s.child_by_field_name("alternative")
        if alternative is not None:
            exits = self.block(alternative.child_by_field_name("body") or _block_of(alternative), exits)
        return exits + loop.breaks

    def _back(self, frontier: Frontier, header: Node) -> None:
        self.b.link([(n, E.LOOP_BACK if k is E.NEXT else k) for n, k in frontier], header)

    def _while_statement(self, s, frontier):
        condition = s.child_by_field_name("condition")
        test = self.node(NodeKind.CONDITION, condition, expression(condition, self.names()),
                         text="while " + self.text(condition), exact=(span_of(s),))
        self.b.link(frontier, test)
        loop = _Loop(test)
        self.stack.append(loop)
        self._back(self.block(s.child_by_field_name("body"), [(test, E.TRUE)]), test)
        endless = self.text(condition) in CONSTANT_TRUE
        return self._loop_tail(s, loop, [] if endless else [(test, E.FALSE)])

    def _for_statement(self, s, frontier):
        left, right = s.child_by_field_name("left"), s.child_by_field_name("right")
        is_async = any(type_of(c) == "async" for c in s.children)
        iterable = self.node(NodeKind.LOOP_ITER, right, expression(right, self.names()))
        self.b.link(frontier, iterable)
        bound = self.names()
        target(left, bound)
        keyword = "async for" if is_async else "for"
        header = self.node(NodeKind.LOOP_NEXT, left, Names(self.source, uses=bound.uses, awaits=is_async),
                           text=f"{keyword} {self.text(left)} in {self.text(right, 60)}",
                           exact=(span_of(s),), edge_defs={E.TRUE: tuple(bound.defs)})
        self.b.link([(iterable, E.NEXT)], header)
        loop = _Loop(header)
        self.stack.append(loop)
        self._back(self.block(s.child_by_field_name("body"), [(header, E.TRUE)]), header)
        return self._loop_tail(s, loop, [(header, E.FALSE)])

    def _try_statement(self, s, frontier):
        body = s.child_by_field_name("body")
        clauses = [(type_of(c), c) for c in s.named_children]
        handlers = [c for t, c in clauses if t in ("except_clause", "except_group_clause")]
        orelse = next((c for t, c in clauses if t == "else_clause"), None)
        final = next((c for t, c in clauses if t == "finally_clause"), None)
        start, _ = span_of(s)
        node = self.b.add(NodeKind.TRY, start, (start[0], start[1] + 3), "try", exact=(span_of(s),))
        self.b.link(frontier, node)
        if final is not None:
            final_block = _block_of(final)
            self.stack.append(_Exit(node, lambda label: self.synthetic(NodeKind.FINALLY, final, f"finally ({label})"),
                                    lambda fr: self.block(final_block, fr)))
        tests = [self._except_test(h) for h in handlers]
        if tests:
            self.b.link([(node, E.EXCEPTION)], tests[0][0])
            self.stack.append(_Handlers(tests[0][0]))
        out = self.block(body, [(node, E.NEXT)])
        if tests:
            self.stack.pop()
        if orelse is not None:
            out = self.block(orelse.child_by_field_name("body") or _block_of(orelse), out)
        pending: Frontier = []
        for (test, bound, catches_all), handler in zip(tests, handlers):
            self.b.link(pending, test)
            out += self._handler_body(handler, test, bound)
            pending = [] if catches_all else [(test, E.FALSE)]
        if pending:
            self.jump(pending, E.RAISE)
        if final is not None:
            self.stack.pop()
            if out:   # without a normal way in, the normal copy of the finally body would be dead code
                out = self.block(_block_of(final), out)
        return out

    def _except_test(self, clause) -> Tuple[Node, Optional[str], bool]:
        value = clause.child_by_field_name("value")
        if value is None:
            value = next((c for c in clause.named_children if type_of(c) not in ("block", "comment")), None)
        bound = None
        names = self.names()
        if value is not None and type_of(value) == "as_pattern":
            alias = value.child_by_field_name("alias")
            ident = alias if type_of(alias) == "identifier" else next(
                (c for c in alias.named_children if type_of(c) == "identifier"), None)
            bound = name_of(ident) if ident is not None else None
            value = value.named_children[0]
        if value is not None:
            expression(value, names)
        body = _block_of(clause)
        header_text = self._header_text(clause, body)
        start = span_of(clause)[0]
        end = span_of(value)[1] if value is not None else (start[0], start[1] + 6)
        test = self.node(NodeKind.EXCEPT, clause, names, text=header_text, owned=((start, end),),
                         exact=(span_of(clause),), edge_defs={E.TRUE: ((bound, True),)} if bound else {})
        test.end = end
        return test, bound, value is None

    def _handler_body(self, clause, test: Node, bound: Optional[str]) -> Frontier:
        body = _block_of(clause)
        if bound is None:
            return self.block(body, [(test, E.TRUE)])

        def unbind(label: str) -> Node:
            return self.synthetic(NodeKind.UNBIND, clause, f"del {bound} ({label})", kills=(bound,))

        self.stack.append(_Exit(test, unbind, lambda fr: fr))
        out = self.block(body, [(test, E.TRUE)])
        self.stack.pop()
        normal = self.synthetic(NodeKind.UNBIND, clause, f"del {bound}", kills=(bound,))
        self.b.link(out, normal)
        return [(normal, E.NEXT)]

    def _with_statement(self, s, frontier):
        clause = next(c for c in s.named_children if type_of(c) == "with_clause")
        names = Names(self.source, awaits=any(type_of(c) == "async" for c in s.children))
        for item in clause.named_children:
            value = item.child_by_field_name("value") if type_of(item) == "with_item" else None
            if value is None:
                continue
            if type_of(value) == "as_pattern":
                expression(value.named_children[0], names)
                alias = value.child_by_field_name("alias")
                for part in (alias.named_children if alias is not None else []):
                    target(part, names)
            else:
                expression(value, names)
        header = self.node(NodeKind.WITH, clause, names, text=self._header_text(s, s.child_by_field_name("body")))
        self.b.link(frontier, header)
        frame = _Exit(header, lambda label: self.synthetic(NodeKind.WITH_EXIT, s, f"with exit ({label})"),
                      lambda fr: fr)
        self.stack.append(frame)
        out = self.block(s.child_by_field_name("body"), [(header, E.NEXT)])
        self.stack.pop()
        normal = self.synthetic(NodeKind.WITH_EXIT, s, "with exit")
        self.b.link(out, normal)
        after = [(normal, E.NEXT)]
        if "exception" in frame.copies:
            after.append((frame.copies["exception"], E.SUPPRESS))
        return after

    def _match_statement(self, s, frontier):
        subjects = s.children_by_field_name("subject")
        names = self.names()
        for subject in subjects:
            expression(subject, names)
        subject_text = ", ".join(self.text(x) for x in subjects)
        match = self.node(NodeKind.MATCH, s, names, text=f"match {subject_text}",
                          owned=tuple(span_of(x) for x in subjects))
        match.end = span_of(subjects[-1])[1] if subjects else match.end
        self.b.link(frontier, match)
        pending: Frontier = [(match, E.NEXT)]
        out: Frontier = []
        body = s.child_by_field_name("body")
        cases = [c for c in (body.named_children if body is not None else []) if type_of(c) == "case_clause"]
        for case in cases:
            patterns = [c for c in case.named_children if type_of(c) == "case_pattern"]
            names, captures = self.names(), []
            for pattern in patterns:
                case_pattern(pattern, names, captures)
            consequence = case.child_by_field_name("consequence")
            guard = case.child_by_field_name("guard")
            owned = (span_of(patterns[0])[0], span_of(patterns[-1])[1]) if patterns else span_of(case)
            test = self.node(NodeKind.CASE, case, names, text="case " + ", ".join(self.text(p) for p in patterns),
                             owned=(owned,), edge_defs={E.CASE_MATCH: tuple((c, True) for c in captures)})
            test.end = owned[1]
            self.b.link(pending, test)
            always = len(patterns) == 1 and irrefutable(patterns[0])
            pending = [] if always else [(test, E.CASE_FAIL)]
            into: Frontier = [(test, E.CASE_MATCH)]
            if guard is not None:
                condition = guard.named_children[0] if guard.named_children else guard
                check = self.node(NodeKind.GUARD, condition, expression(condition, self.names()),
                                  text="if " + self.text(condition))
                self.b.link(into, check)
                into = [(check, E.TRUE)]
                pending.append((check, E.FALSE))
            out += self.block(consequence, into)
        return out + pending

    def _definition(self, s, frontier, definition):
        names = self.names()
        if s is not definition:   # only a decorated_definition has decorators
            for decorator in (c for c in s.named_children if type_of(c) == "decorator"):
                for part in decorator.named_children:
                    expression(part, names)
        if type_of(definition) == "function_definition":
            parameters = definition.child_by_field_name("parameters")
            if parameters is not None:
                parameter_defaults(parameters, names, annotations=True)
            returns = definition.child_by_field_name("return_type")
            if returns is not None:
                expression(returns, names)
            scope = ScopeKind.function
        else:
            bases = definition.child_by_field_name("superclasses")
            if bases is not None:
                expression(bases, names)
            scope = ScopeKind.class_body
        name = name_of(definition.child_by_field_name("name"))
        names.define(name)
        node = self.node(NodeKind.DEFINITION, s, names,
                         text=self._header_text(s, definition.child_by_field_name("body")))
        self.queue.append((scope, definition, self.prefix + name))
        self.b.link(frontier, node)
        return [(node, E.NEXT)]

    def _function_definition(self, s, frontier):
        return self._definition(s, frontier, s)

    _class_definition = _function_definition

    def _decorated_definition(self, s, frontier):
        return self._definition(s, frontier, s.child_by_field_name("definition"))


# Statement type -> its lowering; any other statement is one plain node (see _Lowering.statement).
_STATEMENTS = {name[1:]: method for name, method in vars(_Lowering).items()
               if name.endswith(("_statement", "_definition")) and name != "_definition"}
