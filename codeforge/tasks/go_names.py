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
    after a dot, in the order first met; `packages` the import names; `free` whether an unknown name was met."""

    def __init__(self, package_names: Set[str], import_names: Mapping[str, object]):
        self.package_names = package_names
        self.import_names = import_names
        self.scopes: List[Set[str]] = [set()]
        self.uses: Dict[tuple, None] = {}
        self.packages: Dict[str, None] = {}
        self.free = False

    # -- entry points: one per kind of top-level declaration ---------------------------------------------

    def function(self, node) -> None:
        """A function or method declaration, or a function literal: its signature and body in one scope."""
        self.scopes.append(set())
        receiver = node.child_by_field_name("receiver")
        if receiver is not None:
            self._declare_receiver_type_parameters(receiver)
        for name in ("type_parameters", "receiver", "parameters", "result", "body"):
            child = node.child_by_field_name(name)
            if child is not None:
                self.visit(child)
        self.scopes.pop()

    def type_spec(self, node) -> None:
        """A type_spec or type_alias: its type parameters are its own."""
        self.scopes.append(set())
        for name in ("type_parameters", "type"):
            child = node.child_by_field_name(name)
            if child is not None:
                self.visit(child)
        self.scopes.pop()

    def value_spec(self, node) -> None:
        """A const_spec or var_spec: its type and value (its names are the declaration's own)."""
        for name in ("type", "value"):
            child = node.child_by_field_name(name)
            if child is not None:
                self.visit(child)

    # -- the walk ----------------------------------------------------------------------------------------

    def visit(self, node) -> None:
        kind = node.type
        if kind in ("identifier", "type_identifier"):
            self._use(node.text.decode())
        elif kind == "package_identifier":
            self._package(node.text.decode())
        elif kind in ("field_identifier", "comment", "label_name"):
            return
        elif kind == "qualified_type":  # pkg.Type: the name belongs to the other package
            self._package(node.child_by_field_name("package").text.decode())
        elif kind == "selector_expression":
            self._selector(node)
        elif kind in ("function_declaration", "method_declaration", "func_literal"):
            self.function(node)
        elif kind in ("parameter_declaration", "variadic_parameter_declaration", "type_parameter_declaration"):
            self._visit_field(node, "type")
            self._declare_names(node)
        elif kind in ("short_var_declaration", "range_clause", "receive_statement"):
            self._assignment(node)
        elif kind in ("var_spec", "const_spec"):  # inside a function: its names are local
            self.value_spec(node)
            self._declare_names(node)
        elif kind in ("type_spec", "type_alias"):  # a local type, declared first: it may refer to itself
            self._declare(node.child_by_field_name("name").text.decode())
            self.type_spec(node)
        elif kind == "type_switch_statement":
            self.scopes.append(set())
            for child in node.named_children:
                if child != node.child_by_field_name("alias"):
                    self.visit(child)
                    if child == node.child_by_field_name("value"):
                        self._declare_all(node.child_by_field_name("alias"))
            self.scopes.pop()
        elif kind in _SCOPES:
            self.scopes.append(set())
            self._children(node)
            self.scopes.pop()
        else:
            self._children(node)

    def _children(self, node) -> None:
        for child in node.named_children:
            self.visit(child)

    def _visit_field(self, node, name: str) -> None:
        child = node.child_by_field_name(name)
        if child is not None:
            self.visit(child)

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

    def _selector(self, node) -> None:
        operand, field = node.child_by_field_name("operand"), node.child_by_field_name("field")
        name = operand.text.decode() if operand.type == "identifier" else ""
        if name and name in self.import_names and name not in self.package_names and \
                not any(name in scope for scope in self.scopes):
            self.packages.setdefault(name)  # pkg.Name: a name of the other package
            return
        self.visit(operand)
        if field is not None:
            self.uses.setdefault(("selector", field.text.decode()))

    def _assignment(self, node) -> None:
        """`left := right`: the right side is read first; `left = right` (range) declares nothing."""
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if right is not None:
            self.visit(right)
        if left is None:
            return
        if any(child.type == ":=" for child in node.children):
            self._declare_all(left)
        else:
            self.visit(left)

    def _declare(self, name: str) -> None:
        self.scopes[-1].add(name)

    def _declare_all(self, node) -> None:
        if node is None:
            return
        for child in [node] if node.type == "identifier" else node.named_children:
            if child.type == "identifier":
                self._declare(child.text.decode())

    def _declare_names(self, node) -> None:
        for index, child in enumerate(node.children):
            if node.field_name_for_child(index) == "name":
                self._declare(child.text.decode())

    def _declare_receiver_type_parameters(self, receiver) -> None:
        """`func (s *Stack[T]) Push(v T)`: the T in the receiver's type is a type parameter."""
        stack = [receiver]
        while stack:
            node = stack.pop()
            if node.type == "type_arguments":
                for name in node.named_children:
                    self._declare(name.text.decode())
            else:
                stack.extend(node.named_children)
