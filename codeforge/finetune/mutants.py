"""Execution feedback from mutants: each task's reference solution with one small fault put in, run against the
task's own tests in the sandbox; what went wrong (the failed assertion, the exception, the compiler's message)
is the feedback, and the reference is the fix to learn.

A mutation edits the reference by the line and column ranges of one syntax node, so the rest of the program
stays byte for byte as it was and the failed program reads like code a model wrote. Python is mutated through
`ast`; Go and C++ by patterns on the lines of the solution (comments, strings and includes left alone), each
mutant checked with the tree-sitter grammar. Mutants that still pass their tests (a change in dead code, an
equivalent operator) are dropped, and so are sandbox errors, which say nothing about the program.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import random
import re
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Optional

from ..vocabulary import Language


class MutationKind(str, Enum):
    operator = "operator"  # one operator swapped for a related one: + for -, == for !=, and for or
    off_by_one = "off_by_one"  # an integer literal one more or less, < for <= (and back)
    negated_condition = "negated_condition"  # the test of an if, while or conditional expression negated
    dropped_line = "dropped_line"  # one simple statement (assignment, call, break) left out
    wrong_return = "wrong_return"  # a return that gives back the wrong value (the opposite truth, None)


@dataclass(frozen=True)
class Mutant:
    task_id: str
    kind: MutationKind
    line: int  # 1-based line of the reference that changed
    code: str  # the mutated program (whole program, as Task.reference)


@dataclass(frozen=True)
class FeedbackExample:
    task_id: str
    kind: MutationKind
    failed_code: str
    feedback: str  # what bench's `--feedback hidden` tells a model about this failure
    status: str  # the sandbox status (failed, timeout, compile_error, ...)
    target: str  # the reference program


@dataclass(frozen=True)
class _Edit:
    """Characters start..end of the reference replaced by `text`."""

    kind: MutationKind
    start: int
    end: int
    text: str
    line: int


def mutants(task, *, per_task: int = 3, seed: int = 0) -> list[Mutant]:
    """Up to `per_task` distinct mutants of the task's reference, spread over the kinds of mutation the reference
    allows; the same task and seed give the same list. Each parses and differs from the reference."""
    reference = task.reference
    if task.language is Language.python:
        edits = _python_edits(reference, task.entry_point)
        parses = _python_parses
    elif task.language in (Language.go, Language.c, Language.cpp):
        from . import mutants_c_like

        edits = [_Edit(MutationKind(kind), *rest)
                 for kind, *rest in mutants_c_like.edits(reference, task.language)]
        parses = lambda code: mutants_c_like.parses(code, task.language)  # noqa: E731
    else:
        return []
    by_kind: dict[MutationKind, list[Mutant]] = {}
    seen = {reference}
    for edit in edits:
        code = reference[:edit.start] + edit.text + reference[edit.end:]
        if code in seen or not parses(code):
            continue
        seen.add(code)
        by_kind.setdefault(edit.kind, []).append(Mutant(task.task_id, edit.kind, edit.line, code))
    rng = random.Random(f"{seed}\0{task.task_id}")
    kinds = [kind for kind in MutationKind if kind in by_kind]
    rng.shuffle(kinds)
    for kind in kinds:
        rng.shuffle(by_kind[kind])
    chosen: list[Mutant] = []
    while len(chosen) < per_task and any(by_kind[kind] for kind in kinds):
        for kind in kinds:  # one of each kind in turn, so that a few mutants still show several kinds
            if by_kind[kind] and len(chosen) < per_task:
                chosen.append(by_kind[kind].pop())
    return chosen


def feedback_examples(tasks, sandbox, *, per_task: int = 3, seed: int = 0,
                      on_progress: Optional[Callable[[int, int], None]] = None,
                      timeout_s: Optional[float] = None) -> list[FeedbackExample]:
    """Run each task's mutants against the task's tests in `sandbox` (a DockerSandbox) and describe every one
    that failed as bench's hidden feedback would; mutants that passed, and sandbox errors, are dropped.
    `on_progress(done, total)` is called after each mutant's run; `timeout_s` overrides the tasks' limits.
    Examples come in task order, then in the order `mutants` gives."""
    from ..bench.feedback import FeedbackSource, feedback_text
    from ..store import Execution
    from ..vocabulary import Purpose, Status

    tasks = list(tasks)
    made = [(task, mutant) for task in tasks for mutant in mutants(task, per_task=per_task, seed=seed)]
    jobs = (task.test_job(mutant.code).job(f"mutant-{index}", timeout_s)
            for index, (task, mutant) in enumerate(made))
    found: dict[int, FeedbackExample] = {}
    done = 0
    for result in sandbox.run_many(jobs):
        index = int(result.id.removeprefix("mutant-"))
        task, mutant = made[index]
        done += 1
        if result.status not in (Status.passed, Status.sandbox_error):
            execution = Execution(Purpose.tests.value, result.status.value, result.passed, result.duration_s,
                                  json.loads(result.to_json()))
            feedback = feedback_text(FeedbackSource.hidden, {Purpose.tests: execution}, code=mutant.code)
            found[index] = FeedbackExample(task.task_id, mutant.kind, mutant.code, feedback, result.status.value,
                                           task.reference)
        if on_progress is not None:
            on_progress(done, len(made))
    return [found[index] for index in sorted(found)]


# -- Python -----------------------------------------------------------------------------------------------

_SWAP = {  # operator -> (its text, the text of the one put in its place)
    ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "+"), ast.Div: ("/", "*"),
    ast.FloorDiv: ("//", "/"), ast.Mod: ("%", "//"), ast.Pow: ("**", "*"), ast.LShift: ("<<", ">>"),
    ast.RShift: (">>", "<<"), ast.BitAnd: ("&", "|"), ast.BitOr: ("|", "&"), ast.BitXor: ("^", "&"),
}
_COMPARE = {  # comparison -> (its text, the swap and its kind)
    ast.Eq: ("==", "!=", MutationKind.operator), ast.NotEq: ("!=", "==", MutationKind.operator),
    ast.Lt: ("<", "<=", MutationKind.off_by_one), ast.LtE: ("<=", "<", MutationKind.off_by_one),
    ast.Gt: (">", ">=", MutationKind.off_by_one), ast.GtE: (">=", ">", MutationKind.off_by_one),
    ast.In: ("in", "not in", MutationKind.operator), ast.NotIn: ("not in", "in", MutationKind.operator),
    ast.Is: ("is", "is not", MutationKind.operator), ast.IsNot: ("is not", "is", MutationKind.operator),
}
_FLIPPED = {ast.Lt: ">", ast.Gt: "<", ast.LtE: ">=", ast.GtE: "<="}  # the other operator swap of an order
_BOOL = {ast.And: ("and", "or"), ast.Or: ("or", "and")}
_ATOMS = (ast.Name, ast.Call, ast.Attribute, ast.Subscript, ast.Constant, ast.Compare)
_DROPPABLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Break, ast.Continue)


def _python_parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


class _Source:
    """Character offsets in the source from ast's (line, UTF-8 byte column) positions."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0]
        for match in re.finditer("\n", text):
            self.starts.append(match.end())

    def line(self, lineno: int) -> str:
        end = self.starts[lineno] if lineno < len(self.starts) else len(self.text)
        return self.text[self.starts[lineno - 1]:end]

    def offset(self, lineno: int, col: int) -> int:
        return self.starts[lineno - 1] + len(self.line(lineno).encode("utf-8")[:col].decode("utf-8", "ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno, node.end_col_offset)

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.text[start:end]

    def operator_between(self, left: ast.AST, right: ast.AST, expected: str) -> Optional[tuple[int, int]]:
        """Where the operator between two operands is (parentheses, spaces and comments around it skipped),
        if it is `expected`."""
        gap_start = self.span(left)[1]
        gap = self.text[gap_start:self.span(right)[0]]
        code = re.sub(r"#[^\n]*", lambda m: " " * len(m.group()), gap)
        token = [(m.start(), m.end()) for m in re.finditer(r"[^\s()\\]+", code)]
        if not token:
            return None
        first, last = token[0][0], token[-1][1]
        if " ".join(code[first:last].split()) != expected:
            return None
        return gap_start + first, gap_start + last


def _python_edits(reference: str, entry_point: str) -> list[_Edit]:
    try:
        tree = ast.parse(reference)
    except (SyntaxError, ValueError):
        return []
    functions = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    # The solution is the entry point; the helpers beside it are the prompt's (HumanEval/10's is_palindrome).
    functions = [f for f in functions if f.name == entry_point] or functions
    source = _Source(reference)
    edits: list[_Edit] = []
    for function in functions:
        body = function.body
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]  # the docstring
        for statement in body:
            for node in ast.walk(statement):
                edits += _node_edits(node, source)
        edits += _dropped_lines(function, source)
    return edits


def _node_edits(node: ast.AST, source: _Source) -> list[_Edit]:
    edits = []

    def replace(kind: MutationKind, span: Optional[tuple[int, int]], text: str, line: int) -> None:
        if span is not None:
            edits.append(_Edit(kind, span[0], span[1], text, line))

    if isinstance(node, ast.BinOp) and type(node.op) in _SWAP:
        old, new = _SWAP[type(node.op)]
        strings = any(isinstance(side, (ast.JoinedStr, ast.List, ast.Tuple)) or
                      (isinstance(side, ast.Constant) and isinstance(side.value, (str, bytes)))
                      for side in (node.left, node.right))
        if not (strings and isinstance(node.op, (ast.Add, ast.Mult, ast.Mod))):  # concatenation, formatting
            replace(MutationKind.operator, source.operator_between(node.left, node.right, old), new,
                    node.left.end_lineno)
    elif isinstance(node, ast.AugAssign) and type(node.op) in _SWAP:
        old, new = _SWAP[type(node.op)]
        if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, (str, bytes))):
            replace(MutationKind.operator, source.operator_between(node.target, node.value, old + "="), new + "=",
                    node.lineno)
    elif isinstance(node, ast.Compare):
        for left, op, right in zip([node.left, *node.comparators], node.ops, node.comparators):
            old, new, kind = _COMPARE[type(op)]
            span = source.operator_between(left, right, old)
            replace(kind, span, new, left.end_lineno)
            if type(op) in _FLIPPED:
                replace(MutationKind.operator, span, _FLIPPED[type(op)], left.end_lineno)
    elif isinstance(node, ast.BoolOp):
        old, new = _BOOL[type(node.op)]
        replace(MutationKind.operator, source.operator_between(node.values[0], node.values[1], old), new,
                node.values[0].end_lineno)
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        for value in (node.value + 1, node.value - 1):
            if value >= 0:
                replace(MutationKind.off_by_one, source.span(node), str(value), node.lineno)
    if isinstance(node, (ast.If, ast.While, ast.IfExp)):
        edits += _negated(node.test, source)
    elif isinstance(node, ast.comprehension):
        for test in node.ifs:
            edits += _negated(test, source)
    elif isinstance(node, ast.Return) and node.value is not None:
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, bool):
            replace(MutationKind.wrong_return, source.span(value), str(not value.value), value.lineno)
        elif isinstance(value, (ast.Compare, ast.BoolOp)) or \
                (isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.Not)):
            edits += [dataclasses.replace(e, kind=MutationKind.wrong_return) for e in _negated(value, source)]
        elif not (isinstance(value, ast.Constant) and value.value is None):
            replace(MutationKind.wrong_return, source.span(value), "None", value.lineno)
    return edits


def _negated(test: ast.AST, source: _Source) -> list[_Edit]:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        text = source.segment(test.operand)
    else:
        text = source.segment(test)
        text = f"not {text}" if isinstance(test, _ATOMS) else f"not ({text})"
    if "\n" in text:
        return []  # a test over several lines would need its continuation lines indented again
    start, end = source.span(test)
    return [_Edit(MutationKind.negated_condition, start, end, text, test.lineno)]


def _dropped_lines(function: ast.AST, source: _Source) -> list[_Edit]:
    """Simple statements that stand on lines of their own, each left out (`pass` where it is the only one)."""
    edits = []
    for node in ast.walk(function):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if not isinstance(block, list):
                continue
            for index, statement in enumerate(block):
                if not isinstance(statement, _DROPPABLE) or (node is function and index == 0
                                                             and isinstance(statement, ast.Expr)
                                                             and isinstance(statement.value, ast.Constant)):
                    continue
                first, last = source.line(statement.lineno), source.line(statement.end_lineno)
                start, end = source.span(statement)
                before = source.text[source.starts[statement.lineno - 1]:start]
                after = source.text[end:source.starts[statement.end_lineno - 1] + len(last)]
                if before.strip() or re.sub(r"#.*", "", after).strip() or not first:
                    continue  # shares its line with other code (`a = 1; b = 2`, `if x: y = 1`)
                if len(block) == 1:
                    edits.append(_Edit(MutationKind.dropped_line, start, end, "pass", statement.lineno))
                else:
                    line_start = source.starts[statement.lineno - 1]
                    edits.append(_Edit(MutationKind.dropped_line, line_start, line_start + len(before) +
                                       len(source.text[start:end]) + len(after), "", statement.lineno))
    return edits
