"""Parsing with the real tree-sitter grammars from PyPI (tree-sitter-python, -go, -c, -cpp).

Source that does not parse raises ParseError naming the first bad line (the message names no option: each
command says what it offers); with `allow_errors=True` the tree is returned as it is and the graph builders
turn each `ERROR` region into one node of kind `error`. An ERROR a grammar makes of valid code (see
`grammar_gap`: `typeid(int)` in C++) is no error.

Recovery with `allow_errors`: tree-sitter's own recovery often lets one error swallow the definitions after
it (an unclosed bracket at the top of a Python file turns the rest of the file into one ERROR; a Go function
missing its `}` takes the next function in as a literal). So where a top-level node that has an error holds
the start of another top-level definition, that node is parsed again in pieces, cut where definitions start,
each piece on its own (positions stay those of the file). A definition starts on a line at column 0 that
begins with `def`, `async def`, `class` or a decorator (Python); `func`, `type`, `var`, `const` (Go); or, for C
and C++, that looks like a function head (a name, then `(`, not ending in `;`) or begins with `template`,
`namespace`, `class`, `struct` or `union`. The pieces' top-level nodes are `ParsedSource.top_level`; a piece
that still does not parse is an error node, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple, Union

from ..syntax import grammar, parser as _parser  # noqa: F401  (grammar: graphs.lang reads it here)
from ..i18n import N_, said
from .vocabulary import Language

SUFFIX_LANGUAGE = {".py": Language.python, ".pyi": Language.python, ".go": Language.go, ".c": Language.c,
                   ".h": Language.c, ".cpp": Language.cpp, ".cc": Language.cpp, ".cxx": Language.cpp,
                   ".hpp": Language.cpp, ".hh": Language.cpp, ".hxx": Language.cpp}


class ParseError(ValueError):
    """The source has a syntax error; `line` is 1-based."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.line = line
        self.column = column


_C_STARTS = rb"^(?:(?:template|namespace)\b|(?:class|struct|union)\b[^;\n]*$|[A-Za-z_][^;\n(]*\([^;\n]*$)"
DEFINITION_START = {
    Language.python: re.compile(rb"^(?:@|(?:async[ \t]+)?def[ \t]|class[ \t(:])", re.M),
    Language.go: re.compile(rb"^(?:func|type|var|const)\b", re.M),
    Language.c: re.compile(_C_STARTS, re.M),
    Language.cpp: re.compile(_C_STARTS, re.M),
}


@dataclass(frozen=True)
class ParsedSource:
    language: Language
    source: bytes
    tree: object  # tree_sitter.Tree
    has_errors: bool
    # The file's top-level nodes after recovery (see the module docstring); None: the root's named children.
    recovered: Optional[Tuple[object, ...]] = None
    pieces: Tuple[object, ...] = field(default=(), repr=False)   # the trees the recovered nodes belong to

    @property
    def root(self):
        return self.tree.root_node

    @property
    def top_level(self) -> List[object]:
        return list(self.recovered) if self.recovered is not None else self.root.named_children


def language_for_path(path: Union[str, Path]) -> Language:
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIX_LANGUAGE:
        raise ValueError(said("cannot tell the language of {path} from its suffix: name it .py, .go, .c or .cpp "
                              "(also .cc, .cxx, .hpp), or give the language", path=path))
    return SUFFIX_LANGUAGE[suffix]


# Built-in type names: what `typeid(int)` holds where tree-sitter-cpp 0.23 expects an expression.
_BUILTIN_TYPES = frozenset({"primitive_type", "sized_type_specifier", "type_qualifier"})


def grammar_gap(node, language: Language) -> bool:
    """An ERROR node the grammar makes of valid code, accepted as no error.

    tree-sitter-cpp 0.23 parses `typeid(x)` as a call and cannot read a built-in type as its argument:
    `typeid(int)` gives `(argument_list (ERROR (primitive_type)))`. That ERROR, alone in the arguments of a
    call to `typeid`, reads no variable and is not an error. (`typeid(std::string)` parses, as a name.)"""
    if language is not Language.cpp or node.type != "ERROR":
        return False
    arguments = node.parent
    call = arguments.parent if arguments is not None else None
    if arguments is None or arguments.type != "argument_list" or call is None or call.type != "call_expression":
        return False
    function = call.child_by_field_name("function")
    return function is not None and function.text == b"typeid" and arguments.named_child_count == 1 and \
        all(child.type in _BUILTIN_TYPES for child in node.named_children)


def first_error(node, language: Optional[Language] = None) -> Optional[object]:
    """The first ERROR or MISSING node in source order that is not a grammar gap, or None."""
    if not node.has_error:
        return None
    if node.is_missing:
        return node
    if node.type == "ERROR":
        return None if grammar_gap(node, language) else node
    for child in node.children:
        found = first_error(child, language)
        if found is not None:
            return found
    return None


def parse(source: Union[str, bytes], language: Union[Language, str], allow_errors: bool = False) -> ParsedSource:
    language = Language(language)
    data = source.encode("utf-8", "surrogateescape") if isinstance(source, str) else source
    tree = _parser(language).parse(data)
    bad = first_error(tree.root_node, language)
    has_errors = bad is not None
    if has_errors and not allow_errors:
        line, column = bad.start_point[0] + 1, bad.start_point[1] + 1
        snippet = data.splitlines()[line - 1].decode("utf-8", "replace").strip() if data.splitlines() else ""
        template = N_("{language}: missing `{token}` at line {line}, column {column}: {snippet}") if bad.is_missing \
            else N_("{language}: syntax error at line {line}, column {column}: {snippet}")
        raise ParseError(said(template, language=language.value, token=bad.type, line=line, column=column,
                              snippet=repr(snippet[:80])), line, column)
    if has_errors:
        recovered, pieces = _recover(language, data, tree.root_node)
        if pieces:
            return ParsedSource(language, data, tree, has_errors, tuple(recovered), tuple(pieces))
    return ParsedSource(language, data, tree, has_errors)


def _definition_starts(language: Language, data: bytes) -> List[int]:
    """Byte offsets of the lines where a top-level definition starts (see the module docstring)."""
    starts = []
    for match in DEFINITION_START[language].finditer(data):
        at = match.start()
        if language is Language.python and data[at:at + 1] != b"@":
            before = data[:at].rstrip()
            line_start = before.rfind(b"\n") + 1
            if before and before[line_start:line_start + 1] == b"@":
                continue   # a decorated definition starts at its first decorator
        starts.append(at)
    return starts


def _recover(language: Language, data: bytes, root) -> Tuple[List[object], List[object]]:
    """The top-level nodes with every erroneous one that holds a definition start parsed again in pieces,
    and the pieces' trees (empty when nothing needed it)."""
    import tree_sitter

    starts = _definition_starts(language, data)
    nodes: List[object] = []
    pieces: List[object] = []
    for node in root.named_children:
        inside = [at for at in starts if node.start_byte < at < node.end_byte]
        if not inside or first_error(node, language) is None:
            nodes.append(node)
            continue
        bounds = [node.start_byte, *inside, node.end_byte]
        for begin, end in zip(bounds, bounds[1:]):
            parser = tree_sitter.Parser(grammar(language))
            parser.included_ranges = [tree_sitter.Range(_point(data, begin), _point(data, end), begin, end)]
            piece = parser.parse(data)
            pieces.append(piece)
            nodes += piece.root_node.named_children
    return nodes, pieces


def _point(data: bytes, offset: int) -> Tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset), offset - line_start
