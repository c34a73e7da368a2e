"""The tree-sitter parsers of the languages codeforge reads (tree-sitter-python, -go, -c, -cpp from PyPI).

One place obtains them, so that graphs (control and data flow) and tasks (the context of a Go function under
test) parse with the same grammars. Dependency-free beyond tree-sitter; a grammar is imported when first used.
"""

from __future__ import annotations

from functools import lru_cache

from .vocabulary import Language


@lru_cache(maxsize=None)
def parser(language: Language):
    """The tree_sitter.Parser of `language`, made once."""
    import tree_sitter

    if language is Language.python:
        import tree_sitter_python as grammar
    elif language is Language.go:
        import tree_sitter_go as grammar
    elif language is Language.cpp:
        import tree_sitter_cpp as grammar
    else:
        import tree_sitter_c as grammar
    return tree_sitter.Parser(tree_sitter.Language(grammar.language()))


def grammar(language: Language):
    """The tree_sitter.Language of a grammar (node kind ids and names, field ids)."""
    return parser(language).language
