"""Parsing with the real tree-sitter grammars from PyPI (tree-sitter-python, -go, -c).

Source that does not parse raises ParseError naming the first bad line; with `allow_errors=True` the tree is
returned as it is and the graph builders turn each `ERROR` region into one node of kind `error`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Union

from .vocabulary import Language

SUFFIX_LANGUAGE = {".py": Language.python, ".pyi": Language.python, ".go": Language.go, ".c": Language.c,
                   ".h": Language.c}


class ParseError(ValueError):
    """The source has a syntax error; `line` is 1-based."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class ParsedSource:
    language: Language
    source: bytes
    tree: object  # tree_sitter.Tree
    has_errors: bool

    @property
    def root(self):
        return self.tree.root_node


@lru_cache(maxsize=None)
def _parser(language: Language):
    import tree_sitter

    if language is Language.python:
        import tree_sitter_python as grammar
    elif language is Language.go:
        import tree_sitter_go as grammar
    else:
        import tree_sitter_c as grammar
    return tree_sitter.Parser(tree_sitter.Language(grammar.language()))


def grammar(language: Language):
    """The tree_sitter.Language of a grammar (node kind ids and names, field ids)."""
    return _parser(language).language


def language_for_path(path: Union[str, Path]) -> Language:
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIX_LANGUAGE:
        raise ValueError(f"cannot tell the language of {path}: use a .py, .go or .c file, or pass --language")
    return SUFFIX_LANGUAGE[suffix]


def first_error(node) -> Optional[object]:
    """The first ERROR or MISSING node in source order, or None."""
    if not node.has_error:
        return None
    if node.type == "ERROR" or node.is_missing:
        return node
    for child in node.children:
        found = first_error(child)
        if found is not None:
            return found
    return node


def parse(source: Union[str, bytes], language: Union[Language, str], allow_errors: bool = False) -> ParsedSource:
    language = Language(language)
    data = source.encode("utf-8", "surrogateescape") if isinstance(source, str) else source
    tree = _parser(language).parse(data)
    has_errors = tree.root_node.has_error
    if has_errors and not allow_errors:
        bad = first_error(tree.root_node)
        line, column = bad.start_point[0] + 1, bad.start_point[1] + 1
        what = f"missing `{bad.type}`" if bad.is_missing else "syntax error"
        snippet = data.splitlines()[line - 1].decode("utf-8", "replace").strip() if data.splitlines() else ""
        raise ParseError(f"{language.value}: {what} at line {line}, column {column}: {snippet[:80]!r} "
                         "(fix the source, or pass --allow-errors to build from what parses)", line, column)
    return ParsedSource(language, data, tree, has_errors)
