"""C++ control flow graphs from tree-sitter-cpp: the C rules (codeforge.graphs.lang.c) for the statements C
has, plus range-for, try / catch / throw, and functions wherever C++ puts them.

Graphs: one per function definition, in namespaces, classes, structs and unions, templates and `extern "C"`
blocks, named as C++ spells them (`ns::Stack::push`, `operator<`, `~Stack`; an out-of-class definition keeps
its written name, `Stack::push`), and one per lambda, named after the function it is written in:
`main::<lambda>@L12:14` (its line, and its column counted from 0). A constructor's member initializers
(`: x(v)`) are one statement before its body.

How the C++ statements are lowered:
- range-for `for (auto& x : v)`: a `loop_iter` node (the range, evaluated once) and a `loop_next` node that
  binds the declared names on its `true` edge, as Go's `range` and Python's `for`. A C++20 init-statement
  runs first.
- `try`: the `try` node is a branch: `next` into the body, `exception` to the first `catch`. Every statement
  in the body also gets a `may_raise` edge to the first `catch` (control dependence ignores those). The
  `catch` clauses are tested in order (`true` into the handler, binding its parameter; `false` to the next);
  `catch (...)` matches everything. An exception no clause matches goes on along the last test's `false`
  edge, to the handlers of an enclosing `try` in the same function, or to EXIT (as Python's `except`). A
  function-try-block is lowered the same way.
- `throw` (and `throw;`, which rethrows) is a `raise` node whose edge goes where an exception there goes.
- `co_return` is a return, `co_yield` a `yield` node.

Approximations, beyond the C ones (see codeforge.graphs.lang.clike):
- exceptions are implicit only inside a `try` body: a call outside one that throws ends the function without
  an edge, and a call is never known not to throw (`noexcept` is not read);
- destructors run at scope exit are not nodes;
- a declaration without an initializer (`std::string s;`, `int i;`) defines the name: C++ runs the default
  constructor, and for a built-in type the indeterminate value is the definition data flow sees;
- `T v(a, b);` inside a function is a variable constructed from `a` and `b`, though the grammar also reads it
  as the declaration of a function `v` when `a` and `b` could be types (the "most vexing parse"): a local
  function declaration is rare, a variable built from other variables is common;
- what a call or an operator does to its arguments is unknown: `std::cin >> x`, `std::swap(a, b)` or a
  function taking a reference define nothing (as `&x` in C);
- names qualified by a namespace or class (`std::cout`, `Stack::size`) are not variables; a class member
  used by its bare name in a method is a variable of the method, defined only where the method assigns it;
- a lambda's graph binds its parameters and its explicit captures (`[a, &b, n = x + 1]`) at ENTRY; names
  reached through a default capture (`[=]`, `[&]`) are read with no definition in the lambda. The statement
  that creates a lambda reads the names it captures explicitly and the initializers of its init-captures,
  and nothing of its body; calling the lambda is a plain call. A lambda written outside any function (a
  global's initializer, a default argument) gets no graph;
- member functions of classes declared inside a function body get no graph;
- templates are graphed once, as written, not per instantiation; the preprocessor is not run.
"""

from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

from ..cfg import ControlFlowGraph, Frontier, Node, compact_text, span_of, text_of
from ..parse import ParsedSource
from ..vocabulary import EdgeKind, Language, NodeKind, ScopeKind
from .c import CLowering
from .clike import Facts, _Breakable

E = EdgeKind

# Definitions whose members are qualified by their name (`ns::`, `Stack::`), and nodes that only wrap others.
_SCOPES = ("namespace_definition", "class_specifier", "struct_specifier", "union_specifier")
_WRAPPERS = frozenset({"template_declaration", "linkage_specification", "declaration_list", "friend_declaration",
                       "field_declaration_list", "declaration", "field_declaration", "export_declaration",
                       "preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"})
# Nodes that name types, namespaces or members, never a variable of the function.
_NOT_VARIABLES = frozenset({"field_identifier", "type_identifier", "statement_identifier", "primitive_type",
                            "namespace_identifier", "qualified_identifier", "template_argument_list",
                            "type_descriptor", "sized_type_specifier", "placeholder_type_specifier", "this",
                            "string_literal", "raw_string_literal", "char_literal", "number_literal",
                            "destructor_name", "operator_name"})
_DECLARATORS = frozenset({"pointer_declarator", "reference_declarator", "array_declarator",
                          "parenthesized_declarator", "attributed_declarator", "init_declarator"})


def declared_names(declarator) -> List[str]:
    """The variables a declarator declares: one name, or several for `auto [a, b] = ...`."""
    while declarator is not None:
        t = declarator.type
        if t == "identifier":
            return [declarator.text.decode()]
        if t == "structured_binding_declarator":
            return [c.text.decode() for c in declarator.named_children if c.type == "identifier"]
        if t == "variadic_declarator":
            declarator = next((c for c in declarator.named_children if c.type == "identifier"), None)
            continue
        if t not in _DECLARATORS:
            return []
        inner = declarator.child_by_field_name("declarator")
        if inner is None:   # a reference declarator has no field: its declarator is its named child
            inner = next((c for c in declarator.named_children if c.type in _DECLARATORS
                          or c.type in ("identifier", "structured_binding_declarator")), None)
        declarator = inner
    return []


def _function_declarator(declarator):
    """The function_declarator under a definition's declarator (through `*`, `&`, parentheses), or None."""
    while declarator is not None and declarator.type != "function_declarator":
        inner = declarator.child_by_field_name("declarator")
        if inner is None:
            inner = next((c for c in declarator.named_children if c.type.endswith("declarator")), None)
        declarator = inner
    return declarator


def _parameters(parameter_list) -> Tuple[str, ...]:
    names: List[str] = []
    for p in parameter_list.named_children if parameter_list is not None else []:
        if p.type in ("parameter_declaration", "optional_parameter_declaration",
                      "variadic_parameter_declaration"):
            names += declared_names(p.child_by_field_name("declarator"))
    return tuple(names)


def _vexing_arguments(declarator) -> Optional[List[str]]:
    """`v(a, b)` read by the grammar as a function declarator whose parameters are bare type names: those
    names, to be read as the arguments of a variable's constructor (None: a real function declaration)."""
    parameters = declarator.child_by_field_name("parameters")
    params = parameters.named_children if parameters is not None else []
    if not params:
        return None
    names = []
    for p in params:
        kind = p.child_by_field_name("type")
        if p.type != "parameter_declaration" or p.child_by_field_name("declarator") is not None or \
                kind is None or kind.type != "type_identifier" or len(p.named_children) != 1:
            return None
        names.append(kind.text.decode())
    return names


class CppLowering(CLowering):
    language = Language.cpp
    LOOP_TYPES = ("for_statement", "while_statement", "do_statement", "for_range_loop")

    def __init__(self, name: str, definition, params: Tuple[str, ...], body,
                 scope: ScopeKind = ScopeKind.function):
        self.handlers: List[Node] = []   # the first `catch` test of each enclosing try body, innermost last
        super().__init__(name, definition, params, body, scope)

    # ---- what a statement reads and binds ---------------------------------------------------------------

    def _walk(self, ts, facts: Facts) -> None:
        t = ts.type
        if t in _NOT_VARIABLES:
            return
        if t == "declaration":
            self._declaration(ts, facts)
        elif t == "lambda_expression":
            self._captures(ts, facts)
        elif t == "field_expression":
            self._walk(ts.child_by_field_name("argument"), facts)
        elif t == "template_function":
            self._walk(ts.child_by_field_name("name"), facts)
        else:
            super()._walk(ts, facts)

    def _declaration(self, ts, facts: Facts) -> None:
        value = ts.child_by_field_name("value")   # a condition's declaration: `while (int k = next())`
        if value is not None:
            self._walk(value, facts)
        for declarator in ts.children_by_field_name("declarator"):
            t = declarator.type
            if t == "init_declarator":
                self._walk(declarator.child_by_field_name("value"), facts)
                names = declared_names(declarator.child_by_field_name("declarator"))
            elif t == "function_declarator":
                arguments = _vexing_arguments(declarator)
                if arguments is None:
                    continue   # a function declaration: it defines no variable
                for argument in arguments:
                    facts.use(argument)
                names = declared_names(declarator.child_by_field_name("declarator"))
            else:
                if t == "array_declarator":
                    self._walk(declarator.child_by_field_name("size"), facts)
                names = declared_names(declarator)
            for name in names:
                facts.define(name)

    def _captures(self, ts, facts: Facts) -> None:
        captures = ts.child_by_field_name("captures")
        for capture in captures.named_children if captures is not None else []:
            if capture.type == "identifier":
                facts.use(capture.text.decode())
            elif capture.type == "lambda_capture_initializer":
                self._walk(capture.child_by_field_name("right"), facts)

    # ---- statements -------------------------------------------------------------------------------------

    def function_body(self, body, frontier: Frontier) -> Frontier:
        initializers = next((c for c in self.definition.named_children if c.type == "field_initializer_list"),
                            None)
        if initializers is not None:
            frontier = self.simple(initializers, frontier)
        return self.statement(body, frontier)

    def node(self, kind: NodeKind, ts, facts: Optional[Facts] = None, text: Optional[str] = None,
             **extra) -> Node:
        made = super().node(kind, ts, facts, text, **extra)
        if self.handlers and kind not in (NodeKind.JUMP, NodeKind.RAISE, NodeKind.EXCEPT):
            self.b.link([(made, E.MAY_RAISE)], self.handlers[-1])
        return made

    def statement(self, s, frontier: Frontier) -> Frontier:
        t = s.type
        if t == "for_range_loop":
            return self._range_for(s, frontier)
        if t == "try_statement":
            return self._try(s, frontier)
        if t == "throw_statement":
            node = self.node(NodeKind.RAISE, s)
            self.b.link(frontier, node)
            self._raise([(node, E.RAISE)])
            return []
        if t == "co_return_statement":
            return self.ret(s, frontier)
        if t == "co_yield_statement":
            return self.simple(s, frontier, NodeKind.YIELD)
        return super().statement(s, frontier)

    def _raise(self, frontier: Frontier) -> None:
        self.b.link(frontier, self.handlers[-1] if self.handlers else self.b.exit)

    def _range_for(self, s, frontier: Frontier) -> Frontier:
        label = self.take_label()
        init = s.child_by_field_name("initializer")
        if init is not None:
            frontier = self.simple(init, frontier)
        right = s.child_by_field_name("right")
        iterable = self.node(NodeKind.LOOP_ITER, right)
        self.b.link(frontier, iterable)
        declarator = s.child_by_field_name("declarator")
        bound = tuple((name, True) for name in declared_names(declarator))
        body = s.child_by_field_name("body")
        header = self.node(NodeKind.LOOP_NEXT, declarator, Facts(),
                           text=compact_text(s.text[: body.start_byte - s.start_byte]), edge_defs={E.TRUE: bound})
        self.b.link([(iterable, E.NEXT)], header)
        frame = _Breakable(continue_to=header, label=label)
        self.stack.append(frame)
        self._link_back(self.statement(body, [(header, E.TRUE)]), header)
        self.stack.pop()
        return [(header, E.FALSE)] + frame.breaks

    def _try(self, s, frontier: Frontier) -> Frontier:
        start = span_of(s)[0]
        node = self.b.add(NodeKind.TRY, start, (start[0], start[1] + 3), "try")
        if self.handlers:   # a nested try sits in an outer protected region
            self.b.link([(node, E.MAY_RAISE)], self.handlers[-1])
        self.b.link(frontier, node)
        clauses = [c for c in s.named_children if c.type == "catch_clause"]
        tests = [self._catch_test(c) for c in clauses]
        if tests:
            self.b.link([(node, E.EXCEPTION)], tests[0][0])
            self.handlers.append(tests[0][0])
        out = self.statement(s.child_by_field_name("body"), [(node, E.NEXT)])
        if tests:
            self.handlers.pop()
        pending: Frontier = []
        for (test, catches_all), clause in zip(tests, clauses):
            self.b.link(pending, test)
            out += self.statement(clause.child_by_field_name("body"), [(test, E.TRUE)])
            pending = [] if catches_all else [(test, E.FALSE)]
        if pending:   # no clause matched: the exception goes on, along the last test's false edge
            self._raise(pending)
        return out

    def _catch_test(self, clause) -> Tuple[Node, bool]:
        parameters = clause.child_by_field_name("parameters")
        body = clause.child_by_field_name("body")
        header = compact_text(clause.text[: body.start_byte - clause.start_byte]) if body is not None \
            else text_of(clause)
        catches_all = parameters is None or b"..." in parameters.text
        bound = () if catches_all else tuple((n, True) for n in _parameters(parameters))
        end = span_of(parameters)[1] if parameters is not None else span_of(clause)[1]
        test = self.node(NodeKind.EXCEPT, clause, Facts(), text=header,
                         edge_defs={E.TRUE: bound} if bound else {})
        test.end = end
        return test, catches_all


# ---- where the functions are ---------------------------------------------------------------------------


def _function_name(definition) -> str:
    declarator = definition.child_by_field_name("declarator")
    function = _function_declarator(declarator)
    if function is not None:
        return compact_text(function.child_by_field_name("declarator").text, None)
    # a conversion operator (`operator bool() const`) has no function declarator: its name is its text up to `(`
    text = compact_text(declarator.text, None) if declarator is not None else "<anonymous>"
    return text.split("(", 1)[0].strip() or "<anonymous>"


def _function_parameters(definition) -> Tuple[str, ...]:
    function = _function_declarator(definition.child_by_field_name("declarator"))
    return _parameters(function.child_by_field_name("parameters")) if function is not None else ()


def function_definitions(children, prefix: str = "") -> Iterator[Tuple[str, object]]:
    """(qualified name, function_definition) for every function defined among `children` (top-level nodes)
    and in the namespaces, classes and templates they hold, outside function bodies."""
    for child in children:
        t = child.type
        if t == "function_definition":
            if child.child_by_field_name("body") is not None:
                yield prefix + _function_name(child), child
        elif t in _SCOPES:
            body = child.child_by_field_name("body")
            if body is None:
                continue
            name = child.child_by_field_name("name")
            scope = f"{compact_text(name.text, None)}::" if name is not None else ""
            yield from function_definitions(body.named_children, prefix + scope)
        elif t in _WRAPPERS:
            yield from function_definitions(child.named_children, prefix)


def lambdas(ts) -> Iterator[object]:
    """The lambdas written in `ts`, outermost only (a lambda's own lambdas are found from its graph)."""
    stack = list(reversed(ts.named_children))
    while stack:
        node = stack.pop()
        if node.type == "lambda_expression":
            yield node
        elif node.type not in _SCOPES:   # a local class's methods are not graphed
            stack.extend(reversed(node.named_children))


def _lambda_graphs(owner: str, ts) -> List[ControlFlowGraph]:
    graphs = []
    for expression in lambdas(ts):
        line, column = expression.start_point
        name = f"{owner}::<lambda>@L{line + 1}:{column}"
        declarator = expression.child_by_field_name("declarator")
        params = list(_parameters(declarator.child_by_field_name("parameters")) if declarator is not None else ())
        captures = expression.child_by_field_name("captures")
        for capture in captures.named_children if captures is not None else []:
            if capture.type == "identifier":
                params.append(capture.text.decode())
            elif capture.type == "lambda_capture_initializer":
                params += declared_names(capture.child_by_field_name("left"))
        body = expression.child_by_field_name("body")
        graphs.append(CppLowering(name, expression, tuple(params), body, ScopeKind.lambda_).graph)
        graphs += _lambda_graphs(name, body)
    return graphs


def build_cpp(parsed: ParsedSource) -> List[ControlFlowGraph]:
    """Every function's graph and every lambda's, in source order (a lambda after the function it is in)."""
    graphs = []
    for name, definition in function_definitions(parsed.top_level):
        graphs.append(CppLowering(name, definition, _function_parameters(definition),
                                  definition.child_by_field_name("body")).graph)
        graphs += _lambda_graphs(name, definition)
    return sorted(graphs, key=lambda g: (g.node(g.entry).start, g.name))
