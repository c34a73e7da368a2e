"""Tasks against the real sandbox: every reference passes its tests and its visible examples, and wrong
answers fail with a message a model can use."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from codeforge.sandbox import Status
from codeforge.tasks import DATASET_NAMES, load_tasks

pytestmark = pytest.mark.docker
SLOW = {"humaneval+", "mbpp", "mbpp-sanitized", "humaneval-x-go", "humaneval-x-cpp"}  # over ~10 s each


def load(name: str, request) -> list:
    return load_tasks(name)


def run(sandbox, tasks, code_of, kind: str) -> dict:
    """{task_id: Result} of each task's `kind` job ("test" or "visible") on code_of(task)."""
    def jobs():
        for task in tasks:
            yield getattr(task, f"{kind}_job")(code_of(task)).job(task.task_id)
    return {result.id: result for result in sandbox.run_many(jobs())}


def summary(results: dict) -> str:
    return "\n".join(f"{task_id}: {r.status.value}: {(r.stderr or r.stdout)[-600:]}" for task_id, r in results.items())


def with_slow_mark(names):
    return [pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name for name in names]


# That every reference passes its hidden tests is shown through the command a user runs:
# tests/bench/test_bench_reference.py (`codeforge bench NAME --model reference`).


# go-unittest's visible check is its test itself, a Go build per task (164 of them, minutes): its references are
# scored through the command in tests/bench/test_go_unittest_bench.py and over all 164 by
# benchmarks/go_unittest_throughput.py.
@pytest.mark.parametrize("name", with_slow_mark([name for name in DATASET_NAMES if name != "go-unittest"]))
def test_the_reference_passes_the_visible_examples_of_every_task(name, request, tasks_sandbox):
    tasks = load(name, request)
    results = run(tasks_sandbox, tasks, lambda task: task.reference, "visible")
    failed = {task_id: result for task_id, result in results.items() if not result.passed}
    flaky = {task.task_id for task in tasks if "flaky" in task.extra}
    assert set(failed) <= flaky, summary({k: v for k, v in failed.items() if k not in flaky})


def opposite(task) -> str:
    """HumanEval/0's reference, answering the opposite."""
    return task.reference + ("\n_right = has_close_elements\n\n\ndef has_close_elements(numbers, threshold):\n"
                             "    return not _right(numbers, threshold)\n")


def test_a_wrong_humaneval_answer_fails_and_says_which_example(tasks_sandbox):
    task = load_tasks("humaneval", task_ids=["HumanEval/0"])[0]
    hidden = run(tasks_sandbox, [task], opposite, "test")["HumanEval/0"]
    assert hidden.status is Status.failed and "AssertionError" in hidden.stderr
    visible = run(tasks_sandbox, [task], opposite, "visible")["HumanEval/0"]
    assert visible.status is Status.failed
    assert visible.stderr.endswith(
        "AssertionError: has_close_elements([1.0, 2.0, 3.0], 0.5) returned True, expected False\n")


def test_broken_code_shows_its_syntax_error_in_the_visible_job(tasks_sandbox):
    task = load_tasks("humaneval", task_ids=["HumanEval/38"])[0]  # a task whose docstring shows no example
    assert task.visible == ""
    result = run(tasks_sandbox, [task], lambda t: "def decode_cyclic(s):\n    return s +\n", "visible")[task.task_id]
    assert result.status is Status.compile_error and "SyntaxError" in result.stderr
    assert run(tasks_sandbox, [task], lambda t: t.reference, "visible")[task.task_id].passed


def test_humaneval_plus_reports_the_first_failing_input(data_dir, tasks_sandbox):
    task = load_tasks("humaneval+", data_dir, task_ids=["HumanEval/0"])[0]
    result = run(tasks_sandbox, [task], opposite, "test")["HumanEval/0"]
    assert result.status is Status.failed
    assert re.search(r"AssertionError: input 1 of \d+: has_close_elements\(\[1\.0, 2\.0, 3\.9, 4\.0, 5\.0, 2\.2\], "
                     r"0\.3\) returned False, expected True\n$", result.stderr), result.stderr
    missing = run(tasks_sandbox, [task], lambda t: "def other():\n    pass\n", "test")["HumanEval/0"]
    assert "the program does not define a function has_close_elements" in missing.stderr


def test_humaneval_plus_takes_any_root_for_find_zero_and_rejects_a_non_root(data_dir, tasks_sandbox):
    task = load_tasks("humaneval+", data_dir, task_ids=["HumanEval/32"])[0]
    # (x - 1)(x - 2)(x - 3): the reference's Newton iteration from 0 finds 1; the answer 3 is as right.
    other_root = task.prompt + "    print('what the code prints is ignored')\n    return 3.0\n"
    spec = task.test_job(other_root)
    result = tasks_sandbox.run(replace(spec, tests={**spec.tests, "inputs.json": "[[[-6, 11, -6, 1]]]"}).job("root"))
    # What the program prints is its own output; the verdict is the harness's.
    assert result.passed and result.stdout == "what the code prints is ignored\npassed 1 of 1 inputs\n", result.stderr
    zero = run(tasks_sandbox, [task], lambda t: task.prompt + "    return 0.0\n", "test")["HumanEval/32"]
    assert zero.status is Status.failed and re.search(r"input \d+ of \d+: find_zero\(\[", zero.stderr)


def test_a_wrong_mbpp_answer_fails_its_visible_test_with_the_values(data_dir, tasks_sandbox):
    task = load_tasks("mbpp-sanitized", data_dir, task_ids=["Mbpp/2"])[0]
    wrong = "def similar_elements(a, b):\n    return tuple(set(a) | set(b))\n"
    result = run(tasks_sandbox, [task], lambda t: wrong, "visible")["Mbpp/2"]
    assert result.status is Status.failed
    assert result.stderr.endswith("AssertionError: set(similar_elements((3, 4, 5, 6), (5, 7, 4, 10))) returned "
                                  "{3, 4, 5, 6, 7, 10}, expected {4, 5}\n"), result.stderr
    assert not run(tasks_sandbox, [task], lambda t: wrong, "test")["Mbpp/2"].passed


def test_go_answers_as_a_model_writes_them(data_dir, tasks_sandbox):
    task = load_tasks("humaneval-x-go", data_dir, task_ids=["Go/0"])[0]
    body = task.reference[task.reference.index("// Check"):]
    chatty = 'package main\n\nimport (\n    "fmt"\n    "math"\n    "os"\n)\n\n' + body + \
        '\nfunc main() {\n    fmt.Println(HasCloseElements([]float64{1, 2}, 0.5))\n}\n'
    assert run(tasks_sandbox, [task], lambda t: chatty, "test")["Go/0"].passed  # unused "os" dropped
    wrong = task.reference.replace("return true", "return false")
    result = run(tasks_sandbox, [task], lambda t: wrong, "visible")["Go/0"]
    assert result.status is Status.failed and result.details["tests"][0]["outcome"] == "failed"
    assert "Error Trace" in result.stdout
    broken = run(tasks_sandbox, [task], lambda t: task.prompt + "    return undefinedName\n}\n", "test")["Go/0"]
    assert broken.status is Status.compile_error


def test_cpp_answers_as_a_model_writes_them(data_dir, tasks_sandbox):
    task = load_tasks("humaneval-x-cpp", data_dir, task_ids=["CPP/0"])[0]
    with_main = task.reference + '\nint main() {\n    printf("%d\\n", has_close_elements({1.0, 2.0}, 0.5));\n}\n'
    assert run(tasks_sandbox, [task], lambda t: with_main, "test")["CPP/0"].passed  # its main() removed
    wrong = task.reference.replace("return true", "return false")
    result = run(tasks_sandbox, [task], lambda t: wrong, "visible")["CPP/0"]
    assert result.status is Status.failed and "Assertion" in result.stderr
    solution = task.reference.split(task.prompt, 1)[1]
    leaky = task.prompt + "    int* lost = new int[8];\n    lost[0] = 1;\n    lost = 0;\n" + solution
    leak = run(tasks_sandbox, [task], lambda t: leaky, "test")["CPP/0"]
    assert leak.status is Status.memory_error, (leak.status, leak.stderr)
