"""Visible examples of Python tasks: the calls a prompt's docstring shows, and a program that checks them.

HumanEval docstrings show examples in many ways. Found here (in the entry point's docstring only):

    >>> add(2, 3)            doctest: the expected value on the next line(s); nothing there means None
    5
    >>> add(2, 3) == 5       doctest with the comparison written out (and nothing below it)
    add(2, 3) ==> 5          also `=>`, `==`, `->`, `➞`, `=`, `should return`, `returns`, `# returns`, `# =>`
    For lst = [1, 2] the output should be 3      ("the result should be" too)
    Input: arr = [1, 2], k = 1                   (or `Input: [1, 2]`, or one `name : value` per line)
    Output: [2]

An example is kept only when it is a call of the entry point (possibly inside round(...) and the like) whose
arguments and expected value are plain Python literals or constant arithmetic (`19 - 5 - 6 = 8` means 8;
the lowercase `true`/`false` some docstrings use mean True/False). Anything else (a call of a misspelt name,
an argument that is a bare word, prose) is skipped rather than guessed at.

Checks are written as `assert CALL == EXPECTED` (the task's `visible` text); the program that runs them
reports a failure as `AssertionError: add(2, 3) returned 6, expected 5`, which is what a model is shown.
"""

from __future__ import annotations

import ast
import doctest
import re
import warnings
from dataclasses import dataclass
from typing import Optional

# Calls an example may wrap around the entry point's call (HumanEval/32: round(find_zero([1, 2]), 2)).
WRAPPERS = frozenset({"round", "sorted", "abs", "len", "list", "tuple", "set", "str", "int", "float"})
# How a line separates a call from its expected value, longest first.
SEPARATOR = re.compile(r"\s*(?:==>|=>|==|->|➞|=|should\s+return|returns|#\s*returns|#\s*=>|#\s*->)\s*", re.I)
RESULT_LINE = re.compile(r"^\s*for\s+(.+?),?\s+the\s+(?:output|result)\s+should\s+be\s*:?\s*(.*)$", re.I)
INPUT_OUTPUT = re.compile(r"Input:[ \t]*(.*?)\n\s*Output:[ \t]*([^\n]*)", re.S)
MAX_SHOWN = 300  # characters of a value shown in a failure message


@dataclass(frozen=True)
class Example:
    call: str  # the expression, normalised: "add(2, 3)"
    expected: object  # the value it should return

    @property
    def assertion(self) -> str:
        return f"assert {self.call} == {self.expected!r}"


def parse_examples(prompt: str, entry_point: str) -> list[Example]:
    """The examples the entry point's docstring shows, in the order it shows them, without duplicates."""
    function = _function(prompt, entry_point)
    text = docstring_source(prompt, function) if function else prompt
    params = [arg.arg for arg in function.args.posonlyargs + function.args.args] if function else []
    found: list[tuple[int, Example]] = []
    found += _doctest_examples(text, entry_point)
    found += _inline_examples(text, entry_point)
    if params:
        found += _result_lines(text, entry_point, params)
        found += _input_output_blocks(text, entry_point, params)
    seen, examples = set(), []
    for _, example in sorted(found, key=lambda item: item[0]):
        key = (example.call, repr(example.expected))
        if key not in seen:
            seen.add(key)
            examples.append(example)
    return examples


def docstring_source(prompt: str, function: ast.FunctionDef) -> str:
    """The function's docstring as written in the source (escapes unprocessed: the examples are code); its
    first string statement, as HumanEval/115 imports before it; the whole prompt when it has none."""
    for statement in function.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
                and isinstance(statement.value.value, str):
            segment = (ast.get_source_segment(prompt, statement.value) or "").lstrip("rRuU")
            quotes = 3 if segment[:3] in ('"""', "'''") else 1
            return segment[quotes:-quotes]
    return prompt


def _function(prompt: str, name: str) -> Optional[ast.FunctionDef]:
    try:
        tree = parse(prompt)
    except SyntaxError:
        return None
    return next((node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == name), None)


# -- the forms ----------------------------------------------------------------------------------------------


def _doctest_examples(text: str, entry_point: str) -> list[tuple[int, Example]]:
    try:
        parsed = doctest.DocTestParser().get_examples(text)
    except ValueError:  # inconsistent indentation: no doctest examples then
        return []
    found = []
    for item in parsed:
        want = item.want.strip()
        try:
            node = parse(item.source.strip(), mode="eval").body
        except SyntaxError:
            continue
        if not want and isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
            node, expected = node.left, _literal_value(node.comparators[0])  # `>>> f(x) == y`
        elif not want:
            expected = _Value(None)  # doctest: no output means the call returned None
        else:
            expected = _literal_text(want)
        if expected is not None and _is_example_call(node, entry_point):
            found.append((_line_offset(text, item.lineno), Example(ast.unparse(node), expected.value)))
    return found


def _inline_examples(text: str, entry_point: str) -> list[tuple[int, Example]]:
    """`f(x) ==> y` and its relatives, the call possibly spanning lines (HumanEval/87)."""
    found = []
    for match in re.finditer(rf"(?<![\w.]){re.escape(entry_point)}\s*\(", text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if text[line_start:match.start()].lstrip().startswith(">>>"):
            continue  # doctest lines are read by _doctest_examples
        end = _closing_paren(text, match.end() - 1)
        if end is None:
            continue
        try:
            call = parse(text[match.start():end + 1], mode="eval").body
        except SyntaxError:
            continue
        line_end = text.find("\n", end)
        rest = text[end + 1:] if line_end < 0 else text[end + 1:line_end]
        separator = SEPARATOR.match(rest)
        if not separator or not _is_example_call(call, entry_point):
            continue
        expected = _leading_literal(rest[separator.end():])
        if expected is not None:
            found.append((match.start(), Example(ast.unparse(call), expected.value)))
    return found


def _result_lines(text: str, entry_point: str, params: list[str]) -> list[tuple[int, Example]]:
    """`For lst = [1, 2] the output should be 3` (HumanEval/94, 133, 142), `For s = "ab", c = "a", the
    result should be ...` (HumanEval/112)."""
    found = []
    offset = 0
    for line in text.splitlines(keepends=True):
        match = RESULT_LINE.match(line)
        if match:
            call = _call_from_arguments(match.group(1), entry_point, params)
            expected = _leading_literal(match.group(2))
            if call is not None and expected is not None:
                found.append((offset, Example(call, expected.value)))
        offset += len(line)
    return found


def _input_output_blocks(text: str, entry_point: str, params: list[str]) -> list[tuple[int, Example]]:
    """`Input: arr = [1, 2], k = 1` / `Output: [2]` blocks (HumanEval/68, 107, 115, 120, 122, 129, 143, 147)."""
    found = []
    for match in INPUT_OUTPUT.finditer(text):
        lines = [line.strip() for line in match.group(1).splitlines() if line.strip()]
        lines = [re.sub(r"^(\w+)\s*:\s*", r"\1 = ", line) for line in lines]  # `grid : [[0, 1]]`
        call = _call_from_arguments(", ".join(lines), entry_point, params)
        expected = _leading_literal(match.group(2))
        if call is not None and expected is not None:
            found.append((match.start(), Example(call, expected.value)))
    return found


# -- pieces -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Value:
    value: object


def _call_from_arguments(text: str, entry_point: str, params: list[str]) -> Optional[str]:
    """`s = "ab", c = "a"` or `[1, 2]` as a call with positional arguments in the signature's order, so
    that an answer that renames its parameters still takes it. Trailing prose after a comma is dropped
    (`N = 1000, the sum of digits will be 1`)."""
    pieces = text.split(",")
    for count in range(len(pieces), 0, -1):
        try:
            call = parse(f"f({','.join(pieces[:count])})", mode="eval").body
        except SyntaxError:
            continue
        if not isinstance(call, ast.Call) or (call.args and call.keywords):
            return None
        if call.keywords:
            named = {keyword.arg: keyword.value for keyword in call.keywords}
            if None in named:
                return None
            if set(named) == set(params[:len(named)]):
                args = [named[name] for name in params[:len(named)]]
            elif len(named) == len(params):  # the docstring's own names (HumanEval/115): take their order
                args = list(named.values())
            else:
                return None
        else:
            args = call.args
        if len(args) > len(params) or any(_literal_value(arg) is None for arg in args):
            return None
        return ast.unparse(ast.Call(ast.Name(entry_point, ast.Load()), args, []))
    return None


def _is_example_call(node: ast.AST, entry_point: str) -> bool:
    """A call of the entry point on literals, possibly inside WRAPPERS calls; nothing else."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.keywords:
        return False
    if node.func.id == entry_point:
        return all(_literal_value(arg) is not None for arg in node.args)
    if node.func.id in WRAPPERS and node.args:
        return _is_example_call(node.args[0], entry_point) and \
            all(_literal_value(arg) is not None for arg in node.args[1:])
    return False


def _leading_literal(text: str) -> Optional[_Value]:
    """The longest start of `text` that is a literal, followed by nothing, punctuation or a comment:
    `'No' (the name should start with a letter)` -> 'No'; `19 - 5 - 6 = 8` -> 8 (the arithmetic); a
    full stop ends the sentence (`should be 1.` means 1, not 1.0)."""
    text = text.strip()
    if text.endswith(".") and _literal_text(text[:-1]) is not None:
        text = text[:-1]
    word = re.match(r"(true|false)\b\.?\s*$", text, re.I)
    if word:
        return _Value(word.group(1).lower() == "true")
    for end in range(len(text), 0, -1):
        rest = text[end:]
        if rest and rest[0] not in " \t.,;:(#=":
            continue
        value = _literal_text(text[:end])
        if value is not None:
            return value
    return None


def _literal_text(text: str) -> Optional[_Value]:
    try:
        node = parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None
    return _literal_value(node)


def _literal_value(node: ast.AST) -> Optional[_Value]:
    """The value of a literal or of constant arithmetic (`1 + 9 + 0 + 0`), else None."""
    try:
        return _Value(_evaluate(node))
    except (ValueError, TypeError, ArithmeticError, RecursionError):
        return None


_OPERATORS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
              ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b}


def _evaluate(node: ast.AST) -> object:
    if isinstance(node, ast.Constant) and not isinstance(node.value, (bytes, type(...))):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_evaluate(item) for item in node.elts]
        return {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)](items)
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_evaluate(key): _evaluate(value) for key, value in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _evaluate(node.operand)
        if isinstance(operand, (int, float)) and not isinstance(operand, bool):
            return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
            return _OPERATORS[type(node.op)](left, right)
    raise ValueError("not a literal")  # untranslated: internal, caught by _leading_literal


def _closing_paren(text: str, start: int) -> Optional[int]:
    """The index of the bracket closing the one at `start`, skipping string literals."""
    depth, index, quote = 0, start, None
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def _line_offset(text: str, lineno: int) -> int:
    return sum(len(line) for line in text.splitlines(keepends=True)[:lineno])


# -- the check program --------------------------------------------------------------------------------------

_CHECK_HELPERS = """
import math as _codeforge_math

_codeforge_tolerance = {tolerance}  # floats within 1e-6, through lists and tuples


def _codeforge_same(got, expected):
    if _codeforge_tolerance and isinstance(got, (int, float)) and isinstance(expected, (int, float)) \\
            and (isinstance(got, float) or isinstance(expected, float)):
        return _codeforge_math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-6)
    if _codeforge_tolerance and isinstance(got, (list, tuple)) and type(got) is type(expected) \\
            and len(got) == len(expected):
        return all(_codeforge_same(g, e) for g, e in zip(got, expected))
    return got == expected


def _codeforge_show(value):
    text = repr(value)
    return text if len(text) <= {limit} else text[:{limit}] + "..."

"""


def check_program(asserts: str, tolerance: bool) -> str:
    """Python that runs assert statements, each `assert X == Y` rewritten so that its failure says what X
    returned (`AssertionError: f(1) returned 3, expected 2`); other statements are kept as they are.
    `tolerance`: floats compare with a relative and absolute tolerance of 1e-6, through lists and tuples."""
    try:
        tree = parse(asserts)
    except SyntaxError:
        return asserts  # the program fails the way the dataset's own text would
    lines = [_CHECK_HELPERS.format(limit=MAX_SHOWN, tolerance=tolerance)]
    for statement in tree.body:
        test = statement.test if isinstance(statement, ast.Assert) else None
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq) \
                and statement.msg is None:
            call = ast.unparse(test.left)
            lines.append(f"_got, _expected = {call}, {ast.unparse(test.comparators[0])}\n"
                         f"assert _codeforge_same(_got, _expected), {call + ' returned '!r} + _codeforge_show(_got)"
                         f" + ', expected ' + _codeforge_show(_expected)")
        else:
            lines.append(ast.get_source_segment(asserts, statement) or ast.unparse(statement))
    return "\n".join(lines) + "\n"


def parse(source: str, mode: str = "exec") -> ast.AST:
    """ast.parse without the warnings dataset text causes (invalid escapes in plain strings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, mode=mode)


def join_python(*parts: str) -> str:
    """Program text from pieces, each ending with a newline and separated by a blank line."""
    return "\n\n".join(part.rstrip("\n") for part in parts if part.strip()) + "\n"
