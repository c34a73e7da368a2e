"""One outcome per assertion: a Python task's test script rewritten as a pytest file with one test per
assertion, for rewards that count the share of tests a program passes (`Task.graded_job`).

HumanEval's `check(candidate)` is one function holding many asserts, and MBPP's test is three asserts in a
row: run as scripts (the bench verdict, `Task.test_job`), they stop at the first failure and give one outcome.
Here every top-level statement that is or holds an `assert` (a loop of asserts is one) becomes a test of its
own; the statements before it that assert nothing (setup: `x = [1, 2]`, `import math`, `print(...)`) run first
in each test, in their order, so that each test runs what its assertion needs. An `assert True` or any
assertion of a constant checks nothing and is left out.

The file runs in the sandbox's harness, outside the program, like the scripts: it takes the program's names
from its module `solution` through references (a script sees the same names), then the trusted part (what the
prompt defines, the dataset's own helpers) follows, so those names are the tests' own, never the program's.
The tests are the script's assertions, each after the setup it needs, so the job passes when the script does
(checked on every reference solution of HumanEval and MBPP).
"""

from __future__ import annotations

import ast
from typing import Optional

from ..vocabulary import Action, Language
from .base import PROGRAM, JobSpec
from .examples import join_python, parse

GRADED_FILE = "test_graded.py"
# The program's names, as a test script sees them (`import *` would leave out those starting with "_").
_PROGRAM_NAMES = """import solution as _program

globals().update({name: value for name, value in vars(_program).items() if not name.startswith("__")})"""


def graded_python_job(program: str, prelude: str, statements: str, timeout_s: float,
                      candidate: Optional[tuple[str, str]] = None) -> JobSpec:
    """A test job running `statements` as one pytest test per assertion, after `prelude` (module level).

    `candidate`: (name, entry point) when `statements` are the body of HumanEval's `check(name)`: each test
    then binds `name` to the program's entry point first."""
    return JobSpec(Language.python, {PROGRAM: program}, Action.test, timeout_s,
                   {GRADED_FILE: graded_tests(prelude, statements, candidate)})


def graded_tests(prelude: str, statements: str, candidate: Optional[tuple[str, str]] = None) -> str:
    """The pytest file: the program's names, `prelude`, then one `test_assertion_N` per assertion."""
    bind = parse(f"{candidate[0]} = {candidate[1]}").body if candidate else []
    tests: list[ast.stmt] = []
    setup: list[ast.stmt] = []
    for node in parse(statements).body if statements.strip() else []:
        if not _asserts(node):
            setup.append(node)
        elif not _checks_nothing(node):
            tests.append(_test(len(tests) + 1, [*bind, *setup, node]))
    if not tests:  # nothing to count: the statements as one test, so that the job still tests something
        tests.append(_test(1, [*bind, *setup] or [ast.Pass()]))
    return join_python(_PROGRAM_NAMES, prelude, ast.unparse(ast.Module(body=tests, type_ignores=[])))


def _test(number: int, body: list[ast.stmt]) -> ast.FunctionDef:
    return ast.FunctionDef(name=f"test_assertion_{number}", args=ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=body, decorator_list=[], returns=None, type_comment=None, lineno=0)


def split_check(test: str) -> Optional[tuple[str, str, str]]:
    """HumanEval's test text -> (module level without `check`, check's parameter name, check's body), or
    None when it defines no `check(candidate)` of one parameter."""
    tree = parse(test)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check" and len(node.args.args) == 1:
            rest = [statement for statement in tree.body if statement is not node]
            body = "\n".join(ast.unparse(statement) for statement in node.body)
            return "\n".join(ast.unparse(statement) for statement in rest), node.args.args[0].arg, body
    return None


def split_script(test: str) -> tuple[str, str]:
    """A test script -> (module level, statements): definitions, imports and whatever comes before the first
    assertion stay at module level, as the script runs them once; from the first assertion on, the
    statements are split into tests."""
    tree = parse(test)
    first = next((i for i, node in enumerate(tree.body) if _asserts(node)), len(tree.body))
    module = [node for i, node in enumerate(tree.body) if i < first or _is_definition(node)]
    statements = [node for i, node in enumerate(tree.body) if i >= first and not _is_definition(node)]
    return "\n".join(ast.unparse(n) for n in module), "\n".join(ast.unparse(n) for n in statements)


def _asserts(node: ast.AST) -> bool:
    return any(isinstance(inner, ast.Assert) for inner in ast.walk(node)) and not _is_definition(node)


def _checks_nothing(node: ast.AST) -> bool:
    return isinstance(node, ast.Assert) and isinstance(node.test, ast.Constant) and bool(node.test.value)


def _is_definition(node: ast.AST) -> bool:
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))
