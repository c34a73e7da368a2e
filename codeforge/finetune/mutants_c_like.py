"""Mutations of Go, C and C++ references by patterns on their text (mutants.py has the Python ones and the API).

Patterns look at a masked copy of the program, where comments, string and character literals, preprocessor
lines and template argument lists (`vector<int>`) are blanked out, and only inside function bodies, so that an
include or a message is never changed. A pattern can still make something that is not code (`[]*T` to
`[]/T`); `parses` (the real tree-sitter grammar) turns those away.
"""

from __future__ import annotations

import re

from ..vocabulary import Language

# The kinds, as MutationKind's values: mutants.py imports this module, so it cannot import them from there.
OPERATOR, OFF_BY_ONE, NEGATED, DROPPED, WRONG_RETURN = (
    "operator", "off_by_one", "negated_condition", "dropped_line", "wrong_return")
Edit = tuple  # (kind, start, end, text, line): characters start..end replaced by text; line is 1-based

_NOISE = {
    Language.go: re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|`[^`]*`|'(?:\\.|[^'\\\n])*'", re.S),
    Language.c: re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|^[ \t]*#[^\n]*",
                           re.S | re.M),
}
_NOISE[Language.cpp] = _NOISE[Language.c]
_TEMPLATE = re.compile(r"\b(?:vector|map|set|pair|unordered_map|unordered_set|multiset|multimap|priority_queue|"
                       r"queue|stack|deque|list|tuple|array|greater|less|basic_string|function|"
                       r"static_cast|dynamic_cast|reinterpret_cast|const_cast|numeric_limits)\s*<")
_OPERAND_END = re.compile(r"[\w)\]]\s*$")
_SWAPS = [  # (pattern, replacement of group 1, kind)
    (re.compile(r"(==)"), "!=", OPERATOR),
    (re.compile(r"(!=)"), "==", OPERATOR),
    (re.compile(r"(&&)"), "||", OPERATOR),
    (re.compile(r"(\|\|)"), "&&", OPERATOR),
    (re.compile(r"(\+\+)"), "--", OPERATOR),
    (re.compile(r"(--)"), "++", OPERATOR),
    (re.compile(r"(?<![+\-*/%<>=!&|^])(\+=)"), "-=", OPERATOR),
    (re.compile(r"(?<![+\-*/%<>=!&|^])(-=)"), "+=", OPERATOR),
    (re.compile(r"(?<![<>=!\-])(<=)"), "<", OFF_BY_ONE),
    (re.compile(r"(?<![<>=!\-])(>=)"), ">", OFF_BY_ONE),
    (re.compile(r"(?<![<>\-])(<)(?![<=\-])"), "<=", OFF_BY_ONE),
    (re.compile(r"(?<![<>\-])(>)(?![>=])"), ">=", OFF_BY_ONE),
]
_BINARY = re.compile(r"(?<![+\-*/%<>=!&|^])([+\-*/%])(?![+\-*/%=>])")  # an arithmetic operator, alone
_BINARY_SWAP = {"+": "-", "-": "+", "*": "+", "/": "*", "%": "/"}
_INTEGER = re.compile(r"(?<![\w.])(\d+)(?![\w.])")
_BOOL_RETURN = re.compile(r"\breturn\s+(true|false)\b")
_CONTROL = re.compile(r"^\s*(?:if|for|while|switch|return|else|case|default|do|break;|continue;|goto|func|var|"
                      r"const|type|defer|go|select)\b|^\s*[{}]")
_DECLARATION = re.compile(r"^\s*(?:const\s+|static\s+|unsigned\s+|long\s+)*[A-Za-z_][\w:]*(?:<[^;=]*>)?[\s*&]+"
                          r"[A-Za-z_]\w*\s*(?:[=;\[(,{])")


def parses(code: str, language: Language) -> bool:
    from ..graphs.parse import ParseError, parse

    try:
        parse(code, language)
    except ParseError:
        return False
    return True


def masked(reference: str, language: Language) -> str:
    """The reference with comments, literals, preprocessor lines and template arguments blanked (same length,
    newlines kept), and everything outside function bodies blanked too."""
    blank = lambda m: re.sub(r"[^\n]", " ", m.group())  # noqa: E731
    text = _NOISE[language].sub(blank, reference)
    if language is not Language.go:
        text = _blank_templates(text)
    keep = [" "] * len(text)
    for start, end in _bodies(text, language):
        keep[start:end] = text[start:end]
    return "".join(c if c == "\n" else k for c, k in zip(text, keep))


def _blank_templates(text: str) -> str:
    chars = list(text)
    for match in _TEMPLATE.finditer(text):
        depth, index = 0, match.end() - 1
        while index < len(text):
            depth += {"<": 1, ">": -1}.get(text[index], 0)
            if depth == 0 or text[index] in ";{}":
                break
            index += 1
        if depth == 0:
            chars[match.end() - 1:index + 1] = " " * (index + 2 - match.end())
    return "".join(chars)


def _bodies(text: str, language: Language) -> list[tuple[int, int]]:
    """Inside the braces of each top-level function: Go's `func ... {`, C's and C++'s `...) {` at depth 0."""
    spans, depth, opened = [], 0, None
    for index, char in enumerate(text):
        if char == "{":
            if depth == 0:
                head = text[text.rfind("\n", 0, text.rfind("\n", 0, index)) + 1:index]
                is_function = re.search(r"^func\b", head, re.M) if language is Language.go \
                    else re.search(r"\)\s*(?:const\s*)?$", head)
                opened = index + 1 if is_function else None
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0 and opened is not None:
                spans.append((opened, index))
                opened = None
    return spans


def edits(reference: str, language: Language) -> list[Edit]:
    text = masked(reference, language)
    line_of = lambda offset: text.count("\n", 0, offset) + 1  # noqa: E731
    found: list[Edit] = []
    for pattern, new, kind in _SWAPS:
        for match in pattern.finditer(text):
            found.append((kind, match.start(1), match.end(1), new, line_of(match.start(1))))
    for match in _BINARY.finditer(text):
        if _OPERAND_END.search(text[:match.start(1)][-40:]) and not re.search(r"\d[eE]$", text[:match.start(1)]):
            found.append((OPERATOR, match.start(1), match.end(1), _BINARY_SWAP[match.group(1)],
                               line_of(match.start(1))))
    for match in _INTEGER.finditer(text):
        value = int(match.group(1))
        for changed in (value + 1, value - 1):
            if changed >= 0:
                found.append((OFF_BY_ONE, match.start(1), match.end(1), str(changed),
                                   line_of(match.start(1))))
    for match in _BOOL_RETURN.finditer(text):
        found.append((WRONG_RETURN, match.start(1), match.end(1),
                           "false" if match.group(1) == "true" else "true", line_of(match.start(1))))
    found += _negations(reference, text, language, line_of)
    found += _dropped_lines(text, language)
    found.sort(key=lambda edit: (edit[1], edit[0], edit[3]))
    return found


def _negations(reference: str, text: str, language: Language, line_of) -> list[Edit]:
    found = []
    if language is Language.go:
        for match in re.finditer(r"\bif\s+([^{}\n]+?)\s*\{", text):
            start, end = match.span(1)
            if ";" in match.group(1):  # `if v, ok := m[k]; ok {`: the condition is after the statement
                start += match.group(1).rindex(";") + 1
                while reference[start] == " ":
                    start += 1
            condition = reference[start:end]
            found.append((NEGATED, start, end, f"!({condition})", line_of(start)))
        return found
    for match in re.finditer(r"\b(?:if|while)\s*\(", text):
        depth, index = 1, match.end()
        while index < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[index], 0)
            index += 1
        if depth == 0:
            condition = reference[match.end():index - 1]
            found.append((NEGATED, match.end(), index - 1, f"!({condition})",
                               line_of(match.end())))
    return found


def _dropped_lines(text: str, language: Language) -> list[Edit]:
    """Single-line statements (assignments, calls, increments) left out; not declarations, whose names the
    code after them needs, and not the lone statement of an `if` or loop without braces."""
    found, offset, previous = [], 0, ""
    for line in text.splitlines(keepends=True):
        code = line.strip()
        statement = code.endswith(";") and code.count(";") == 1 if language is not Language.go \
            else bool(code) and ";" not in code and not code.endswith(("{", "(", ",")) and ":=" not in code
        if statement and code and not _CONTROL.match(line) and not (language is not Language.go and
                                                                    _DECLARATION.match(line)) \
                and not previous.endswith((")", "else")) and re.search(r"=|\+\+|--|\)$|\);$", code):
            found.append((DROPPED, offset, offset + len(line), "",
                               text.count("\n", 0, offset) + 1))
        if code:
            previous = code
        offset += len(line)
    return found
