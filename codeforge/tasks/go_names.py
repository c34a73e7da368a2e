"""Which package-level names a Go declaration uses, read from its tree-sitter tree (codeforge.syntax's grammar).

A scan walks one top-level declaration with a stack of scopes: parameters, results, receivers and type
parameters open the function's scope; blocks, `if`, `for`, `switch`, `select` and their cases open their own;
`:=`, local `var`, `const` and `type`, `range` with `:=`, a type switch's alias and a `case v := <-ch` declare
into the innermost one, after their right-hand side is read (`x := x + 1` reads the outer `x`). A name that no
scope holds is a package-level name when the package declares it, an import when its file imports it, and
otherwise predeclared (`len`, `int`) or unknown (`free`: from a dot import, or a struct field's key).

Approximations, each on the side of using too much (a prompt with a spare declaration still compiles; one with
a missing declaration does not):
- The key of a composite literal (`T{Name: 1}`) is read as a name, so a field called like a package-level name
  uses it (`map[Color]string{Red: "r"}` does need `Red`, and the grammar cannot tell the two apart).
- After a dot, the name is kept as a selector (`x.Area()`); the package later maps it to every method of that
  name on a package type, whatever the type of `x` (no type inference).
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Set

PREDECLARED = frozenset({
    "bool", "byte", "complex64", "complex128", "error", "float32", "float64", "int", "int8", "int16", "int32",
    "int64", "rune", "string", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "any", "comparable",
    "true", "false", "iota", "nil", "append", "cap", "clear", "close", "complex", "copy", "delete", "imag",
    "len", "make", "max", "min", "new", "panic", "print", "println", "real", "recover", "_",
})

# Statements whose init clause, and cases whose declarations, end with them.
_SCOPES = frozenset({"block", "if_statement", "for_statement", "expression_switch_statement",
                     "type_switch_statement", "select_statement", "expression_case", "default_case", "type_case",
                     "communication_case", "method_elem", "function_type"})


class NameScan:
    """What one declaration uses: `uses` holds ("name", n) for package-level names and ("selector", s) for names
    after a dot, in the order first met; `packages` the import names; `free` whether an unknown name was met.

    The walk keeps its own stack of steps instead of recursing: generated tables nest deeper than Python's
    recursion limit (a long `"..." + "..."` chain is a tree as deep as it is long)."""

    def __init__(self, package_names: Set[str], import_names: Mapping[str, object]):
        self.package_names = package_names
        self.import_names = import_names
        self.scopes: List[Set[str]] = [set()]
        self.uses: Dict[tuple, None] = {}
        self.packages: Dict[str, None] = {}
        self.free = False
        self._steps: List[tuple] = []

    # -- entry points: one per kind of top-level declaration ---------------------------------------------

    def function(self, node) -> None:
        """A function or method declaration: its signature and body in one scope."""
        self._run(self._function(node))

    def type_spec(self, node) -> None:
        """A type_spec or type_alias: its type parameters are its own."""
        self._run(self._type_spec(node))

    def value_spec(self, node) -> None:
        """A const_spec or var_spec: its type and value (its names are the declaration's own)."""
        self._run(self._fields(node, "type", "value"))

    # -- the steps ---------------------------------------------------------------------------------------

    def _run(self, steps: List[tuple]) -> None:
        self._steps.extend(reversed(steps))
        while self._steps:
            step = self._steps.pop()
            kind, argument = step[0], step[1] if len(step) > 1 else None
            if kind == "node":
                more = self._visit(argument)
                self._steps.extend(reversed(more))
            elif kind == "open":
                self.scopes.append(set())
            elif kind == "close":
                self.scopes.pop()
            elif kind == "declare":
                self.scopes[-1].add(argument)
            elif kind == "declare_all":
                self._declare_all(argument)
            elif kind == "declare_names":
                self._declare_names(argument)
            elif kind == "selector":
                self.uses.setdefault(("selector", argument))

    def _function(self, node) -> List[tuple]:
        steps: List[tuple] = [("open",)]
        receiver = node.child_by_field_name("receiver")
        if receiver is not None:   # `func (s *Stack[T]) Push(v T)`: T is a type parameter
            steps += [("declare", name) for name in _receiver_type_parameters(receiver)]
        steps += self._fields(node, "type_parameters", "receiver", "parameters", "result", "body")
        return steps + [("close",)]

    def _type_spec(self, node) -> List[tuple]:
        return [("open",), *self._fields(node, "type_parameters", "type"), ("close",)]

    @staticmethod
    def _fields(node, *names: str) -> List[tuple]:
        children = [node.child_by_field_name(name) for name in names]
        return [("node", child) for child in children if child is not None]

    def _visit(self, node) -> List[tuple]:
        """The steps that read `node`, after what this step did at once."""
        kind = node.type
        if kind in ("identifier", "type_identifier"):
            self._use(node.text.decode())
        elif kind == "package_identifier":
            self._package(node.text.decode())
        elif kind in ("field_identifier", "comment", "label_name"):
            pass
        elif kind == "qualified_type":  # pkg.Type: the name belongs to the other package
            self._package(node.child_by_field_name("package").text.decode())
        elif kind == "selector_expression":
            return self._selector(node)
        elif kind in ("function_declaration", "method_declaration", "func_literal"):
            return self._function(node)
        elif kind in ("parameter_declaration", "variadic_parameter_declaration", "type_parameter_declaration"):
            return self._fields(node, "type") + [("declare_names", node)]
        elif kind in ("short_var_declaration", "range_clause", "receive_statement"):
            return self._assignment(node)
        elif kind in ("var_spec", "const_spec"):  # inside a function: its names are local
            return self._fields(node, "type", "value") + [("declare_names", node)]
        elif kind in ("type_spec", "type_alias"):  # a local type, declared first: it may refer to itself
            return [("declare", node.child_by_field_name("name").text.decode()), *self._type_spec(node)]
        elif kind == "type_switch_statement":
            alias, value = node.child_by_field_name("alias"), node.child_by_field_name("value")
            steps: List[tuple] = [("open",)]
            for child in node.named_children:
                if child != alias:
                    steps.append(("node", child))
                if child == value:
                    steps.append(("declare_all", alias))
            return steps + [("close",)]
        elif kind in _SCOPES:
            return [("open",), *[("node", child) for child in node.named_children], ("close",)]
        else:
            return [("node", child) for child in node.named_children]
        return []

    def _use(self, name: str) -> None:
        if any(name in scope for scope in self.scopes):
            return
        if name in self.package_names:
            self.uses.setdefault(("name", name))
        elif name in self.import_names:
            self._package(name)
        elif name not in PREDECLARED:
            self.free = True

    def _package(self, name: str) -> None:
        if name in self.import_names:
            self.packages.setdefault(name)

    def _selector(self, node) -> List[tuple]:
        operand, field = node.child_by_field_name("operand"), node.child_by_field_name("field")
        name = operand.text.decode() if operand.type == "identifier" else ""
        if name and name in self.import_names and name not in self.package_names and \
                not any(name in scope for scope in self.scopes):
            self.packages.setdefault(name)  # pkg.Name: a name of the other package
            return []
        return [("node", operand)] + ([("selector", field.text.decode())] if field is not None else [])

    def _assignment(self, node) -> List[tuple]:
        """`left := right`: the right side is read first; `left = right` (range) declares nothing."""
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        steps = [("node", right)] if right is not None else []
        if left is not None:
            declares = any(child.type == ":=" for child in node.children)
            steps.append(("declare_all", left) if declares else ("node", left))
        return steps

    def _declare_all(self, node) -> None:
        if node is None:
            return
        for child in [node] if node.type == "identifier" else node.named_children:
            if child.type == "identifier":
                self.scopes[-1].add(child.text.decode())

    def _declare_names(self, node) -> None:
        for index, child in enumerate(node.children):
            if node.field_name_for_child(index) == "name":
                self.scopes[-1].add(child.text.decode())


def _receiver_type_parameters(receiver) -> List[str]:
    names, stack = [], [receiver]
    while stack:
        node = stack.pop()
        if node.type == "type_arguments":
            names += [name.text.decode() for name in node.named_children]
        else:
            stack.extend(node.named_children)
    return names
