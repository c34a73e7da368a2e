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
Program names pytest would act on at module level (test*, Test*, setup*, teardown*, pytest*) stay out of the
module: a test that uses one (Mbpp/19's function is `test_duplicate`) binds it inside itself.
The tests are the script's assertions, each after the setup it needs, so the job passes when the script does
(checked on every reference solution of HumanEval and MBPP).
"""

from __future__ import annotations

import ast
import re
from typing import Optional

from ..vocabulary import Action, Language
from .base import PROGRAM, JobSpec
from .examples import join_python, parse

GRADED_FILE = "test_graded.py"
# Module-level names pytest gives a meaning of its own: tests (test*, Test*), module setup and teardown (a
# program's helper named `setup` would be called as nose's module setup), pytestmark; and this file's own.
HELD = re.compile(r"^(test|Test|setup|teardown|setUp|tearDown|pytest|_codeforge)")
# The program's names, as a test script sees them (`import *` would leave out those starting with "_"), but
# for those pytest would act on: the tests that use one of them get it as a local (`_bound`).
_PROGRAM_NAMES = f"""import re as _codeforge_re
import solution as _codeforge_program

_codeforge_names = {{name: value for name, value in vars(_codeforge_program).items() if not name.startswith("__")}}
_codeforge_held = {{name: value for name, value in _codeforge_names.items()
                   if _codeforge_re.match({HELD.pattern!r}, name)}}
globals().update({{name: value for name, value in _codeforge_names.items() if name not in _codeforge_held}})"""


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
    defined = _module_names(prelude)
    tests: list[ast.stmt] = []
    setup: list[ast.stmt] = []
    for node in parse(statements).body if statements.strip() else []:
        if not _asserts(node):
            setup.append(node)
        elif not _checks_nothing(node):
            tests.append(_test(len(tests) + 1, _bound([*bind, *setup, node], defined)))
    if not tests:  # nothing to count: the statements as one test, so that the job still tests something
        tests.append(_test(1, _bound([*bind, *setup], defined) or [ast.Pass()]))
    # The dataset's own helpers named like tests (a script's `def test_sum(): ...` that its asserts call) are
    # not tests of their own.
    helpers = "".join(f"{name}.__test__ = False\n" for name in sorted(_module_definitions(prelude))
                      if re.match(r"^(test|Test)", name))
    return join_python(_PROGRAM_NAMES, prelude, helpers, ast.unparse(ast.Module(body=tests, type_ignores=[])))


def _bound(body: list[ast.stmt], defined: set[str]) -> list[ast.stmt]:
    """`body`, after binding the program's held names it reads (Mbpp/19's function is `test_duplicate`)."""
    used = sorted({node.id for statement in body for node in ast.walk(statement) if isinstance(node, ast.Name)
                   and HELD.match(node.id) and node.id not in defined})
    bindings = [parse(f"if {name!r} in _codeforge_held:\n    {name} = _codeforge_held[{name!r}]").body[0]
                for name in used]
    return [*bindings, *body]


def _module_definitions(source: str) -> set[str]:
    return {node.name for node in (parse(source).body if source.strip() else [])
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _module_names(source: str) -> set[str]:
    """The names `source` defines at its top level (the prelude's own, which the program's never replace)."""
    names = set()
    for node in parse(source).body if source.strip() else []:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


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
