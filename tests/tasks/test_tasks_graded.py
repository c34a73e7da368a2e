"""Task.graded_job: the task's tests with one outcome per assertion (HumanEval, MBPP, jsonl), per input
(HumanEval+) or per test (pytest files, Go), passing when test_job (the bench verdict) passes. And KodCode-style
tasks in jsonl: a pytest file importing the program as `solution`."""

from __future__ import annotations

import ast
import json
import re

import pytest

from codeforge.sandbox import Status
from codeforge.tasks import DatasetError, load_tasks
from codeforge.tasks.graded import GRADED_FILE, graded_tests
from codeforge.tasks.jsonl import PYTEST_FILE
from tests.kodcode_sample import KODCODE_SOLUTION, KODCODE_TEST, kodcode_row


def bodies_of(source: str) -> dict[str, list[str]]:
    """{test name: the statements of its body, unparsed} of a generated pytest file."""
    tree = ast.parse(source)
    return {node.name: [ast.unparse(s) for s in node.body] for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_assertion_")}


# -- splitting (no sandbox) ----------------------------------------------------------------------------------


def test_each_assertion_is_a_test_after_the_setup_before_it_and_constant_asserts_are_left_out():
    source = graded_tests("import math", "x = [1, 2]\nassert f(x) == 3\nassert True, 'debug'\nprint(x)\n"
                                         "y = 4\nfor i in range(3):\n    assert f([i]) == i\n")
    assert source.startswith("import re as _codeforge_re\nimport solution as _codeforge_program\n")
    assert source.index("globals().update") < source.index("import math")  # the program's names come first
    assert bodies_of(source) == {
        "test_assertion_1": ["x = [1, 2]", "assert f(x) == 3"],
        "test_assertion_2": ["x = [1, 2]", "print(x)", "y = 4", "for i in range(3):\n    assert f([i]) == i"],
    }


def test_humaneval_check_becomes_one_test_per_assert_with_the_candidate_bound():
    task, = load_tasks("humaneval", task_ids=["HumanEval/0"])
    job = task.graded_job(task.reference)
    assert job.files == task.test_job(task.reference).files  # the same program
    tests = bodies_of(job.tests[GRADED_FILE])
    assert len(tests) == 7  # HumanEval/0's check has seven asserts
    assert all(body[0] == "candidate = has_close_elements" for body in tests.values())
    assert tests["test_assertion_2"][-1] == "assert candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.05) == False"


def test_the_prompts_helpers_are_the_tests_own_and_a_loop_of_asserts_is_one_test():
    task, = load_tasks("humaneval", task_ids=["HumanEval/38"])
    source = task.graded_job(task.reference).tests[GRADED_FILE]
    assert source.index("globals().update") < source.index("def encode_cyclic")  # the prompt's, not the program's
    assert len(bodies_of(source)) == 1


def test_humaneval_asserts_of_a_constant_count_nothing():
    task, = load_tasks("humaneval", task_ids=["HumanEval/66"])  # two `assert True, "..."` among its asserts
    asserts = [n for n in ast.walk(ast.parse(task.test)) if isinstance(n, ast.Assert)]
    tests = bodies_of(task.graded_job(task.reference).tests[GRADED_FILE])
    assert len(tests) == len(asserts) - 2 == 8


def test_mbpp_asserts_are_three_tests_after_the_setup():
    task, = load_tasks("mbpp", task_ids=["Mbpp/2"])
    source = task.graded_job(task.reference).tests[GRADED_FILE]
    assert list(bodies_of(source)) == ["test_assertion_1", "test_assertion_2", "test_assertion_3"]
    assert [body[-1] for body in bodies_of(source).values()] == [ast.unparse(ast.parse(t)) for t in task.tests]


def test_program_names_pytest_would_act_on_stay_out_of_the_module_and_are_bound_where_used():
    task, = load_tasks("mbpp", task_ids=["Mbpp/19"])  # the function under test is test_duplicate
    source = task.graded_job(task.reference).tests[GRADED_FILE]
    for body in bodies_of(source).values():
        assert body[0] == "if 'test_duplicate' in _codeforge_held:\n    test_duplicate = _codeforge_held['test_duplicate']"
    held = ast.literal_eval(source.split("_codeforge_re.match(", 1)[1].split(", name)", 1)[0])
    assert [name for name in ("test_x", "TestX", "setup", "setup_module", "teardown", "pytestmark",
                              "_codeforge_held", "solve", "_sum", "tester") if re.match(held, name)] == \
        ["test_x", "TestX", "setup", "setup_module", "teardown", "pytestmark", "_codeforge_held", "tester"]
    # a name the trusted part defines is the tests' own, not looked up in the program's, and not a test itself
    source = graded_tests("def test_helper():\n    return 1", "assert test_helper() == f()")
    assert bodies_of(source) == {"test_assertion_1": ["assert test_helper() == f()"]}
    assert "test_helper.__test__ = False" in source


def test_go_and_cpp_grade_with_their_own_tests():
    go, = load_tasks("humaneval-x-go", limit=1)
    assert go.graded_job(go.reference) == go.test_job(go.reference)  # go test reports each test function


def write(tmp_path, *rows):
    path = tmp_path / "tasks.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_a_jsonl_script_splits_after_its_definitions(tmp_path):
    path = write(tmp_path, {"task_id": "s", "prompt": "def inc(x):\n", "reference": "def inc(x):\n    return x + 1\n",
                            "test": "def twice(f, x):\n    return f(f(x))\n"
                                    "assert inc(1) == 2\nassert twice(inc, 1) == 3\n"},
                 {"task_id": "c", "prompt": "def inc(x):\n", "reference": "def inc(x):\n    return x + 1\n",
                  "test": "def check(c):\n    assert c(1) == 2\n    assert c(2) == 3\n"})
    script, check = load_tasks(f"jsonl:{path}")
    source = script.graded_job(script.reference).tests[GRADED_FILE]
    assert "def twice(f, x)" in source and len(bodies_of(source)) == 2
    assert script.test_job(script.reference).tests == {"check.py": script.test}  # the bench verdict as it was
    tests = bodies_of(check.graded_job(check.reference).tests[GRADED_FILE])
    assert tests == {"test_assertion_1": ["c = inc", "assert c(1) == 2"],
                     "test_assertion_2": ["c = inc", "assert c(2) == 3"]}


# -- KodCode-style tasks (no sandbox) -------------------------------------------------------------------------

def test_a_kodcode_row_loads_as_a_pytest_task(tmp_path):
    task, = load_tasks(f"jsonl:{write(tmp_path, kodcode_row())}")
    assert (task.task_id, task.entry_point, task.reference) == ("Prefill_1_I", "merge_sorted", KODCODE_SOLUTION)
    assert task.extra["style"] == "instruct" and not task.prompt_opens_function
    job = task.test_job(task.reference)
    assert job.files == {"solution.py": KODCODE_SOLUTION} and job.tests == {PYTEST_FILE: KODCODE_TEST}
    assert task.graded_job(task.reference) == job
    assert task.code_from_completion("def merge_sorted(a, b):\n    return a\n") == \
        "def merge_sorted(a, b):\n    return a\n"  # a prose question is not part of the program


def test_a_pytest_test_that_does_not_import_the_solution_is_refused(tmp_path):
    path = write(tmp_path, kodcode_row(test=KODCODE_TEST.replace("from solution import merge_sorted\n", "")))
    with pytest.raises(DatasetError, match=r"line 1: the test is a pytest file \(it defines test_both_empty\) but "
                                           r"does not import the solution: add `from solution import"):
        load_tasks(f"jsonl:{path}")


def test_a_script_that_calls_its_own_test_functions_stays_a_script(tmp_path):
    path = write(tmp_path, {"task_id": "t", "prompt": "def inc(x):\n", "test": "def test_inc():\n"
                            "    assert inc(1) == 2\n\n\ntest_inc()\n"})
    task, = load_tasks(f"jsonl:{path}")
    assert type(task).__name__ == "PythonTask" and "check.py" in task.test_job("def inc(x):\n    return x + 1\n").tests


# -- in the sandbox ------------------------------------------------------------------------------------------


def run(sandbox, tasks, code_of):
    # What is checked is the split, not speed: a loaded machine must not time a reference out (Mbpp/123 takes
    # 17 s of its 20 under load).
    jobs = (task.graded_job(code_of(task)).job(task.task_id, timeout_s=120) for task in tasks)
    return {result.id: result for result in sandbox.run_many(jobs)}


def known_failures(tasks) -> set[str]:
    return {task.task_id for task in tasks if "flaky" in task.extra}


@pytest.mark.docker
@pytest.mark.parametrize("name, limit", [("humaneval", 20), ("mbpp", 20),
                                         pytest.param("humaneval", None, marks=pytest.mark.slow),
                                         pytest.param("mbpp", None, marks=pytest.mark.slow)])
def test_every_reference_passes_its_graded_job_with_an_outcome_per_assertion(tasks_sandbox, name, limit):
    tasks = load_tasks(name, limit=limit)
    results = run(tasks_sandbox, tasks, lambda task: task.reference)
    failed = {task_id: (r.status.value, r.details.get("error")) for task_id, r in results.items() if not r.passed}
    assert set(failed) <= known_failures(tasks), failed
    for task in tasks:
        source = task.graded_job(task.reference).tests[GRADED_FILE]
        assert len(results[task.task_id].details["tests"]) == len(bodies_of(source))


@pytest.mark.docker
def test_a_program_whose_names_pytest_would_act_on_is_graded_on_the_tasks_tests_only(tasks_sandbox):
    task, = load_tasks("humaneval", task_ids=["HumanEval/0"])
    helpers = "\n\ndef setup(x=1):\n    return x\n\n\ndef teardown():\n    pass\n\n\ndef test_it():\n    return 1\n"
    right = run(tasks_sandbox, [task], lambda t: t.reference + helpers)[task.task_id]
    assert right.passed and len(right.details["tests"]) == 7  # nose would have called `setup` as module setup
    padding = "".join(f"\n\ndef test_padding_{i}():\n    return None\n" for i in range(10)) + \
        "\n\nclass TestMore:\n    def test_a(self):\n        pass\n"
    wrong = run(tasks_sandbox, [task], lambda t: t.prompt + "    return None\n" + padding)[task.task_id]
    assert [t["outcome"] for t in wrong.details["tests"]] == ["failed"] * 7  # none of its own "tests" count


@pytest.mark.docker
def test_a_wrong_mbpp_answer_fails_some_of_its_tests_and_so_does_its_bench_verdict(tasks_sandbox):
    task, = load_tasks("mbpp", task_ids=["Mbpp/798"])  # _sum: a name `import *` would leave out
    wrong = "def _sum(arr):\n    return sum(arr) if len(arr) != 4 else 0\n"
    graded = run(tasks_sandbox, [task], lambda t: wrong)[task.task_id]
    assert graded.status is Status.failed
    assert [t["outcome"] for t in graded.details["tests"]] == ["passed", "failed", "passed"]
    assert tasks_sandbox.run(task.test_job(wrong).job("bench")).status is Status.failed


@pytest.mark.docker
def test_humaneval_plus_grades_one_test_per_input(tasks_sandbox):
    tasks = load_tasks("humaneval+", task_ids=["HumanEval/0", "HumanEval/32"])
    results = run(tasks_sandbox, tasks, lambda task: task.reference)
    for task in tasks:
        result = results[task.task_id]
        assert result.passed, result.stdout[-500:]
        assert len(result.details["tests"]) == task.extra["inputs"]
    wrong = run(tasks_sandbox, tasks[:1], lambda task: task.prompt + "    return True\n")["HumanEval/0"]
    outcomes = {t["outcome"] for t in wrong.details["tests"]}
    assert wrong.status is Status.failed and outcomes == {"passed", "failed"}


@pytest.mark.docker
def test_a_kodcode_task_runs_under_pytest_with_an_outcome_per_test(tmp_path, tasks_sandbox):
    task, = load_tasks(f"jsonl:{write(tmp_path, kodcode_row())}")
    right = tasks_sandbox.run(task.test_job(task.reference).job("right"))
    assert right.status is Status.passed and len(right.details["tests"]) == 5
    wrong_code = "def merge_sorted(a, b):\n    return sorted(set(a or []) | set(b))\n"
    wrong = tasks_sandbox.run(task.test_job(wrong_code).job("w"))
    outcomes = {t["name"].split("::")[-1]: t["outcome"] for t in wrong.details["tests"]}
    assert wrong.status is Status.failed
    assert outcomes == {"test_both_empty": "passed", "test_interleaved": "passed", "test_one_empty": "passed",
                        "test_duplicates": "failed", "test_rejects_none": "failed"}


@pytest.mark.docker
def test_a_scripts_helper_named_like_a_test_is_not_counted_as_one(tmp_path, tasks_sandbox):
    path = write(tmp_path, {"task_id": "h", "prompt": "def inc(x):\n", "reference": "def inc(x):\n    return x + 1\n",
                            "test": "def test_twice(x):\n    return inc(inc(x))\n\n\nassert test_twice(1) == 3\n"
                                    "assert inc(0) == 1\n"})
    task, = load_tasks(f"jsonl:{path}")
    result = run(tasks_sandbox, [task], lambda t: t.reference)["h"]
    assert result.passed and [t["name"] for t in result.details["tests"]] == \
        ["test_graded.py::test_assertion_1", "test_graded.py::test_assertion_2"]
