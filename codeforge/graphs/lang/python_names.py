"""Which names a piece of Python reads and binds, under Python's scoping rules.

Used by the Python CFG builder to annotate each node. Scope rules mirrored from CPython (checked against
`symtable` in the tests): a comprehension is its own scope except for its first iterable; its targets shadow
outer names; a walrus inside a comprehension binds in the enclosing function; a lambda body is its own scope
(only its defaults are evaluated where it is written).

Approximations (also listed in codeforge.graphs.lang.python):
- a walrus in the right operand of `and`/`or`, in a branch of a conditional expression or inside a
  comprehension is a may-definition;
- a generator expression's body runs lazily, but its reads count as reads of the statement that creates it;
- attribute and subscript targets (`o.a = v`, `a[i] = v`) read the base and define nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Set, Tuple

from ..parse import grammar
from ..vocabulary import Language

COMPREHENSIONS = frozenset({"list_comprehension", "set_comprehension", "dictionary_comprehension",
                            "generator_expression"})
# Leaves and literals read no variable: the walk stops there (strings only matter for f-string fields).
NO_READS = frozenset({"integer", "float", "true", "false", "none", "comment", "ellipsis", "string_start",
                      "string_content", "string_end", "escape_sequence", "concatenated_string_part"})
# The types `expression` does not simply walk into (identifiers, which it reads, are not listed).
SPECIAL_EXPRESSIONS = NO_READS | COMPREHENSIONS | {"attribute", "string", "keyword_argument", "named_expression",
                                                   "lambda", "boolean_operator", "conditional_expression"}
TARGET_GROUPS = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list",
                           "parenthesized_expression", "expression_list", "as_pattern_target"})


def _kind_names() -> Dict[int, str]:
    language = grammar(Language.python)
    names = {i: language.node_kind_for_id(i) for i in range(language.node_kind_count)}
    names[0xFFFF] = "ERROR"   # tree-sitter's built-in error symbol, outside the grammar's own ids
    return names


# `Node.type` builds a new string on every access and costs about four times `Node.kind_id`; the walks here
# read the type of nearly every node, so they look the name up by kind id instead.
KIND_NAMES = _kind_names()


def type_of(node) -> str:
    """The same string as `node.type`, read through the kind id (see KIND_NAMES)."""
    return KIND_NAMES[node.kind_id]


@dataclass(slots=True)
class Names:
    """Reads and binds collected from one node's code, in source order."""

    # The parsed file: the walks read identifiers from it by byte offsets, which costs less than Node.text.
    source: bytes
    uses: List[str] = field(default_factory=list)
    defs: List[Tuple[str, bool]] = field(default_factory=list)
    lambdas: List[object] = field(default_factory=list)   # tree-sitter lambda nodes, each gets its own graph
    yields: bool = False
    awaits: bool = False

    def use(self, name: str) -> None:
        if name not in self.uses:
            self.uses.append(name)

    def define(self, name: str, must: bool = True) -> None:
        if (name, must) not in self.defs:
            self.defs.append((name, must))


def name_of(node) -> str:
    return node.text.decode("utf-8", "replace")


def read_name(source: bytes, node) -> str:
    """name_of(node), from the bytes the node was parsed from."""
    return source[node.start_byte:node.end_byte].decode("utf-8", "replace")


def expression(node, names: Names, shadow: FrozenSet[str] = frozenset(), may: bool = False) -> Names:
    """Record what evaluating `node` reads (and binds, for walrus) into `names`."""
    t = KIND_NAMES[node.kind_id]
    if t == "identifier":
        name = read_name(names.source, node)
        if name not in shadow:
            names.use(name)
    elif t not in SPECIAL_EXPRESSIONS:   # the common case: read every child
        if t == "yield":
            names.yields = True
        elif t == "await":
            names.awaits = True
        source, uses = names.source, names.uses
        for child in node.named_children:
            kind = KIND_NAMES[child.kind_id]
            if kind == "identifier":   # the most common child: read it here rather than in a call
                name = read_name(source, child)
                if name not in shadow and name not in uses:
                    uses.append(name)
            elif kind == "attribute":   # the next most common: only its object is read
                expression(child.child_by_field_name("object"), names, shadow, may)
            elif kind not in NO_READS:   # comments and literals read nothing
                expression(child, names, shadow, may)
    elif t in NO_READS:
        pass
    elif t == "attribute":
        expression(node.child_by_field_name("object"), names, shadow, may)
    elif t == "string":
        # Only an f-string field reads anything, and a field starts with `{`: most strings have none.
        if names.source.find(b"{", node.start_byte, node.end_byte) >= 0:
            for child in node.named_children:
                if KIND_NAMES[child.kind_id] == "interpolation":
                    expression(child, names, shadow, may)
    elif t == "keyword_argument":
        expression(node.child_by_field_name("value"), names, shadow, may)
    elif t == "named_expression":
        expression(node.child_by_field_name("value"), names, shadow, may)
        # A walrus inside a comprehension binds in the enclosing function, even if the name is shadowed there.
        names.define(name_of(node.child_by_field_name("name")), must=not may and not shadow)
    elif t == "lambda":
        parameters = node.child_by_field_name("parameters")
        if parameters is not None:
            parameter_defaults(parameters, names, shadow, may)
        names.lambdas.append(node)
    elif t in COMPREHENSIONS:
        comprehension(node, names, shadow, may)
    elif t == "boolean_operator":
        expression(node.child_by_field_name("left"), names, shadow, may)
        expression(node.child_by_field_name("right"), names, shadow, True)
    else:   # conditional_expression: the test runs first, then one of the branches
        parts = node.named_children
        expression(parts[1], names, shadow, may)
        for branch in (parts[0],) + tuple(parts[2:]):
            expression(branch, names, shadow, True)
    return names


def comprehension(node, names: Names, shadow: FrozenSet[str], may: bool) -> None:
    parts = [(type_of(c), c) for c in node.named_children]
    clauses = [(t, c) for t, c in parts if t in ("for_in_clause", "if_clause")]
    inner = set(shadow)
    for t, clause in clauses:
        if t == "for_in_clause":
            for target in clause.children_by_field_name("left"):
                pattern_names(target, inner)
    first = True
    for t, clause in clauses:
        if t == "for_in_clause":
            for right in clause.children_by_field_name("right"):
                # The first iterable is evaluated in the enclosing scope, before the comprehension starts.
                expression(right, names, shadow if first else frozenset(inner), may if first else True)
            first = False
        else:
            for child in clause.named_children:
                expression(child, names, frozenset(inner), True)
    for t, part in parts:
        if t not in ("for_in_clause", "if_clause", "comment"):
            expression(part, names, frozenset(inner), True)


def pattern_names(node, into: Set[str]) -> None:
    """The plain names bound by an assignment-like target."""
    t = type_of(node)
    if t == "identifier":
        into.add(name_of(node))
    elif t in TARGET_GROUPS or t in ("list_splat_pattern", "list_splat"):
        for child in node.named_children:
            pattern_names(child, into)


def target(node, names: Names, must: bool = True) -> None:
    """An assignment / for / with / del target: plain names are bound, everything else is read."""
    t = type_of(node)
    if t == "identifier":
        names.define(read_name(names.source, node), must)
    elif t in TARGET_GROUPS or t in ("list_splat_pattern", "list_splat"):
        for child in node.named_children:
            target(child, names, must)
    elif t == "attribute":
        expression(node.child_by_field_name("object"), names)
    elif t == "subscript":
        for child in node.named_children:
            expression(child, names)
    elif t != "comment":
        expression(node, names)


def parameter_names(parameters) -> List[str]:
    out: List[str] = []
    for p in parameters.named_children:
        t = type_of(p)
        if t == "identifier":
            out.append(name_of(p))
        elif t in ("default_parameter", "typed_default_parameter"):
            out.append(name_of(p.child_by_field_name("name")))
        elif t in ("list_splat_pattern", "dictionary_splat_pattern"):
            out.extend(name_of(c) for c in p.named_children if type_of(c) == "identifier")
        elif t == "typed_parameter":
            for c in p.named_children:
                if type_of(c) == "identifier":
                    out.append(name_of(c))
                    break
                if type_of(c) in ("list_splat_pattern", "dictionary_splat_pattern"):
                    out.extend(name_of(i) for i in c.named_children if type_of(i) == "identifier")
                    break
        elif t == "tuple_pattern":   # Python 2 style, parses with allow_errors only
            found: Set[str] = set()
            pattern_names(p, found)
            out.extend(sorted(found))
    return out


def parameter_defaults(parameters, names: Names, shadow: FrozenSet[str] = frozenset(), may: bool = False,
                       annotations: bool = False) -> None:
    """Defaults (and, for `def`, annotations) are evaluated where the function is defined."""
    for p in parameters.named_children:
        t = type_of(p)
        value = p.child_by_field_name("value") if t.endswith("default_parameter") else None
        if value is not None:
            expression(value, names, shadow, may)
        kind = p.child_by_field_name("type") if annotations else None
        if kind is None and annotations and t == "typed_parameter":
            kind = next((c for c in p.named_children if type_of(c) == "type"), None)
        if kind is not None:
            expression(kind, names, shadow, may)


def case_pattern(node, names: Names, captures: List[str]) -> None:
    """A `case` pattern: dotted names with a dot are read (value patterns), bare names are captures."""
    t = type_of(node)
    if t == "dotted_name":
        parts = [c for c in node.named_children if type_of(c) == "identifier"]
        if len(parts) == 1:
            if name_of(parts[0]) != "_" and name_of(parts[0]) not in captures:
                captures.append(name_of(parts[0]))
        else:
            names.use(name_of(parts[0]))
    elif t == "class_pattern":
        for i, child in enumerate(node.named_children):
            if i == 0 and type_of(child) == "dotted_name":
                names.use(name_of(child.named_children[0]))
            else:
                case_pattern(child, names, captures)
    elif t == "keyword_pattern":
        for child in node.named_children[1:]:
            case_pattern(child, names, captures)
    elif t == "as_pattern":
        for child in node.named_children:
            if type_of(child) == "identifier":
                captures.append(name_of(child))
            else:
                case_pattern(child, names, captures)
    elif t in ("splat_pattern", "dictionary_splat_pattern", "dict_pattern", "list_pattern", "tuple_pattern",
               "union_pattern", "case_pattern", "keyword_pattern"):
        keys = {(k.start_byte, k.end_byte) for k in node.children_by_field_name("key")} if t == "dict_pattern" else ()
        for child in node.named_children:
            if t in ("splat_pattern", "dictionary_splat_pattern") and type_of(child) == "identifier":
                if name_of(child) != "_":
                    captures.append(name_of(child))
            elif (child.start_byte, child.end_byte) in keys:
                expression(child, names)
            else:
                case_pattern(child, names, captures)
    elif t == "identifier":
        if name_of(node) != "_":
            captures.append(name_of(node))
    elif t not in ("comment",):
        expression(node, names)   # literals, and value expressions such as `-1` or `"a" "b"`


def irrefutable(pattern) -> bool:
    """`case _:`, `case x:` and unions / `as` of those always match."""
    t = type_of(pattern)
    if t == "case_pattern":
        kids = pattern.named_children
        if not kids:
            return pattern.text.strip() == b"_"
        return len(kids) == 1 and irrefutable(kids[0])
    if t == "dotted_name":
        return len(pattern.named_children) == 1
    if t == "as_pattern":
        return irrefutable(pattern.named_children[0])
    if t == "union_pattern":
        return any(irrefutable(c) for c in pattern.named_children)
    return False
