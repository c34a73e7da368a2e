"""`jsonl:PATH`: one's own tasks, their schema and its errors."""

from __future__ import annotations

import json

import pytest

from codeforge.sandbox.jobs import Action, Language
from codeforge.tasks import DatasetError, load_tasks

PROMPT = ('import math\n\n\ndef helper(x):\n    return x\n\n\n'
          'def area(r):\n    """Area of a circle.\n    >>> area(1)\n    3.14159\n    """\n')


def write(tmp_path, *rows, name="tasks.jsonl"):
    path = tmp_path / name
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


def test_a_minimal_python_task_follows_humaneval(tmp_path):
    path = write(tmp_path, {"task_id": "t/0", "prompt": PROMPT, "canonical_solution": "    return math.pi * r * r\n",
                            "test": "def check(candidate):\n    assert candidate(2) > 12\n", "difficulty": "easy"})
    task, = load_tasks(f"jsonl:{path}")
    assert (task.task_id, task.dataset, task.language, task.entry_point) == ("t/0", "jsonl:tasks.jsonl",
                                                                             Language.python, "area")
    assert task.reference == PROMPT + "    return math.pi * r * r\n"
    assert task.visible == "assert area(1) == 3.14159"  # from the docstring, as for HumanEval
    assert task.extra == {"difficulty": "easy"} and task.timeout_s == 20.0
    job = task.test_job(task.reference)
    assert job.action is Action.test and list(job.files) == ["solution.py"]
    assert job.files["solution.py"].startswith("import math\n")  # the program gets the prompt's imports
    assert job.tests["check.py"].startswith("import math\n") and job.tests["check.py"].endswith("check(area)\n")
    assert "def check" not in job.files["solution.py"]  # the tests stay out of the program's files


def test_a_test_without_check_runs_as_it_is_and_reference_and_visible_test_may_be_given(tmp_path):
    path = write(tmp_path, {"task_id": 7, "prompt": "Write inc(x).", "entry_point": "inc",
                            "reference": "def inc(x):\n    return x + 1\n", "test": "assert inc(1) == 2\n",
                            "visible_test": "assert inc(0) == 1", "timeout_s": 5})
    task, = load_tasks("jsonl:", dataset_path=path)
    assert task.task_id == "7" and task.reference == "def inc(x):\n    return x + 1\n"
    job = task.test_job(task.reference)
    assert job.files == {"solution.py": "def inc(x):\n    return x + 1\n"}
    assert job.tests == {"check.py": "assert inc(1) == 2\n"}
    assert task.visible == "assert inc(0) == 1" and task.timeout_s == 5.0
    assert "inc(0) returned" in task.visible_job(task.reference).tests["check.py"]


def test_go_and_cpp_tasks_use_the_humaneval_x_composition(tmp_path):
    go = {"task_id": "g", "language": "go", "prompt": "func Twice(x int) int {\n",
          "canonical_solution": "    return 2 * x\n}\n",
          "test": "func TestTwice(t *testing.T) {\n    assert.Equal(t, 4, Twice(2))\n}\n"}
    cpp = {"task_id": "c", "language": "cpp", "prompt": "#include<vector>\nint twice(int x){\n",
           "canonical_solution": "    return 2 * x;\n}\n",
           "test": "#include<assert.h>\nint main(){ assert(twice(2) == 4); }\n"}
    go_task, cpp_task = load_tasks(f"jsonl:{write(tmp_path, go, cpp)}")
    assert (go_task.language, go_task.entry_point, go_task.timeout_s) == (Language.go, "Twice", 60.0)
    files = go_task.test_job(go_task.reference).tests
    assert files["main_test.go"].startswith('package main\n\nimport (\n    "testing"\n'
                                            '    "github.com/stretchr/testify/assert"\n)\n')
    assert (cpp_task.language, cpp_task.entry_point) == (Language.cpp, "twice")
    assert cpp_task.test_job(cpp_task.reference).files["main.cpp"].startswith("#include<vector>\n#line 1\n")


@pytest.mark.parametrize("row, message", [
    ({"prompt": "def f(): pass\n", "test": ""}, "line 2: missing required field(s) task_id"),
    ({"task_id": "x"}, "line 2: missing required field(s) prompt, test"),
    ({"task_id": "x", "prompt": "no function here", "test": ""}, "line 2: no entry_point"),
    ({"task_id": "x", "prompt": "def f(): pass\n", "test": "", "language": "rust"}, "line 2: language 'rust'"),
    ({"task_id": "x", "prompt": "def f(): pass\n", "test": "", "timeout_s": -1}, "line 2: timeout_s"),
    ({"task_id": "x", "prompt": ["def f(): pass\n"], "test": ""}, "line 2: field 'prompt' is list"),
    ({"task_id": "a", "prompt": "def f(): pass\n", "test": ""}, "line 2: task_id 'a' already used at"),
    ("[1, 2]", "line 2: expected a JSON object"),
    ('{"task_id": "b",', "line 2: not valid JSON"),
])
def test_schema_errors_name_the_line(tmp_path, row, message):
    path = write(tmp_path, {"task_id": "a", "prompt": "def f(): pass\n", "test": ""}, row)
    with pytest.raises(DatasetError) as error:
        load_tasks(f"jsonl:{path}")
    assert message in str(error.value) and str(path) in str(error.value)


def test_a_missing_file_and_a_missing_path(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        load_tasks(f"jsonl:{tmp_path / 'none.jsonl'}")
    with pytest.raises(DatasetError, match="jsonl:PATH"):
        load_tasks("jsonl:")
