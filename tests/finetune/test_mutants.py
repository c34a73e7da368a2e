"""Mutants of reference solutions and the execution feedback made from them (codeforge/finetune/mutants.py)."""

from __future__ import annotations

import ast
import dataclasses
import difflib
import json
import re

import pytest

from codeforge.finetune.mutants import FeedbackExample, MutationKind, feedback_examples, mutants
from codeforge.graphs.parse import parse
from codeforge.tasks import load_tasks


@pytest.fixture(scope="module")
def humaneval():
    return load_tasks("humaneval", limit=20)


def changed_reference_lines(reference: str, code: str) -> list[int]:
    """1-based lines of `reference` that the mutant replaced or removed (an insertion counts as its place)."""
    matcher = difflib.SequenceMatcher(None, reference.splitlines(), code.splitlines(), autojunk=False)
    changed = []
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            changed += list(range(i1 + 1, max(i2, i1 + 1) + 1))
    return changed


def test_mutants_are_deterministic_distinct_parse_and_change_only_their_line(humaneval):
    for task in humaneval[:10]:
        made = mutants(task, per_task=3, seed=0)
        assert made == mutants(task, per_task=3, seed=0)
        assert 1 <= len(made) <= 3
        assert len({m.code for m in made}) == len(made)
        for mutant in made:
            assert mutant.task_id == task.task_id
            assert mutant.code != task.reference
            ast.parse(mutant.code)
            # The rest of the program is the reference byte for byte: only the mutant's own line changed.
            assert changed_reference_lines(task.reference, mutant.code) == [mutant.line], mutant.code


def test_ten_tasks_show_every_kind_and_another_seed_chooses_differently(humaneval):
    kinds = {m.kind for task in humaneval[:10] for m in mutants(task, per_task=3)}
    assert kinds == set(MutationKind)
    first = [m.code for task in humaneval[:10] for m in mutants(task, per_task=3, seed=0)]
    second = [m.code for task in humaneval[:10] for m in mutants(task, per_task=3, seed=1)]
    assert first != second


def test_per_task_bounds_the_count_and_a_larger_one_extends_the_same_pool(humaneval):
    task = humaneval[1]
    every = mutants(task, per_task=1000)
    assert len(every) > 10 and len({m.code for m in every}) == len(every)
    assert {m.code for m in mutants(task, per_task=5)} <= {m.code for m in every}
    assert len(mutants(task, per_task=5)) == 5
    assert mutants(task, per_task=0) == []


def test_a_one_line_body_still_yields_mutants(humaneval):
    truncate = humaneval[2]  # `return number % 1.0`
    assert {m.kind for m in mutants(truncate, per_task=10)} == {MutationKind.operator, MutationKind.wrong_return}
    add = dataclasses.replace(truncate, entry_point="add", reference="def add(a, b):\n    return a + b\n")
    assert {m.code for m in mutants(add, per_task=10)} >= {"def add(a, b):\n    return a - b\n",
                                                          "def add(a, b):\n    return None\n"}


def test_docstrings_prompt_helpers_and_strings_are_left_alone(humaneval):
    palindrome = humaneval[10]  # the prompt's helper is_palindrome comes before the entry point
    helper_end = palindrome.reference.index("def make_palindrome")
    for task in humaneval[:11]:
        docstring = ast.get_docstring(next(n for n in ast.parse(task.reference).body
                                           if isinstance(n, ast.FunctionDef) and n.name == task.entry_point),
                                      clean=False)
        for mutant in mutants(task, per_task=1000):
            assert docstring is None or docstring in mutant.code
            if task is palindrome:
                assert mutant.code[:helper_end] == task.reference[:helper_end]
    words = dataclasses.replace(humaneval[0], entry_point="f",
                                reference="def f(xs):\n    return ', '.join(xs) + '!'\n")
    # `+` of strings is concatenation: `-` would be no fault a model makes, only a TypeError.
    assert [m.kind for m in mutants(words, per_task=1000)] == [MutationKind.wrong_return]


@pytest.mark.parametrize("name", ["humaneval-x-go", "humaneval-x-cpp"])
def test_go_and_cpp_mutants_parse_and_change_the_solution_only(name):
    tasks = load_tasks(name, limit=10)
    kinds = set()
    for task in tasks:
        made = mutants(task, per_task=3)
        assert made == mutants(task, per_task=3) and 1 <= len(made) <= 3
        # Where the function's body starts: nothing above it (includes, imports, the comment) changes.
        body = task.reference[:task.reference.index("{", task.reference.index(task.entry_point))].count("\n") + 1
        for mutant in made:
            parse(mutant.code, task.language)  # raises ParseError
            assert mutant.code != task.reference
            assert min(changed_reference_lines(task.reference, mutant.code)) >= body
            assert changed_reference_lines(task.reference, mutant.code) == [mutant.line]
            kinds.add(mutant.kind)
    assert len(kinds) >= 4


def test_cpp_comments_strings_and_templates_are_not_mutated():
    cpp = load_tasks("humaneval-x-cpp", limit=1)[0]
    reference = ('#include<vector>\nusing namespace std;\n'
                 'int f(vector<int> v){\n'
                 '    // keep x == 1 and i < 2\n'
                 '    const char *s = "a < b && c";\n'
                 '    int n = v.size();\n'
                 '    if (n < 3) n = n * 2;\n'
                 '    return n;\n'
                 '}\n')
    task = dataclasses.replace(cpp, entry_point="f", reference=reference)
    made = mutants(task, per_task=1000)
    assert {m.kind for m in made} == {MutationKind.operator, MutationKind.off_by_one, MutationKind.negated_condition}
    for mutant in made:
        assert "// keep x == 1 and i < 2\n" in mutant.code and '"a < b && c"' in mutant.code
        assert "vector<int> v" in mutant.code


# -- against the sandbox ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mutant_sandbox(docker_client):
    from codeforge.sandbox import DockerSandbox, SandboxSettings

    with DockerSandbox(SandboxSettings(workers=2), client=docker_client) as box:
        yield box


def rerun(task, code: str, sandbox):
    return sandbox.run(task.test_job(code).job("again", 10.0))


@pytest.mark.docker
def test_every_example_failed_in_the_sandbox_and_its_feedback_is_the_real_error(humaneval, mutant_sandbox):
    from codeforge.bench.feedback import FeedbackSource, feedback_text
    from codeforge.store import Execution

    tasks = humaneval[:5]
    progress = []
    examples = feedback_examples(tasks, mutant_sandbox, per_task=3, timeout_s=10.0,
                                 on_progress=lambda done, total: progress.append((done, total)))
    made = {task.task_id: [m.code for m in mutants(task, per_task=3)] for task in tasks}
    count = sum(len(codes) for codes in made.values())
    assert progress == [(done, count) for done in range(1, count + 1)]
    assert len(examples) >= 8 and {e.task_id for e in examples} == {t.task_id for t in tasks}
    by_id = {task.task_id: task for task in tasks}
    for example in examples:
        assert isinstance(example, FeedbackExample)
        task = by_id[example.task_id]
        assert example.target == task.reference and example.failed_code in made[task.task_id]
        assert example.status != "passed"
        again = rerun(task, example.failed_code, mutant_sandbox)
        assert not again.passed and again.status.value == example.status
        if example.status == "failed":
            raised = re.findall(r"^(\w+(?:Error|Exception))\b", again.stderr, re.M)
            assert raised and raised[-1] in example.feedback, (again.stderr, example.feedback)
            assert example.feedback.startswith("The code fails:")
            # Word for word what bench's `--feedback hidden` says about the same run.
            execution = Execution("tests", again.status.value, False, again.duration_s, json.loads(again.to_json()))
            assert example.feedback == feedback_text(FeedbackSource.hidden, {"tests": execution},
                                                     code=example.failed_code)
        assert "_codeforge" not in example.feedback


@pytest.mark.docker
def test_mutants_that_still_pass_are_dropped(humaneval, mutant_sandbox):
    truncate = humaneval[2]
    # `unused` is dead code: every mutant of its line is the same program, as far as the tests can tell.
    reference = 'def truncate_number(number: float) -> float:\n    unused = 3\n    return number % 1.0\n'
    task = dataclasses.replace(truncate, reference=reference)
    every = mutants(task, per_task=100)
    dead = [m for m in every if m.line == 2]
    live = [m for m in every if m.line == 3]
    assert len(dead) >= 2 and len(live) >= 2
    assert all(rerun(task, m.code, mutant_sandbox).passed for m in dead)
    examples = feedback_examples([task], mutant_sandbox, per_task=100, timeout_s=10.0)
    assert sorted(e.failed_code for e in examples) == sorted(m.code for m in live)
    assert all("unused = 3" in e.failed_code for e in examples)
