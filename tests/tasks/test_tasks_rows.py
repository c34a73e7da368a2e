"""`jsonl.row_of`: every built-in dataset's tasks written as jsonl rows load back with the same tests."""

from __future__ import annotations

import json

import pytest

from codeforge.tasks import DatasetError, load_tasks
from codeforge.tasks.jsonl import row_of

ROUND_TRIP = ("humaneval", "mbpp", "mbpp-sanitized", "humaneval-x-go", "humaneval-x-cpp", "go-unittest")


def reloaded(tasks, tmp_path):
    """The tasks written as a jsonl file (through JSON text, as a file holds them) and loaded back."""
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row_of(task)) + "\n" for task in tasks), encoding="utf-8")
    return load_tasks(f"jsonl:{path}")


def same_tests(before, after) -> None:
    """The test job of the reference is the same job: the same tests, limits and action, and the same program
    (up to the one trailing newline jsonl's composition writes)."""
    a, b = before.test_job(before.reference), after.test_job(after.reference)
    assert (b.language, b.action, b.timeout_s, b.function) == (a.language, a.action, a.timeout_s, a.function)
    assert b.tests == a.tests, before.task_id
    assert {k: v.rstrip("\n") for k, v in b.files.items()} == {k: v.rstrip("\n") for k, v in a.files.items()}


@pytest.mark.parametrize("dataset", ROUND_TRIP)
def test_every_task_of_a_built_in_dataset_comes_back_with_the_same_tests(dataset, data_dir, tmp_path):
    tasks = load_tasks(dataset)
    back = reloaded(tasks, tmp_path)
    assert [t.task_id for t in back] == [t.task_id for t in tasks]
    for before, after in zip(tasks, back):
        same_tests(before, after)
        assert (after.entry_point, after.reference, after.language) == (before.entry_point, before.reference,
                                                                         before.language)
        # a base model continues the prompt the same way (MBPP's docstring: it writes the whole program)
        assert after.prompt_opens_function == before.prompt_opens_function, before.task_id
        assert {k: v for k, v in after.extra.items() if k in before.extra} == before.extra  # extras travel
    if dataset.startswith("mbpp"):
        flaky = {t.task_id: t.extra.get("flaky") for t in back if "flaky" in t.extra}
        assert flaky and all(flaky.values())


def test_a_humaneval_answer_that_writes_the_prompts_helpers_is_tested_the_same(tmp_path):
    """HumanEval/32's check calls the prompt's `poly`: the row's test defines it, as HumanEval's tests do."""
    task = load_tasks("humaneval", task_ids=["HumanEval/32"])[0]
    back, = reloaded([task], tmp_path)
    assert "def poly(" in back.test_job(back.reference).tests["check.py"]
    answer = task.reference.replace("return begin", "return begin + 1.0")
    assert back.test_job(answer).tests == task.test_job(answer).tests


def test_an_answer_that_leaves_out_the_prompts_helpers_gets_them_as_in_humaneval(tmp_path):
    """HumanEval/10's prompt defines is_palindrome, which make_palindrome calls: a chat answer that writes only
    make_palindrome is completed with the prompt's helper, from a jsonl row as from HumanEval."""
    task = load_tasks("humaneval", task_ids=["HumanEval/10"])[0]
    back, = reloaded([task], tmp_path)
    answer = ("def make_palindrome(string: str) -> str:\n    for i in range(len(string)):\n"
              "        if is_palindrome(string[i:]):\n            return string + string[:i][::-1]\n"
              "    return string\n")
    assert "def is_palindrome" in back.test_job(answer).files["solution.py"]
    assert back.test_job(answer) == task.test_job(answer)
    assert back.graded_job(answer).files == task.graded_job(answer).files


def test_humaneval_plus_is_refused_rather_than_losing_its_plus_inputs(tmp_path):
    task = load_tasks("humaneval+", task_ids=["HumanEval/0"])[0]
    with pytest.raises(DatasetError, match="plus inputs.*use runs on humaneval"):
        row_of(task)


def test_jsonl_rows_come_back_as_they_were(tmp_path):
    """Python (a check function and a pytest file), Go, C++ and go-unittest rows, and their extra fields."""
    from test_go_unittest_tasks import GEOMETRY, UTIL

    rows = [
        {"task_id": "py/0", "prompt": "def inc(x):\n    \"\"\"\n    >>> inc(1)\n    2\n    \"\"\"\n",
         "canonical_solution": "    return x + 1\n", "test": "def check(f):\n    assert f(2) == 3\n", "level": 3},
        {"task_id": "py/1", "prompt": "Write dec(x).", "reference": "def dec(x):\n    return x - 1\n",
         "test": "from solution import dec\n\n\ndef test_dec():\n    assert dec(1) == 0\n", "timeout_s": 7},
        {"task_id": "go/0", "language": "go", "prompt": "func Twice(x int) int {\n",
         "canonical_solution": "    return 2 * x\n}\n",
         "test": "func TestTwice(t *testing.T) {\n    assert.Equal(t, 4, Twice(2))\n}\n"},
        {"task_id": "cpp/0", "language": "cpp", "prompt": "#include<vector>\nint twice(int x){\n",
         "canonical_solution": "    return 2 * x;\n}\n",
         "test": "#include<assert.h>\nint main(){ assert(twice(2) == 4); }\n"},
        {"kind": "go-unittest", "task_id": "shapes/area", "files": {"geometry.go": GEOMETRY, "util.go": UTIL},
         "function": "Area", "source": "mine"},
    ]
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    tasks = load_tasks(f"jsonl:{path}")
    back = reloaded(tasks, tmp_path)
    for before, after in zip(tasks, back):
        assert type(after) is type(before) and after.prompt == before.prompt and after.visible == before.visible
        assert after.extra == before.extra
        same_tests(before, after)


def test_text_rows_load_as_text_tasks_and_come_back_as_they_were(tmp_path):
    rows = [{"kind": "text", "task_id": "sum/0", "prompt": "Summarize: a cat sat.", "reference": "A cat sat.",
             "source": "mine"},
            {"kind": "text", "task_id": 7, "prompt": "Explain x = 1.", "reference": "It sets x to one."}]
    path = tmp_path / "text.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    tasks = load_tasks(f"jsonl:{path}")
    assert [(t.task_id, t.answer, t.language, t.extra) for t in tasks] == [
        ("sum/0", "text", None, {"source": "mine"}), ("7", "text", None, {})]
    with pytest.raises(TypeError, match="no tests"):
        tasks[0].test_job("A cat sat.")
    back = reloaded(tasks, tmp_path)
    assert [(t.task_id, t.prompt, t.reference, t.extra) for t in back] == \
        [(t.task_id, t.prompt, t.reference, t.extra) for t in tasks]
    path.write_text(json.dumps({"kind": "text", "task_id": "x", "prompt": "Say hi."}) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="line 1: a text task needs reference"):
        load_tasks(f"jsonl:{path}")
